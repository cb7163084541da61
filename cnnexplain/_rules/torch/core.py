"""torch.nn's Linear, Bilinear, PReLU and the modules without parameters.

Parameter-free modules (activations, dropout, Identity, Flatten, Unflatten,
padding, Upsample, PixelShuffle) count 0 and 0 MACs by the costs conventions
(element-wise work and data movement are not multiply-accumulates); an
interpolating Upsample's MACs are unknown, as Keras's interpolating resizes.
"""

from __future__ import annotations

import math

from cnnexplain._formula import Product, Term
from cnnexplain._rules.families.dense import (
    DenseSymbols,
    dense_macs,
    dense_parameters,
    dense_weights,
)
from cnnexplain._rules.protocol import (
    NO_MACS,
    Explained,
    Family,
    LayerArgs,
    Weight,
    fmt_shape,
    zero,
)
from cnnexplain._rules.registry import torch_rule
from cnnexplain._rules.torch.args import ints, known, one_input, zero_cost
from cnnexplain._shapes import Shape, flatten_size

__all__ = ["ACTIVATIONS", "DROPOUT", "bilinear", "flatten", "identity", "linear"]

LINEAR = DenseSymbols("in_features", "out_features")
"""Linear's symbols: torch's own argument names."""

ACTIVATIONS = (
    "CELU",
    "ELU",
    "GELU",
    "Hardshrink",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "LeakyReLU",
    "LogSigmoid",
    "LogSoftmax",
    "Mish",
    "RReLU",
    "ReLU",
    "ReLU6",
    "SELU",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softmax2d",
    "Softmin",
    "Softplus",
    "Softshrink",
    "Softsign",
    "Tanh",
    "Tanhshrink",
    "Threshold",
)
DROPOUT = ("AlphaDropout", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "FeatureAlphaDropout")
KEEPS_SHAPE = (
    "Identity",
    *DROPOUT,
    *(
        a
        for a in ACTIVATIONS
        if a not in ("LogSoftmax", "RReLU", "Softmax", "Softmax2d", "Softmin")
    ),
)
"""Classes whose output is a tensor like their input with no condition on it: on the meta
device the adapter answers them without running a kernel (Softmax2d checks its input's
rank in its forward, the softmaxes and RReLU take arguments that need their forward)."""


