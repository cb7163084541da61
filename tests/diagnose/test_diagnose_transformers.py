"""diagnose(): transformer hand counts per block, on Hugging Face models built on the meta device.

Each model is built from a small config (never downloaded weights); the true
counts per unit (embeddings, each block, the final norm, the head) are read from
the model's own parameters (``numel()``), and the learner's wrong figures are
those counts with one mistake applied, written as a learner would.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import torch
from conftest import load_example

import cnnexplain
from cnnexplain import FindingKind

transformers = pytest.importorskip("transformers")

K = FindingKind


def build(config: Any) -> Any:
    with torch.device("meta"):
        return transformers.AutoModelForCausalLM.from_config(config)


def numel(module: Any) -> int:
    return sum(p.numel() for p in module.parameters())


def gpt2(**sizes: int) -> Any:
    return build(transformers.GPT2Config(**sizes))


SMALL_GPT2 = {"n_layer": 2, "n_embd": 64, "n_head": 4, "vocab_size": 1000, "n_positions": 128}


def gpt2_units(model: Any) -> dict[str, int]:
    """The learner's units, counted from the model's own parameters."""
    t = model.transformer
    units = {"wte": numel(t.wte), "wpe": numel(t.wpe)}
    units |= {f"h/{i}": numel(block) for i, block in enumerate(t.h)}
    units["ln_f"] = numel(t.ln_f)
    return units


def findings(d: cnnexplain.Diagnosis) -> list[tuple[FindingKind, int]]:
    assert sum(f.amount for f in d.findings) == d.gap
    return [(f.kind, f.amount) for f in d.findings]


def test_gpt2_tied_head_counted_twice_running_totals() -> None:
    model = gpt2(**SMALL_GPT2)
    units = gpt2_units(model)
    head = model.lm_head.weight.numel()  # the same tensor as wte's: V·d
    assert model.lm_head.weight is model.transformer.wte.weight
    hand = [*units.values(), head]
    d = cnnexplain.diagnose(model, running=list(itertools.accumulate(hand)))
    assert d.expected == numel(model)
    assert findings(d) == [(K.TIED_HEAD_COUNTED_TWICE, -head)]
    assert f"{head:,}" in d.findings[0].detail


def test_gpt2_full_size_tied_head() -> None:
    model = gpt2()  # GPT-2 small's default config: 124,439,808 parameters
    units = gpt2_units(model)
    head = model.lm_head.weight.numel()
    hand = list(itertools.accumulate([*units.values(), head]))
    d = cnnexplain.diagnose(model, running=hand)
    assert (d.expected, d.claimed) == (numel(model), numel(model) + head)
    assert (d.expected, d.claimed) == (124_439_808, 163_037_184)  # the figures learners see
    assert findings(d) == [(K.TIED_HEAD_COUNTED_TWICE, -50257 * 768)]


def test_gpt2_position_embeddings_forgotten_per_block() -> None:
    model = gpt2(**SMALL_GPT2)
    units = gpt2_units(model)
    wpe = units["wpe"]
    hand = {**units, "wpe": 0}
    d = cnnexplain.diagnose(model, per_layer=list(hand.values()))
    assert findings(d) == [(K.POSITION_EMBEDDINGS_FORGOTTEN, wpe)]
    assert "128·64" in d.findings[0].detail


def test_gpt2_qkv_biases_and_layernorms() -> None:
    model = gpt2(**SMALL_GPT2)
    units = gpt2_units(model)
    d_model = model.config.n_embd
    qkv_bias = model.transformer.h[0].attn.c_attn.bias.numel()
    hand = dict(units)
    for i in range(model.config.n_layer):
        hand[f"h/{i}"] -= qkv_bias  # the fused QKV projection's 3·d biases left out
    d = cnnexplain.diagnose(model, per_layer=list(hand.values()))
    blocks = model.config.n_layer
    assert findings(d) == [(K.QKV_BIAS_FORGOTTEN, qkv_bias)] * blocks

    hand = dict(units)
    for i in range(blocks):
        hand[f"h/{i}"] -= 2 * d_model  # two LayerNorms per block, each counted as d
    hand["ln_f"] -= d_model
    d = cnnexplain.diagnose(model, running=list(itertools.accumulate(hand.values())))
    assert findings(d) == [(K.LAYERNORM_ONE_VECTOR, 2 * d_model)] * blocks + [
        (K.LAYERNORM_ONE_VECTOR, d_model)
    ]


LLAMA = {
    "vocab_size": 1000,
    "hidden_size": 64,
    "intermediate_size": 160,
    "num_hidden_layers": 2,
    "num_attention_heads": 8,
    "num_key_value_heads": 2,
    "tie_word_embeddings": False,
}


def llama_units(model: Any) -> dict[str, int]:
    m = model.model
    units = {"embed_tokens": numel(m.embed_tokens)}
    units |= {f"layers/{i}": numel(layer) for i, layer in enumerate(m.layers)}
    units |= {"norm": numel(m.norm), "lm_head": numel(model.lm_head)}
    return units


def test_llama_gqa_swiglu_rmsnorm() -> None:
    model = build(transformers.LlamaConfig(**LLAMA))
    units = llama_units(model)
    assert sum(units.values()) == numel(model)
    attn, mlp = model.model.layers[0].self_attn, model.model.layers[0].mlp
    d_model = model.config.hidden_size
    layers = range(model.config.num_hidden_layers)

    # key/value projections counted as wide as the query projection
    extra = 2 * (attn.q_proj.weight.numel() - attn.k_proj.weight.numel())
    hand = {k: v + extra if k.startswith("layers/") else v for k, v in units.items()}
    d = cnnexplain.diagnose(model, per_layer=list(hand.values()))
    assert findings(d) == [(K.KV_HEADS_AS_QUERY_HEADS, -extra)] * len(layers)

    # SwiGLU counted as a two-matrix MLP (the gate left out)
    gate = mlp.gate_proj.weight.numel()
    hand = {k: v - gate if k.startswith("layers/") else v for k, v in units.items()}
    d = cnnexplain.diagnose(model, running=list(itertools.accumulate(hand.values())))
    assert findings(d) == [(K.SWIGLU_AS_TWO_MATRICES, gate)] * len(layers)
    two = mlp.up_proj.weight.numel() + mlp.down_proj.weight.numel()
    assert f"two matrices, {two:,}; SwiGLU has three" in d.findings[0].detail
    assert f"projections): {numel(mlp):,}, the gate (gate_proj) adding {gate:,}" in (
        d.findings[0].detail
    )

    # RMSNorm counted as two vectors (scale and shift), two per block and the final one
    hand = dict(units)
    for i in layers:
        hand[f"layers/{i}"] += 2 * d_model
    hand["norm"] += d_model
    d = cnnexplain.diagnose(model, per_layer=list(hand.values()))
    assert findings(d) == [(K.RMSNORM_TWO_VECTORS, -2 * d_model)] * len(layers) + [
        (K.RMSNORM_TWO_VECTORS, -d_model)
    ]


def test_mixtral_experts_counted_once() -> None:
    config = transformers.MixtralConfig(
        **{k: v for k, v in LLAMA.items() if k != "tie_word_embeddings"},
        num_local_experts=4,
        num_experts_per_tok=2,
    )
    model = build(config)
    units = llama_units(model)
    experts = numel(model.model.layers[0].mlp.experts)
    one = experts // config.num_local_experts
    hand = {k: v - experts + one if k.startswith("layers/") else v for k, v in units.items()}
    d = cnnexplain.diagnose(model, per_layer=list(hand.values()))
    assert findings(d) == [(K.EXPERTS_COUNTED_ONCE, experts - one)] * config.num_hidden_layers
    assert f"{config.num_local_experts} experts (experts), {experts:,} in all" in (
        d.findings[0].detail
    )


def test_mistakes_page_checks_transformers_against_numel() -> None:
    """The page's `show` verifies each unit with ``numel()`` and stops on a wrong diagnosis."""
    page = load_example("diagnose_mistakes")
    models = load_example("mistake_transformers")
    model = models.gpt2_small()
    units = gpt2_units(model)
    d = cnnexplain.diagnose(model, per_layer=list({**units, "wpe": 0}.values()))
    shown = page.show(d, "position_embeddings_forgotten", model)
    assert "verified against PyTorch" in shown
    assert f"= {page.count_latex(numel(model))}\n" in shown
    for count in units.values():
        assert f"| {count:,} |" in shown
    with pytest.raises(ValueError, match=r"expected tied_head_counted_twice, found"):
        page.show(d, "tied_head_counted_twice", model)
    other = gpt2(**{**SMALL_GPT2, "n_positions": 64})  # same layers, fewer positions
    with pytest.raises(ValueError, match="PyTorch counts"):
        page.torch_counts(d, other)
