"""torch.nn's RNN, LSTM, GRU and their cells.

Per layer and direction, torch holds ``weight_ih`` (gates·h, i), ``weight_hh``
(gates·h, h) and two bias vectors ``bias_ih`` and ``bias_hh``: an LSTM layer has
``4·(h·(i+h)+2h)``, one more bias vector than Keras's LSTM. A GRU's two biases
match Keras's GRU with its default ``reset_after=True``. Layers above the first
read ``D·h`` values (``D`` = 2 when bidirectional).
"""

from __future__ import annotations

from cnnexplain._formula import Formula, Sum, Term
from cnnexplain._rules.families.recurrent import RecurrentSymbols, cell_macs, cell_parameters
from cnnexplain._rules.protocol import Explained, Family, LayerArgs, Weight, fmt_shape
from cnnexplain._rules.registry import torch_rule
from cnnexplain._rules.torch.args import one_input
from cnnexplain._shapes import Shape

__all__ = ["cell", "recurrent"]

SYMBOLS = RecurrentSymbols("input_size", "hidden_size", "proj_size")
_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1, "RNN": 1}
_NOTES = {
    "LSTM": "two bias vectors per gate (bias_ih and bias_hh): 4·(h·(i+h)+2h) where "
    "Keras's LSTM, with one, has 4·(h·(i+h)+h)",
    "GRU": "two bias vectors per gate (bias_ih and bias_hh), as Keras's GRU with its "
    "default reset_after=True",
    "RNN": "two bias vectors (bias_ih and bias_hh) where Keras's SimpleRNN has one",
}


def _weights(  # noqa: PLR0917
    gates: int, i: int, h: int, p: int, layer: int, suffix: str, *, bias: bool
) -> list[Weight]:
    tag = f"_l{layer}{suffix}"
    r = p or h
    weights = [Weight(f"weight_ih{tag}", (gates * h, i)), Weight(f"weight_hh{tag}", (gates * h, r))]
    if bias:
        weights += [Weight(f"bias_ih{tag}", (gates * h,)), Weight(f"bias_hh{tag}", (gates * h,))]
    if p:
        weights.append(Weight(f"weight_hr{tag}", (p, h)))
    return weights


@torch_rule("RNN", "LSTM", "GRU", family=Family.RECURRENT)
def recurrent(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``D·gates·(hidden_size·(input_size+hidden_size)+2·hidden_size)`` for the first layer.

    Each further layer reads ``D·hidden_size`` values (``D·proj_size`` with a
    projection). Outputs: the sequence, ``h_n`` (and ``c_n`` for an LSTM).
    """
    shape = one_input(args, inputs)
    mode = str(args.get("mode", args.class_name))
    gates = _GATES.get(mode, _GATES.get(args.class_name, 1))
    i = args.integer("input_size")
    h = args.integer("hidden_size")
    p = args.integer("proj_size", 0, minimum=0)
    layers = args.integer("num_layers", 1)
    bias = args.boolean("bias", default=True)
    directions = 2 if args.boolean("bidirectional", default=False) else 1
    batch_first = args.boolean("batch_first", default=False)
    if len(shape) not in (2, 3) or shape[-1] != i:
        raise args.error(
            "input_size",
            f"expects input (L, N, input_size), (N, L, input_size) with batch_first or "
            f"(L, input_size), got shape {fmt_shape(shape)}",
            i,
        )
    r = p or h
    d = Term(directions, "D")
    b = 2 if bias else 0
    first = cell_parameters(gates, i, h, bias_vectors=b, symbols=SYMBOLS, projection=p)
    parts: list[Formula] = [d * first if directions > 1 else first]
    width_term = Term(r, "proj_size" if p else "hidden_size")
    upper_in = Term(directions, "D") * width_term if directions > 1 else width_term
    upper_width = directions * r
    if layers > 1:
        upper = cell_parameters(gates, upper_in, h, bias_vectors=b, symbols=SYMBOLS, projection=p)
        repeat = Term(layers - 1, "(num_layers−1)")
        parts.append(repeat * d * upper if directions > 1 else repeat * upper)
    formula: Formula = parts[0] if len(parts) == 1 else Sum(tuple(parts))
    weights: list[Weight] = []
    for layer in range(layers):
        width = i if layer == 0 else upper_width
        for suffix in ("", "_reverse")[:directions]:
            weights += _weights(gates, width, h, p, layer, suffix, bias=bias)
    unbatched = len(shape) == 2  # noqa: PLR2004
    steps_axis = 1 if batch_first and not unbatched else 0
    steps, batch = shape[steps_axis], (None if unbatched else shape[1 - steps_axis])
    sequence: Shape = (
        (steps, upper_width)
        if unbatched
        else ((batch, steps, upper_width) if batch_first else (steps, batch, upper_width))
    )
    state = (directions * layers, r) if unbatched else (directions * layers, batch, r)
    outputs: tuple[Shape, ...] = (sequence, state)
    if gates == 4:  # noqa: PLR2004
        cell_state = (directions * layers, h) if unbatched else (directions * layers, batch, h)
        outputs = (sequence, state, cell_state)
    lines = (
        (
            f"output: {fmt_shape(sequence)}, D·{'proj_size' if p else 'hidden_size'} = "
            f"{upper_width} per step"
        ),
        f"h_n: (D·num_layers, N, {'proj_size' if p else 'hidden_size'}) = {fmt_shape(state)}",
    )
    macs = None
    if steps is not None:
        per = [cell_macs(gates, i, h, steps=steps, symbols=SYMBOLS, projection=p)]
        if layers > 1:
            per.append(
                Term(layers - 1)
                * cell_macs(gates, upper_width, h, steps=steps, symbols=SYMBOLS, projection=p)
            )
        macs = Term(directions) * Sum(tuple(per)) if len(per) > 1 else Term(directions) * per[0]
    kind = "RNN" if gates == 1 else args.class_name
    note = _NOTES.get(kind, "") if bias else ""
    return Explained(formula, tuple(weights), outputs, lines, note, macs=macs)


@torch_rule("RNNCell", "LSTMCell", "GRUCell", family=Family.RECURRENT_CELL)
def cell(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``gates·(hidden_size·(input_size+hidden_size)+2·hidden_size)``: one step."""
    shape = one_input(args, inputs)
    gates = {"RNNCell": 1, "LSTMCell": 4, "GRUCell": 3}[args.class_name]
    i, h = args.integer("input_size"), args.integer("hidden_size")
    bias = args.boolean("bias", default=True)
    if shape[-1] != i or len(shape) not in (1, 2):
        raise args.error(
            "input_size", f"expects input (N, input_size), got shape {fmt_shape(shape)}", i
        )
    formula = cell_parameters(gates, i, h, bias_vectors=2 if bias else 0, symbols=SYMBOLS)
    weights = [Weight("weight_ih", (gates * h, i)), Weight("weight_hh", (gates * h, h))]
    if bias:
        weights += [Weight("bias_ih", (gates * h,)), Weight("bias_hh", (gates * h,))]
    out: Shape = (*shape[:-1], h)
    outputs = (out, out) if gates == 4 else (out,)  # noqa: PLR2004
    macs = cell_macs(gates, i, h, steps=1, symbols=SYMBOLS)
    note = _NOTES.get(args.class_name[:-4], "") if bias else ""
    return Explained(formula, tuple(weights), outputs, (f"h': {fmt_shape(out)}",), note, macs=macs)
