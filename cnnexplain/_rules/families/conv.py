"""Convolutions (and the sliding window every pooling shares): parameters, lengths, MACs.

A convolution with ``groups`` g holds one ``k_h·k_w·C_in/g`` kernel per output
channel, plus a bias each: ``(k_h·k_w·C_in/g+1)·C_out`` parameters. Each output
value is one dot product of that kernel with a window of the input, so its
MACs are ``H_out·W_out·k_h·k_w·C_in/g·C_out`` per example.

Examples:
    >>> symbols = ConvSymbols(kernel=("k_h", "k_w"), in_channels="C_in", out_channels="F")
    >>> f = conv_parameters((3, 3), 1, 32, groups=1, bias=True, symbols=symbols)
    >>> int(f), f.symbols()
    (320, '(k_h·k_w·C_in+1)·F')
    >>> [w.shape for w in conv_weights((3, 3), 1, 32, groups=1, bias=True, layout="torch")]
    [(32, 1, 3, 3), (32,)]
    >>> padded_length(28, 3, stride=1, before=1, after=1)
    Dim(value=28, text='⌊(28+1+1−3)/1⌋+1 = 28')
    >>> str(conv_macs((26, 26), (3, 3), 1, 32, groups=1, symbols=symbols))
    '26·26·3·3·1·32'
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnexplain._formula import Formula, Product, Quotient, Sum, Term
from cnnexplain._rules.families import Layout
from cnnexplain._rules.protocol import Weight
from cnnexplain._shapes import padded_length, transposed_length

__all__ = [
    "AXES",
    "KERNEL_SUFFIXES",
    "ConvSymbols",
    "conv_lstm_macs",
    "conv_lstm_parameters",
    "conv_lstm_weights",
    "conv_macs",
    "conv_parameters",
    "conv_weights",
    "depthwise_macs",
    "depthwise_parameters",
    "depthwise_weights",
    "kernel_product",
    "kernel_symbols",
    "padded_length",
    "positions",
    "separable_macs",
    "separable_parameters",
    "separable_weights",
    "transpose_macs",
    "transposed_length",
]

KERNEL_SUFFIXES = {1: ("",), 2: ("_h", "_w"), 3: ("_d", "_h", "_w")}
"""Subscripts of the kernel lengths by rank: ``k_h``, ``k_w`` for rank 2, ``k`` for rank 1."""
AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}
"""Spatial axis letters used in shape arithmetic and MACs, by rank."""


def kernel_symbols(rank: int) -> tuple[str, ...]:
    """``("k_h", "k_w")`` for rank 2."""
    return tuple("k" + s for s in KERNEL_SUFFIXES[rank])


@dataclass(frozen=True)
class ConvSymbols:
    """The symbols a framework's reader gives a convolution's numbers in its formulas."""

    kernel: tuple[str, ...]
    in_channels: str = "C_in"
    out_channels: str = "F"
    groups: str = "g"


def _kernel_product(kernel: tuple[int, ...], symbols: tuple[str, ...]) -> list[Formula]:
    return [Term(k, s) for k, s in zip(kernel, symbols, strict=True)]


def _channels(in_channels: int, groups: int, symbols: ConvSymbols) -> Formula:
    channels: Formula = Term(in_channels, symbols.in_channels)
    if groups > 1:
        channels = Quotient(channels, Term(groups, symbols.groups))
    return channels


def conv_parameters(
    kernel: tuple[int, ...],
    in_channels: int,
    out_channels: int,
    *,
    groups: int,
    bias: bool,
    symbols: ConvSymbols,
) -> Formula:
    """``(k_h·k_w·C_in/g+1)·C_out`` (without ``+1`` when there is no bias)."""
    per_filter: Formula = Product(
        (*_kernel_product(kernel, symbols.kernel), _channels(in_channels, groups, symbols))
    )
    f = Term(out_channels, symbols.out_channels)
    return (per_filter + 1) * f if bias else per_filter * f


def conv_weights(
    kernel: tuple[int, ...],
    in_channels: int,
    out_channels: int,
    *,
    groups: int,
    bias: bool,
    layout: Layout,
    transposed: bool = False,
) -> tuple[Weight, ...]:
    """The kernel and bias tensors in ``layout``.

    Keras stores ``kernel`` as (k…, C_in/g, F) and, transposed, (k…, F, C_in);
    torch stores ``weight`` as (out_channels, in_channels/groups, k…) and,
    transposed, (in_channels, out_channels/groups, k…).
    """
    if layout == "keras":
        shape = (
            (*kernel, out_channels, in_channels)
            if transposed
            else (
                *kernel,
                in_channels // groups,
                out_channels,
            )
        )
        weights = [Weight("kernel", shape)]
    else:
        shape = (
            (in_channels, out_channels // groups, *kernel)
            if transposed
            else (out_channels, in_channels // groups, *kernel)
        )
        weights = [Weight("weight", shape)]
    if bias:
        weights.append(Weight("bias", (out_channels,)))
    return tuple(weights)


def kernel_product(
    kernel: tuple[int, ...], tail: Formula | None = None, *, symbols: tuple[str, ...] = ()
) -> Formula:
    """``k_h·k_w·tail`` (or ``k_h·k_w``), each kernel length named by its axis.

    Examples:
        >>> kernel_product((3, 3), Term(8, "C_in")).symbols()
        'k_h·k_w·C_in'
    """
    names = symbols or kernel_symbols(len(kernel))
    terms = [Term(k, s) for k, s in zip(kernel, names, strict=True)]
    product: Formula = terms[0]
    for term in [*terms[1:], *([tail] if tail is not None else [])]:
        product = product * term
    return product


def depthwise_parameters(
    kernel: tuple[int, ...], in_channels: int, multiplier: int, *, bias: bool, symbols: ConvSymbols
) -> Formula:
    """``(k_h·k_w+1)·C_in·m``: one kernel, and a bias, per input channel and multiplier.

    (torch writes a depthwise convolution as a ``Conv2d`` with ``groups=in_channels``:
    `conv_parameters` gives the same count.)
    """
    per_channel = kernel_product(kernel, symbols=symbols.kernel)
    if bias:
        per_channel = per_channel + 1
    return per_channel * Term(in_channels, symbols.in_channels) * Term(multiplier, "m")


def depthwise_weights(
    kernel: tuple[int, ...], in_channels: int, multiplier: int, *, bias: bool
) -> tuple[Weight, ...]:
    """Keras's ``kernel`` (k…, C_in, m) and ``bias`` (C_in·m)."""
    weights = [Weight("kernel", (*kernel, in_channels, multiplier))]
    if bias:
        weights.append(Weight("bias", (in_channels * multiplier,)))
    return tuple(weights)


