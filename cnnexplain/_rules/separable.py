"""Separable convolutions: a depthwise step then a 1×1 pointwise step."""

from __future__ import annotations

from cnnexplain._families.conv import separable_macs
from cnnexplain._formula import Formula, Term
from cnnexplain._rules._base import Explained, LayerArgs, Weight, rule
from cnnexplain._rules.conv import keras_symbols, kernel_product, read_window
from cnnexplain._shapes import Shape

__all__ = ["separable_conv"]


@rule("SeparableConv1D", "SeparableConv2D")
def separable_conv(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``k_h·k_w·C_in·m + C_in·m·F + F``: depthwise kernel, pointwise kernel, bias.

    Symbols: ``k_h``, ``k_w`` the kernel size, ``C_in`` the input channels, ``m``
    the ``depth_multiplier``, ``F`` the filters. Unlike a DepthwiseConv2D the
    bias belongs to the pointwise step (``F`` values, not ``C_in·m``). Output
    lengths as a convolution's.
    """
    args.choice("padding", ("valid", "same"), "valid")
    w = read_window(args, inputs)
    filters = args.integer("filters")
    multiplier = args.integer("depth_multiplier", 1)
    use_bias = args.boolean("use_bias", default=True)
    c_in = args.known(w.shape, w.axis, "number of input channels")
    c, m, f = Term(c_in, "C_in"), Term(multiplier, "m"), Term(filters, "F")
    formula: Formula = kernel_product(w.kernel, c * m) + c * m * f
    if use_bias:
        formula = formula + f
    weights = [
        Weight("depthwise_kernel", (*w.kernel, c_in, multiplier)),
        Weight("pointwise_kernel", (*(1,) * w.rank, c_in * multiplier, filters)),
    ]
    if use_bias:
        weights.append(Weight("bias", (filters,)))
    steps = (*w.steps, f"C: C_in·m = {c_in}·{multiplier} = {c_in * multiplier} → F = {filters}")
    macs = separable_macs(
        w.dims, w.kernel, c_in, multiplier, filters, symbols=keras_symbols(w.rank)
    )
    return Explained(formula, tuple(weights), (w.output(filters),), steps, macs=macs)