@torch_rule("Identity", *ACTIVATIONS, *DROPOUT)
def identity(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; the output has the input's shape."""
    shape = one_input(args, inputs)
    return zero_cost(zero((shape,), ("same shape as the input",)))


@torch_rule("Linear")
def linear(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``(in_features+1)·out_features``; on input of any rank it acts on the last axis only.

    The weight is stored ``(out_features, in_features)``, Keras's kernel transposed.
    """
    shape = one_input(args, inputs)
    n_in = args.integer("in_features")
    units = args.integer("out_features")
    bias = args.boolean("bias", default=True)
    got = known(args, shape, -1, "input size (last axis)")
    if got != n_in:
        raise args.error(
            "in_features", f"the input's last axis has {got} values, not in_features", n_in
        )
    formula = dense_parameters(n_in, units, bias=bias, symbols=LINEAR)
    steps = [f"last axis: out_features = {units}"]
    note = ""
    if len(shape) > 2:  # noqa: PLR2004
        note = "acts on the last axis only: the same weights are applied at every position"
        steps.insert(0, f"other axes kept: {fmt_shape(shape[:-1])}")
    macs = dense_macs(shape if len(shape) > 1 else (1, *shape), units, symbols=LINEAR)
    return Explained(
        formula,
        dense_weights(n_in, units, bias=bias, layout="torch"),
        ((*shape[:-1], units),),
        tuple(steps),
        note,
        macs=macs,
        family=Family.DENSE,
    )


@torch_rule("Bilinear")
def bilinear(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``(in1_features·in2_features+1)·out_features``: one in1×in2 matrix per output."""
    if len(inputs) != 2:  # noqa: PLR2004
        raise args.error(None, f"takes two inputs, got {len(inputs)}")
    n1, n2 = args.integer("in1_features"), args.integer("in2_features")
    units = args.integer("out_features")
    bias = args.boolean("bias", default=True)
    a, b, u = Term(n1, "in1_features"), Term(n2, "in2_features"), Term(units, "out_features")
    formula = (a * b + 1) * u if bias else a * b * u
    weights = [Weight("weight", (units, n1, n2))]
    if bias:
        weights.append(Weight("bias", (units,)))
    shape = inputs[0]
    positions = [Term(d, None) for d in shape[:-1][1:] if d is not None]
    macs = Product((*positions, a, b, u))
    out = (*shape[:-1], units)
    return Explained(
        formula, tuple(weights), (out,), (f"last axis: out_features = {units}",), macs=macs
    )


@torch_rule("PReLU")
def prelu(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``num_parameters`` slopes: 1 shared by every channel, or one per channel.

    Keras's PReLU learns one slope per input element instead (``H·W·C`` on an image).
    """
    shape = one_input(args, inputs)
    n = args.integer("num_parameters", 1)
    return zero_cost(
        Explained(
            Term(n, "num_parameters"),
            (Weight("weight", (n,)),),
            (shape,),
            ("same shape as the input",),
        )
    )


@torch_rule("Flatten", family=Family.FLATTEN)
def flatten(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; axes ``start_dim`` to ``end_dim`` (1 to -1) become one."""
    shape = one_input(args, inputs)
    rank = len(shape)
    start = args.integer("start_dim", 1, minimum=-rank) % rank
    end = args.integer("end_dim", -1, minimum=-rank) % rank
    if start > end:
        raise args.error("start_dim", "start_dim must come before end_dim", start)
    dim = flatten_size(shape[start : end + 1])
    out = (*shape[:start], dim.value, *shape[end + 1 :])
    return zero_cost(zero((out,), (f"axes {start}..{end}: {dim.text}",)))


@torch_rule("Unflatten")
def unflatten(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; axis ``dim`` is split into ``unflattened_size``."""
    shape = one_input(args, inputs)
    rank = len(shape)
    axis = args.integer("dim", minimum=-rank) % rank
    sizes = list(args.get("unflattened_size") or ())
    n = known(args, shape, axis, f"length of axis {axis}")
    if sizes.count(-1) == 1:
        rest = math.prod(s for s in sizes if s != -1)
        sizes[sizes.index(-1)] = n // rest
    if math.prod(sizes) != n:
        raise args.error("unflattened_size", f"its sizes don't multiply to {n}", sizes)
    out = (*shape[:axis], *sizes, *shape[axis + 1 :])
    step = f"axis {axis}: {n} = {'·'.join(map(str, sizes))}"
    return zero_cost(zero((out,), (step,)))


@torch_rule("GLU")
def glu(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; axis ``dim`` is halved (one half gates the other)."""
    shape = one_input(args, inputs)
    axis = args.integer("dim", -1, minimum=-len(shape)) % len(shape)
    n = known(args, shape, axis, f"length of axis {axis}")
    out = (*shape[:axis], n // 2, *shape[axis + 1 :])
    return zero_cost(zero((out,), (f"axis {axis}: {n}/2 = {n // 2}",)))


def _spatial_rank(class_name: str) -> int:
    return int(class_name[-2]) if class_name[-2].isdigit() else 2


@torch_rule(
    *(
        f"{kind}Pad{r}d"
        for kind in ("Zero", "Constant", "Reflection", "Replication", "Circular")
        for r in (1, 2, 3)
    )
)
def padding(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; each of the last axes grows by its padding (given last axis first)."""
    shape = one_input(args, inputs)
    rank = _spatial_rank(args.class_name)
    pads = ints(args, "padding", 2 * rank, minimum=0)
    out = list(shape)
    steps = []
    for i in range(rank):
        axis = len(shape) - 1 - i
        n = known(args, shape, axis, f"length of axis {axis}")
        before, after = pads[2 * i], pads[2 * i + 1]
        out[axis] = n + before + after
        steps.append(f"axis {axis}: {n}+{before}+{after} = {out[axis]}")
    return zero_cost(zero((tuple(out),), tuple(reversed(steps))))


@torch_rule("Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d")
def upsample(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; each spatial length becomes ``size`` or ``⌊n·scale_factor⌋``.

    MACs: 0 for ``mode='nearest'`` (copies); unknown for interpolating modes.
    """
    shape = one_input(args, inputs)
    rank = len(shape) - 2
    size = args.get("size")
    scale = args.get("scale_factor")
    steps = []
    dims: list[int | None] = []
    for i in range(rank):
        n = known(args, shape, 2 + i, f"length of axis {2 + i}")
        if size is not None:
            value = size[i] if isinstance(size, (tuple, list)) else size
            dims.append(int(value))
            steps.append(f"axis {2 + i}: size = {value}")
        else:
            factor = scale[i] if isinstance(scale, (tuple, list)) else scale
            if not isinstance(factor, (int, float)) or isinstance(factor, bool):
                raise args.error("scale_factor", "needs size or scale_factor", scale)
            value = math.floor(n * float(factor))
            dims.append(value)
            steps.append(f"axis {2 + i}: ⌊{n}·{factor}⌋ = {value}")
    macs = NO_MACS if args.get("mode", "nearest") == "nearest" else None
    return zero(((*shape[:2], *dims),), tuple(steps), macs=macs)


@torch_rule("PixelShuffle", "PixelUnshuffle")
def pixel_shuffle(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; ``C·r², H, W`` ↔ ``C, H·r, W·r`` (r the factor)."""
    shape = one_input(args, inputs)
    shuffle = args.class_name == "PixelShuffle"
    r = args.integer("upscale_factor" if shuffle else "downscale_factor")
    c = known(args, shape, -3, "number of channels")
    h, w = known(args, shape, -2, "height"), known(args, shape, -1, "width")
    if shuffle:
        out = (*shape[:-3], c // (r * r), h * r, w * r)
        steps = (f"C: {c}/{r}² = {c // (r * r)}", f"H: {h}·{r} = {h * r}", f"W: {w}·{r} = {w * r}")
    else:
        out = (*shape[:-3], c * r * r, h // r, w // r)
        steps = (f"C: {c}·{r}² = {c * r * r}", f"H: {h}/{r} = {h // r}", f"W: {w}/{r} = {w // r}")
    return zero_cost(zero((out,), steps))


@torch_rule("ChannelShuffle")
def channel_shuffle(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; the channels are permuted in ``groups``, the shape kept."""
    return identity(args, inputs)


@torch_rule("CosineSimilarity", "PairwiseDistance")
def distance(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; axis ``dim`` is reduced away (``keepdim`` keeps it with length 1)."""
    shape = one_input(args, inputs)
    axis = args.integer(
        "dim", 1 if args.class_name == "CosineSimilarity" else -1, minimum=-len(shape)
    )
    axis %= len(shape)
    keep = bool(args.get("keepdim", False))
    out = (*shape[:axis], *((1,) if keep else ()), *shape[axis + 1 :])
    return zero_cost(zero((out,), (f"axis {axis} reduced",)))
