"""What torch rules share: reading a module's stored arguments.

A torch rule has the Keras rules' signature: it takes the module's arguments as
`LayerArgs` (the adapter reads them from the module's public attributes, as
``get_config`` would give them; a parameter slot such as ``bias`` reads True
when the module holds that parameter, False when it was created without it)
and the shapes of its inputs, and returns an `Explained` whose weights carry
torch's names and layout and whose ``macs`` the family computed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from cnnexplain._formula import Term
from cnnexplain._rules.protocol import Explained, LayerArgs, fmt_shape
from cnnexplain._shapes import Shape

__all__ = [
    "ints",
    "one_input",
    "zero_cost",
]


def ints(
    args: LayerArgs, key: str, rank: int, default: Any = None, *, minimum: int = 1
) -> tuple[int, ...]:
    """An int or ``rank`` ints, as torch stores ``kernel_size``, ``stride``... (lists too)."""
    value = args.get(key, default)
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(value, tuple) and len(value) == 1 and rank > 1:
        value = value * rank
    fixed = LayerArgs(args.name, args.class_name, {key: value})
    return fixed.integers(key, rank, minimum=minimum)


def one_input(args: LayerArgs, inputs: Sequence[Shape]) -> Shape:
    """The module's first input tensor's shape."""
    if not inputs:
        raise args.error(None, "was called without a tensor input")
    return inputs[0]


def known(args: LayerArgs, shape: Shape, axis: int, what: str) -> int:
    """The length of ``shape[axis]``, which must exist and be known."""
    if not -len(shape) <= axis < len(shape):
        raise args.error(None, f"expects the {what} on axis {axis}, got shape {fmt_shape(shape)}")
    return args.known(shape, axis, what)


def zero_cost(result: Explained) -> Explained:
    """``result`` with 0 MACs (element-wise work, data movement, lookups)."""
    return dataclasses.replace(result, macs=Term(0))
