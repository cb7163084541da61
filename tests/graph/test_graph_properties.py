"""Property test: random functional graphs built in Keras are explained or refused cleanly.

Hypothesis draws small graphs with the idioms real models use (nested models,
also as outputs and called twice, dict inputs and outputs, shared layers,
calls with several outputs, custom layers built from known ones, inputs
passed straight to the outputs). Keras builds each; `explain` must return a
breakdown verified against Keras, row by row, or raise a `CnnexplainError`:
never a KeyError, IndexError, TypeError or AttributeError.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnnexplain import CnnexplainError, explain

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

Draw = Callable[[st.SearchStrategy[Any]], Any]


def _custom(keras: Any) -> type:
    """A layer no rule covers: a Dense inside and a weight of its own."""
    registered = keras.saving.get_registered_object("cnnexplain_props>Gated")
    if registered is not None:
        return registered  # type: ignore[no-any-return]

    @keras.saving.register_keras_serializable(package="cnnexplain_props")
    class Gated(keras.layers.Layer):  # type: ignore[misc]
        def __init__(self, units: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.units = units
            self.proj = keras.layers.Dense(units)

        def build(self, input_shape: Any) -> None:
            self.gate = self.add_weight(shape=(self.units,), name="gate")
            self.proj.build(input_shape)

        def call(self, x: Any) -> Any:
            return self.proj(x) * keras.ops.sigmoid(self.gate)

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "units": self.units}

    return Gated


class _Graph:
    """Tensors of shape (None, width) and the layers made so far."""

    def __init__(self, keras: Any, draw: Draw) -> None:
        self.keras, self.draw = keras, draw
        self.tensors: list[Any] = []
        self.dense: list[Any] = []

    def pick(self) -> Any:
        return self.tensors[self.draw(st.integers(0, len(self.tensors) - 1))]

    def width(self, t: Any) -> int:
        return int(t.shape[-1])

    def step(self) -> None:
        layers = self.keras.layers
        kind = self.draw(
            st.sampled_from(["dense", "shared", "concat", "add", "nested", "custom", "mha", "lstm"])
        )
        x = self.pick()
        if kind == "dense":
            layer = layers.Dense(self.draw(st.integers(1, 5)))
            self.dense.append(layer)
            self.tensors.append(layer(x))
        elif kind == "shared":
            fits = [d for d in self.dense if d.kernel.shape[0] == self.width(x)]
            if fits:
                self.tensors.append(fits[0](x))
        elif kind == "concat":
            self.tensors.append(layers.Concatenate()([x, self.pick()]))
        elif kind == "add":
            y = self.pick()
            if self.width(x) == self.width(y) and x is not y:
                self.tensors.append(layers.Add()([x, y]))
        elif kind == "nested":
            self.tensors.extend(self.nested(x))
        elif kind == "custom":
            self.tensors.append(_custom(self.keras)(self.draw(st.integers(1, 4)))(x))
        elif kind == "mha":
            seq = layers.Reshape((self.width(x), 1))(x)
            out, scores = layers.MultiHeadAttention(2, 2)(seq, seq, return_attention_scores=True)
            self.tensors.extend([layers.Flatten()(out), layers.Flatten()(scores)])
        else:
            seq = layers.Reshape((self.width(x), 1))(x)
            units = self.draw(st.integers(1, 3))
            _, h, c = layers.LSTM(units, return_state=True)(seq)
            self.tensors.extend([h, c])

    def nested(self, x: Any) -> list[Any]:
        """A model called on ``x`` (once or twice); its output may be another model's."""
        keras, layers = self.keras, self.keras.layers
        i = keras.Input((self.width(x),))
        out = layers.Dense(self.draw(st.integers(1, 4)))(i)
        if self.draw(st.booleans()):
            j = keras.Input((self.width(x),))
            inner = keras.Model(i, out)
            out_model = keras.Model(j, inner(j))  # output: another model's output
        elif self.draw(st.booleans()):
            out_model = keras.Model(i, [out, i])  # an output that is its input
        else:
            out_model = keras.Sequential([i, layers.Dense(self.draw(st.integers(1, 4)))])
        result = keras.tree.flatten(out_model(x))
        if self.draw(st.booleans()):
            result += keras.tree.flatten(out_model(x))
        return list(result)


def functional_model(draw: Draw, keras: Any) -> Any:
    """A random functional model over dict or list inputs, with dict or list outputs."""
    n_inputs = draw(st.integers(1, 3))
    inputs = [keras.Input((draw(st.integers(1, 5)),), name=f"in_{i}") for i in range(n_inputs)]
    graph = _Graph(keras, draw)
    graph.tensors = list(inputs)
    for _ in range(draw(st.integers(1, 6))):
        graph.step()
    chosen = draw(st.lists(st.integers(0, len(graph.tensors) - 1), min_size=1, max_size=3))
    outputs = [graph.tensors[i] for i in dict.fromkeys(chosen)]
    model_inputs: Any = {t.name: t for t in inputs} if draw(st.booleans()) else inputs
    model_outputs: Any = outputs
    if draw(st.booleans()):
        model_outputs = {f"out_{i}": t for i, t in enumerate(outputs)}
    try:
        return keras.Model(model_inputs, model_outputs)
    except (ValueError, TypeError):  # a graph Keras refuses (an input left unused...)
        return None


def test_random_graphs_are_explained_and_verified_or_refused(keras: Any) -> None:
    explained = []

    @SETTINGS
    @given(st.data())
    def check(data: st.DataObject) -> None:
        # Drawn in the test, not in a strategy: Keras's initializers use `random`.
        model = functional_model(data.draw, keras)
        if model is None:
            return
        try:
            b = explain(model)  # verified against Keras row by row
        except CnnexplainError:
            return
        assert b.total == model.count_params()
        assert int(b.formula) == b.total
        assert [p for p, row in b.walk() if not row.explained] == []
        explained.append(model.name)

    check()
    assert len(explained) >= 20
