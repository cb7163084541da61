"""Recurrent layers: SimpleRNN, LSTM, GRU, their cells in RNN, and ConvLSTM1D-3D.

A recurrent layer applies the same weights at every time step: a kernel on
the step's input (``m`` values), a recurrent kernel on the previous output
(``n = units`` values) and a bias, once per gate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cnnexplain._formula import Formula
from cnnexplain._rules.families.conv import conv_lstm_macs, conv_lstm_parameters, conv_lstm_weights
from cnnexplain._rules.families.recurrent import RecurrentSymbols, cell_macs, cell_parameters
from cnnexplain._rules.keras.conv import keras_symbols, read_window
from cnnexplain._rules.protocol import Explained, Family, LayerArgs, NoRule, Weight, fmt_shape
from cnnexplain._rules.registry import rule
from cnnexplain._shapes import Shape

__all__ = ["Cell", "conv_lstm", "read_cell", "recurrent", "rnn", "sequence_outputs"]

_GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
KERAS_RECURRENT = RecurrentSymbols("m", "n")
"""Keras's recurrent symbols: ``m`` the step's input width, ``n`` the ``units``."""


@dataclass(frozen=True)
class Cell:
    """What one recurrent cell holds: its count, weights, state sizes and output size."""

    formula: Formula
    weights: tuple[Weight, ...]
    states: tuple[int, ...]
    units: int
    gates: int


def read_cell(args: LayerArgs, kind: str, m: int) -> Cell:
    """The cell of a SimpleRNN, LSTM or GRU (``kind``) over steps of ``m`` values."""
    units = args.integer("units")
    use_bias = args.boolean("use_bias", default=True)
    gates = _GATES[kind]
    bias_shape: tuple[int, ...] = (gates * units,)
    vectors = int(use_bias)
    if use_bias and kind == "GRU" and args.boolean("reset_after", default=True):
        vectors, bias_shape = 2, (2, gates * units)
    formula = cell_parameters(gates, m, units, bias_vectors=vectors, symbols=KERAS_RECURRENT)
    weights = [
        Weight("kernel", (m, gates * units)),
        Weight("recurrent_kernel", (units, gates * units)),
    ]
    if use_bias:
        weights.append(Weight("bias", bias_shape))
    states = (units, units) if kind == "LSTM" else (units,)
    return Cell(formula, tuple(weights), states, units, gates)


def sequence_outputs(
    args: LayerArgs, shape: Shape, step_output: Shape, states: tuple[Shape, ...]
) -> tuple[tuple[Shape, ...], list[str]]:
    """Output shapes from ``return_sequences`` and ``return_state``, with the reason."""
    batch, steps = shape[0], shape[1]
    sequences = args.boolean("return_sequences", default=False)
    out = (batch, steps, *step_output) if sequences else (batch, *step_output)
    lines = [
        f"return_sequences=True: one output per step, {fmt_shape(out)}"
        if sequences
        else f"return_sequences=False: the last step's output, {fmt_shape(out)}"
    ]
    if args.boolean("return_state", default=False):
        lines.append(f"return_state=True: plus {len(states)} final state(s)")
        return (out, *((batch, *s) for s in states)), lines
    return (out,), lines


def _sequence_input(args: LayerArgs, inputs: list[Shape]) -> Shape:
    if not inputs:
        raise args.error(None, "needs an input sequence")
    shape = inputs[0]
    if len(shape) != 3:  # noqa: PLR2004
        raise args.error(
            None, f"expects an input of rank 3 (batch, steps, features), got {fmt_shape(shape)}"
        )
    return shape


@rule("SimpleRNN", "LSTM", "GRU", family=Family.RECURRENT)
def recurrent(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``4·(n·(m+n)+n)``: four gates, each a Dense over [input, previous output].

    Symbols: ``n`` the ``units``, ``m`` the input features (last axis). Each gate
    has a kernel ``m·n``, a recurrent kernel ``n·n`` and a bias ``n``; LSTM has 4
    gates, GRU 3 and SimpleRNN 1 (``n·(m+n)+n``). GRU with ``reset_after=True``
    (the Keras default) keeps two biases per gate: ``3·(n·(m+n)+2·n)``; with
    ``reset_after=False`` it is ``3·(n·(m+n)+n)``. The output is ``(batch, n)``,
    or ``(batch, steps, n)`` with ``return_sequences=True``.
    """
    shape = _sequence_input(args, inputs)
    m = args.known(shape, -1, "number of input features")
    cell = read_cell(args, args.class_name, m)
    outputs, steps = sequence_outputs(args, shape, (cell.units,), tuple((s,) for s in cell.states))
    note = ""
    if args.class_name == "GRU" and args.boolean("use_bias", default=True):
        reset_after = args.boolean("reset_after", default=True)
        note = (
            "reset_after=True: separate input and recurrent biases, 2·n per gate"
            if reset_after
            else "reset_after=False: one bias per gate"
        )
    macs = _macs(shape, m, cell)
    return Explained(cell.formula, cell.weights, outputs, tuple(steps), note, macs=macs)


