"""Preprocessing layers inside models: Normalization, Rescaling, Resizing, crops, augmentation."""

from __future__ import annotations

import math

from cnnexplain._formula import Formula, Term
from cnnexplain._rules.families.norm import elementwise_macs
from cnnexplain._rules.keras.table import AUGMENTATION
from cnnexplain._rules.protocol import NO_MACS, Explained, LayerArgs, Weight, fmt_shape, zero
from cnnexplain._rules.registry import rule
from cnnexplain._shapes import Shape

__all__ = ["AUGMENTATION", "augmentation", "normalization", "rescaling", "resizing"]


@rule("Normalization")
def normalization(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``2·C+1`` non-trainable: mean and variance per kept position, and a count.

    Symbols: ``C`` the product of the input lengths along ``axis`` (the axes that
    keep their own statistics). ``adapt()`` fills them; none is trained. Given
    ``mean`` and ``variance`` in the constructor, the layer holds no weights.
    """
    (shape,) = inputs
    macs = elementwise_macs(shape, 1)  # (x − mean)/√variance: 1 MAC per element at inference
    if args.get("mean") is not None or args.get("variance") is not None:
        steps = ("same shape as the input",)
        return zero((shape,), steps, "mean and variance are constants", macs=macs)
    axis = args.get("axis", (-1,))
    axes = () if axis is None else (axis,) if isinstance(axis, int) else axis
    rank = len(shape)
    if not isinstance(axes, (list, tuple)) or any(
        isinstance(a, bool) or not isinstance(a, int) or not -rank <= a < rank for a in axes
    ):
        raise args.error("axis", f"'axis' must name axes of a rank-{rank} input", axis)
    kept = sorted(a % rank for a in axes)
    dims = tuple(args.known(shape, a, "normalized axis") for a in kept)
    c: Formula = Term(math.prod(dims), "C")
    weights = (
        Weight("mean", dims, trainable=False),
        Weight("variance", dims, trainable=False),
        Weight("count", (), trainable=False),
    )
    note = "mean, variance and count are set by adapt(), not by gradients: non-trainable"
    steps = ("same shape as the input",)
    return Explained(Term(2) * c + 1, weights, (shape,), steps, note, macs=macs)


@rule("Rescaling")
def rescaling(args: LayerArgs, inputs: list[Shape]) -> Explained:  # noqa: ARG001
    """``0``: ``x·scale + offset`` with constant scale and offset."""
    (shape,) = inputs
    return zero((shape,), ("same shape as the input",))


@rule("Resizing", "CenterCrop", "RandomCrop")
def resizing(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``0``; the image axes become ``height`` × ``width``, the channels stay.

    MACs: 0 for a crop and a nearest-neighbour resize (copies); unknown for an
    interpolating resize and for RandomCrop, which resizes at inference.
    """
    (shape,) = inputs
    if len(shape) not in (3, 4):
        raise args.error(None, f"expects images of rank 3 or 4, got {fmt_shape(shape)}")
    height, width = args.integer("height"), args.integer("width")
    first = args.choice("data_format", ("channels_last", "channels_first"), "channels_last") == (
        "channels_first"
    )
    out = list(shape)
    start = (1 if len(shape) == 4 else 0) + (1 if first else 0)  # noqa: PLR2004
    out[start], out[start + 1] = height, width
    step = f"H: {shape[start]} → {height}, W: {shape[start + 1]} → {width}"
    copies = args.class_name == "CenterCrop" or (
        args.class_name == "Resizing" and args.get("interpolation", "nearest") == "nearest"
    )
    return zero((tuple(out),), (step,), macs=NO_MACS if copies else None)


@rule(*AUGMENTATION)
def augmentation(args: LayerArgs, inputs: list[Shape]) -> Explained:  # noqa: ARG001
    """``0``: random image augmentation, active in training only; the shape is kept."""
    (shape,) = inputs
    return zero((shape,), ("same shape as the input",))
