"""KerasHub models built from constructor arguments (never a preset): totals, tied weights.

Each model is built once per session at a small size; GPT-2 at its published
size is built once too (a few seconds). Keras is the oracle for every figure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
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
    assert b.to_dict()["from_shapes"] == w.params


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
    assert b.to_dict()["rows"][-1]["reuses"] == "gpt2_backbone/token_embedding"


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
    from cnnexplain._graph import evaluate

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


# --- files: explained from what they hold, without TensorFlow ----------------------------------

HEAVY = (
    "sorted(m for m in sys.modules"
    " if m.split('.')[0] in ('tensorflow', 'keras', 'keras_hub', 'tf_keras', 'numpy'))"
)


@pytest.fixture(scope="session")
def hub_files(
    hub_models: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Each KerasHub model saved once (``model.save``): constructor arguments and weights."""
    folder = tmp_path_factory.mktemp("keras_hub")
    paths = {}
    for name, model in hub_models.items():
        paths[name] = folder / f"{name}.keras"
        model.save(paths[name])
    return paths


@pytest.mark.parametrize("name", list(BUILDERS))
def test_hub_file_totals_equal_keras(
    hub_models: dict[str, Any], hub_files: dict[str, Path], name: str
) -> None:
    b = cnnexplain.explain(hub_files[name])
    assert b.total == hub_models[name].count_params()
    live = cnnexplain.explain(hub_models[name])
    top = {row.name: row.params for row in live.rows if row.params}
    assert {row.name: row.params for row in b.rows} == top  # the same layers own the weights


def test_hub_file_names_weights_by_the_config(hub_files: dict[str, Path]) -> None:
    b = cnnexplain.explain(hub_files["gpt2_causal_lm"])
    rows = dict(b.walk())
    token = rows["gpt2_backbone/token_embedding/vars/0"]
    assert token.note.endswith("= vocabulary_size·hidden_dim")
    dense = rows["gpt2_backbone/transformer_layer_0/feedforward_intermediate_dense"]
    assert str(dense.formula) == "(16+1)·32"
    assert dense.note.startswith("its class is not recorded; its weights are shaped as a Dense's")
    assert dense.output_shape == ()  # derived from weights: the activation's shape is unknown
    attention = rows["gpt2_backbone/transformer_layer_0/self_attention"]
    assert attention.note.startswith("its class is not recorded; its weights are shaped as a Mu")
    assert b.from_shapes == 0  # every size is an argument's, or a rule's over the weights


def test_hub_files_by_the_command_line_without_tensorflow(
    hub_models: dict[str, Any], hub_files: dict[str, Path]
) -> None:
    paths = [str(hub_files[name]) for name in BUILDERS]
    code = (
        "import sys, cnnexplain\n"
        "from cnnexplain._cli import main\n"
        f"totals = [cnnexplain.explain(p).total for p in {paths!r}]\n"
        f"assert all(main([p, '--format', 'json']) == 0 for p in {paths!r})\n"
        f"print(totals, {HEAVY})\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSTARTUP"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env
    )
    assert result.returncode == 0, result.stderr
    totals = [hub_models[name].count_params() for name in BUILDERS]
    assert result.stdout.strip().splitlines()[-1] == f"{totals} []"


# --- keras.io-style custom code saved to files -------------------------------------------------


def _custom_classes(keras: Any) -> dict[str, type]:  # noqa: C901 - one class each
    layers = keras.layers
    register = keras.saving.register_keras_serializable(package="test_keras_hub")

    @register
    class Antirectifier(layers.Layer):  # type: ignore[misc,name-defined]
        """keras.io's antirectifier: a weight of its own, no sublayer."""

        def __init__(self, units: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape: Any) -> None:
            self.kernel = self.add_weight(shape=(2 * input_shape[-1], self.units), name="kernel")

        def call(self, x: Any) -> Any:
            x = x - keras.ops.mean(x, axis=-1, keepdims=True)
            both = keras.ops.concatenate([keras.ops.relu(x), keras.ops.relu(-x)], axis=-1)
            return keras.ops.matmul(both, self.kernel)

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "units": self.units}

    @register
    class StandardizedConvLayer(layers.Conv2D):  # type: ignore[misc,name-defined]
        """keras.io's subclassing_conv_layers: a Conv2D subclass, string arguments."""

        def __init__(self, *args: Any, mode: str = "e", tag: str = "l", **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.mode, self.tag = mode, tag

        def convolution_op(self, inputs: Any, kernel: Any) -> Any:
            mean, var = keras.ops.moments(kernel, axes=[0, 1, 2], keepdims=True)
            return keras.ops.conv(inputs, (kernel - mean) / keras.ops.sqrt(var + 1e-10))

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "mode": self.mode, "tag": self.tag}

    @register
    class Enhancer(keras.Model):  # type: ignore[misc]
        """keras.io's zero_dce: a subclassed model around a functional one, its weights saved."""

        def __init__(self, width: int = 4, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.width = width
            x = keras.Input((8, 8, 3))
            h = layers.Conv2D(width, 3, padding="same", name="c1")(x)
            self.net = keras.Model(x, layers.Conv2D(3, 3, padding="same", name="c2")(h))
            self.head = layers.Dense(2, name="head")

        def call(self, x: Any) -> Any:
            return self.head(self.net(x))

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "width": self.width}

    return {
        "Antirectifier": Antirectifier,
        "Standardized": StandardizedConvLayer,
        "Enhancer": Enhancer,
    }


