"""torch.nn's convolutions, transposed convolutions and every pooling.

Parameters: ``(k_h·k_w·in_channels/groups+1)·out_channels``, the same formula
as Keras's Conv2D in torch's argument names; the weight is stored
``(out_channels, in_channels/groups, k_h, k_w)``. Output lengths follow torch:
``⌊(n+2·p−d·(k−1)−1)/s⌋+1`` with explicit padding ``p``; ``padding='same'``
pads ``d·(k−1)`` in total, the extra one after (right, bottom), as Keras does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from cnnexplain._rules.families.conv import (
    AXES,
    ConvSymbols,
    conv_macs,
    conv_parameters,
    conv_weights,
    kernel_symbols,
    padded_length,
    transpose_macs,
    transposed_length,
)
from cnnexplain._rules.protocol import (
    Explained,
    Family,
    LayerArgs,
    SlidingWindow,
    fmt_shape,
    zero,
)
from cnnexplain._rules.registry import torch_rule
from cnnexplain._rules.torch.args import ints, one_input, zero_cost
from cnnexplain._shapes import Dim, Shape

__all__ = [
    "adaptive_pool",
    "conv",
    "conv_transpose",
    "max_unpool",
    "pool",
    "torch_symbols",
    "unfold",
]


def torch_symbols(rank: int) -> ConvSymbols:
    """A convolution's symbols in torch's names: ``k_h``, ``in_channels``, ``out_channels``..."""
    return ConvSymbols(kernel_symbols(rank), "in_channels", "out_channels", "groups")


def _rank(args: LayerArgs) -> int:
    return int(args.class_name[-2])


@dataclass(frozen=True)
class _Input:
    shape: Shape
    channels: int
    spatial: tuple[int, ...]

    def output(self, channels: int, dims: list[int]) -> Shape:
        batch = self.shape[: len(self.shape) - len(self.spatial) - 1]
        return (*batch, channels, *dims)


def _input(args: LayerArgs, inputs: list[Shape], rank: int) -> _Input:
    shape = one_input(args, inputs)
    if len(shape) not in (rank + 1, rank + 2) or any(d is None for d in shape[-rank - 1 :]):
        raise args.error(
            None,
            f"expects an input (batch, channels, {rank} spatial axes) or (channels, "
            f"{rank} spatial axes) of known lengths, got shape {fmt_shape(shape)}",
        )
    dims = tuple(int(d or 0) for d in shape[-rank - 1 :])
    return _Input(shape, dims[0], dims[1:])


def _pads(
    args: LayerArgs, rank: int, kernel: tuple[int, ...], dilation: tuple[int, ...]
) -> list[tuple[int, int]]:
    padding = args.get("padding", 0)
    if padding == "valid":
        return [(0, 0)] * rank
    if padding == "same":
        totals = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        return [(t // 2, t - t // 2) for t in totals]
    return [(p, p) for p in ints(args, "padding", rank, 0, minimum=0)]


def _lengths(  # noqa: PLR0917
    args: LayerArgs,
    spatial: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    pads: list[tuple[int, int]],
    *,
    ceil_mode: bool = False,
) -> tuple[list[int], list[str]]:
    dims, steps = [], []
    rank = len(spatial)
    for name, n, k, s, d, (a, b) in zip(
        AXES[rank], spatial, kernel, stride, dilation, pads, strict=True
    ):
        dim = padded_length(n, k, stride=s, before=a, after=b, dilation=d)
        if ceil_mode:
            dim = _ceil_length(n, k, s, d, a)
        if dim.value is None or dim.value < 1:
            raise args.error(
                "kernel_size",
                f"the window ({k}) is larger than the padded input along {name} ({n})",
                kernel,
            )
        dims.append(dim.value)
        steps.append(f"{name}: {dim.text}")
    return dims, steps


def _ceil_length(n: int, k: int, s: int, d: int, p: int) -> Dim:
    """Pooling with ``ceil_mode=True``: ``⌈(n+2·p−d·(k−1)−1)/s⌉+1``.

    Minus one when the last window would start in the right padding.
    """
    value = math.ceil((n + 2 * p - d * (k - 1) - 1) / s) + 1
    text = f"⌈({n}+2·{p}−{d}·({k}−1)−1)/{s}⌉+1"
    if (value - 1) * s >= n + p:
        value -= 1
        text += "−1 (last window would start in the padding)"
    return Dim(value, f"{text} = {value}")


def _window(
    args: LayerArgs,
    x: _Input,
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    *,
    ceil: bool = False,
) -> SlidingWindow:
    """The window as rows carry it: channels first, torch's padding int/tuple/'same'/'valid'."""
    padding = args.get("padding", 0)
    rank = len(kernel)
    if isinstance(padding, str):
        kind, pads = padding, (0,) * rank
    else:
        pads = ints(args, "padding", rank, 0, minimum=0)
        kind = "explicit" if any(pads) else "valid"
    first = len(x.shape) - rank
    axes = tuple(range(first, first + rank))
    return SlidingWindow(kernel, stride, dilation, kind, axes, pads, ceil=ceil)


