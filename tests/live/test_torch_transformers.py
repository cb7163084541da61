"""Real architectures from Hugging Face transformers, built from configs on the meta device.

No weights are downloaded: each model is constructed from a config (small
where the full one is slow to build), under ``torch.device("meta")``. Each is
explained with and without an input; torch's ``numel()`` is the oracle (tied
tensors counted once), no row may be unexplained, and the blocks every
transformer is built from (GPT-2's Conv1D, RMSNorm copies, stacked experts)
must get a formula from the module's own sizes: ``from_shapes`` is 0. T5's
``shared`` table and Mamba's ``conv1d`` and ``dt_proj`` (whose weights the
mixer uses directly) are modules the forward never calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch

from cnnexplain import Breakdown, explain

transformers = pytest.importorskip("transformers")


def _ids(n: int) -> torch.Tensor:
    return torch.zeros(1, n, dtype=torch.long)


def _on_meta(config: Any, cls: Any) -> torch.nn.Module:
    with torch.device("meta"):
        model: torch.nn.Module = cls(config)
    return model


T = transformers
SMALL = {"num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 1000}
MODELS: dict[str, tuple[Callable[[], torch.nn.Module], Callable[[], dict[str, torch.Tensor]]]] = {
    "gpt2": (  # the default config: GPT-2 small, 124M parameters (cheap on meta)
        lambda: _on_meta(T.GPT2Config(), T.GPT2LMHeadModel),
        lambda: {"input_ids": _ids(8)},
    ),
    "bert": (
        lambda: _on_meta(
            T.BertConfig(hidden_size=64, num_hidden_layers=2, **SMALL), T.BertForMaskedLM
        ),
        lambda: {"input_ids": _ids(8)},
    ),
    "t5": (  # tied embeddings, encoder-decoder; `shared` is never called
        lambda: _on_meta(
            T.T5Config(d_model=64, d_kv=16, d_ff=128, num_layers=2, num_heads=4, vocab_size=1000),
            T.T5ForConditionalGeneration,
        ),
        lambda: {"input_ids": _ids(8), "decoder_input_ids": _ids(3)},
    ),
    "llama": (  # grouped-query attention, RMSNorm, SwiGLU
        lambda: _on_meta(
            T.LlamaConfig(hidden_size=64, num_hidden_layers=2, num_key_value_heads=2, **SMALL),
            T.LlamaForCausalLM,
        ),
        lambda: {"input_ids": _ids(8)},
    ),
    "mixtral": (  # stacked experts
        lambda: _on_meta(
            T.MixtralConfig(
                hidden_size=64,
                num_hidden_layers=2,
                num_key_value_heads=2,
                num_local_experts=4,
                num_experts_per_tok=2,
                **SMALL,
            ),
            T.MixtralForCausalLM,
        ),
        lambda: {"input_ids": _ids(8)},
    ),
    "mamba": (  # its mixer uses conv1d's and dt_proj's weights directly: never called
        lambda: _on_meta(
            T.MambaConfig(hidden_size=64, num_hidden_layers=2, vocab_size=1000, state_size=8),
            T.MambaModel,
        ),
        lambda: {"input_ids": _ids(8)},
    ),
    "vit": (
        lambda: _on_meta(
            T.ViTConfig(
                hidden_size=64,
                num_hidden_layers=2,
                num_attention_heads=4,
                intermediate_size=128,
                image_size=32,
                patch_size=8,
            ),
            T.ViTForImageClassification,
        ),
        lambda: {"pixel_values": torch.zeros(1, 3, 32, 32)},
    ),
    "whisper": (
        lambda: _on_meta(
            T.WhisperConfig(
                d_model=64,
                encoder_layers=2,
                decoder_layers=2,
                encoder_attention_heads=4,
                decoder_attention_heads=4,
                encoder_ffn_dim=128,
                decoder_ffn_dim=128,
                num_mel_bins=16,
                max_source_positions=50,
                vocab_size=1000,
                pad_token_id=0,
                bos_token_id=1,
                eos_token_id=2,
                decoder_start_token_id=3,
            ),
            T.WhisperForConditionalGeneration,
        ),
        lambda: {"input_features": torch.zeros(1, 16, 100), "decoder_input_ids": _ids(3)},
    ),
}


@pytest.fixture(scope="session")
def built() -> dict[str, tuple[torch.nn.Module, Breakdown, Breakdown]]:
    """Each model, explained without an input and with one (built once for the session)."""
    found = {}
    for name, (make, inputs) in MODELS.items():
        model = make()
        found[name] = (model, explain(model), explain(model, input_data=inputs()))
    return found


def _numel(model: torch.nn.Module) -> tuple[int, int]:
    params = list(model.parameters())  # each tensor once, as torch dedups tied ones
    return sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_counts_equal_numel_with_and_without_input(
    built: dict[str, tuple[torch.nn.Module, Breakdown, Breakdown]], name: str
) -> None:
    model, without, with_input = built[name]
    for b in (without, with_input):
        assert (b.total, b.trainable) == _numel(model)
        assert b.unexplained == []
        assert b.from_shapes == 0, [(p, r.note) for p, r in b.walk() if r.from_shapes]
    assert "a sample input" in without.note
    assert [p for p, _ in without.walk()] == [p for p, _ in with_input.walk()]


def test_gpt2_default_is_124m_and_conv1d_speaks_its_names(
    built: dict[str, tuple[torch.nn.Module, Breakdown, Breakdown]],
) -> None:
    model, without, with_input = built["gpt2"]
    assert with_input.total == _numel(model)[0] == 124_439_808  # the figure GPT-2 small is known by
    rows = dict(with_input.walk())
    c_attn = rows["transformer/h/0/attn/c_attn"]
    assert c_attn.formula.symbols() == "(nx+1)·nf"
    assert c_attn.formula.text() == "(768+1)·2304"
    assert "recognised from its weights" in c_attn.note
    assert c_attn.output_shape == (1, 8, 2304)
    assert rows["transformer/h/0/attn/c_proj"].formula.symbols() == "(nx+1)·nf"
    assert rows["lm_head"].params == 0
    assert "same tensor as transformer.wte.weight" in rows["lm_head"].note
    assert dict(without.walk())["transformer/h/0/attn/c_attn"].output_shape == ()


def test_llama_rmsnorm_and_mixtral_experts_get_formulas(
    built: dict[str, tuple[torch.nn.Module, Breakdown, Breakdown]],
) -> None:
    _, llama, _ = built["llama"]
    norm = dict(llama.walk())["model/layers/0/input_layernorm"]
    assert norm.formula.symbols() == "hidden_size"
    assert "one vector over the feature axis" in norm.note
    _, mixtral, with_input = built["mixtral"]
    experts = dict(mixtral.walk())["model/layers/0/mlp/experts/(parameters)"]
    assert experts.formula.symbols() == (
        "gate_up_proj: num_experts·2·intermediate_dim·hidden_dim"
        "+down_proj: num_experts·hidden_dim·intermediate_dim"
    )
    assert "stacked experts" in experts.note
    # the grouped expert kernel has no float32 meta kernel: counts stay, the note says where
    assert "in its submodule 'model.layers.0.mlp.experts' (MixtralExperts)" in with_input.note


def test_t5_credits_the_shared_table_where_the_forward_uses_it(
    built: dict[str, tuple[torch.nn.Module, Breakdown, Breakdown]],
) -> None:
    model, _, with_input = built["t5"]
    rows = dict(with_input.walk())
    shared = rows["shared"]
    assert shared.params == 0
    assert "not called on this input" in shared.note
    assert "same tensor as encoder.embed_tokens.weight" in shared.note
    assert rows["encoder/embed_tokens"].params == model.get_parameter("shared.weight").numel()
    assert rows["decoder/embed_tokens"].params == 0
    norm = rows["encoder/block/0/layer/0/layer_norm"]
    assert norm.formula.symbols() == "d_model"


def test_mamba_modules_the_forward_bypasses_are_explained_and_marked(
    built: dict[str, tuple[torch.nn.Module, Breakdown, Breakdown]],
) -> None:
    _, _, with_input = built["mamba"]
    rows = dict(with_input.walk())
    for name in ("conv1d", "dt_proj"):
        row = rows[f"layers/0/mixer/{name}"]
        assert row.explained
        assert "not called on this input" in row.note
        assert row.output_shape == ()
    assert rows["layers/0/mixer/in_proj"].output_shape == (1, 8, 256)
    own = rows["layers/0/mixer/(parameters)"]  # A_log and D: no dense layer, sizes named
    assert own.formula.symbols() == "A_log: intermediate_size·ssm_state_size+D: intermediate_size"
