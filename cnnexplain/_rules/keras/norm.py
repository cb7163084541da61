"""BatchNormalization: trainable gamma and beta, non-trainable moving statistics."""

from __future__ import annotations

from cnnexplain._formula import Formula, Term
from cnnexplain._rules.families.norm import elementwise_macs, vectors
from cnnexplain._rules.protocol import Explained, Family, LayerArgs, Weight
from cnnexplain._rules.registry import rule
from cnnexplain._shapes import Shape

__all__ = ["batch_normalization"]


@rule("BatchNormalization")
def batch_normalization(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``4·C``: gamma and beta (trainable, ``2·C``), moving mean and variance (``2·C``, never).

    ``C`` is the length of the normalized axis (``axis``, the channels by default);
    without ``center`` or ``scale`` the matching vector is absent (``3·C`` or ``2·C``).
    """
    (shape,) = inputs
    axis = args.get("axis", -1)
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise args.error("axis", "'axis' must be an integer (Keras 3)", axis)
    if not -len(shape) < axis < len(shape) or axis in (0, -len(shape)):
        raise args.error(
            "axis", f"'axis' must name a non-batch axis of a rank-{len(shape)} input", axis
        )
    c = args.known(shape, axis, "normalized axis")
    center = args.boolean("center", default=True)
    scale = args.boolean("scale", default=True)
    per_channel = ([Weight("gamma", (c,))] if scale else []) + (
        [Weight("beta", (c,))] if center else []
    )
    stats = [
        Weight("moving_mean", (c,), trainable=False),
        Weight("moving_variance", (c,), trainable=False),
    ]
    count = len(per_channel) + len(stats)
    formula: Formula = vectors(count, Term(c, "C"))
    note = (
        f"{', '.join(w.name for w in per_channel) or 'no weights'} trainable "
        f"({len(per_channel)}·C); moving_mean and moving_variance are updated during training "
        "but not by gradients, so Keras counts them as non-trainable (2·C)"
    )
    steps = ("same shape as the input",)
    # at inference a·x + b per channel, a and b fixed: 1 MAC per output element
    macs = elementwise_macs(shape, 1)
    weights = (*per_channel, *stats)
    return Explained(formula, weights, (shape,), steps, note, macs=macs, family=Family.BATCH_NORM)
