"""Separable convolutions: a depthwise step then a 1×1 pointwise step."""

from __future__ import annotations

from cnnexplain._rules.families.conv import separable_macs, separable_parameters, separable_weights
from cnnexplain._rules.keras.conv import keras_symbols, read_window
from cnnexplain._rules.protocol import Explained, Family, LayerArgs
from cnnexplain._rules.registry import rule
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
    symbols = keras_symbols(w.rank)
    formula = separable_parameters(
        w.kernel, c_in, multiplier, filters, bias=use_bias, symbols=symbols
    )
    weights = separable_weights(w.kernel, c_in, multiplier, filters, bias=use_bias)
    steps = (*w.steps, f"C: C_in·m = {c_in}·{multiplier} = {c_in * multiplier} → F = {filters}")
    macs = separable_macs(w.dims, w.kernel, c_in, multiplier, filters, symbols=symbols)
    return Explained(
        formula,
        weights,
        (w.output(filters),),
        steps,
        macs=macs,
        family=Family.DEPTHWISE,
        window=w.data(),
    )
