"""Attention: MultiHeadAttention, GroupedQueryAttention, Attention, AdditiveAttention.

Calls take ``query``, ``value`` and optionally ``key`` (default: ``value``),
positionally or by keyword; the rules receive them in that order. A call with
``return_attention_scores=True`` (a call argument, which the evaluator passes
in the layer's arguments) has a second output: the scores.
"""

from __future__ import annotations

import math

from cnnexplain._formula import Formula, Product, Term
from cnnexplain._rules.families.attention import AttentionSizes, attention_macs, dot_attention_macs
from cnnexplain._rules.protocol import Explained, Family, LayerArgs, Weight, fmt_shape
from cnnexplain._rules.registry import rule
from cnnexplain._shapes import Shape

__all__ = ["additive_attention", "dot_attention", "grouped_query_attention", "multi_head_attention"]


def _query_value_key(args: LayerArgs, inputs: list[Shape]) -> tuple[Shape, Shape, Shape]:
    if len(inputs) not in (2, 3):
        raise args.error(
            None, f"takes query, value and optionally key: 2 or 3 inputs, got {len(inputs)}"
        )
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) == 3 else value  # noqa: PLR2004
    if value[1:-1] != key[1:-1]:
        raise args.error(
            None,
            "value and key must match on every axis but the last, got "
            f"{fmt_shape(value)} and {fmt_shape(key)}",
        )
    return query, value, key


def _with_scores(
    args: LayerArgs,
    found: Explained,
    query: Shape,
    key: Shape,
    heads: int,
    *,
    symbolic_query_length: bool = False,
) -> Explained:
    """Add the scores output of a call with ``return_attention_scores=True``.

    ``heads`` is 0 for single-head attention: scores ``(B, T_q, T_k)``; else
    ``(B, heads, T_q, T_k)`` (both for 3-D inputs; other ranks keep their axes).
    """
    if not args.boolean("return_attention_scores", default=False):
        return found
    head_axes = (heads,) if heads else ()
    scores = (query[0], *head_axes, *query[1:-1], *key[1:-1])
    step = f"return_attention_scores=True: plus the scores, {fmt_shape(scores)}"
    if symbolic_query_length and len(query) == 3 and key[1] != query[1]:  # noqa: PLR2004
        # MultiHeadAttention.compute_output_spec (Keras 3.15) gives the scores the
        # query's length on both axes; the graph records that shape, so follow it.
        true = scores
        scores = (query[0], *head_axes, query[1], query[1])
        step = (
            f"return_attention_scores=True: plus the scores, {fmt_shape(scores)} as Keras's "
            f"symbolic shape gives them (computed, they are {fmt_shape(true)})"
        )
    return Explained(
        found.formula,
        found.weights,
        (*found.outputs, scores),
        (*found.shape_steps, step),
        found.note,
        macs=found.macs,
    )


def _length(shape: Shape, axes: list[int]) -> int | None:
    dims = [shape[a] for a in axes]
    return None if None in dims else math.prod(d for d in dims if d is not None)


def _terms(values: list[int | None], symbols: tuple[str, ...]) -> list[Term] | None:
    if None in values:
        return None
    return [Term(v or 0, s) for v, s in zip(values, symbols, strict=True)]


