"""KerasHub models built from constructor arguments (never a preset): totals, tied weights.

Each model is built once per session at a small size; GPT-2 at its published
size is built once too (a few seconds). Keras is the oracle for every figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

import cnnexplain

hub = pytest.importorskip("keras_hub")

Builder = Callable[[Any], Any]


def _gpt2(m: Any) -> Any:
    backbone = m.GPT2Backbone(
        vocabulary_size=96, num_layers=2, num_heads=2, hidden_dim=16,
        intermediate_dim=32, max_sequence_length=24,
    )  # fmt: skip
    return m.GPT2CausalLM(backbone=backbone, preprocessor=None)


def _bert_mlm(m: Any) -> Any:
    backbone = m.BertBackbone(
        vocabulary_size=100, num_layers=2, num_heads=2, hidden_dim=16,
        intermediate_dim=32, max_sequence_length=16,
    )  # fmt: skip
    return m.BertMaskedLM(backbone=backbone, preprocessor=None)


def _llama(m: Any) -> Any:
    backbone = m.LlamaBackbone(
        vocabulary_size=100, num_layers=2, num_query_heads=4, num_key_value_heads=2,
        hidden_dim=16, intermediate_dim=32,
    )  # fmt: skip
    return m.LlamaCausalLM(backbone=backbone, preprocessor=None)


def _gemma(m: Any) -> Any:
    backbone = m.GemmaBackbone(
        vocabulary_size=100, num_layers=2, num_query_heads=2, num_key_value_heads=1,
        hidden_dim=16, intermediate_dim=32, head_dim=8,
    )  # fmt: skip
    return m.GemmaCausalLM(backbone=backbone, preprocessor=None)


def _bart(m: Any) -> Any:
    backbone = m.BartBackbone(
        vocabulary_size=100, num_layers=2, num_heads=2, hidden_dim=16,
        intermediate_dim=32, max_sequence_length=16,
    )  # fmt: skip
    return m.BartSeq2SeqLM(backbone=backbone, preprocessor=None)


def _mixtral(m: Any) -> Any:
    backbone = m.MixtralBackbone(
        vocabulary_size=100, num_layers=1, num_query_heads=4, num_key_value_heads=2,
        hidden_dim=16, intermediate_dim=32, num_experts=4, top_k=2,
    )  # fmt: skip
    return m.MixtralCausalLM(backbone=backbone, preprocessor=None)


def _vit(m: Any) -> Any:
    return m.ViTBackbone(
        image_shape=(32, 32, 3), patch_size=8, num_layers=2, num_heads=2, hidden_dim=24,
        mlp_dim=48,
    )  # fmt: skip


BUILDERS: dict[str, Builder] = {
    "gpt2_causal_lm": _gpt2,
    "bert_masked_lm": _bert_mlm,
    "llama_causal_lm": _llama,
    "gemma_causal_lm": _gemma,
    "bart_seq2seq_lm": _bart,
    "mixtral_causal_lm": _mixtral,
    "vit_backbone": _vit,
}
"""Small KerasHub tasks and backbones, by name."""


@pytest.fixture(scope="session")
def hub_models(keras: Any) -> dict[str, Any]:
    """Every model of `BUILDERS`, built once."""
    del keras
    return {name: build(hub.models) for name, build in BUILDERS.items()}


def _trainable(model: Any) -> int:
    return sum(int(w.numpy().size) for w in model.trainable_weights)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_hub_model_totals_equal_keras(hub_models: dict[str, Any], name: str) -> None:
    model = hub_models[name]
    b = cnnexplain.explain(model)
    assert (b.total, b.trainable) == (model.count_params(), _trainable(model))
    assert [p for p, row in b.walk() if not row.explained] == []
    assert [p for p, row in b.walk() if "Keras reports" in row.note] == []
    assert b.from_shapes == 0  # every weight a layer creates is sized by its arguments


def test_own_weights_are_named_by_the_arguments_they_equal(hub_models: dict[str, Any]) -> None:
    b = cnnexplain.explain(hub_models["gpt2_causal_lm"])
    rows = dict(b.walk())
    position = rows["gpt2_backbone/position_embedding/embeddings"]
    layer = hub_models["gpt2_causal_lm"].backbone.get_layer("position_embedding")
    assert position.formula.symbols() == "embeddings"
    assert position.formula.inner.symbols() == "sequence_length·n_in"  # type: ignore[attr-defined]
    assert position.note.endswith("of shape (24, 16) = sequence_length·n_in")
    assert int(position.formula) == layer.count_params()
    moe = cnnexplain.explain(hub_models["mixtral_causal_lm"])
    experts = [(p, r) for p, r in moe.walk() if p.endswith("experts/expert_feedforward_gate_dense")]
    ((_, gate),) = experts
    assert gate.formula.inner.symbols() == "num_experts·hidden_dim·intermediate_dim"  # type: ignore[attr-defined]


def test_a_weight_no_argument_sizes_is_counted_from_its_shape(keras: Any) -> None:
    class Scale(keras.layers.Layer):  # type: ignore[misc]
        def build(self, input_shape: Any) -> None:
            self.w = self.add_weight(shape=(7, input_shape[-1]), name="w")

        def call(self, x: Any) -> Any:
            return x * keras.ops.sum(self.w, axis=0)

    x = keras.Input((3,))
    model = keras.Model(x, Scale(name="scale")(x))
    b = cnnexplain.explain(model)
    (w,) = b.rows[0].children
    assert b.from_shapes == w.from_shapes == w.params == model.count_params()
    assert w.note.endswith(", counted from its shape (a size no argument of the layer gives)")
    assert "Counted from weight shapes only: 21" in b.to_text()


def test_reverse_embedding_reuses_the_backbones_matrix(hub_models: dict[str, Any]) -> None:
    model = hub_models["gpt2_causal_lm"]
    b = cnnexplain.explain(model)
    rows = dict(b.walk())
    embedding = model.backbone.token_embedding
    owner = rows["gpt2_backbone/token_embedding"]
    assert owner.params == embedding.count_params()
    reused = rows["token_embedding"]
    assert (reused.params, reused.reuses) == (0, "gpt2_backbone/token_embedding")
    vocab, dim = embedding.embeddings.shape
    assert reused.note == (
        f"reuses gpt2_backbone/token_embedding's embeddings ({vocab}, {dim}): "
        "0 new parameters, counted once there"
    )
    assert reused.output_shape == (None, None, vocab)  # the reverse call's logits


def test_masked_lm_head_tied_to_the_embedding(hub_models: dict[str, Any]) -> None:
    model = hub_models["bert_masked_lm"]
    b = cnnexplain.explain(model)
    rows = dict(b.walk())
    head = model.get_layer("mlm_head")
    tied = rows["mlm_head/token_embedding"]
    assert (tied.params, tied.reuses) == (0, "bert_backbone/token_embedding")
    own = {id(w) for w in head.weights} - {id(model.backbone.token_embedding.embeddings)}
    assert rows["mlm_head"].params == sum(int(w.numpy().size) for w in head.weights if id(w) in own)


def test_gpt2_at_published_size(keras: Any) -> None:
    """GPT-2 base (124M): the tied output projection counted once, as Keras counts it."""
    del keras
    m = hub.models
    backbone = m.GPT2Backbone(
        vocabulary_size=50257, num_layers=12, num_heads=12, hidden_dim=768,
        intermediate_dim=3072, max_sequence_length=1024,
    )  # fmt: skip
    model = m.GPT2CausalLM(backbone=backbone, preprocessor=None)
    b = cnnexplain.explain(model)
    assert b.total == model.count_params() == backbone.count_params()
    assert [r.params for r in b.rows] == [backbone.count_params(), 0]


def test_a_row_disagreement_is_a_note_not_an_abort(
    keras: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule whose output shape disagrees with Keras marks its row; the rest is explained."""
    import cnnexplain._evaluate as evaluate

    found = evaluate.find_rule  # type: ignore[attr-defined]

    def wrong_shape(class_name: str) -> Any:
        rule = found(class_name)
        if class_name != "Dense" or rule is None:
            return rule
        return lambda args, shapes: replace(
            rule(args, shapes), outputs=((7, args.config["units"]),)
        )

    monkeypatch.setattr(evaluate, "find_rule", wrong_shape)
    x = keras.Input((3,))
    h = keras.layers.Dense(4, name="first")(x)
    model = keras.Model(x, keras.layers.Dense(2, name="out")(h))
    b = cnnexplain.explain(model)
    first = b.rows[0]
    assert first.params == model.get_layer("first").count_params()
    assert first.note.split("; ")[-1] == (
        "Keras reports output_shape (None, 4), cnnexplain computes (7, 4)"
    )
    assert first.explained  # its count is the rule's, and right
    assert b.rows[1].params == model.get_layer("out").count_params()
    b.verify()  # the marked rows are not raised again; the totals are still checked
    assert b.total == model.count_params()


def test_unbuilt_weightless_sublayer_is_not_asked_to_count(keras: Any) -> None:
    """A custom layer holding a Dense it never calls: Keras refuses count_params() on it."""

    class Block(keras.layers.Layer):  # type: ignore[misc]
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.dense = keras.layers.Dense(4, name="dense")
            self.unused = keras.layers.Dense(5, name="unused")  # never built: no weights

        def build(self, input_shape: Any) -> None:
            self.dense.build(input_shape)

        def call(self, x: Any) -> Any:
            return self.dense(x)

    x = keras.Input((3,))
    model = keras.Model(x, Block(name="block")(x))
    with pytest.raises(ValueError, match="isn't built"):
        model.get_layer("block").unused.count_params()
    b = cnnexplain.explain(model)
    assert b.total == model.count_params()
    assert [c.name for c in b.rows[0].children] == ["dense", "unused"]
