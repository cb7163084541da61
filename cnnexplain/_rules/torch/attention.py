"""torch.nn's MultiheadAttention: input projections, ``out_proj``, optional ``bias_k``/``bias_v``.

With ``kdim == vdim == embed_dim`` the three input projections are one
``in_proj_weight`` (3·embed_dim, embed_dim); otherwise three matrices
``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim), ``v_proj_weight`` (E, vdim).
"""

from __future__ import annotations

from cnnexplain._formula import Formula, Sum, Term
from cnnexplain._rules.families.attention import AttentionSizes, attention_macs
from cnnexplain._rules.protocol import Explained, Family, LayerArgs, Weight, fmt_shape
from cnnexplain._rules.registry import torch_rule
from cnnexplain._shapes import Shape

__all__ = ["multihead_attention"]


def _length_and_batch(shape: Shape, *, batch_first: bool) -> tuple[int | None, int | None]:
    if len(shape) == 2:  # noqa: PLR2004
        return shape[0], None
    return (shape[1], shape[0]) if batch_first else (shape[0], shape[1])


@torch_rule("MultiheadAttention", family=Family.ATTENTION)
def multihead_attention(args: LayerArgs, inputs: list[Shape]) -> Explained:  # noqa: C901, PLR0912, PLR0915
    """``embed_dim·(embed_dim+kdim+vdim)+3·embed_dim + (embed_dim+1)·embed_dim``.

    The input projections (and their biases, with ``bias=True``), then ``out_proj``;
    ``add_bias_kv`` adds ``2·embed_dim``. Outputs: ``attn_output`` and, with
    ``need_weights`` (the default), the attention weights averaged over heads.
    """
    if len(inputs) < 3:  # noqa: PLR2004
        raise args.error(None, f"takes query, key and value; got {len(inputs)} tensors")
    query, key, value = inputs[:3]
    e = args.integer("embed_dim")
    heads = args.integer("num_heads")
    kdim = args.integer("kdim", e)
    vdim = args.integer("vdim", e)
    batch_first = args.boolean("batch_first", default=False)
    bias = bool(args.get("in_proj_bias", True))
    bias_kv = bool(args.get("bias_k", False))
    if e % heads:
        raise args.error("num_heads", f"embed_dim={e} must be divisible by num_heads", heads)
    for what, shape, width in (("query", query, e), ("key", key, kdim), ("value", value, vdim)):
        if len(shape) not in (2, 3) or shape[-1] != width:
            raise args.error(
                None,
                f"expects the {what}'s last axis to have {width} values, got {fmt_shape(shape)}",
            )
    te = Term(e, "embed_dim")
    tk = Term(kdim, "kdim") if kdim != e else te
    tv = Term(vdim, "vdim") if vdim != e else te
    parts: list[Formula] = []
    same = kdim == e and vdim == e
    parts.append(Term(3) * te * te if same else te * (te + tk + tv))
    if bias:
        parts.append(Term(3) * te)
    parts.append((te + 1) * te if bias else te * te)
    if bias_kv:
        parts.append(Term(2) * te)
    formula = Sum(tuple(parts))
    if same:
        weights = [Weight("in_proj_weight", (3 * e, e))]
    else:
        weights = [
            Weight("q_proj_weight", (e, e)),
            Weight("k_proj_weight", (e, kdim)),
            Weight("v_proj_weight", (e, vdim)),
        ]
    if bias:
        weights.append(Weight("in_proj_bias", (3 * e,)))
    if bias_kv:
        weights += [Weight("bias_k", (1, 1, e)), Weight("bias_v", (1, 1, e))]
    weights.append(Weight("out_proj.weight", (e, e)))
    if bias:
        weights.append(Weight("out_proj.bias", (e,)))
    t_q, batch = _length_and_batch(query, batch_first=batch_first)
    t_k, _ = _length_and_batch(key, batch_first=batch_first)
    t_s = None if t_k is None else t_k + int(bias_kv) + int(bool(args.get("add_zero_attn")))
    out: Shape = (
        (t_q, e) if batch is None else ((batch, t_q, e) if batch_first else (t_q, batch, e))
    )
    outputs: tuple[Shape, ...] = (out,)
    call = args.get("call_kwargs") or {}
    if call.get("need_weights", True):
        average = call.get("average_attn_weights", True)
        scores: Shape = (t_q, t_s) if average else (heads, t_q, t_s)
        outputs = (out, scores if batch is None else (batch, *scores))
    macs = None
    if t_q is not None and t_k is not None and t_s is not None:
        lq, lk, ls = Term(t_q, "L"), Term(t_k, "S"), Term(t_s, "S")
        macs = attention_macs(
            AttentionSizes(
                lengths=(lq, lk, lk),
                widths=(te, tk, tv, te),
                query_heads=(te,),
                key_heads=(te,),
                value_heads=(te,),
                scores=(lq, ls),
                score_key=te,
                score_value=te,
            )
        )
    steps = (f"attn_output: {fmt_shape(out)}", f"head_dim = embed_dim/num_heads = {e // heads}")
    return Explained(formula, tuple(weights), outputs, steps, macs=macs)
