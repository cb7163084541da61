"""Dot: the dot product of two tensors along an axis of each."""

from __future__ import annotations

from cnnexplain._formula import Term
from cnnexplain._rules.families.einsum import dot_macs
from cnnexplain._rules.protocol import Explained, LayerArgs, fmt_shape
from cnnexplain._rules.registry import rule
from cnnexplain._shapes import Shape

__all__ = ["dot"]


@rule("Dot")
def dot(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``0``; sums the products along ``axes``, the other axes of both inputs remain."""
    if len(inputs) != 2:  # noqa: PLR2004
        raise args.error(None, f"needs exactly 2 inputs, got {len(inputs)}")
    a, b = inputs
    axes = args.get("axes")
    if isinstance(axes, int) and not isinstance(axes, bool):
        pair = (axes % len(a), axes % len(b)) if axes < 0 else (axes, axes)
    elif (
        isinstance(axes, (list, tuple))
        and len(axes) == 2  # noqa: PLR2004
        and all(isinstance(x, int) and not isinstance(x, bool) for x in axes)
    ):
        pair = (axes[0] % len(a), axes[1] % len(b))
    else:
        raise args.error("axes", "'axes' must be an integer or a pair of integers", axes)
    if not (0 < pair[0] < len(a) and 0 < pair[1] < len(b)):
        raise args.error("axes", "'axes' must name non-batch axes of both inputs", axes)
    n, m = a[pair[0]], b[pair[1]]
    if n is not None and m is not None and n != m:
        raise args.error(
            "axes",
            f"the axes must have the same length, got {n} in {fmt_shape(a)} "
            f"and {m} in {fmt_shape(b)}",
            axes,
        )
    rest_a = [d for i, d in enumerate(a) if i != pair[0]]
    rest_b = [d for i, d in enumerate(b) if i != pair[1]][1:]
    out = tuple(rest_a + rest_b)
    if len(out) == 1:
        out = (*out, 1)
    step = f"sum over axis {pair[0]} of {fmt_shape(a)} and axis {pair[1]} of {fmt_shape(b)}"
    steps = (f"{step} → {fmt_shape(out)}",)
    return Explained(Term(0), (), (out,), steps, macs=dot_macs(out, n))
