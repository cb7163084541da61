"""Recurrent cells: ``gates·(h·(i+h)+b·h)`` parameters, ``T·gates·(i·h+h·h)`` MACs.

A cell applies the same weights at every time step: per gate an input matrix
(``h×i``), a recurrent matrix (``h×h``) and ``b`` bias vectors. Keras's LSTM and
SimpleRNN keep one bias vector per gate (``b = 1``), Keras's GRU two with its
default ``reset_after=True``; torch keeps two (``b_ih`` and ``b_hh``) for all
three, so torch's LSTM has ``4·(h·(i+h)+2h)`` where Keras's has ``4·(h·(i+h)+h)``.

Examples:
    >>> s = RecurrentSymbols("input_size", "hidden_size")
    >>> f = cell_parameters(4, 10, 20, bias_vectors=2, symbols=s)
    >>> int(f), f.symbols()
    (2560, '4·(hidden_size·(input_size+hidden_size)+2·hidden_size)')
    >>> cell_macs(4, 10, 20, steps=35, symbols=s).symbols()
    'T·gates·(input_size·hidden_size+hidden_size·hidden_size)'
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnexplain._formula import Formula, Term

__all__ = ["RecurrentSymbols", "cell_macs", "cell_parameters"]


@dataclass(frozen=True)
class RecurrentSymbols:
    """Symbols of the step's input width, the hidden size and the projection size."""

    input: str = "m"
    hidden: str = "n"
    projection: str = "proj_size"


def cell_parameters(
    gates: int,
    input_size: int | Formula,
    hidden: int,
    *,
    bias_vectors: int,
    symbols: RecurrentSymbols,
    projection: int = 0,
) -> Formula:
    """``gates·(h·(i+r)+b·h)`` (+ ``p·h`` for a projection), ``r`` the recurrent input width.

    With ``projection`` p (torch's LSTM ``proj_size``) the recurrent matrix reads the
    projected state (``r = p``) and a ``p×h`` projection is added.
    """
    i = input_size if isinstance(input_size, Formula) else Term(input_size, symbols.input)
    h = Term(hidden, symbols.hidden)
    r = Term(projection, symbols.projection) if projection else h
    per_gate: Formula = h * (i + r)
    if bias_vectors == 1:
        per_gate = per_gate + h
    elif bias_vectors:
        per_gate = per_gate + Term(bias_vectors) * h
    formula: Formula = per_gate if gates == 1 else Term(gates) * per_gate
    if projection:
        formula = formula + r * h
    return formula


def cell_macs(
    gates: int,
    input_size: int | Formula,
    hidden: int,
    *,
    steps: int,
    symbols: RecurrentSymbols,
    projection: int = 0,
) -> Formula:
    """``T·gates·(i·h+r·h)`` (+ ``T·p·h``): the input and recurrent products of every step."""
    i = input_size if isinstance(input_size, Formula) else Term(input_size, symbols.input)
    h = Term(hidden, symbols.hidden)
    r = Term(projection, symbols.projection) if projection else h
    t = Term(steps, "T")
    formula: Formula = t * Term(gates, "gates") * (i * h + r * h)
    if projection:
        formula = formula + t * r * h
    return formula
