"""Output-shape arithmetic: each computed length carries the sum that gives it.

The sliding window of every convolution and pooling is here once: torch's
explicit padding (`padded_length`, `transposed_length`) and Keras's padding
names (`conv_length`, `transpose_length`), which compute through them.

Examples:
    >>> conv_length(28, 3, stride=1, padding="valid")
    Dim(value=26, text='⌊(28−3)/1⌋+1 = 26')
    >>> conv_length(28, 3, stride=2, padding="same")
    Dim(value=14, text='⌈28/2⌉ = 14')
    >>> conv_length(None, 3, stride=1, padding="valid").text
    '? (unknown input length)'
    >>> flatten_size((13, 13, 32))
    Dim(value=5408, text='13·13·32 = 5408')
    >>> flatten_size((96,)).text
    'already one axis of 96'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Dim",
    "Shape",
    "Weight",
    "conv_length",
    "flatten_size",
    "padded_length",
    "transpose_length",
    "transposed_length",
]

Shape = tuple[int | None, ...]
"""A tensor shape, batch dimension included (``None`` where unknown)."""


@dataclass(frozen=True, slots=True)
class Weight:
    """One weight tensor the layer holds, as Keras names it (``kernel``, ``bias``...)."""

    name: str
    shape: tuple[int, ...]
    trainable: bool = True

    @property
    def size(self) -> int:
        """Number of scalars in the tensor."""
        return math.prod(self.shape)


Padding = Literal["valid", "same", "causal"]


@dataclass(frozen=True, slots=True)
class Dim:
    """One output length and the arithmetic that gives it."""

    value: int | None
    text: str


def _unknown() -> Dim:
    return Dim(None, "? (unknown input length)")


def conv_length(n: int | None, kernel: int, *, stride: int, padding: str, dilation: int = 1) -> Dim:
    """Output length of a convolution or pooling window along one axis (Keras rules).

    ``valid``: ``⌊(n−k_eff)/s⌋+1``; ``same`` and ``causal``: ``⌈n/s⌉``, where the
    dilated kernel is ``k_eff = d·(k−1)+1``.
    """
    if n is None:
        return _unknown()
    if padding in ("same", "causal"):
        value = math.ceil(n / stride)
        return Dim(value, f"⌈{n}/{stride}⌉ = {value}")
    return padded_length(n, kernel, stride=stride, before=0, after=0, dilation=dilation)


def padded_length(
    n: int, kernel: int, *, stride: int, before: int, after: int, dilation: int = 1
) -> Dim:
    """``⌊(n+p_before+p_after−k_eff)/s⌋+1`` with ``k_eff = d·(k−1)+1`` (explicit padding)."""
    k_eff = dilation * (kernel - 1) + 1
    value = (n + before + after - k_eff) // stride + 1
    k_text = str(k_eff) if dilation == 1 else f"({dilation}·({kernel}−1)+1)"
    pads = f"+{before}+{after}" if before or after else ""
    return Dim(value, f"⌊({n}{pads}−{k_text})/{stride}⌋+1 = {value}")


def transposed_length(
    n: int, kernel: int, *, stride: int, padding: int, output_padding: int, dilation: int = 1
) -> Dim:
    """``(n−1)·s−2·p+d·(k−1)+output_padding+1``, torch's ConvTranspose length."""
    value = (n - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    return Dim(
        value,
        f"({n}−1)·{stride}−2·{padding}+{dilation}·({kernel}−1)+{output_padding}+1 = {value}",
    )


def transpose_length(
    n: int | None,
    kernel: int,
    *,
    stride: int,
    padding: str,
    output_padding: int | None = None,
    dilation: int = 1,
) -> Dim:
    """Output length of a transposed convolution along one axis (Keras rules)."""
    if n is None:
        return _unknown()
    k_eff = dilation * (kernel - 1) + 1
    if output_padding is None:
        if padding == "valid":
            value = n * stride + max(k_eff - stride, 0)
            return Dim(value, f"{n}·{stride}+max({k_eff}−{stride}, 0) = {value}")
        value = n * stride
        return Dim(value, f"{n}·{stride} = {value}")
    pad = 0 if padding == "valid" else k_eff // 2  # torch's explicit padding, from Keras's name
    same = transposed_length(
        n, kernel, stride=stride, padding=pad, output_padding=output_padding, dilation=dilation
    )
    return Dim(same.value, f"({n}−1)·{stride}+{k_eff}−2·{pad}+{output_padding} = {same.value}")


def flatten_size(dims: Shape) -> Dim:
    """Length of the flattened vector: the product of the non-batch dimensions."""
    if any(d is None for d in dims):
        return _unknown()
    value = math.prod(d for d in dims if d is not None)
    if len(dims) == 1:
        return Dim(value, f"already one axis of {value}")
    return Dim(value, "·".join(str(d) for d in dims) + f" = {value}")
