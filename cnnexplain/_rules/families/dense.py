"""Dense (fully connected) layers: ``(n_in+1)·units`` parameters, ``n_in·units`` MACs per position.

A dense layer acts on the last axis only: on a 3-D input ``(batch, T, n_in)``
the same weights are applied at each of the ``T`` positions, so the count is
unchanged and the MACs are multiplied by ``T``.

Examples:
    >>> symbols = DenseSymbols("in_features", "out_features")
    >>> f = dense_parameters(5408, 100, bias=True, symbols=symbols)
    >>> int(f), f.symbols()
    (540900, '(in_features+1)·out_features')
    >>> [w.shape for w in dense_weights(5408, 100, bias=True, layout="keras")]
    [(5408, 100), (100,)]
    >>> str(dense_macs((None, 7, 12), 100, symbols=symbols))
    '7·12·100'
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnexplain._formula import Formula, Product, Term
from cnnexplain._rules.families import Layout
from cnnexplain._rules.protocol import Weight
from cnnexplain._shapes import Shape

__all__ = ["DenseSymbols", "dense_macs", "dense_parameters", "dense_weights"]


@dataclass(frozen=True)
class DenseSymbols:
    """The symbols of the input and output widths (Keras ``n_in``, ``units``)."""

    n_in: str = "n_in"
    units: str = "units"


def dense_parameters(n_in: int, units: int, *, bias: bool, symbols: DenseSymbols) -> Formula:
    """``(n_in+1)·units``, or ``n_in·units`` without bias."""
    x, u = Term(n_in, symbols.n_in), Term(units, symbols.units)
    return (x + 1) * u if bias else x * u


def dense_weights(n_in: int, units: int, *, bias: bool, layout: Layout) -> tuple[Weight, ...]:
    """Keras's ``kernel`` (n_in, units) or torch's ``weight`` (out, in), and the bias."""
    main = Weight("kernel", (n_in, units)) if layout == "keras" else Weight("weight", (units, n_in))
    return (main, Weight("bias", (units,))) if bias else (main,)


def dense_macs(shape: Shape, units: int, *, symbols: DenseSymbols) -> Formula | None:
    """``n_in·units`` at every position of the input (``T·n_in·units`` on 3-D input).

    ``shape`` is the input's, batch axis first: the positions are the axes between
    the batch axis and the last one, named ``T`` when there is one, else ``d1``, ``d2``...
    """
    dims = shape[1:-1]
    names = ["T"] if len(dims) == 1 else [f"d{i}" for i in range(1, len(dims) + 1)]
    if any(d is None for d in (*dims, shape[-1])):
        return None
    factors: list[Formula] = [Term(d or 0, s) for d, s in zip(dims, names, strict=True)]
    factors += [Term(shape[-1] or 0, symbols.n_in), Term(units, symbols.units)]
    return Product(tuple(factors))
