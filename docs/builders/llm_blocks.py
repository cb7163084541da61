"""The "Modern LLM blocks" page: what each design choice adds, and configs shaped like known models.

Every count comes from building a configuration with Hugging Face
``transformers`` on the meta device (shapes, no memory, no download), explaining
it with `cnnexplain.explain` and checking the total against ``numel()``. A
change's formula is checked against the difference of two built models, so a
formula that is wrong stops the build.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cnnexplain import explain


def _n(value: int) -> str:
    sign = "-" if value < 0 else ""
    return sign + f"{abs(value):,}".replace(",", "{,}")


def count(config: Any) -> int:
    """A configuration's parameters: built on the meta device, explained, checked.

    Raises:
        ValueError: if cnnexplain's total is not the sum of ``numel()``.
    """
    import torch  # noqa: PLC0415
    from transformers import AutoModelForCausalLM  # noqa: PLC0415

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    total = explain(model).total
    numel = sum(p.numel() for p in model.parameters())
    if total != numel:
        raise ValueError(f"{type(config).__name__}: {total:,} against numel() {numel:,}")
    return total


@dataclass(frozen=True)
class Change:
    """One design choice: the configuration changed, and the change's formula."""

    choice: str
    change: dict[str, Any]
    latex: str
    formula: Callable[[Any, Any], int]  # of the base and the changed configuration


def _dh(c: Any) -> int:
    return int(c.head_dim)


CHANGES = (
    Change(
        "grouped-query attention: 8 key/value heads",
        {"num_key_value_heads": 8},
        r"-2 L \cdot d \cdot (h - h_{kv}) \cdot d_h",
        lambda c, n: (
            -2
            * c.num_hidden_layers
            * c.hidden_size
            * (c.num_attention_heads - n.num_key_value_heads)
            * _dh(c)
        ),
    ),
    Change(
        "the head tied to the token embedding",
        {"tie_word_embeddings": True},
        r"-V \cdot d",
        lambda c, _: -c.vocab_size * c.hidden_size,
    ),
    Change(
        "biases on the attention projections",
        {"attention_bias": True},
        r"L \cdot (h \cdot d_h + 2 h_{kv} \cdot d_h + d)",
        lambda c, _: (
            c.num_hidden_layers
            * (c.num_attention_heads * _dh(c) + 2 * c.num_key_value_heads * _dh(c) + c.hidden_size)
        ),
    ),
    Change(
        "biases in the MLP",
        {"mlp_bias": True},
        r"L \cdot (2 d_{\mathrm{ff}} + d)",
        lambda c, _: c.num_hidden_layers * (2 * c.intermediate_size + c.hidden_size),
    ),
)


def changes_table(base: Any) -> str:
    """A Markdown table: each choice's count, and its change checked against its formula.

    Raises:
        ValueError: if a built difference is not its formula's.
    """
    from transformers import MixtralConfig  # noqa: PLC0415

    base_total = count(base)
    lines = [
        f"The base has {base_total:,} parameters.",
        "",
        "| Choice | Change | Formula of the change |",
        "|---|---:|---|",
    ]
    for change in CHANGES:
        config = type(base)(**{**base.to_dict(), **change.change})
        total = count(config)
        expected = change.formula(base, config)
        if total - base_total != expected:
            raise ValueError(f"{change.choice}: built {total - base_total:,}, formula {expected:,}")
        lines.append(f"| {change.choice} | {expected:+,} | ${change.latex}$ |")
    experts, top_k = 8, 2
    moe = MixtralConfig(
        vocab_size=base.vocab_size,
        hidden_size=base.hidden_size,
        intermediate_size=base.intermediate_size,
        num_hidden_layers=base.num_hidden_layers,
        num_attention_heads=base.num_attention_heads,
        num_key_value_heads=base.num_key_value_heads,
        head_dim=_dh(base),
        tie_word_embeddings=base.tie_word_embeddings,
        num_local_experts=experts,
        num_experts_per_tok=top_k,
    )
    total = count(moe)
    d, f, layers = base.hidden_size, base.intermediate_size, base.num_hidden_layers
    expected = layers * ((experts - 1) * 3 * d * f + d * experts)
    if total - base_total != expected:
        raise ValueError(f"experts: built {total - base_total:,}, formula {expected:,}")
    lines.append(
        f"| {experts} experts and a router ({top_k} used per token) | {expected:+,} | "
        f"$L \\cdot ((E - 1) \\cdot 3 d \\cdot d_{{\\mathrm{{ff}}}} + d \\cdot E)$ |"
    )
    return "\n".join(lines)


def shaped_like() -> list[tuple[str, Any]]:
    """Configurations shaped like published models (their sizes as in their papers' tables)."""
    from transformers import (  # noqa: PLC0415
        GPT2Config,
        LlamaConfig,
        MistralConfig,
        MixtralConfig,
    )

    return [
        ("GPT-2 small", GPT2Config()),
        (
            "Llama-3.2-1B",
            LlamaConfig(
                vocab_size=128256,
                hidden_size=2048,
                intermediate_size=8192,
                num_hidden_layers=16,
                num_attention_heads=32,
                num_key_value_heads=8,
                tie_word_embeddings=True,
            ),
        ),
        ("Llama-2-7B", LlamaConfig()),
        ("Mistral-7B", MistralConfig()),
        ("Mixtral-8x7B", MixtralConfig()),
    ]


def configs_table() -> str:
    """A Markdown table of the configurations, each built and counted."""
    header = r"| Shaped like | Parameters | $d$ | $L$ | $h / h_{kv}$ | $d_{\mathrm{ff}}$ |"
    lines = [
        header + " $V$ | head |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, c in shaped_like():
        total = count(c)
        d = getattr(c, "hidden_size", None) or c.n_embd
        layers = getattr(c, "num_hidden_layers", None) or c.n_layer
        heads = getattr(c, "num_attention_heads", None) or c.n_head
        kv = getattr(c, "num_key_value_heads", None) or heads
        inner = getattr(c, "intermediate_size", None) or (getattr(c, "n_inner", None) or 4 * d)
        experts = getattr(c, "num_local_experts", 1)
        tied = "tied" if c.tie_word_embeddings else "untied"
        mlp = f"{experts} × {inner}" if experts > 1 else f"{inner}"
        lines.append(
            f"| {name} | {total:,} | {d} | {layers} | {heads} / {kv} | {mlp} | "
            f"{c.vocab_size} | {tied} |"
        )
    return "\n".join(lines)
