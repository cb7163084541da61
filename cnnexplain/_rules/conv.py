"""Convolutions: Conv1D, Conv2D, Conv3D.

Parameters: ``(k_h·k_w·C_in/g + 1)·F`` (the ``+1`` only with ``use_bias``);
each spatial output length is ``⌊(n−k)/s⌋+1`` with ``valid`` padding and
``⌈n/s⌉`` with ``same`` (or ``causal``).
"""

from __future__ import annotations

from cnnexplain._formula import Formula, Quotient, Term
from cnnexplain._rules._base import Explained, LayerArgs, Weight, channel_axis, fmt_shape, rule
from cnnexplain._shapes import Shape, conv_length

__all__ = ["conv", "depthwise_conv", "spatial_names", "spatial_shape"]

_SPATIAL = {1: ("",), 2: ("_h", "_w"), 3: ("_d", "_h", "_w")}
_AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def spatial_names(rank: int) -> tuple[str, ...]:
    """Axis letters used in shape arithmetic: ``("H", "W")`` for rank 2."""
    return _AXES[rank]


def spatial_shape(args: LayerArgs, shape: Shape, rank: int) -> tuple[tuple[int | None, ...], int]:
    """The spatial lengths and the channel axis of an input, checking its rank."""
    if len(shape) != rank + 2:
        raise args.error(
            None,
            f"expects an input of rank {rank + 2} (batch, {rank} spatial axes, channels), "
            f"got shape {fmt_shape(shape)}",
        )
    axis = channel_axis(args)
    spatial = shape[1:-1] if axis == -1 else shape[2:]
    return tuple(spatial), axis


@rule("Conv1D", "Conv2D", "Conv3D")
def conv(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``(k_h·k_w·C_in/g+1)·F`` parameters; output lengths from kernel, stride and padding."""
    rank = int(args.class_name[-2])
    (shape,) = inputs
    spatial, axis = spatial_shape(args, shape, rank)
    filters = args.integer("filters")
    kernel = args.integers("kernel_size", rank)
    strides = args.integers("strides", rank, 1)
    dilation = args.integers("dilation_rate", rank, 1)
    groups = args.integer("groups", 1)
    use_bias = args.boolean("use_bias", default=True)
    paddings = ("valid", "same", "causal") if rank == 1 else ("valid", "same")
    padding = args.choice("padding", paddings, "valid")
    if max(strides) > 1 and max(dilation) > 1:
        raise args.error(
            "strides", "strides > 1 cannot be combined with dilation_rate > 1", strides
        )
    c_in = args.known(shape, axis, "number of input channels")
    if filters % groups:
        raise args.error("groups", f"filters={filters} must be divisible by groups", groups)
    if c_in % groups:
        raise args.error("groups", f"the {c_in} input channels must be divisible by groups", groups)

    channels: Formula = Term(c_in, "C_in")
    if groups > 1:
        channels = Quotient(channels, Term(groups, "g"))
    per_filter: Formula = channels
    for k, suffix in zip(reversed(kernel), reversed(_SPATIAL[rank]), strict=True):
        per_filter = Term(k, "k" + suffix) * per_filter
    f = Term(filters, "F")
    formula = (per_filter + 1) * f if use_bias else per_filter * f

    dims, steps = _lengths(
        args,
        rank,
        spatial=spatial,
        kernel=kernel,
        strides=strides,
        dilation=dilation,
        padding=padding,
    )
    steps.append(f"C: F = {filters}")
    out = (shape[0], *dims, filters) if axis == -1 else (shape[0], filters, *dims)
    weights = [Weight("kernel", (*kernel, c_in // groups, filters))]
    if use_bias:
        weights.append(Weight("bias", (filters,)))
    return Explained(formula, tuple(weights), (out,), tuple(steps))


@rule("DepthwiseConv1D", "DepthwiseConv2D")
def depthwise_conv(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``(k_h·k_w+1)·C_in·m``: one k_h×k_w filter per input channel and multiplier."""
    rank = int(args.class_name[-2])
    (shape,) = inputs
    spatial, axis = spatial_shape(args, shape, rank)
    multiplier = args.integer("depth_multiplier", 1)
    kernel = args.integers("kernel_size", rank)
    strides = args.integers("strides", rank, 1)
    dilation = args.integers("dilation_rate", rank, 1)
    use_bias = args.boolean("use_bias", default=True)
    paddings = ("valid", "same", "causal") if rank == 1 else ("valid", "same")
    padding = args.choice("padding", paddings, "valid")
    c_in = args.known(shape, axis, "number of input channels")
    per_channel: Formula = Term(kernel[-1], "k" + _SPATIAL[rank][-1])
    for k, suffix in zip(reversed(kernel[:-1]), reversed(_SPATIAL[rank][:-1]), strict=True):
        per_channel = Term(k, "k" + suffix) * per_channel
    if use_bias:
        per_channel = per_channel + 1
    formula = per_channel * Term(c_in, "C_in") * Term(multiplier, "m")
    dims, steps = _lengths(
        args,
        rank,
        spatial=spatial,
        kernel=kernel,
        strides=strides,
        dilation=dilation,
        padding=padding,
    )
    c_out = c_in * multiplier
    steps.append(f"C: C_in·m = {c_in}·{multiplier} = {c_out}")
    out = (shape[0], *dims, c_out) if axis == -1 else (shape[0], c_out, *dims)
    weights = [Weight("kernel", (*kernel, c_in, multiplier))]
    if use_bias:
        weights.append(Weight("bias", (c_out,)))
    return Explained(formula, tuple(weights), (out,), tuple(steps))


def _lengths(
    args: LayerArgs,
    rank: int,
    *,
    spatial: tuple[int | None, ...],
    kernel: tuple[int, ...],
    strides: tuple[int, ...],
    dilation: tuple[int, ...],
    padding: str,
) -> tuple[list[int | None], list[str]]:
    """Each spatial output length with its arithmetic; a kernel larger than the input fails."""
    dims: list[int | None] = []
    steps = []
    for name, n, k, s, d in zip(_AXES[rank], spatial, kernel, strides, dilation, strict=True):
        dim = conv_length(n, k, stride=s, padding=padding, dilation=d)
        if dim.value is not None and dim.value < 1:
            raise args.error(
                "kernel_size",
                f"the kernel is larger than the input along {name} ({n}) with padding='valid'",
                kernel,
            )
        dims.append(dim.value)
        steps.append(f"{name}: {dim.text}")
    return dims, steps