@dataclass(frozen=True)
class _Conv:
    """What a convolution and a transposed convolution both read."""

    rank: int
    x: _Input
    c_in: int
    c_out: int
    groups: int
    bias: bool
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]


def _conv_args(args: LayerArgs, inputs: list[Shape]) -> _Conv:
    rank = _rank(args)
    x = _input(args, inputs, rank)
    c_in, c_out = args.integer("in_channels"), args.integer("out_channels")
    if x.channels != c_in:
        raise args.error("in_channels", f"the input has {x.channels} channels", c_in)
    return _Conv(
        rank,
        x,
        c_in,
        c_out,
        args.integer("groups", 1),
        args.boolean("bias", default=True),
        ints(args, "kernel_size", rank),
        ints(args, "stride", rank, 1),
        ints(args, "dilation", rank, 1),
    )


@torch_rule("Conv1d", "Conv2d", "Conv3d")
def conv(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``(k_h·k_w·in_channels/groups+1)·out_channels``; lengths ``⌊(n+2p−d·(k−1)−1)/s⌋+1``."""
    c = _conv_args(args, inputs)
    rank, x, c_in, c_out, groups, bias = c.rank, c.x, c.c_in, c.c_out, c.groups, c.bias
    kernel, stride, dilation = c.kernel, c.stride, c.dilation
    dims, steps = _lengths(
        args, x.spatial, kernel, stride, dilation, _pads(args, rank, kernel, dilation)
    )
    symbols = torch_symbols(rank)
    note = ""
    if args.get("padding_mode", "zeros") != "zeros":
        note = f"padding_mode={args.get('padding_mode')!r}: same count and shape as zero padding"
    return Explained(
        conv_parameters(kernel, c_in, c_out, groups=groups, bias=bias, symbols=symbols),
        conv_weights(kernel, c_in, c_out, groups=groups, bias=bias, layout="torch"),
        (x.output(c_out, dims),),
        (*steps, f"C: out_channels = {c_out}"),
        note,
        macs=conv_macs(tuple(dims), kernel, c_in, c_out, groups=groups, symbols=symbols),
        family=Family.CONV,
        window=_window(args, x, kernel, stride, dilation),
    )


@torch_rule("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
def conv_transpose(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``(k_h·k_w·in_channels/groups+1)·out_channels``, stored (in, out/groups, k…).

    Each output length is ``(n−1)·s−2·p+d·(k−1)+output_padding+1``.
    """
    c = _conv_args(args, inputs)
    rank, x, c_in, c_out, groups, bias = c.rank, c.x, c.c_in, c.c_out, c.groups, c.bias
    kernel, stride, dilation = c.kernel, c.stride, c.dilation
    padding = ints(args, "padding", rank, 0, minimum=0)
    extra = ints(args, "output_padding", rank, 0, minimum=0)
    dims, steps = [], []
    for name, n, k, s, d, p, op in zip(
        AXES[rank], x.spatial, kernel, stride, dilation, padding, extra, strict=True
    ):
        dim = transposed_length(n, k, stride=s, padding=p, output_padding=op, dilation=d)
        if dim.value is None or dim.value < 1:
            raise args.error(
                "padding", f"the output length along {name} would be {dim.value}", padding
            )
        dims.append(dim.value)
        steps.append(f"{name}: {dim.text}")
    symbols = torch_symbols(rank)
    return Explained(
        conv_parameters(kernel, c_in, c_out, groups=groups, bias=bias, symbols=symbols),
        conv_weights(
            kernel, c_in, c_out, groups=groups, bias=bias, layout="torch", transposed=True
        ),
        (x.output(c_out, dims),),
        (*steps, f"C: out_channels = {c_out}"),
        macs=transpose_macs(tuple(x.spatial), kernel, c_in, c_out, groups=groups, symbols=symbols),
        family=Family.TRANSPOSED,
    )


_POOLS = tuple(f"{kind}Pool{r}d" for kind in ("Max", "Avg", "LP") for r in (1, 2, 3))


@torch_rule(*_POOLS)
def pool(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; lengths ``⌊(n+2p−d·(k−1)−1)/s⌋+1`` (``⌈…⌉`` with ``ceil_mode``).

    ``stride`` defaults to ``kernel_size``. MaxPool with ``return_indices`` has a
    second output, the indices, of the same shape.
    """
    rank = _rank(args)
    x = _input(args, inputs, rank)
    kernel = ints(args, "kernel_size", rank)
    stride = kernel if args.get("stride") in (None, (), []) else ints(args, "stride", rank)
    dilation = ints(args, "dilation", rank, 1)
    padding = [(p, p) for p in ints(args, "padding", rank, 0, minimum=0)]
    ceil_mode = bool(args.get("ceil_mode", False))
    dims, steps = _lengths(args, x.spatial, kernel, stride, dilation, padding, ceil_mode=ceil_mode)
    out = x.output(x.channels, dims)
    outputs = (out, out) if args.get("return_indices") else (out,)
    window = _window(args, x, kernel, stride, dilation, ceil=ceil_mode)
    return zero_cost(zero(outputs, (*steps, "C: unchanged"), family=Family.POOL, window=window))


@torch_rule(*(f"Adaptive{kind}Pool{r}d" for kind in ("Max", "Avg") for r in (1, 2, 3)))
def adaptive_pool(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; each spatial length becomes ``output_size`` (None keeps the input's)."""
    rank = _rank(args)
    x = _input(args, inputs, rank)
    size = args.get("output_size")
    sizes = size if isinstance(size, (tuple, list)) else (size,) * rank
    if len(sizes) != rank:
        raise args.error("output_size", f"expected {rank} sizes", size)
    dims, steps = [], []
    for name, n, s in zip(AXES[rank], x.spatial, sizes, strict=True):
        dims.append(n if s is None else int(s))
        steps.append(f"{name}: output_size = {dims[-1]}" if s is not None else f"{name}: kept, {n}")
    out = x.output(x.channels, dims)
    outputs = (out, out) if args.get("return_indices") else (out,)
    return zero_cost(zero(outputs, (*steps, "C: unchanged"), family=Family.POOL))


@torch_rule("FractionalMaxPool2d", "FractionalMaxPool3d")
def fractional_pool(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; lengths ``output_size``, or ``⌊n·output_ratio⌋``."""
    rank = _rank(args)
    x = _input(args, inputs, rank)
    size = args.get("output_size")
    dims, steps = [], []
    if size is not None:
        sizes = ints(args, "output_size", rank)
        dims = list(sizes)
        steps = [f"{a}: output_size = {s}" for a, s in zip(AXES[rank], sizes, strict=True)]
    else:
        ratio = args.get("output_ratio")
        ratios = ratio if isinstance(ratio, (tuple, list)) else (ratio,) * rank
        for a, n, r in zip(AXES[rank], x.spatial, ratios, strict=True):
            dims.append(int(n * float(r)))
            steps.append(f"{a}: ⌊{n}·{r}⌋ = {dims[-1]}")
    out = x.output(x.channels, dims)
    outputs = (out, out) if args.get("return_indices") else (out,)
    return zero_cost(zero(outputs, (*steps, "C: unchanged"), family=Family.POOL))


@torch_rule("MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d")
def max_unpool(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; lengths ``(n−1)·s−2·p+k``, or the call's ``output_size``."""
    rank = _rank(args)
    x = _input(args, inputs, rank)
    kernel = ints(args, "kernel_size", rank)
    stride = kernel if args.get("stride") in (None, (), []) else ints(args, "stride", rank)
    padding = ints(args, "padding", rank, 0, minimum=0)
    call = args.get("call_kwargs") or {}
    positional: tuple[Any, ...] = tuple(call.get("args") or ())
    wanted: Any = call.get("output_size") or (positional[2] if len(positional) > 2 else None)  # noqa: PLR2004
    dims, steps = [], []
    if wanted:
        dims = [int(d) for d in tuple(wanted)[-rank:]]
        steps = [f"{a}: output_size = {d}" for a, d in zip(AXES[rank], dims, strict=True)]
    else:
        for a, n, k, s, p in zip(AXES[rank], x.spatial, kernel, stride, padding, strict=True):
            dims.append((n - 1) * s - 2 * p + k)
            steps.append(f"{a}: ({n}−1)·{s}−2·{p}+{k} = {dims[-1]}")
    return zero_cost(zero((x.output(x.channels, dims),), (*steps, "C: unchanged")))


@torch_rule("Unfold")
def unfold(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; ``(N, C·k_h·k_w, L)``, ``L`` the number of window positions."""
    x = _input(args, inputs, 2)
    kernel = ints(args, "kernel_size", 2)
    stride = ints(args, "stride", 2, 1)
    dilation = ints(args, "dilation", 2, 1)
    padding = [(p, p) for p in ints(args, "padding", 2, 0, minimum=0)]
    dims, steps = _lengths(args, x.spatial, kernel, stride, dilation, padding)
    blocks = math.prod(dims)
    channels = x.channels * math.prod(kernel)
    batch = x.shape[: len(x.shape) - 3]
    return zero_cost(
        zero(
            ((*batch, channels, blocks),),
            (*steps, f"C·k_h·k_w = {channels}", f"L = {'·'.join(map(str, dims))} = {blocks}"),
        )
    )
