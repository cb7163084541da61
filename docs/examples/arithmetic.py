"""The page "Convolution arithmetic": the classic formula, with a model's own numbers.

Every number is read from the Keras layers' configuration and checked against
the output shape Keras gives; a disagreement raises, which stops the build.
"""

from fractions import Fraction
from typing import Any


def _frac(value: Fraction) -> str:
    """A fraction as LaTeX: ``\\frac{27}{2}`` or ``28``."""
    if value.denominator == 1:
        return str(value.numerator)
    return rf"\frac{{{value.numerator}}}{{{value.denominator}}}"


def classic(model: Any, pad: str, conv: str) -> str:
    """The classic (W − F + 2P)/S + 1 for a ZeroPadding2D + Conv2D pair, as display math.

    Raises:
        ValueError: if the formula and Keras's output shape disagree.
    """
    padding, layer = model.get_layer(pad), model.get_layer(conv)
    width = int(padding.input.shape[2])
    (p_before, p_after) = padding.padding[1]
    if p_before != p_after:
        raise ValueError(
            f"{pad}: the classic formula needs equal padding on both sides"
        )
    kernel, stride = layer.kernel_size[1], layer.strides[1]
    exact = Fraction(width - kernel + 2 * p_before, stride) + 1
    out = int(layer.output.shape[2])
    if out != exact // 1:
        raise ValueError(
            f"{conv}: the classic formula gives {exact}, Keras {out}"
        )
    return (
        f"\nWith $W = {width}$, $F = {kernel}$, $P = {p_before}$ and $S = {stride}$:\n\n"
        f"$$\n\\frac{{{width} - {kernel} + 2 \\cdot {p_before}}}{{{stride}}} + 1 = "
        f"{_frac(exact)}\n$$\n\nwhich is the width Keras gives, {out}.\n"
    )


def unrounded(model: Any) -> str:
    """The unrounded valid length for the model's last convolution, and Keras's.

    Keras's length comes from the same convolution with ``padding="valid"``,
    built in Keras (``verify=True``).

    Raises:
        ValueError: if Keras's length is not that quotient rounded down.
    """
    from cnnexplain import spec  # noqa: PLC0415

    layer = model.layers[-1]
    shape = tuple(int(n) for n in layer.input.shape[1:])
    width = shape[1]
    kernel, stride = layer.kernel_size[1], layer.strides[1]
    valid = Fraction(width - kernel, stride) + 1
    check = spec.Sequential(
        [spec.Input(shape), spec.Conv2D(layer.filters, kernel, strides=stride)],
        name="valid_check",
    ).explain(verify=True)
    keras_valid = check.rows[0].output_shape[2]
    if keras_valid != valid // 1:
        raise ValueError(
            f"floor((W − F)/S) + 1 = {valid // 1}, Keras {keras_valid}"
        )
    return (
        f"\nUnrounded, the valid length would be "
        f"$\\frac{{{width} - {kernel}}}{{{stride}}} + 1 = {_frac(valid)}$; "
        f"Keras keeps {keras_valid} whole windows.\n"
    )


def classic_torch(conv: Any, row: Any) -> str:
    """The classic (W − F + 2P)/S + 1 for a torch ``Conv2d``, along the width.

    ``row`` is the convolution's verified row, whose input and output shapes
    PyTorch recorded (channels first, so the width is the last axis).

    Raises:
        ValueError: if the formula and PyTorch's output width disagree.
    """
    width, out = row.input_shape[-1], row.output_shape[-1]
    kernel, stride, padding = (
        conv.kernel_size[1],
        conv.stride[1],
        conv.padding[1],
    )
    if isinstance(padding, str):
        raise TypeError(
            f"{row.name}: the classic formula needs an integer padding"
        )
    exact = Fraction(width - kernel + 2 * padding, stride) + 1
    if out != exact // 1:
        raise ValueError(
            f"{row.name}: the classic formula gives {exact}, PyTorch {out}"
        )
    return (
        f"\nWith $W = {width}$, $F = {kernel}$, $P = {padding}$ and "
        f"$S = {stride}$:\n\n"
        f"$$\n\\frac{{{width} - {kernel} + 2 \\cdot {padding}}}{{{stride}}} + 1 = "
        f"{_frac(exact)}\n$$\n\nwhich is the width PyTorch gives, {out}.\n"
    )
