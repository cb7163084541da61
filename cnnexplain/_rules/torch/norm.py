"""torch.nn's normalizations: BatchNorm, InstanceNorm, LayerNorm, GroupNorm, RMSNorm, LRN.

BatchNorm2d(C) holds ``2·C`` parameters (``weight`` γ and ``bias`` β); its
running statistics ``running_mean``, ``running_var`` and ``num_batches_tracked``
are buffers, not parameters, so ``numel()`` of its parameters is ``2·C`` where
Keras's ``count_params()`` of BatchNormalization is ``4·C`` (Keras keeps the
moving statistics as non-trainable weights).
"""

from __future__ import annotations

import math

from cnnexplain._formula import Formula, Term
from cnnexplain._rules.families.norm import affine as affine_vectors
from cnnexplain._rules.families.norm import elementwise_macs
from cnnexplain._rules.protocol import Explained, Family, LayerArgs, Weight, fmt_shape
from cnnexplain._rules.registry import torch_rule
from cnnexplain._rules.torch.args import known, one_input
from cnnexplain._shapes import Shape

__all__ = ["batch_norm", "group_norm", "layer_norm", "local_response_norm"]

KERAS_CONTRAST = (
    "running_mean, running_var and num_batches_tracked are buffers, never counted: "
    "Keras's BatchNormalization counts 4·C, its moving statistics being non-trainable weights"
)


_elements = elementwise_macs


def _affine(
    c: Term, *, weight: bool, bias: bool, shape: tuple[int, ...] | None = None
) -> tuple[Formula, tuple[Weight, ...]]:
    names = [name for name, held in (("weight", weight), ("bias", bias)) if held]
    return affine_vectors(names, c, shape or (c.value,))


KEEPS_SHAPE = tuple(f"{kind}{d}d" for kind in ("BatchNorm", "InstanceNorm") for d in (1, 2, 3))
"""Normalizations whose output is like their input, and whose only condition on it torch checks
in ``_check_input_dim`` and ``num_features`` (SyncBatchNorm needs a process group)."""


@torch_rule(*KEEPS_SHAPE[:3], "SyncBatchNorm", *KEEPS_SHAPE[3:], family=Family.BATCH_NORM)
def batch_norm(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``2·num_features`` (γ and β with ``affine=True``); running statistics are buffers.

    MACs: 1 per output element for BatchNorm (per-channel scale and shift fixed at
    inference), 2 for InstanceNorm (statistics of each example).
    """
    shape = one_input(args, inputs)
    c = args.integer("num_features")
    instance = args.class_name.startswith("Instance")
    affine = args.boolean("affine", default=not instance)
    axis = 0 if instance and len(shape) == int(args.class_name[-2]) + 1 else 1
    got = known(args, shape, axis, "number of channels")
    if got != c:
        raise args.error("num_features", f"the input has {got} channels on axis {axis}", c)
    formula, weights = _affine(Term(c, "num_features"), weight=affine, bias=affine)
    buffers: tuple[Weight, ...] = ()
    notes = []
    if args.boolean("track_running_stats", default=not instance):
        buffers = (
            Weight("running_mean", (c,), trainable=False),
            Weight("running_var", (c,), trainable=False),
            Weight("num_batches_tracked", (), trainable=False),
        )
        notes.append(KERAS_CONTRAST)
    return Explained(
        formula,
        weights,
        (shape,),
        ("same shape as the input",),
        "; ".join(notes),
        macs=_elements(shape, 2 if instance else 1),
        buffers=buffers,
    )


@torch_rule("LayerNorm", "RMSNorm", family=Family.NORM)
def layer_norm(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``2·normalized_shape`` (γ and β over the last axes; RMSNorm: γ only)."""
    shape = one_input(args, inputs)
    normalized = args.get("normalized_shape")
    sizes = tuple(normalized) if isinstance(normalized, (tuple, list)) else (normalized,)
    if any(isinstance(s, bool) or not isinstance(s, int) for s in sizes):
        raise args.error("normalized_shape", "must be integers", normalized)
    if tuple(shape[len(shape) - len(sizes) :]) != sizes:
        raise args.error(
            "normalized_shape",
            f"the input's last axes {fmt_shape(shape[len(shape) - len(sizes) :])} differ",
            normalized,
        )
    affine = args.boolean("elementwise_affine", default=True)
    n = math.prod(sizes)
    c = Term(n, "normalized_shape") if len(sizes) == 1 else Term(n, "∏normalized_shape")
    bias = affine and args.class_name == "LayerNorm" and bool(args.get("bias", True))
    formula, weights = _affine(c, weight=affine, bias=bias, shape=sizes)
    return Explained(
        formula, weights, (shape,), ("same shape as the input",), macs=_elements(shape, 2)
    )


@torch_rule("GroupNorm", family=Family.NORM)
def group_norm(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``2·num_channels`` (γ and β per channel with ``affine=True``)."""
    shape = one_input(args, inputs)
    c = args.integer("num_channels")
    groups = args.integer("num_groups")
    if c % groups:
        raise args.error("num_groups", f"num_channels={c} must be divisible by it", groups)
    affine = args.boolean("affine", default=True)
    formula, weights = _affine(Term(c, "num_channels"), weight=affine, bias=affine)
    return Explained(
        formula, weights, (shape,), ("same shape as the input",), macs=_elements(shape, 2)
    )


@torch_rule("LocalResponseNorm", "CrossMapLRN2d", family=Family.NORM)
def local_response_norm(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters: each value is divided by a power of its neighbours' sum of squares."""
    shape = one_input(args, inputs)
    size = args.integer("size")
    return Explained(
        Term(0),
        (),
        (shape,),
        ("same shape as the input",),
        macs=_elements(shape, size),
    )
