"""Transposed convolutions: Conv1DTranspose, Conv2DTranspose, Conv3DTranspose."""

from __future__ import annotations

from cnnexplain._rules.families.conv import conv_parameters, conv_weights, transpose_macs
from cnnexplain._rules.keras.conv import keras_symbols, spatial_names, spatial_shape
from cnnexplain._rules.protocol import Explained, Family, LayerArgs
from cnnexplain._rules.registry import rule
from cnnexplain._shapes import Shape, transpose_length

__all__ = ["conv_transpose"]


@rule("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")
def conv_transpose(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``(k_h·k_w·C_in+1)·F``, as a convolution; the kernel is stored as (k…, F, C_in).

    Symbols: ``k_h``, ``k_w`` the kernel size, ``C_in`` the input channels, ``F``
    the filters. Each output length is ``(n−1)·s+max(k_eff, s)`` with
    ``padding='valid'`` and ``n·s`` with ``'same'``; with ``output_padding=p``
    it is ``(n−1)·s+k_eff−2·pad+p``, where ``pad`` is 0 (valid) or ``⌊k_eff/2⌋``
    (same) and ``k_eff = d·(k−1)+1``.
    """
    rank = int(args.class_name[4])
    (shape,) = inputs
    spatial, axis = spatial_shape(args, shape, rank)
    filters = args.integer("filters")
    kernel = args.integers("kernel_size", rank)
    strides = args.integers("strides", rank, 1)
    dilation = args.integers("dilation_rate", rank, 1)
    padding = args.choice("padding", ("valid", "same"), "valid")
    use_bias = args.boolean("use_bias", default=True)
    output_padding: tuple[int | None, ...] = (None,) * rank
    if args.get("output_padding") is not None:
        output_padding = args.integers("output_padding", rank, minimum=0)
        for p, s in zip(output_padding, strides, strict=True):
            if p is not None and p >= s:
                raise args.error(
                    "output_padding",
                    f"each output_padding must be smaller than its stride {strides}",
                    args.get("output_padding"),
                )
    if max(strides) > 1 and max(dilation) > 1:
        raise args.error(
            "strides", "strides > 1 cannot be combined with dilation_rate > 1", strides
        )
    c_in = args.known(shape, axis, "number of input channels")
    dims: list[int | None] = []
    steps = []
    for name, n, k, s, d, p in zip(
        spatial_names(rank), spatial, kernel, strides, dilation, output_padding, strict=True
    ):
        dim = transpose_length(n, k, stride=s, padding=padding, output_padding=p, dilation=d)
        if dim.value is not None and dim.value < 1:
            raise args.error(
                "kernel_size", f"the output length along {name} would be {dim.value}", kernel
            )
        dims.append(dim.value)
        steps.append(f"{name}: {dim.text}")
    steps.append(f"C: F = {filters}")
    # the same count and tensor as torch's ConvTranspose (there with groups)
    symbols = keras_symbols(rank)
    formula = conv_parameters(kernel, c_in, filters, groups=1, bias=use_bias, symbols=symbols)
    weights = conv_weights(
        kernel, c_in, filters, groups=1, bias=use_bias, layout="keras", transposed=True
    )
    out = (shape[0], *dims, filters) if axis == -1 else (shape[0], filters, *dims)
    macs = transpose_macs(spatial, kernel, c_in, filters, symbols=symbols)
    return Explained(formula, weights, (out,), tuple(steps), macs=macs, family=Family.TRANSPOSED)
