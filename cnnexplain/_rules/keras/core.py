"""Dense, Flatten, Reshape, ZeroPadding and the layers that keep their input's shape."""

from __future__ import annotations

import math

from cnnexplain._formula import Formula, Term
from cnnexplain._rules.families.dense import (
    DenseSymbols,
    dense_macs,
    dense_parameters,
    dense_weights,
)
from cnnexplain._rules.keras.conv import spatial_names, spatial_shape
from cnnexplain._rules.keras.table import IDENTITY
from cnnexplain._rules.protocol import Explained, Family, LayerArgs, Weight, fmt_shape, zero
from cnnexplain._rules.registry import rule
from cnnexplain._shapes import Shape, flatten_size

__all__ = ["IDENTITY", "dense", "flatten", "identity", "reshape", "zero_padding"]


@rule(*IDENTITY)
def identity(args: LayerArgs, inputs: list[Shape]) -> Explained:  # noqa: ARG001
    """No parameters; the output has the input's shape."""
    (shape,) = inputs
    return zero((shape,), ("same shape as the input",))


@rule("Dense")
def dense(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``(n_in+1)·units``; on 3-D+ input it acts on the last axis only.

    With ``lora_rank`` r, Keras freezes the kernel and adds two trainable low-rank
    factors: ``(n_in+1)·units + r·(n_in+units)``.
    """
    (shape,) = inputs
    if len(shape) < 2:  # noqa: PLR2004
        raise args.error(None, f"expects an input of rank 2 or more, got {fmt_shape(shape)}")
    units = args.integer("units")
    use_bias = args.boolean("use_bias", default=True)
    n_in = args.known(shape, -1, "input size")
    x = Term(n_in, "n_in")
    u = Term(units, "units")
    formula: Formula = dense_parameters(n_in, units, bias=use_bias, symbols=DenseSymbols())
    lora = args.get("lora_rank")
    weights = list(dense_weights(n_in, units, bias=use_bias, layout="keras"))
    if lora:
        weights[0] = Weight("kernel", (n_in, units), trainable=False)
    steps = [f"last axis: units = {units}"]
    note = ""
    if lora:
        r = Term(args.integer("lora_rank"), "r")
        formula = formula + r * (x + u)
        weights += [
            Weight("lora_kernel_a", (n_in, r.value)),
            Weight("lora_kernel_b", (r.value, units)),
        ]
        note = (
            "LoRA: the kernel is frozen (non-trainable); the low-rank factors lora_kernel_a "
            "and lora_kernel_b are trained"
        )
    if len(shape) > 2:  # noqa: PLR2004
        position = "acts on the last axis only: the same weights are applied at every position"
        note = f"{note}; {position}" if note else position
        steps.insert(0, f"other axes kept: {fmt_shape(shape[:-1])}")
    macs = dense_macs(shape, units, symbols=DenseSymbols())
    return Explained(
        formula,
        tuple(weights),
        ((*shape[:-1], units),),
        tuple(steps),
        note,
        macs=macs,
        family=Family.DENSE,
    )


@rule("Flatten", family=Family.FLATTEN)
def flatten(args: LayerArgs, inputs: list[Shape]) -> Explained:  # noqa: ARG001
    """No parameters; one axis holding the product of the non-batch axes."""
    (shape,) = inputs
    dim = flatten_size(shape[1:])
    return zero(((shape[0], dim.value),), (dim.text,))


@rule("Reshape")
def reshape(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; ``target_shape`` may hold one -1, inferred from the input size."""
    (shape,) = inputs
    target = args.get("target_shape")
    if not isinstance(target, (list, tuple)) or not target:
        raise args.error("target_shape", "'target_shape' must be a tuple of integers", target)
    if any(isinstance(t, bool) or not isinstance(t, int) or (t < 1 and t != -1) for t in target):
        raise args.error("target_shape", "sizes must be positive (one may be -1)", target)
    if list(target).count(-1) > 1:
        raise args.error("target_shape", "at most one size may be -1", target)
    known = math.prod(t for t in target if t != -1)
    dims = [d for d in shape[1:] if d is not None]
    size = math.prod(dims) if len(dims) == len(shape) - 1 else None
    out = list(target)
    if size is not None:
        if -1 in out:
            if size % known:
                raise args.error(
                    "target_shape", f"the input's {size} values cannot fill it", target
                )
            out[out.index(-1)] = size // known
        elif known != size:
            raise args.error(
                "target_shape", f"it holds {known} values but the input has {size}", target
            )
    final = tuple(None if d == -1 else d for d in out)
    return zero(((shape[0], *final),), (f"{fmt_shape(shape[1:])} → {fmt_shape(final)}",))


def _pairs(args: LayerArgs, rank: int) -> tuple[tuple[int, int], ...]:
    value = args.get("padding", 1)
    if isinstance(value, int) and not isinstance(value, bool):
        value = [(value, value)] * rank
    elif isinstance(value, (list, tuple)) and all(isinstance(v, int) for v in value):
        value = [(v, v) for v in value] if rank > 1 else [tuple(value)]
    if not isinstance(value, (list, tuple)) or len(value) != rank:
        raise args.error("padding", f"expected {rank} (before, after) pairs", value)
    pairs = []
    for pair in value:
        if (
            not isinstance(pair, (list, tuple))
            or len(pair) != 2  # noqa: PLR2004
            or any(isinstance(p, bool) or not isinstance(p, int) or p < 0 for p in pair)
        ):
            raise args.error("padding", "each padding must be a pair of integers >= 0", value)
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)


@rule("ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D")
def zero_padding(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; each spatial length grows by its padding before and after."""
    rank = int(args.class_name[-2])
    (shape,) = inputs
    spatial, axis = spatial_shape(args, shape, rank)
    pairs = _pairs(args, rank)
    dims = []
    steps = []
    for name, n, (a, b) in zip(spatial_names(rank), spatial, pairs, strict=True):
        value = None if n is None else n + a + b
        dims.append(value)
        steps.append(f"{name}: {n}+{a}+{b} = {value}")
    out = (shape[0], *dims, shape[axis]) if axis == -1 else (shape[0], shape[axis], *dims)
    return zero((out,), tuple(steps))
