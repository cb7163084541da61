"""LayerNormalization, RMSNormalization, GroupNormalization, UnitNormalization.

Unlike BatchNormalization they keep no moving statistics: every weight is
trainable, and they normalize each example on its own.
"""

from __future__ import annotations

import math

from cnnexplain._formula import Formula, Term
from cnnexplain._rules.families.norm import affine, elementwise_macs
from cnnexplain._rules.protocol import Explained, Family, LayerArgs, Weight, fmt_shape, zero
from cnnexplain._rules.registry import rule
from cnnexplain._shapes import Shape

__all__ = [
    "group_normalization",
    "layer_normalization",
    "normalized_axes",
    "rms_normalization",
    "unit_normalization",
]


def normalized_axes(args: LayerArgs, shape: Shape) -> tuple[int, ...]:
    """The lengths along ``axis`` (an int or a list, sorted as Keras sorts it), all known."""
    axis = args.get("axis", -1)
    axes = [axis] if isinstance(axis, int) and not isinstance(axis, bool) else axis
    rank = len(shape)
    if (
        not isinstance(axes, (list, tuple))
        or not axes
        or any(isinstance(a, bool) or not isinstance(a, int) or not -rank <= a < rank for a in axes)
    ):
        raise args.error("axis", f"'axis' must name axes of a rank-{rank} input", axis)
    axes = sorted(axes) if isinstance(axis, (list, tuple)) else axes
    return tuple(args.known(shape, a, "normalized axis") for a in axes)


def _per_example(shape: Shape) -> Formula | None:
    """2 MACs per output element: each example's statistics, then the scaling."""
    return elementwise_macs(shape, 2)


def _per_axis(dims: tuple[int, ...]) -> tuple[Formula, str]:
    if len(dims) == 1:
        return Term(dims[0], "C"), "C"
    f: Formula = Term(dims[0], "C_1")
    for i, d in enumerate(dims[1:], start=2):
        f = f * Term(d, f"C_{i}")
    return f, "·".join(f"C_{i}" for i in range(1, len(dims) + 1))


@rule("LayerNormalization", family=Family.NORM)
def layer_normalization(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``2·C``: gamma and beta, one per position of the normalized axes.

    Symbols: ``C`` the length of ``axis`` (the product of the lengths when
    ``axis`` is a list). ``center=False`` drops beta and ``scale=False`` gamma.
    All trainable: unlike BatchNormalization there are no moving statistics.
    """
    (shape,) = inputs
    dims = normalized_axes(args, shape)
    center = args.boolean("center", default=True)
    scale = args.boolean("scale", default=True)
    rms = args.boolean("rms_scaling", default=False)
    per_axis, _ = _per_axis(dims)
    names = (["gamma"] if scale or rms else []) + (["beta"] if center and not rms else [])
    formula, weights = affine(names, per_axis, dims, count_one=True)
    note = f"{' and '.join(names) or 'no weights'}, trainable; normalizes each example"
    steps = ("same shape as the input",)
    return Explained(formula, weights, (shape,), steps, note, macs=_per_example(shape))


@rule("RMSNormalization", family=Family.NORM)
def rms_normalization(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``C``: one trainable scale per position of the normalized axes.

    Symbols: ``C`` the length of ``axis`` (a product for a list of axes).
    """
    (shape,) = inputs
    dims = normalized_axes(args, shape)
    per_axis, _ = _per_axis(dims)
    weights = (Weight("scale", dims),)
    steps = ("same shape as the input",)
    return Explained(per_axis, weights, (shape,), steps, macs=_per_example(shape))


@rule("GroupNormalization", family=Family.NORM)
def group_normalization(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``2·C``: gamma and beta per channel; ``groups`` changes the statistics, not the count.

    Symbols: ``C`` the length of ``axis`` (the channels). ``C`` must be a multiple
    of ``groups`` (``-1`` means one group per channel, as InstanceNormalization).
    """
    (shape,) = inputs
    axis = args.get("axis", -1)
    if isinstance(axis, bool) or not isinstance(axis, int) or not -len(shape) <= axis < len(shape):
        raise args.error("axis", f"'axis' must name an axis of a rank-{len(shape)} input", axis)
    c = args.known(shape, axis, "number of channels")
    groups = args.get("groups", 32)
    if groups != -1:
        groups = args.integer("groups", 32)
        if c < groups or c % groups:
            raise args.error(
                "groups", f"the {c} channels must be a positive multiple of groups", groups
            )
    center = args.boolean("center", default=True)
    scale = args.boolean("scale", default=True)
    names = (["gamma"] if scale else []) + (["beta"] if center else [])
    formula, weights = affine(names, Term(c, "C"), (c,), count_one=True)
    g = c if groups == -1 else groups
    step = f"same shape as the input; statistics over {g} groups of {c // g} channels"
    return Explained(formula, weights, (shape,), (step,), macs=_per_example(shape))


@rule("UnitNormalization", family=Family.NORM)
def unit_normalization(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``0``: divides by the L2 norm along ``axis``; no weights."""
    (shape,) = inputs
    axis = args.get("axis", -1)
    axes = [axis] if isinstance(axis, int) and not isinstance(axis, bool) else axis
    rank = len(shape)
    if not isinstance(axes, (list, tuple)) or any(
        isinstance(a, bool) or not isinstance(a, int) or not -rank <= a < rank for a in axes
    ):
        raise args.error("axis", f"'axis' must name axes of a rank-{rank} input", axis)
    size = [shape[a] for a in axes]
    known = None if None in size else math.prod(d for d in size if d is not None)
    step = f"same shape as the input {fmt_shape(shape)}; norm over {known}"
    return zero((shape,), (step,), macs=_per_example(shape))