def separable_parameters(
    kernel: tuple[int, ...],
    in_channels: int,
    multiplier: int,
    out_channels: int,
    *,
    bias: bool,
    symbols: ConvSymbols,
) -> Formula:
    """``k_h·k_w·C_in·m + C_in·m·F + F``: depthwise kernel, pointwise kernel, bias.

    The bias belongs to the pointwise step (``F`` values, not ``C_in·m``).

    Examples:
        >>> s = ConvSymbols(kernel=("k_h", "k_w"))
        >>> f = separable_parameters((3, 3), 3, 1, 5, bias=True, symbols=s)
        >>> f.symbols(), int(f)
        ('k_h·k_w·C_in·m+C_in·m·F+F', 47)
    """
    c, m = Term(in_channels, symbols.in_channels), Term(multiplier, "m")
    f = Term(out_channels, symbols.out_channels)
    formula: Formula = kernel_product(kernel, c * m, symbols=symbols.kernel) + c * m * f
    return formula + f if bias else formula


def separable_weights(
    kernel: tuple[int, ...], in_channels: int, multiplier: int, out_channels: int, *, bias: bool
) -> tuple[Weight, ...]:
    """Keras's ``depthwise_kernel`` (k…, C_in, m), ``pointwise_kernel`` (1…, C_in·m, F), bias."""
    weights = [
        Weight("depthwise_kernel", (*kernel, in_channels, multiplier)),
        Weight("pointwise_kernel", (*(1,) * len(kernel), in_channels * multiplier, out_channels)),
    ]
    if bias:
        weights.append(Weight("bias", (out_channels,)))
    return tuple(weights)


def conv_lstm_parameters(
    kernel: tuple[int, ...], in_channels: int, filters: int, *, bias: bool, symbols: ConvSymbols
) -> Formula:
    """``4·(k_h·k_w·(C_in+F)+1)·F``: an LSTM whose four gates are convolutions.

    Each gate convolves the step's input (``k_h·k_w·C_in·F``) and the previous
    output (``k_h·k_w·F·F``), plus a bias ``F``.
    """
    f = Term(filters, symbols.out_channels)
    tail = Term(in_channels, symbols.in_channels) + f
    per_gate: Formula = kernel_product(kernel, tail, symbols=symbols.kernel)
    if bias:
        per_gate = per_gate + 1
    return Term(4) * per_gate * f


