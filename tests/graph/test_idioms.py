"""Graph idioms of real Keras models, live and saved: Keras is the oracle for every figure.

Each model is built in Keras, explained live (which verifies every row against
Keras), saved once as ``.keras`` and explained from the file: parameters,
trainable parameters and output shapes must equal Keras's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cnnexplain import Breakdown, ModelFileError, explain

Build = Callable[[], Any]


def _nested_output(keras: Any) -> Any:
    """Models as outputs, at depth three, a Functional called twice, a Sequential twice."""
    layers = keras.layers
    i = keras.Input((6,), name="i")
    inner = keras.Model(i, layers.Dense(4, name="d_inner")(i), name="inner")
    j = keras.Input((6,), name="j")
    mid = keras.Model(j, inner(j), name="mid")  # output: another model's output
    seq = keras.Sequential([keras.Input((6,)), layers.Dense(6, name="d_seq")], name="seq")
    x = keras.Input((6,), name="x")
    s1 = seq(x)
    return keras.Model(x, [mid(x), mid(s1), seq(s1), x], name="nested_output")


def _dict_io(keras: Any) -> Any:
    """Dict inputs and outputs, and a nested model taking and giving dicts."""
    layers = keras.layers
    a, b = keras.Input((2,), name="a"), keras.Input((3,), name="b")
    cat = layers.Concatenate(name="cat")([a, b])
    inner = keras.Model(
        {"b": b, "a": a}, {"out": layers.Dense(1, name="o")(cat), "aux": cat}, name="inner_dict"
    )
    p, q = keras.Input((2,), name="p"), keras.Input((3,), name="q")
    result = inner({"a": p, "b": q})
    head = layers.Dense(2, name="head")(result["aux"])
    return keras.Model({"p": p, "q": q}, {"head": head, "score": result["out"]}, name="dict_io")


def _multi_output(keras: Any) -> Any:
    """Several outputs of one call: attention scores, recurrent states."""
    layers = keras.layers
    x = keras.Input((5, 8), name="x")
    attended, scores = layers.MultiHeadAttention(2, 4, name="mha")(
        x, x, return_attention_scores=True
    )
    seq, h, c = layers.LSTM(3, return_sequences=True, return_state=True, name="lstm")(attended)
    last, state = layers.GRU(2, return_state=True, name="gru")(seq)
    gqa = layers.GroupQueryAttention(4, 2, 2, name="gqa")(x, x)
    return keras.Model(x, [scores, h, c, last, state, gqa], name="multi_output")


def _functional_subclass(keras: Any) -> Any:
    """A keras.Model subclass that only overrides train_step: its config is functional."""
    trainer = keras.saving.get_registered_object("cnnexplain_tests>Trainer")
    if trainer is None:

        @keras.saving.register_keras_serializable(package="cnnexplain_tests")
        class Trainer(keras.Model):  # type: ignore[misc]
            def train_step(self, data: Any) -> Any:
                return super().train_step(data)

        trainer = Trainer
    x = keras.Input((4,), name="x")
    return trainer(x, keras.layers.Dense(3, name="d")(x), name="trainer")


_MODELS: dict[str, Callable[[Any], Any]] = {
    "nested_output": _nested_output,
    "dict_io": _dict_io,
    "multi_output": _multi_output,
    "functional_subclass": _functional_subclass,
}


@pytest.fixture(scope="session")
def idiom(keras: Any, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Any]:
    """Build an idiom's model and save it once: ``(model, path of its .keras file)``."""
    cache: dict[str, tuple[Any, Path]] = {}
    folder = tmp_path_factory.mktemp("idioms")

    def get(name: str) -> Any:
        if name not in cache:
            model = _MODELS[name](keras)
            path = folder / f"{name}.keras"
            model.save(path)
            cache[name] = (model, path)
        return cache[name]

    return get


def keras_outputs(keras: Any, model: Any) -> list[tuple[int | None, ...]]:
    return [tuple(t.shape) for t in keras.tree.flatten(model.outputs)]


def check_against_keras(keras: Any, model: Any, b: Breakdown) -> None:
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    assert (b.total, b.trainable) == (model.count_params(), trainable)
    assert list(b.output_shapes) == keras_outputs(keras, model)
    assert b.unexplained == []


@pytest.mark.parametrize("name", list(_MODELS))
def test_idiom_live_and_from_file_equal_keras(
    keras: Any, idiom: Callable[[str], Any], name: str
) -> None:
    model, path = idiom(name)
    live = explain(model)  # verifies every row against Keras
    check_against_keras(keras, model, live)
    saved = explain(path)  # checks every row's weights against the file's
    check_against_keras(keras, model, saved)
    assert [r.output_shape for r in saved.rows] == [r.output_shape for r in live.rows]


def test_nested_models_as_outputs_keep_their_calls(idiom: Callable[[str], Any]) -> None:
    model, _ = idiom("nested_output")
    b = explain(model)
    assert [(r.name, r.kind, r.calls) for r in b.rows] == [
        ("seq", "Sequential", 2),
        ("mid", "Functional", 2),
    ]
    assert b.output_shapes == ((None, 4), (None, 4), (None, 6), (None, 6))
    assert [p for p, _ in b.walk()] == ["seq", "seq/d_seq", "mid", "mid/inner", "mid/inner/d_inner"]


