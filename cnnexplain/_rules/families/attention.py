"""Attention: projections, scores ``Q·Kᵀ``, the weighted sum ``A·V``, the output projection.

Multi-head attention projects each query, key and value position to its heads
(``T·E·h·d`` each: a dense layer per position), computes one score per query
position, key position and head (``h·T_q·T_k·d_k``), sums the values with those
weights (``h·T_q·T_k·d_v``) and projects the heads back (``T_q·h·d_v·E_o``).
Keras names the head sizes (``h``, ``d_k``, ``d_v``); torch names their product
(``embed_dim``): the readers say which factors make a head width. Single-head
attention without projections (Keras's ``Attention``) keeps only the scores and
the weighted sum.

Examples:
    >>> from cnnexplain._formula import Term
    >>> t = {s: Term(n, s) for s, n in (("T", 5), ("E", 8), ("h", 2), ("d", 4))}
    >>> sizes = AttentionSizes(
    ...     lengths=(t["T"], t["T"], t["T"]),
    ...     widths=(t["E"], t["E"], t["E"], t["E"]),
    ...     query_heads=(t["h"], t["d"]),
    ...     key_heads=(t["h"], t["d"]),
    ...     value_heads=(t["h"], t["d"]),
    ...     scores=(t["h"], t["T"], t["T"]),
    ...     score_key=t["d"],
    ...     score_value=t["d"],
    ... )
    >>> f = attention_macs(sizes)
    >>> f.symbols(), int(f)
    ('T·E·h·d+T·E·h·d+T·E·h·d+h·T·T·d+h·T·T·d+T·h·d·E', 1680)
    >>> str(dot_attention_macs(Term(5, "T_q"), Term(7, "T_v"), Term(8, "d"), Term(8, "d_v")))
    '5·7·8+5·7·8'
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnexplain._formula import Formula, Product, Sum

__all__ = ["AttentionSizes", "attention_macs", "dot_attention_macs"]


@dataclass(frozen=True)
class AttentionSizes:
    """The lengths and widths of one attention call, as the reader names them.

    Attributes:
        lengths: query, key and value positions (``T_q``, ``T_k``, ``T_v``).
        widths: query, key and value features and the output's (``E_q``, ``E_k``,
            ``E_v``, ``E_o``).
        query_heads: the factors of the projected query width (``h, d_k``, or torch's
            ``embed_dim``); ``key_heads``, ``value_heads`` likewise.
        scores: the factors counting the scores (``h, T_q, T_k``).
        score_key: the width each score sums over (``d_k``); ``score_value`` the
            width of each weighted sum (``d_v``).
        gate_heads: the gate projection's width factors (Keras's ``use_gate``), or None.
        output_heads: the output projection's input factors (default ``value_heads``).
    """

    lengths: tuple[Formula, Formula, Formula]
    widths: tuple[Formula, Formula, Formula, Formula]
    query_heads: tuple[Formula, ...]
    key_heads: tuple[Formula, ...]
    value_heads: tuple[Formula, ...]
    scores: tuple[Formula, ...]
    score_key: Formula
    score_value: Formula
    gate_heads: tuple[Formula, ...] | None = None
    output_heads: tuple[Formula, ...] | None = None


def attention_macs(sizes: AttentionSizes) -> Formula:
    """Query, key, value (and gate) projections, scores, ``A·V``, output projection."""
    t_q, t_k, t_v = sizes.lengths
    e_q, e_k, e_v, e_o = sizes.widths
    parts: list[Formula] = [
        Product((t_q, e_q, *sizes.query_heads)),
        Product((t_k, e_k, *sizes.key_heads)),
        Product((t_v, e_v, *sizes.value_heads)),
    ]
    if sizes.gate_heads is not None:
        parts.append(Product((t_q, e_q, *sizes.gate_heads)))
    output = sizes.value_heads if sizes.output_heads is None else sizes.output_heads
    parts += [
        Product((*sizes.scores, sizes.score_key)),
        Product((*sizes.scores, sizes.score_value)),
        Product((t_q, *output, e_o)),
    ]
    return Sum(tuple(parts))


def dot_attention_macs(t_q: Formula, t_v: Formula, d: Formula, d_v: Formula) -> Formula:
    """Scores ``T_q·T_v·d`` plus the weighted sum ``T_q·T_v·d_v`` (no projections)."""
    return Product((t_q, t_v, d)) + Product((t_q, t_v, d_v))