def conv_lstm_weights(
    kernel: tuple[int, ...], in_channels: int, filters: int, *, bias: bool
) -> tuple[Weight, ...]:
    """Keras's ``kernel`` (k…, C_in, 4·F), ``recurrent_kernel`` (k…, F, 4·F), ``bias`` (4·F)."""
    weights = [
        Weight("kernel", (*kernel, in_channels, 4 * filters)),
        Weight("recurrent_kernel", (*kernel, filters, 4 * filters)),
    ]
    if bias:
        weights.append(Weight("bias", (4 * filters,)))
    return tuple(weights)


def positions(dims: tuple[int | None, ...], suffix: str) -> list[Formula] | None:
    """``[H_out, W_out]``: spatial lengths named by axis, or None when one is unknown."""
    if any(d is None for d in dims) or len(dims) not in AXES:
        return None
    return [Term(d or 0, f"{a}_{suffix}") for d, a in zip(dims, AXES[len(dims)], strict=True)]


def _per_position(dims: tuple[int | None, ...], suffix: str, *factors: Formula) -> Formula | None:
    """``H·W·factors``: the work at every position, or None when a length is unknown."""
    where = positions(dims, suffix)
    return None if where is None else Product((*where, *factors))


def conv_macs(
    out_spatial: tuple[int | None, ...],
    kernel: tuple[int, ...],
    in_channels: int,
    out_channels: int,
    *,
    groups: int,
    symbols: ConvSymbols,
) -> Formula | None:
    """``H_out·W_out·k_h·k_w·C_in/g·C_out``: each output value is a dot product."""
    return _per_position(
        out_spatial,
        "out",
        *_kernel_product(kernel, symbols.kernel),
        _channels(in_channels, groups, symbols),
        Term(out_channels, symbols.out_channels),
    )


def depthwise_macs(
    out_spatial: tuple[int | None, ...],
    kernel: tuple[int, ...],
    in_channels: int,
    multiplier: int,
    *,
    symbols: ConvSymbols,
) -> Formula | None:
    """``H_out·W_out·k_h·k_w·C_in·m``: one filter per input channel and multiplier."""
    return _per_position(
        out_spatial,
        "out",
        *_kernel_product(kernel, symbols.kernel),
        Term(in_channels, symbols.in_channels),
        Term(multiplier, "m"),
    )


def separable_macs(
    out_spatial: tuple[int | None, ...],
    kernel: tuple[int, ...],
    in_channels: int,
    multiplier: int,
    out_channels: int,
    *,
    symbols: ConvSymbols,
) -> Formula | None:
    """Depthwise ``H_out·W_out·k_h·k_w·C_in·m`` plus pointwise ``H_out·W_out·C_in·m·F``."""
    depthwise = depthwise_macs(out_spatial, kernel, in_channels, multiplier, symbols=symbols)
    c, m = Term(in_channels, symbols.in_channels), Term(multiplier, "m")
    pointwise = _per_position(out_spatial, "out", c, m, Term(out_channels, symbols.out_channels))
    if depthwise is None or pointwise is None:
        return None
    return Sum((depthwise, pointwise))


def conv_lstm_macs(
    steps: int,
    out_spatial: tuple[int | None, ...],
    kernel: tuple[int, ...],
    in_channels: int,
    filters: int,
    *,
    symbols: ConvSymbols,
) -> Formula | None:
    """``T·H_out·W_out·k_h·k_w·4·F·(C_in+F)``: input and recurrent convolutions per step."""
    where = positions(out_spatial, "out")
    if where is None:
        return None
    f = Term(filters, symbols.out_channels)
    return Product(
        (
            Term(steps, "T"),
            *where,
            *_kernel_product(kernel, symbols.kernel),
            Term(4, "gates"),
            f,
            Term(in_channels, symbols.in_channels) + f,
        )
    )


def transpose_macs(
    in_spatial: tuple[int | None, ...],
    kernel: tuple[int, ...],
    in_channels: int,
    out_channels: int,
    *,
    groups: int = 1,
    symbols: ConvSymbols,
) -> Formula | None:
    """``H_in·W_in·k_h·k_w·C_in·C_out/g``: each input value scatters a kernel-sized patch."""
    out: Formula = Term(out_channels, symbols.out_channels)
    if groups > 1:
        out = Quotient(out, Term(groups, symbols.groups))
    return _per_position(
        in_spatial,
        "in",
        *_kernel_product(kernel, symbols.kernel),
        Term(in_channels, symbols.in_channels),
        out,
    )