def test_dict_inputs_follow_keras_order(keras: Any, idiom: Callable[[str], Any]) -> None:
    model, _ = idiom("dict_io")
    b = explain(model)
    assert list(b.input_shapes) == [tuple(t.shape) for t in keras.tree.flatten(model.inputs)]
    assert b.rows[0].kind == "Functional"
    assert b.rows[0].output_shape == [(None, 5), (None, 1)]  # aux, out: sorted keys


def test_several_outputs_of_one_call(idiom: Callable[[str], Any]) -> None:
    model, _ = idiom("multi_output")
    rows = {r.name: r for r in explain(model).rows}
    assert rows["mha"].output_shape == [(None, 5, 8), (None, 2, 5, 5)]
    assert rows["lstm"].output_shape == [(None, 5, 3), (None, 3), (None, 3)]
    assert "return_attention_scores=True" in rows["mha"].shape_steps[-1]
    assert rows["gqa"].kind == "GroupedQueryAttention"


def test_functional_subclass_is_read_as_functional(idiom: Callable[[str], Any]) -> None:
    model, path = idiom("functional_subclass")
    assert explain(path).rows[0].formula.text() == "(4+1)·3"
    assert explain(model).name == "trainer"


class Vocabulary:
    """A Python object a layer takes: its get_config() cannot serialize it."""

    size = 10


def test_layer_whose_get_config_raises_is_explained_from_the_live_layer(keras: Any) -> None:
    class Lookup(keras.layers.Layer):  # type: ignore[misc]
        def __init__(self, vocabulary: Vocabulary, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.table = keras.layers.Embedding(vocabulary.size, 4)

        def call(self, x: Any) -> Any:
            return self.table(x)

        def get_config(self) -> dict[str, Any]:
            raise NotImplementedError("vocabulary objects do not serialize")

    x = keras.Input((7,), dtype="int32", name="ids")
    h = Lookup(Vocabulary(), name="lookup")(x)
    model = keras.Model(x, keras.layers.Dense(2, name="d")(h), name="vocab")
    with pytest.raises(NotImplementedError):
        model.get_config()
    b = explain(model)
    check_against_keras(keras, model, b)
    lookup = b.rows[0]
    assert (lookup.kind, lookup.output_shape) == ("Lookup", (None, 7, 4))
    assert [(c.kind, str(c.formula)) for c in lookup.children] == [("Embedding", "10·4")]


def test_unknown_shape_is_named_and_stops_there(tmp_path: Path) -> None:
    """A layer without rule whose output nobody records: one error naming it, no follow-on."""
    import json

    entry = {
        "class_name": "Mystery",
        "name": "mystery",
        "config": {"name": "mystery"},
        "inbound_nodes": [[["x", 0, 0, {}]]],
    }
    config = {
        "class_name": "Functional",
        "config": {
            "name": "m",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "name": "x",
                    "config": {"name": "x", "batch_input_shape": [None, 5, 3]},
                    "inbound_nodes": [],
                },
                entry,
                {
                    "class_name": "GlobalAveragePooling1D",
                    "name": "gap",
                    "config": {"name": "gap"},
                    "inbound_nodes": [[["mystery", 0, 0, {}]]],
                },
            ],
            "input_layers": [["x", 0, 0]],
            "output_layers": [["gap", 0, 0]],
        },
    }
    path = tmp_path / "m.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ModelFileError) as info:
        explain(path)
    message = str(info.value)
    assert message == (
        f"Cannot read '{path}': layer 'mystery' (Mystery) has no rule in cnnexplain, and the "
        "file does not record its output shape, which layer 'gap' needs; cnnexplain cannot "
        "go past it."
    )
    assert "got shape ()" not in message
    assert "Keras 3" not in message  # no advice that does not apply


def test_wrapper_of_a_custom_layer_is_explained_from_its_parts(keras: Any) -> None:
    class Scale(keras.layers.Layer):  # type: ignore[misc]
        def build(self, input_shape: Any) -> None:
            self.w = self.add_weight(shape=(input_shape[-1],), name="w")

        def call(self, x: Any) -> Any:
            return x * self.w

        def compute_output_shape(self, shape: Any) -> Any:
            return shape

    x = keras.Input((4, 3), name="x")
    model = keras.Model(x, keras.layers.TimeDistributed(Scale(), name="td")(x), name="wrapped")
    (row,) = explain(model).rows
    assert (row.kind, row.params, row.explained) == ("TimeDistributed", 3, True)
    assert "no rule for TimeDistributed(Scale): explained from its parts" in row.note
    assert [(c.kind, str(c.formula)) for c in row.children] == [("Scale", "3")]


@pytest.mark.parametrize("history", [[], ["dense", 0], ["dense", "0", 0], "dense", None])
def test_malformed_keras_history_is_one_spec_error(history: object) -> None:
    from cnnexplain import SpecError
    from cnnexplain._graph.model import call_refs

    tensor = {"class_name": "__keras_tensor__", "config": {"keras_history": history}}
    with pytest.raises(SpecError, match="keras_history"):
        call_refs([tensor], {})