def _macs(shape: Shape, m: int, cell: Cell) -> Formula | None:
    """``T·gates·(m·n+n·n)``, or None when the number of steps is unknown."""
    if shape[1] is None:
        return None
    return cell_macs(cell.gates, m, cell.units, steps=shape[1], symbols=KERAS_RECURRENT)


def _nested_cell(args: LayerArgs, entry: object) -> LayerArgs:
    if (
        not isinstance(entry, Mapping)
        or not isinstance(entry.get("class_name"), str)
        or not isinstance(entry.get("config"), Mapping)
    ):
        raise args.error("cell", "'cell' must be a layer config with class_name and config", entry)
    config = entry["config"]
    return LayerArgs(f"{args.name}/{config.get('name', 'cell')}", entry["class_name"], config)


@rule("RNN", family=Family.RECURRENT)
def rnn(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``params(cell)``: its cell's count (SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells).

    Symbols: as for SimpleRNN, LSTM and GRU. Stacked cells add up, each reading
    the previous cell's ``n`` outputs as its ``m``.
    """
    shape = _sequence_input(args, inputs)
    m = args.known(shape, -1, "number of input features")
    cell = _nested_cell(args, args.get("cell"))
    cells = [cell]
    if cell.class_name == "StackedRNNCells":
        entries = cell.get("cells")
        if not isinstance(entries, list) or not entries:
            raise cell.error("cells", "'cells' must be a non-empty list of cell configs", entries)
        cells = [_nested_cell(cell, e) for e in entries]
    formulas: list[Formula] = []
    weights: list[Weight] = []
    states: list[int] = []
    units = m
    read = None
    for c in cells:
        kind = c.class_name.removesuffix("Cell")
        if kind not in _GATES or not c.class_name.endswith("Cell"):
            raise NoRule(f"RNN of {c.class_name}")
        read = read_cell(c, kind, units)
        formulas.append(read.formula)
        weights.extend(read.weights)
        states.extend(read.states)
        units = read.units
    formula = formulas[0]
    for f in formulas[1:]:
        formula = formula + f
    outputs, steps = sequence_outputs(args, shape, (units,), tuple((s,) for s in states))
    # one cell counts as the matching layer; the MACs of stacked cells are not counted
    macs = _macs(shape, m, read) if read is not None and cells == [cell] else None
    return Explained(formula, tuple(weights), outputs, tuple(steps), macs=macs)


@rule("ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", family=Family.RECURRENT)
def conv_lstm(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``4·(k_h·k_w·(C_in+F)+1)·F``: an LSTM whose four gates are convolutions.

    Symbols: ``k_h``, ``k_w`` the kernel size, ``C_in`` the input channels, ``F``
    the filters. Each gate convolves the step's input (``k_h·k_w·C_in·F``) and
    the previous output (``k_h·k_w·F·F``, always with ``padding='same'``), plus
    a bias ``F``. Spatial output lengths are a convolution's.
    """
    rank = int(args.class_name[-2])
    if not inputs or len(inputs[0]) != rank + 3:
        got = fmt_shape(inputs[0]) if inputs else "nothing"
        raise args.error(
            None,
            f"expects an input of rank {rank + 3} (batch, steps, {rank} spatial axes, "
            f"channels), got {got}",
        )
    shape = inputs[0]
    args.choice("padding", ("valid", "same"), "valid")
    w = read_window(args, [(shape[0], *shape[2:])])
    filters = args.integer("filters")
    use_bias = args.boolean("use_bias", default=True)
    c_in = args.known(w.shape, w.axis, "number of input channels")
    symbols = keras_symbols(rank)
    formula = conv_lstm_parameters(w.kernel, c_in, filters, bias=use_bias, symbols=symbols)
    weights = conv_lstm_weights(w.kernel, c_in, filters, bias=use_bias)
    state = w.output(filters)[1:]
    outputs, lines = sequence_outputs(args, shape, state, (state, state))
    steps = (*w.steps, f"C: F = {filters}", *lines)
    macs = None
    if shape[1] is not None:
        macs = conv_lstm_macs(shape[1], w.dims, w.kernel, c_in, filters, symbols=symbols)
    return Explained(formula, weights, outputs, steps, macs=macs)
