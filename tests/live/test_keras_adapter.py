"""Live Keras models: nesting, sharing, freezing, layers without rule, verification."""

from __future__ import annotations

from typing import Any

import pytest

import cnnexplain
from cnnexplain import SpecError, VerificationError


@pytest.fixture(scope="session")
def nested(keras: Any) -> Any:
    """A frozen functional block (a Dense shared by two calls, BN) inside a model."""
    layers = keras.layers
    x = keras.Input((8,), name="x")
    shared = layers.Dense(8, name="shared")
    a = shared(x)
    b = shared(a)
    cat = layers.Concatenate(name="cat")([a, b])
    block = keras.Model(x, layers.BatchNormalization(name="bn")(cat), name="block")
    block.trainable = False
    outer_in = keras.Input((8,), name="outer_in")
    head = layers.Dense(2, name="head")(block(outer_in))
    return keras.Model(outer_in, head, name="outer")


def test_nested_model_is_one_expandable_row(nested: Any) -> None:
    b = cnnexplain.explain(nested)
    assert [r.name for r in b.rows] == ["block", "head"]
    block = b.rows[0]
    assert block.kind == "Functional"
    assert block.params == nested.get_layer("block").count_params() == 136
    assert [c.name for c in block.children] == ["shared", "cat", "bn"]
    assert b.total == nested.count_params()
    expanded = b.to_text(expand=True)
    assert "\n  shared (Dense)" in expanded
    assert "\n  shared (Dense)" not in b.to_text()
    assert cnnexplain.explain(nested, expand=True).to_text() == expanded


def test_shared_layer_counts_once(nested: Any) -> None:
    shared = cnnexplain.explain(nested).rows[0].children[0]
    assert shared.calls == 2
    assert shared.params == (8 + 1) * 8
    assert "shared: called 2 times" in shared.note


def test_frozen_nested_model_is_non_trainable(nested: Any) -> None:
    b = cnnexplain.explain(nested)
    trainable_in_keras = sum(int(w.numpy().size) for w in nested.trainable_weights)
    assert b.trainable == trainable_in_keras == (8 * 2 * 1 + 2) + 0 * 0 + 16  # head only
    assert b.rows[0].trainable == 0
    assert b.non_trainable == b.rows[0].params
    assert "frozen" in b.rows[0].note


def test_batch_normalization_statistics_are_non_trainable(keras: Any) -> None:
    model = keras.Sequential(
        [keras.Input((5, 5, 6)), keras.layers.BatchNormalization(name="bn")], name="bn_model"
    )
    (row,) = cnnexplain.explain(model).rows
    assert (row.params, row.trainable, row.non_trainable) == (24, 12, 12)
    assert row.formula.symbols() == "4·C"
    assert "moving_mean and moving_variance" in row.note
    assert [(w.name, w.trainable) for w in row.weights] == [
        ("gamma", True),
        ("beta", True),
        ("moving_mean", False),
        ("moving_variance", False),
    ]


@pytest.fixture(scope="session")
def with_unknown(keras: Any) -> Any:
    @keras.saving.register_keras_serializable(package="tests")
    class Scale(keras.layers.Layer):  # type: ignore[misc]
        def build(self, input_shape: Any) -> None:
            self.w = self.add_weight(shape=(input_shape[-1],), name="w")

        def call(self, x: Any) -> Any:
            return x * self.w

    return keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, name="d"), Scale(name="scale")], name="unk"
    )


def test_custom_layer_is_explained_from_its_own_weight(with_unknown: Any) -> None:
    b = cnnexplain.explain(with_unknown)
    assert b.total == with_unknown.count_params()
    assert b.unexplained == []
    row = b.rows[1]
    assert (row.name, row.kind, row.params, row.explained) == ("scale", "Scale", 3, True)
    assert row.note == (
        "no rule for Scale: explained from its parts (0 sublayers and 1 weight of its own, "
        "measured by Keras)"
    )
    assert [(c.name, c.kind, str(c.formula), c.formula.symbols()) for c in row.children] == [
        ("w", "Variable", "3", "w")
    ]
    assert row.output_shape == (None, 3)


def test_verify_names_layer_and_figures(seed_model: Any) -> None:
    b = cnnexplain.explain(seed_model)
    rows = list(b.rows)
    rows[3] = type(rows[3])(**{**rows[3].__dict__, "params": 540800})
    tampered = type(b)(b.name, tuple(rows), source=seed_model, _verifier=b._verifier)
    with pytest.raises(VerificationError) as info:
        tampered.verify()
    assert str(info.value) == (
        "Layer 'hidden': cnnexplain computed params 540800 but Keras reports 540900."
    )
    assert (info.value.layer, info.value.expected, info.value.got) == ("hidden", 540900, 540800)


def test_subclassed_model_rows_are_its_sublayers_explained(keras: Any) -> None:
    class Net(keras.Model):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(name="net")
            self.d1 = keras.layers.Dense(4, name="d1")
            self.d2 = keras.layers.Dense(2, name="d2")

        def call(self, x: Any) -> Any:
            return self.d2(self.d1(x))

    net = Net()
    net(keras.ops.zeros((1, 3)))
    b = cnnexplain.explain(net)
    assert b.total == net.count_params() == (3 + 1) * 4 + (4 + 1) * 2
    assert b.unexplained == []
    assert str(b.formula) == "(3+1)·4 + (4+1)·2"
    assert [r.output_shape for r in b.rows] == [(1, 4), (1, 2)]


def test_unbuilt_sequential_is_refused(keras: Any) -> None:
    model = keras.Sequential([keras.layers.Dense(3, name="d")], name="unbuilt")
    with pytest.raises(SpecError, match=r"Model 'unbuilt' \(Sequential\) has no input shape"):
        cnnexplain.explain(model)


def test_explain_refuses_other_objects() -> None:
    with pytest.raises(SpecError, match="Received: model of type dict"):
        cnnexplain.explain({"layers": []})
