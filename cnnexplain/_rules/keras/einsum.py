"""EinsumDense: a Dense layer whose kernel and output axes are named by an einsum equation."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cnnexplain._formula import Formula, Term
from cnnexplain._rules.families.einsum import einsum_macs
from cnnexplain._rules.keras.embedding import refuse_quantized
from cnnexplain._rules.protocol import Explained, LayerArgs, NoRule, Weight, fmt_shape
from cnnexplain._rules.registry import rule
from cnnexplain._shapes import Shape

__all__ = ["einsum_dense"]

_EQUATION = (  # compiled by re on first use, not when the module loads
    r"^(?P<left>\.\.\.)?(?P<input>[a-zA-Z]+)(?:\.\.\.)?,"
    r"(?P<weight>[a-zA-Z]+)->(?:\.\.\.)?(?P<output>[a-zA-Z]+)(?:\.\.\.)?$"
)


@dataclass(frozen=True)
class _Axes:
    """Where each letter of the equation sits in the input and in the full output."""

    weight: str
    output: str
    input_at: dict[str, int]
    output_at: dict[str, int]
    lengths: list[int | None]
    elided: int
    left: bool


def _output_shape(args: LayerArgs) -> list[int | None]:
    value = args.get("output_shape")
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if not isinstance(value, (list, tuple)) or any(
        d is not None and (isinstance(d, bool) or not isinstance(d, int) or d < 1) for d in value
    ):
        raise args.error(
            "output_shape", "'output_shape' must hold positive integers or None", value
        )
    return list(value)


def _axes(args: LayerArgs, shape: Shape) -> _Axes:
    """Parse the equation and complete ``output_shape`` with the batch and elided axes."""
    equation = args.get("equation")
    match = re.match(_EQUATION, equation) if isinstance(equation, str) else None
    if match is None or equation.count("...") not in (0, 2):
        raise args.error(
            "equation", "'equation' must look like 'ab,bc->ac' or '...b,bc->...c'", equation
        )
    spec_in, left = match["input"], match["left"] is not None
    elided = len(shape) - len(spec_in)
    if elided < 0 or (elided and "..." not in equation):
        raise args.error(
            "equation", f"the input's rank {len(shape)} does not match '{spec_in}'", equation
        )
    lengths = [shape[0], *_output_shape(args)]
    if left:
        for i in range(1, elided):  # Keras inserts each at position 1, as here
            lengths.insert(1, shape[i])
    elif elided:
        lengths.extend(shape[len(shape) - elided :])
    if len(lengths) != len(match["output"]) + elided:
        raise args.error(
            "output_shape",
            f"it must give the lengths of '{match['output']}' after the batch axis",
            args.get("output_shape"),
        )
    offset = elided if left else 0
    return _Axes(
        match["weight"],
        match["output"],
        {c: i + offset for i, c in enumerate(spec_in)},
        {c: i + offset for i, c in enumerate(match["output"])},
        lengths,
        elided,
        left,
    )


def _length(args: LayerArgs, axes: _Axes, shape: Shape, letter: str) -> int:
    """The length of a weight axis: from the output when it is an output letter."""
    if letter in axes.output_at:
        n = axes.lengths[axes.output_at[letter]]
    elif letter in axes.input_at:
        n = shape[axes.input_at[letter]]
    else:
        raise args.error(
            "equation",
            f"weight axis '{letter}' is in neither input nor output",
            args.get("equation"),
        )
    if n is None:
        raise args.error(None, f"the length of axis '{letter}' must be known")
    return n


def _check(args: LayerArgs, axes: _Axes, shape: Shape) -> None:
    for c, i in axes.input_at.items():
        out = axes.lengths[axes.output_at[c]] if c in axes.output_at else None
        if out is not None and out != shape[i]:
            raise args.error(
                "output_shape",
                f"axis '{c}' is {shape[i]} in the input but {out} in the output",
                args.get("output_shape"),
            )
    for c in axes.output:
        if c not in axes.input_at and c not in axes.weight:
            raise args.error(
                "equation", f"output axis '{c}' comes from no input or weight", args.get("equation")
            )


@rule("EinsumDense")
def einsum_dense(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``∏ kernel axes + ∏ bias axes``: the kernel spans the equation's weight letters.

    Symbols: each letter of the ``equation`` names an axis length: a weight
    letter that is also an input letter takes the input's length, one that is
    an output letter takes ``output_shape``'s. For ``"ab,bc->ac"`` (a Dense) the
    count is ``b·c+c``. ``bias_axes`` picks the output letters the bias spans.
    """
    refuse_quantized(args)
    if args.get("lora_rank"):
        raise NoRule("EinsumDense with LoRA")
    (shape,) = inputs
    axes = _axes(args, shape)
    _check(args, axes, shape)
    kernel = [_length(args, axes, shape, c) for c in axes.weight]
    formula: Formula = Term(kernel[0], axes.weight[0])
    for c, n in zip(axes.weight[1:], kernel[1:], strict=True):
        formula = formula * Term(n, c)
    weights = [Weight("kernel", tuple(kernel))]
    bias_axes = args.get("bias_axes")
    if bias_axes:
        if not isinstance(bias_axes, str) or any(c not in axes.output for c in bias_axes):
            raise args.error(
                "bias_axes", f"'bias_axes' must be letters of '{axes.output}'", bias_axes
            )
        first = min(axes.output.find(c) for c in bias_axes)
        letters = axes.output[first:]
        bias = [_length(args, axes, shape, c) if c in bias_axes else 1 for c in letters]
        if not axes.left:
            bias.extend([1] * axes.elided)
        spanned = [c for c in letters if c in bias_axes]
        bias_formula: Formula = Term(_length(args, axes, shape, spanned[0]), spanned[0])
        for c in spanned[1:]:
            bias_formula = bias_formula * Term(_length(args, axes, shape, c), c)
        formula = formula + bias_formula
        weights.append(Weight("bias", tuple(bias)))
    out = tuple(axes.lengths)
    step = f"'{args.get('equation')}': {fmt_shape(shape)} → {fmt_shape(out)}"
    equation = args.get("equation")
    macs = einsum_macs(equation, shape, out) if isinstance(equation, str) else None
    return Explained(formula, tuple(weights), (out,), (step,), macs=macs)