def _mha_macs(
    args: LayerArgs,
    shapes: tuple[Shape, Shape, Shape],
    *,
    heads: int,
    key_dim: int,
    value_dim: int,
    out_dim: int,
) -> Formula | None:
    """MultiHeadAttention's sizes, read onto the attention family (None if a length is unknown).

    ``T`` is the product of the lengths between the batch and feature axes. With
    ``attention_axes``, the other axes act as batch axes of the attention (``B_att``)
    and ``A_q``, ``A_k`` are the lengths along the attention axes.
    """
    query, value, key = shapes
    rank = len(query)
    if len(key) != rank or len(value) != rank:
        return None
    sequence = list(range(1, rank - 1))
    axes = args.get("attention_axes")
    attended = sequence if axes is None else sorted(a % rank for a in axes)
    other = [a for a in sequence if a not in attended]
    lengths = _terms([_length(s, sequence) for s in (query, key, value)], ("T_q", "T_k", "T_v"))
    att = _terms(
        [_length(query, attended), _length(key, attended), _length(query, other)],
        ("A_q", "A_k", "B_att"),
    )
    widths = _terms([query[-1], key[-1], value[-1], out_dim], ("E_q", "E_k", "E_v", "E_o"))
    if lengths is None or att is None or widths is None:
        return None
    h, dk, dv = Term(heads, "h"), Term(key_dim, "d_k"), Term(value_dim, "d_v")
    t_q, t_k, t_v = lengths
    scores: tuple[Formula, ...] = (h, t_q, t_k)
    if other:
        scores = (att[2], h, att[0], att[1])
    sizes = AttentionSizes(
        lengths=(t_q, t_k, t_v),
        widths=(widths[0], widths[1], widths[2], widths[3]),
        query_heads=(h, dk),
        key_heads=(h, dk),
        value_heads=(h, dv),
        scores=scores,
        score_key=dk,
        score_value=dv,
        gate_heads=(h, dv) if args.boolean("use_gate", default=False) else None,
    )
    return attention_macs(sizes)


def _projection(
    name: str, d: Term, heads: Term, size: Term, *, use_bias: bool
) -> tuple[Formula, list[Weight]]:
    """``(d+1)·h·size``: a per-head Dense from ``d`` features (an EinsumDense in Keras)."""
    formula = (d + 1) * heads * size if use_bias else d * heads * size
    weights = [Weight(f"{name}/kernel", (d.value, heads.value, size.value))]
    if use_bias:
        weights.append(Weight(f"{name}/bias", (heads.value, size.value)))
    return formula, weights


