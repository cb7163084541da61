"""Convolutions: Conv1D, Conv2D, Conv3D.

Parameters: ``(k_h·k_w·C_in/g + 1)·F`` (the ``+1`` only with ``use_bias``);
each spatial output length is ``⌊(n−k)/s⌋+1`` with ``valid`` padding and
``⌈n/s⌉`` with ``same`` (or ``causal``).
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnexplain._rules.families.conv import (
    AXES,
    ConvSymbols,
    conv_macs,
    conv_parameters,
    conv_weights,
    depthwise_macs,
    depthwise_parameters,
    depthwise_weights,
    kernel_product,
    kernel_symbols,
)
from cnnexplain._rules.protocol import (
    Explained,
    Family,
    LayerArgs,
    SlidingWindow,
    channel_axis,
    fmt_shape,
)
from cnnexplain._rules.registry import rule
from cnnexplain._shapes import Shape, conv_length

__all__ = [
    "Window",
    "conv",
    "depthwise_conv",
    "keras_symbols",
    "kernel_product",
    "read_window",
    "spatial_names",
    "spatial_shape",
]


def keras_symbols(rank: int) -> ConvSymbols:
    """Keras's convolution symbols: ``k_h``, ``k_w``..., ``C_in``, ``F``, ``g``."""
    return ConvSymbols(kernel=kernel_symbols(rank))


def spatial_names(rank: int) -> tuple[str, ...]:
    """Axis letters used in shape arithmetic: ``("H", "W")`` for rank 2."""
    return AXES[rank]


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


@dataclass(frozen=True)
class Window:
    """A sliding window's arguments over one input, and the output lengths they give."""

    rank: int
    shape: Shape
    axis: int
    kernel: tuple[int, ...]
    strides: tuple[int, ...]
    dilation: tuple[int, ...]
    padding: str
    dims: tuple[int | None, ...]
    steps: tuple[str, ...]

    def data(self) -> SlidingWindow:
        """The window as rows carry it (its spatial axes' positions in the input shape)."""
        first = 1 if self.axis == -1 else 2
        axes = tuple(range(first, first + self.rank))
        return SlidingWindow(self.kernel, self.strides, self.dilation, self.padding, axes)

    def output(self, channels: int | None) -> Shape:
        """The output shape with ``channels`` on the channel axis."""
        if self.axis == -1:
            return (self.shape[0], *self.dims, channels)
        return (self.shape[0], channels, *self.dims)


def read_window(
    args: LayerArgs,
    inputs: list[Shape],
    *,
    kernel_key: str = "kernel_size",
    kernel_default: int | None = None,
    strides_default_kernel: bool = False,
) -> Window:
    """Read kernel, strides, dilation and padding; compute each output length.

    Raises:
        SpecError: naming the argument, e.g. a kernel larger than the input with
            ``padding='valid'``, or strides > 1 with dilation_rate > 1.
    """
    rank = int(args.class_name[-2])
    (shape,) = inputs
    spatial, axis = spatial_shape(args, shape, rank)
    kernel = args.integers(kernel_key, rank, kernel_default)
    if strides_default_kernel and args.get("strides") is None:
        strides = kernel
    else:
        strides = args.integers("strides", rank, 1)
    dilation = args.integers("dilation_rate", rank, 1)
    causal = args.class_name == "Conv1D"  # Keras allows 'causal' for Conv1D only
    padding = args.choice(
        "padding", ("valid", "same", "causal") if causal else ("valid", "same"), "valid"
    )
    if max(strides) > 1 and max(dilation) > 1:
        raise args.error(
            "strides", "strides > 1 cannot be combined with dilation_rate > 1", strides
        )
    what = "kernel" if kernel_key == "kernel_size" else "window"
    dims: list[int | None] = []
    steps = []
    for name, n, k, s, d in zip(AXES[rank], spatial, kernel, strides, dilation, strict=True):
        dim = conv_length(n, k, stride=s, padding=padding, dilation=d)
        if dim.value is not None and dim.value < 1:
            raise args.error(
                kernel_key,
                f"the {what} is larger than the input along {name} ({n}) with padding='valid'",
                args.get(kernel_key, kernel),
            )
        dims.append(dim.value)
        steps.append(f"{name}: {dim.text}")
    return Window(rank, shape, axis, kernel, strides, dilation, padding, tuple(dims), tuple(steps))


@rule("Conv1D", "Conv2D", "Conv3D")
def conv(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``(k_h·k_w·C_in/g+1)·F`` parameters; output lengths from kernel, stride and padding.

    Symbols: ``k_h``, ``k_w`` the kernel's height and width (one length per
    spatial axis), ``C_in`` the input channels, ``g`` the ``groups`` (each filter
    sees ``C_in/g`` channels; 1 by default, so ``/g`` is left out) and ``F`` the
    ``filters``. ``+1`` is the filter's bias, absent with ``use_bias=False``.
    """
    w = read_window(args, inputs)
    filters = args.integer("filters")
    groups = args.integer("groups", 1)
    use_bias = args.boolean("use_bias", default=True)
    c_in = args.known(w.shape, w.axis, "number of input channels")
    if filters % groups:
        raise args.error("groups", f"filters={filters} must be divisible by groups", groups)
    if c_in % groups:
        raise args.error("groups", f"the {c_in} input channels must be divisible by groups", groups)
    symbols = keras_symbols(w.rank)
    formula = conv_parameters(
        w.kernel, c_in, filters, groups=groups, bias=use_bias, symbols=symbols
    )
    weights = conv_weights(w.kernel, c_in, filters, groups=groups, bias=use_bias, layout="keras")
    steps = (*w.steps, f"C: F = {filters}")
    macs = conv_macs(w.dims, w.kernel, c_in, filters, groups=groups, symbols=symbols)
    return Explained(
        formula,
        weights,
        (w.output(filters),),
        steps,
        macs=macs,
        family=Family.CONV,
        window=w.data(),
    )


@rule("DepthwiseConv1D", "DepthwiseConv2D")
def depthwise_conv(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``(k_h·k_w+1)·C_in·m``: one k_h×k_w filter per input channel and multiplier."""
    w = read_window(args, inputs)
    multiplier = args.integer("depth_multiplier", 1)
    use_bias = args.boolean("use_bias", default=True)
    c_in = args.known(w.shape, w.axis, "number of input channels")
    symbols = keras_symbols(w.rank)
    formula = depthwise_parameters(w.kernel, c_in, multiplier, bias=use_bias, symbols=symbols)
    weights = depthwise_weights(w.kernel, c_in, multiplier, bias=use_bias)
    c_out = c_in * multiplier
    steps = (*w.steps, f"C: C_in·m = {c_in}·{multiplier} = {c_out}")
    macs = depthwise_macs(w.dims, w.kernel, c_in, multiplier, symbols=symbols)
    return Explained(
        formula,
        weights,
        (w.output(c_out),),
        steps,
        macs=macs,
        family=Family.DEPTHWISE,
        window=w.data(),
    )