@pytest.fixture(scope="session")
def custom_files(
    keras: Any, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Any, Path]]:
    c = _custom_classes(keras)
    layers = keras.layers
    x = keras.Input((5,))
    anti = keras.Model(x, layers.Dense(3, name="after")(c["Antirectifier"](4, name="anti")(x)))
    image = keras.Input((8, 8, 1))
    h = c["Standardized"](4, 3, name="std")(image)
    conv = keras.Model(image, layers.Dense(2, name="out")(layers.Flatten()(h)))
    enhancer = c["Enhancer"](name="enhancer")
    enhancer(keras.ops.zeros((1, 8, 8, 3)))
    folder = tmp_path_factory.mktemp("custom")
    found = {}
    for name, model in {"anti": anti, "conv": conv, "enhancer": enhancer}.items():
        path = folder / f"{name}.keras"
        model.save(path)
        found[name] = (model, path)
    return found


@pytest.mark.parametrize("name", ["anti", "conv", "enhancer"])
def test_custom_code_files_are_explained(
    custom_files: dict[str, tuple[Any, Path]], name: str
) -> None:
    model, path = custom_files[name]
    assert cnnexplain.explain(path).total == model.count_params()
    assert cnnexplain.explain(model).total == model.count_params()  # live: no int('e') either


def test_custom_layer_without_recorded_shape_stops_nothing(
    custom_files: dict[str, tuple[Any, Path]],
) -> None:
    model, path = custom_files["anti"]
    rows = {row.name: row for row in cnnexplain.explain(path).rows}
    assert rows["after"].params == model.get_layer("after").count_params()
    assert rows["anti"].params == model.get_layer("anti").count_params()


def test_subclassed_model_file_rows_are_its_stored_layers(
    custom_files: dict[str, tuple[Any, Path]],
) -> None:
    model, path = custom_files["enhancer"]
    b = cnnexplain.explain(path)
    assert b.name == "enhancer"
    params = {row.name: row.params for row in b.rows}
    assert params["head"] == model.head.count_params()
    assert sum(params.values()) == model.count_params()


def test_library_file_without_weights_is_one_sentence(
    hub_files: dict[str, Path], tmp_path: Path
) -> None:
    path = tmp_path / "config_only.keras"
    with zipfile.ZipFile(hub_files["gpt2_causal_lm"]) as full, zipfile.ZipFile(path, "w") as out:
        for member in ("config.json", "metadata.json"):
            out.writestr(member, full.read(member))
    with pytest.raises(cnnexplain.ModelFileError) as error:
        cnnexplain.explain(path)
    assert str(error.value) == (
        f"Cannot read '{path}': config.json describes a GPT2CausalLM, whose layers only its "
        "Python code builds, and the archive has no model.weights.h5, so there is nothing to "
        "read them from."
    )


def test_functional_file_with_a_reverse_call_reuses_the_stored_matrix(
    keras: Any, hub_models: dict[str, Any], tmp_path: Path
) -> None:
    """A plain Functional model around GPT-2: the reverse call's layer is stored in the backbone."""
    task = hub_models["gpt2_causal_lm"]
    model = keras.Model(task.inputs, task.outputs, name="rewrapped")
    path = tmp_path / "rewrapped.keras"
    model.save(path)
    b = cnnexplain.explain(path)
    assert b.total == model.count_params()
    tied = b.rows[-1]
    backbone = task.backbone.name
    assert (tied.name, tied.params, tied.reuses) == (
        "token_embedding",
        0,
        f"{backbone}/token_embedding",
    )
    vocab = task.backbone.token_embedding.embeddings.shape[0]
    assert tied.output_shape == (None, None, vocab)  # the reverse call: input_dim logits


def test_keyword_only_tensor_calls_in_a_file(keras: Any, tmp_path: Path) -> None:
    @keras.saving.register_keras_serializable(package="test_keras_hub")
    class Combine(keras.layers.Layer):  # type: ignore[misc]
        def call(self, first: Any, second: Any) -> Any:
            return first + second

    x = keras.Input((4,))
    h = keras.layers.Dense(4, name="d")(x)
    combined = Combine(name="combine")(first=x, second=h)  # keyword tensors only
    model = keras.Model(x, keras.layers.Dense(2, name="out")(combined))
    path = tmp_path / "keywords.keras"
    model.save(path)
    assert cnnexplain.explain(model).total == model.count_params()
    b = cnnexplain.explain(path)
    assert b.total == model.count_params()
    assert {row.name: row.output_shape for row in b.rows}["combine"] == (None, 4)
