"""Embedding: a lookup table of vectors, one per token id."""

from __future__ import annotations

from collections.abc import Mapping

from cnnexplain._formula import Formula, Term
from cnnexplain._rules.families.embedding import table
from cnnexplain._rules.protocol import NO_MACS, Explained, LayerArgs, NoRule, Weight, fmt_shape
from cnnexplain._rules.registry import rule
from cnnexplain._shapes import Shape

__all__ = ["embedding", "refuse_quantized"]


def refuse_quantized(args: LayerArgs, *, macs: Formula | None = None) -> None:
    """Quantized layers hold packed weights and scales: leave their count to Keras.

    ``macs``, when given, still holds for the quantized layer.
    """
    dtype = args.get("dtype")
    quantized = isinstance(dtype, Mapping) and "Quantized" in str(dtype.get("class_name", ""))
    if quantized or args.get("quantization_config") is not None:
        raise NoRule(f"quantized {args.class_name}", macs=macs)


@rule("Embedding")
def embedding(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``V·d``: one vector of ``d`` values per token id.

    Symbols: ``V`` the ``input_dim`` (vocabulary size), ``d`` the ``output_dim``.
    The output adds an axis of ``d`` to the input's shape. With ``lora_rank=r``
    the table is frozen and two trainable factors are added: ``+ r·(V+d)``.
    """
    refuse_quantized(args, macs=NO_MACS)
    (shape,) = inputs
    v = Term(args.integer("input_dim"), "V")
    d = Term(args.integer("output_dim"), "d")
    rank = args.get("lora_rank")
    formula, kept = table(v.value, d.value, symbols=("V", "d"), layout="keras", trainable=not rank)
    weights = [kept]
    note = ""
    if rank:
        r = Term(args.integer("lora_rank"), "r")
        formula = formula + r * (v + d)
        weights += [
            Weight("lora_embeddings_a", (v.value, r.value)),
            Weight("lora_embeddings_b", (r.value, d.value)),
        ]
        note = "LoRA: the embeddings are frozen; only the two rank-r factors train"
    out = (*shape, d.value)
    step = f"{fmt_shape(shape)} + one axis of output_dim = {d.value}"
    return Explained(formula, tuple(weights), (out,), (step,), note, macs=NO_MACS)  # a lookup
