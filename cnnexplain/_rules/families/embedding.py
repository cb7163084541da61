"""Embeddings: a lookup table of ``rows·dim`` values; each index becomes one row.

Keras names the table ``embeddings`` (``V·d``: ``input_dim``, ``output_dim``), torch
``weight`` (``num_embeddings·embedding_dim``); both store it (rows, dim). A lookup
does no multiply-accumulate.

Examples:
    >>> f, w = table(33278, 200, symbols=("num_embeddings", "embedding_dim"), layout="torch")
    >>> f.symbols(), int(f), w.name, w.shape
    ('num_embeddings·embedding_dim', 6655600, 'weight', (33278, 200))
"""

from __future__ import annotations

from cnnexplain._formula import Formula, Term
from cnnexplain._rules.families import Layout
from cnnexplain._rules.protocol import Weight

__all__ = ["table"]


def table(
    rows: int, dim: int, *, symbols: tuple[str, str], layout: Layout, trainable: bool = True
) -> tuple[Formula, Weight]:
    """The table's count ``rows·dim`` and its weight tensor in ``layout``."""
    name = "embeddings" if layout == "keras" else "weight"
    formula = Term(rows, symbols[0]) * Term(dim, symbols[1])
    return formula, Weight(name, (rows, dim), trainable=trainable)
