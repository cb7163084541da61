"""torch.nn's Embedding and EmbeddingBag: a table of ``num_embeddings·embedding_dim``."""

from __future__ import annotations

from cnnexplain._formula import Term
from cnnexplain._rules._base import Explained, LayerArgs, Weight, fmt_shape
from cnnexplain._shapes import Shape
from cnnexplain._torch_rules._base import one_input, torch_rule

__all__ = ["embedding", "embedding_bag"]


def _table(args: LayerArgs) -> tuple[Term, Term, list[str]]:
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
    return Term(n, "num_embeddings"), Term(dim, "embedding_dim"), notes


@torch_rule("Embedding")
def embedding(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``num_embeddings·embedding_dim``; each index becomes a row: output ``(*input, dim)``."""
    shape = one_input(args, inputs)
    n, dim, notes = _table(args)
    return Explained(
        n * dim,
        (Weight("weight", (n.value, dim.value)),),
        ((*shape, dim.value),),
        (f"each index → a row of embedding_dim = {dim.value}",),
        "; ".join(notes),
        macs=Term(0),
    )


@torch_rule("EmbeddingBag")
def embedding_bag(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``num_embeddings·embedding_dim``; one row per bag (reduced by ``mode``)."""
    shape = one_input(args, inputs)
    n, dim, notes = _table(args)
    if len(shape) == 2:  # noqa: PLR2004
        bags = shape[0]
        step = f"{shape[0]} bags of {shape[1]} indices, each reduced by mode={args.get('mode')!r}"
    elif len(shape) == 1 and len(inputs) > 1 and len(inputs[1]) == 1:
        bags = inputs[1][0]
        step = f"one bag per offset ({bags}), reduced by mode={args.get('mode')!r}"
        if args.get("include_last_offset") and bags is not None:
            bags -= 1
    else:
        raise args.error(
            None, f"expects 2-D indices or 1-D indices and offsets, got {fmt_shape(shape)}"
        )
    return Explained(
        n * dim,
        (Weight("weight", (n.value, dim.value)),),
        ((bags, dim.value),),
        (step,),
        "; ".join(notes),
        macs=None,
    )
