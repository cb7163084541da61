"""diagnose(): Dense on an N-D input, LSTM/GRU conventions, separable and depthwise, shared layers.

Every model is a real Keras or PyTorch model; its true count comes from the
framework (``count_params()``, ``numel()``) and each hand count is the learner's
formula written with the model's own sizes, so no expected count is typed.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import torch
from torch import nn

import cnnexplain
from cnnexplain import FindingKind

K = FindingKind


def kinds(d: cnnexplain.Diagnosis) -> list[tuple[FindingKind, int]]:
    assert sum(f.amount for f in d.findings) == d.gap
    return [(f.kind, f.amount) for f in d.findings]


# ---------------------------------------------------------------------------
# Dense on an N-D input


def test_dense_on_nd_input_counted_as_flattened(keras: Any) -> None:
    model = keras.Sequential([keras.Input((10, 16)), keras.layers.Dense(8, name="d")])
    true = model.count_params()
    hand = (10 * 16 + 1) * 8  # the Flatten-then-Dense count: 1,288
    d = cnnexplain.diagnose(model, per_layer=[hand])
    assert kinds(d) == [(K.DENSE_INPUT_FLATTENED, true - hand)]
    assert "10·16·8 = 1,280" in d.findings[0].detail
    assert "16·8 = 128" in d.findings[0].detail


def test_linear_on_nd_input_counted_as_flattened_torch() -> None:
    model = nn.Sequential(nn.Linear(16, 8))
    true = sum(p.numel() for p in model.parameters())
    hand = (10 * 16 + 1) * 8
    d = cnnexplain.diagnose(cnnexplain.explain(model, input_size=(1, 10, 16)), per_layer=[hand])
    assert kinds(d) == [(K.DENSE_INPUT_FLATTENED, true - hand)]


# ---------------------------------------------------------------------------
# Recurrent layers


def rnn(gates: int, i: int, h: int, biases: int) -> int:
    return gates * (h * (i + h) + biases * h)


@pytest.mark.parametrize(
    ("layer", "gates", "biases"),
    [("LSTM", 4, 1), ("GRU", 3, 2), ("GRU_reset_before", 3, 1)],
)
def test_keras_recurrent_conventions(keras: Any, layer: str, gates: int, biases: int) -> None:
    i, h = 5, 6
    made: Any = {
        "LSTM": lambda: keras.layers.LSTM(h, name="rnn"),
        "GRU": lambda: keras.layers.GRU(h, name="rnn"),
        "GRU_reset_before": lambda: keras.layers.GRU(h, reset_after=False, name="rnn"),
    }[layer]()
    model = keras.Sequential([keras.Input((7, i)), made])
    true = model.count_params()
    assert rnn(gates, i, h, biases) == true  # the convention under test is Keras's
    other = 2 if biases == 1 else 1
    cases = [
        (rnn(1, i, h, 1), K.RNN_GATES_FORGOTTEN),  # one Keras SimpleRNN
        (rnn(gates, i, h, other), K.RNN_BIAS_CONVENTION),
        (rnn(gates, h, i, biases), K.RNN_INPUT_HIDDEN_SWAPPED),
    ]
    for hand, kind in cases:
        d = cnnexplain.diagnose(model, per_layer=[hand])
        assert kinds(d) == [(kind, true - hand)], (layer, kind, d)
        assert f"{true:,}" in d.findings[0].detail


@pytest.mark.parametrize(("cls", "gates"), [(nn.LSTM, 4), (nn.GRU, 3)])
def test_torch_recurrent_conventions(cls: Any, gates: int) -> None:
    i, h = 5, 6
    model = nn.Sequential(cls(i, h, batch_first=True))
    true = sum(p.numel() for p in model.parameters())
    assert rnn(gates, i, h, 2) == true
    breakdown = cnnexplain.explain(model, input_size=(1, 7, i))
    for hand, kind in [
        (rnn(gates, i, h, 1), K.RNN_BIAS_CONVENTION),  # Keras's one bias per gate
        (rnn(1, i, h, 2), K.RNN_GATES_FORGOTTEN),  # one torch nn.RNN
    ]:
        d = cnnexplain.diagnose(breakdown, per_layer=[hand])
        assert kinds(d) == [(kind, true - hand)], (cls, kind, d)


def test_lstm_in_a_model_running_totals(keras: Any) -> None:
    layers = keras.layers
    model = keras.Sequential(
        [keras.Input((7, 5)), layers.LSTM(6, name="lstm"), layers.Dense(3, name="out")]
    )
    counts = [layer.count_params() for layer in model.layers]
    pytorch_style = rnn(4, 5, 6, 2)  # the learner used PyTorch's two biases
    d = cnnexplain.diagnose(model, running=[pytorch_style, pytorch_style + counts[1]])
    assert kinds(d) == [(K.RNN_BIAS_CONVENTION, counts[0] - pytorch_style)]


# ---------------------------------------------------------------------------
# Separable and depthwise convolutions, shared layers


def test_separable_counted_as_ordinary(keras: Any) -> None:
    model = keras.Sequential(
        [keras.Input((9, 9, 3)), keras.layers.SeparableConv2D(5, 3, name="sep")]
    )
    true = model.count_params()
    hand = (3 * 3 * 3 + 1) * 5  # an ordinary Conv2D(5, 3) on 3 channels
    d = cnnexplain.diagnose(model, per_layer=[hand])
    assert kinds(d) == [(K.SEPARABLE_AS_ORDINARY, true - hand)]


def test_depthwise_counted_as_ordinary(keras: Any) -> None:
    model = keras.Sequential(
        [keras.Input((9, 9, 4)), keras.layers.DepthwiseConv2D(3, depth_multiplier=2, name="dw")]
    )
    true = model.count_params()
    hand = (3 * 3 * 4 + 1) * 8  # an ordinary Conv2D(8, 3) on 4 channels
    d = cnnexplain.diagnose(model, per_layer=[hand])
    assert kinds(d) == [(K.DEPTHWISE_AS_ORDINARY, true - hand)]


def test_depthwise_counted_as_ordinary_torch() -> None:
    model = nn.Sequential(nn.Conv2d(4, 8, 3, groups=4))
    true = sum(p.numel() for p in model.parameters())
    hand = (3 * 3 * 4 + 1) * 8
    d = cnnexplain.diagnose(cnnexplain.explain(model, input_size=(1, 4, 9, 9)), per_layer=[hand])
    assert kinds(d) == [(K.DEPTHWISE_AS_ORDINARY, true - hand)]


def test_shared_layer_counted_per_call(keras: Any) -> None:
    layers = keras.layers
    x = keras.Input((6,))
    shared = layers.Dense(6, name="shared")
    y = layers.Dense(2, name="out")(shared(shared(x)))
    model = keras.Model(x, y)
    counts = {layer.name: layer.count_params() for layer in model.layers}
    hand = [2 * counts["shared"], counts["out"]]  # counted once per call
    d = cnnexplain.diagnose(model, per_layer=hand)
    assert kinds(d) == [(K.SHARED_LAYER_PER_CALL, -counts["shared"])]
    assert d.findings[0].layer == "shared"


def test_torch_model_input_checked() -> None:
    """The torch oracle: the rows diagnosed are the model's own parameters."""
    model = nn.Sequential(nn.LSTM(5, 6, batch_first=True))
    breakdown = cnnexplain.explain(model, input_size=(1, 7, 5))
    assert breakdown.total == sum(p.numel() for p in model.parameters())
    assert torch.__version__


def test_totals_for_a_model_with_pooling_do_not_fit_one_without(keras: Any) -> None:
    """The question's running totals against its posted code, which lacks pooling."""
    layers = keras.layers
    posted = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, 3, name="conv"),
            layers.Flatten(name="flatten"),
            layers.Dense(100, name="hidden"),
            layers.Dense(10, name="output"),
        ]
    )
    pooled = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, 3),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(100),
            layers.Dense(10),
        ]
    )
    running = list(itertools.accumulate(x.count_params() for x in pooled.layers if x.weights))
    d = cnnexplain.diagnose(posted, running=running)
    assert K.UNEXPLAINED in {f.kind for f in d.findings}
    assert "do not fit this model's layers" in d.note
    assert d.note in str(d)
    assert d.to_dict()["note"] == d.note
    fitting = cnnexplain.diagnose(pooled, running=running)
    assert (fitting.gap, fitting.note) == (0, "")
