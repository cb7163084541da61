"""torch.nn's Embedding and EmbeddingBag: a table of ``num_embeddings·embedding_dim``."""

from __future__ import annotations

from cnnexplain._formula import Formula, Term
from cnnexplain._rules.families.embedding import table
from cnnexplain._rules.protocol import Explained, LayerArgs, Weight, fmt_shape
from cnnexplain._rules.registry import torch_rule
from cnnexplain._rules.torch.args import one_input
from cnnexplain._shapes import Shape

__all__ = ["embedding", "embedding_bag"]


_SYMBOLS = ("num_embeddings", "embedding_dim")


def _table(args: LayerArgs) -> tuple[Formula, Weight, list[str]]:
    n = args.integer("num_embeddings")
    dim = args.integer("embedding_dim")
    notes = []
    padding_idx = args.get("padding_idx")
    if padding_idx is not None:
        notes.append(
            f"padding_idx={padding_idx}: that row is kept at zero (no gradient) but is still "
            "a parameter, counted"
        )
    if args.get("max_norm") is not None:
        notes.append("max_norm: rows are renormalized in place when looked up; same count")
    formula, weight = table(n, dim, symbols=_SYMBOLS, layout="torch")
    return formula, weight, notes


@torch_rule("Embedding")
def embedding(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``num_embeddings·embedding_dim``; each index becomes a row: output ``(*input, dim)``."""
    shape = one_input(args, inputs)
    formula, weight, notes = _table(args)
    dim = weight.shape[1]
    return Explained(
        formula,
        (weight,),
        ((*shape, dim),),
        (f"each index → a row of embedding_dim = {dim}",),
        "; ".join(notes),
        macs=Term(0),
    )


@torch_rule("EmbeddingBag")
def embedding_bag(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``num_embeddings·embedding_dim``; one row per bag (reduced by ``mode``).

    MACs: 0, a lookup and a pooling (sums, means and maxima are not
    multiply-accumulates, as for pooling); with ``per_sample_weights`` each row
    is scaled and summed, ``indices·embedding_dim`` per bag of 2-D indices
    (unknown per example for 1-D indices, whose bags differ in size).
    """
    shape = one_input(args, inputs)
    formula, weight, notes = _table(args)
    dim = weight.shape[1]
    macs: Formula | None = Term(0)
    if len(shape) == 2:  # noqa: PLR2004
        bags = shape[0]
        step = f"{shape[0]} bags of {shape[1]} indices, each reduced by mode={args.get('mode')!r}"
        if len(inputs) > 1:  # per_sample_weights (2-D indices take no offsets)
            macs = None if shape[1] is None else Term(shape[1], "N") * Term(dim, _SYMBOLS[1])
    elif len(shape) == 1 and len(inputs) > 1 and len(inputs[1]) == 1:
        bags = inputs[1][0]
        step = f"one bag per offset ({bags}), reduced by mode={args.get('mode')!r}"
        if args.get("include_last_offset") and bags is not None:
            bags -= 1
        if len(inputs) > 2:  # noqa: PLR2004 - per_sample_weights after the offsets
            macs = None
    else:
        raise args.error(
            None, f"expects 2-D indices or 1-D indices and offsets, got {fmt_shape(shape)}"
        )
    return Explained(
        formula,
        (weight,),
        ((bags, dim),),
        (step,),
        "; ".join(notes),
        macs=macs,
    )