@rule("MultiHeadAttention", family=Family.ATTENTION)
def multi_head_attention(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``(d_q+1)·h·k + (d_k+1)·h·k + (d_v+1)·h·v + (h·v+1)·d_q``: four projections.

    Symbols: ``h`` the ``num_heads``, ``k`` the ``key_dim``, ``v`` the
    ``value_dim`` (default ``key_dim``), ``d_q``, ``d_k``, ``d_v`` the last axes of
    query, key and value. The query, key and value projections map each
    position to ``h`` heads; the output projection maps the ``h·v`` head values
    back to ``d_q`` (or to ``output_shape``). ``use_gate=True`` adds a gate
    projection ``(d_q+1)·h·v``; ``use_bias=False`` drops every ``+1``. The output
    has the query's shape.
    """
    query, value, key = _query_value_key(args, inputs)
    use_bias = args.boolean("use_bias", default=True)
    heads = Term(args.integer("num_heads"), "h")
    k = Term(args.integer("key_dim"), "k")
    v = Term(k.value if args.get("value_dim") is None else args.integer("value_dim"), "v")
    d_q = Term(args.known(query, -1, "query size"), "d_q")
    d_k = Term(args.known(key, -1, "key size"), "d_k")
    d_v = Term(args.known(value, -1, "value size"), "d_v")
    parts: list[Formula] = []
    weights: list[Weight] = []
    projections = [("query", d_q, k), ("key", d_k, k)]
    if args.boolean("use_gate", default=False):
        projections.append(("gate", d_q, v))
    projections.append(("value", d_v, v))
    for name, d, size in projections:
        f, w = _projection(name, d, heads, size, use_bias=use_bias)
        parts.append(f)
        weights.extend(w)
    out_dims = _output_dims(args, d_q.value)
    out: Formula = d_q
    if out_dims != (d_q.value,):
        out = Term(out_dims[0], "d_out" if len(out_dims) == 1 else "o_1")
        for i, extra in enumerate(out_dims[1:], start=2):
            out = out * Term(extra, f"o_{i}")
    hv = heads * v
    parts.append((hv + 1) * out if use_bias else hv * out)
    weights.append(Weight("attention_output/kernel", (heads.value, v.value, *out_dims)))
    if use_bias:
        weights.append(Weight("attention_output/bias", out_dims))
    formula = parts[0]
    for part in parts[1:]:
        formula = formula + part
    output = (*query[:-1], *out_dims)
    steps = (f"the query's shape with last axis {', '.join(map(str, out_dims))}",)
    macs = _mha_macs(
        args,
        (query, value, key),
        heads=heads.value,
        key_dim=k.value,
        value_dim=v.value,
        out_dim=math.prod(out_dims),
    )
    found = Explained(formula, tuple(weights), (output,), steps, macs=macs)
    return _with_scores(args, found, query, key, heads.value, symbolic_query_length=True)


def _output_dims(args: LayerArgs, d_q: int) -> tuple[int, ...]:
    value = args.get("output_shape")
    if value is None or value in ([], ()):
        return (d_q,)
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, (list, tuple)) or any(
        isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in value
    ):
        raise args.error("output_shape", "'output_shape' must be positive integers", value)
    return tuple(value)


@rule("GroupedQueryAttention", family=Family.ATTENTION)
def grouped_query_attention(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``(d+1)·h_q·k+(d+1)·h_kv·k+(d+1)·h_kv·k+(h_q·k+1)·d``: fewer key and value heads.

    Each key and value head serves ``h_q/h_kv`` query heads. Symbols: ``h_q`` the
    ``num_query_heads``, ``h_kv`` the ``num_key_value_heads``,
    ``k`` the ``head_dim``, ``d`` the feature size (last axis of query and value,
    which must be equal; ``d_k`` for the key). ``use_gate=True`` adds a gate
    projection ``(d+1)·h_q·k``. The output has the query's shape.
    """
    query, value, key = _query_value_key(args, inputs)
    use_bias = args.boolean("use_bias", default=True)
    h_q = Term(args.integer("num_query_heads"), "h_q")
    h_kv = Term(args.integer("num_key_value_heads"), "h_kv")
    if h_q.value % h_kv.value:
        raise args.error(
            "num_key_value_heads",
            f"num_query_heads={h_q.value} must be divisible by num_key_value_heads",
            h_kv.value,
        )
    head = Term(args.integer("head_dim"), "k")
    d = Term(args.known(query, -1, "query size"), "d")
    if value[-1] != d.value:
        raise args.error(
            None, f"query and value must have the same last axis, got {d.value} and {value[-1]}"
        )
    d_k = Term(args.known(key, -1, "key size"), "d_k" if key[-1] != d.value else "d")
    parts: list[Formula] = []
    weights: list[Weight] = []
    projections = [("query", d, h_q), ("key", d_k, h_kv)]
    if args.boolean("use_gate", default=False):
        projections.append(("gate", d, h_q))
    projections.append(("value", d, h_kv))
    for name, dim, heads in projections:
        f, w = _projection(name, dim, heads, head, use_bias=use_bias)
        parts.append(f)
        weights.extend(w)
    hk = h_q * head
    parts.append((hk + 1) * d if use_bias else hk * d)
    weights.append(Weight("attention_output/kernel", (h_q.value, head.value, d.value)))
    if use_bias:
        weights.append(Weight("attention_output/bias", (d.value,)))
    formula = parts[0]
    for part in parts[1:]:
        formula = formula + part
    found = Explained(
        formula,
        tuple(weights),
        (query,),
        ("the query's shape",),
        macs=_gqa_macs(args, (query, value, key), h_q.value, h_kv.value, head.value),
    )
    return _with_scores(args, found, query, key, h_q.value)


def _gqa_macs(
    args: LayerArgs, shapes: tuple[Shape, Shape, Shape], query_heads: int, kv_heads: int, head: int
) -> Formula | None:
    """GroupedQueryAttention onto the attention family: ``h_q`` query heads, ``h_kv`` others."""
    query, value, key = shapes
    if any(len(s) != 3 for s in (query, key, value)):  # noqa: PLR2004
        return None
    terms = _terms(
        [query[1], key[1], value[1], query[2], key[2], value[2]],
        ("T_q", "T_k", "T_v", "E_q", "E_k", "E_v"),
    )
    if terms is None:
        return None
    t_q, t_k, t_v, e_q, e_k, e_v = terms
    h_q, h_kv, d = Term(query_heads, "h_q"), Term(kv_heads, "h_kv"), Term(head, "d")
    sizes = AttentionSizes(
        lengths=(t_q, t_k, t_v),
        widths=(e_q, e_k, e_v, e_q),
        query_heads=(h_q, d),
        key_heads=(h_kv, d),
        value_heads=(h_kv, d),
        scores=(h_q, t_q, t_k),
        score_key=d,
        score_value=d,
        gate_heads=(h_q, d) if args.boolean("use_gate", default=False) else None,
        output_heads=(h_q, d),
    )
    return attention_macs(sizes)


def _product(dims: list[tuple[int | None, str]]) -> Formula | None:
    if any(v is None for v, _ in dims):
        return None
    return Product(tuple(Term(v or 0, s) for v, s in dims))


def _attention_output(query: Shape, value: Shape) -> tuple[Shape, str]:
    out = (*query[:-1], value[-1])
    return out, f"query {fmt_shape(query)} with the value's last axis → {fmt_shape(out)}"


@rule("Attention", family=Family.ATTENTION)
def dot_attention(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``0``, or 1 with ``use_scale`` and 1 with ``score_mode='concat'``: scalars only.

    Dot-product attention has no projections: its scores are ``query·keyᵀ``.
    ``use_scale=True`` learns one scalar ``scale``; ``score_mode='concat'``
    learns one scalar ``concat_score_weight``.
    """
    query, value, _ = _query_value_key(args, inputs)
    mode = args.choice("score_mode", ("dot", "concat"), "dot")
    weights = []
    if args.boolean("use_scale", default=False):
        weights.append(Weight("scale", ()))
    if mode == "concat":
        weights.append(Weight("concat_score_weight", ()))
    formula: Formula = Term(len(weights), "scalars")
    out, step = _attention_output(query, value)
    macs = None
    if mode == "dot" and len(query) == 3 and len(value) == 3:  # noqa: PLR2004
        terms = _terms([query[1], value[1], query[2], value[2]], ("T_q", "T_v", "d", "d_v"))
        macs = None if terms is None else dot_attention_macs(*terms)
    found = Explained(formula, tuple(weights), (out,), (step,), macs=macs)
    return _with_scores(args, found, query, value, 0)


@rule("AdditiveAttention", family=Family.ATTENTION)
def additive_attention(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``d`` with ``use_scale`` (the default), else ``0``: one scale per query feature.

    Symbols: ``d`` the query's last axis. Scores are
    ``Σ scale·tanh(query + key)`` over that axis.
    """
    query, value, _ = _query_value_key(args, inputs)
    weights: tuple[Weight, ...] = ()
    formula: Formula = Term(0)
    if args.boolean("use_scale", default=True):
        d = args.known(query, -1, "query size")
        weights = (Weight("scale", (d,)),)
        formula = Term(d, "d")
    out, step = _attention_output(query, value)
    macs = None
    if len(query) == 3 and len(value) == 3:  # noqa: PLR2004
        (_, t_q, width), (_, t_v, d_v) = query, value
        macs = _product([(t_q, "T_q"), (t_v, "T_v"), (d_v, "d_v")])
        scores = _product([(t_q, "T_q"), (t_v, "T_v"), (width, "d")])
        if macs is not None and args.boolean("use_scale", default=True):
            macs = None if scores is None else scores + macs
    found = Explained(formula, weights, (out,), (step,), macs=macs)
    return _with_scores(args, found, query, value, 0)
