"""Framework-neutral layer families: the math of a convolution, a dense layer, a recurrent layer...

Each family module holds one kind of layer's arithmetic as functions of plain
numbers and tuples: the parameter count as a `Formula` (with the symbols the
caller names, so Keras readers say ``F`` and torch readers ``out_channels``),
the weight tensors in either framework's layout, the output lengths with the
arithmetic that gives them, and the multiply-accumulates of one call.

The Keras rules (`cnnexplain._rules`) and the torch rules
(`cnnexplain._rules.torch`) are readers: they validate their framework's
arguments and map them onto these functions. Framework conventions that
differ (weight layout, channels first, two RNN bias vectors) are arguments.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["Layout"]

Layout = Literal["keras", "torch"]
"""Whose weight names and tensor layout to use: Keras ``kernel`` (k…, C_in, F), torch
``weight`` (out_channels, in_channels, k…)."""
