"""Issue 5's rules against the real Keras layers, over grids of arguments.

Each case builds the layer in Keras from the same config (the oracle) and
compares every figure: parameters, trainable parameters, every output shape,
and the weights (Keras's names and shapes).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from oracle import kwargs_id

from cnnexplain import Breakdown, SpecError, explain, spec
from cnnexplain._graph.model import parse_model
from cnnexplain._live.keras import build_keras_model, verify_against
from cnnexplain._rules import RULES
from cnnexplain._rules.registry import rule_doc

pytestmark = pytest.mark.usefixtures("keras")

Shape = tuple[int | None, ...]


def grid(**axes: list[Any]) -> list[dict[str, Any]]:
    keys = list(axes)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*axes.values())]


def _weights_match(row: Any, layer: Any) -> None:
    ours = sorted((w.name.rsplit("/", 1)[-1], w.shape, w.trainable) for w in row.weights)
    trainable = {id(v) for v in layer.trainable_weights}
    theirs = sorted(
        (v.name, tuple(v.shape), id(v) in trainable and row.trainable > 0) for v in layer.weights
    )
    assert ours == theirs, (row.name, ours, theirs)


def check(
    layer: spec.Layer, *shapes: Shape, may_be_invalid: bool = False, call: Any = None
) -> Breakdown | None:
    """Build ``layer`` on inputs of ``shapes`` (batch axis included) in Keras and compare.

    With ``may_be_invalid``, Keras may refuse the configuration; cnnexplain must
    then refuse it too, with a SpecError naming the layer. ``call`` calls the
    layer on the spec inputs (default: one input, or a list of them).
    """
    inputs = [spec.Input(s[1:], batch_size=s[0], name=f"in{i}") for i, s in enumerate(shapes)]
    if call is not None:
        out = call(layer, inputs)
    else:
        out = layer(inputs[0] if len(inputs) == 1 else inputs)
    model = spec.Model(inputs, out, name="oracle")
    try:
        keras_model = build_keras_model(parse_model("Functional", model.config()))
    except SpecError:
        if not may_be_invalid:
            raise
        with pytest.raises(SpecError, match=r"Layer 'l[/' ]"):
            model.explain()
        return None
    b = model.explain()
    (row,) = b.rows
    assert int(row.formula) == row.params
    assert sum(w.size for w in row.weights) == row.params
    verify_against(b, keras_model)
    _weights_match(row, keras_model.get_layer("l"))
    return b


def params(b: Breakdown | None) -> int:
    assert b is not None
    return b.rows[0].params


# --- Convolutions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    grid(
        kernel_size=[1, 2, 3],
        strides=[1, 2],
        padding=["valid", "same"],
        output_padding=[None, 1],
        dilation_rate=[1, 2],
    ),
    ids=kwargs_id,
)
def test_conv2d_transpose(kwargs: dict[str, Any]) -> None:
    b = check(spec.Conv2DTranspose(5, name="l", **kwargs), (None, 4, 6, 3), may_be_invalid=True)
    if b is not None:
        k = kwargs["kernel_size"]
        assert params(b) == (k * k * 3 + 1) * 5


@pytest.mark.parametrize(
    "kwargs",
    grid(
        kernel_size=[2, 3],
        strides=[1, 3],
        padding=["valid", "same"],
        output_padding=[None, 0, 2],
        use_bias=[True, False],
    ),
    ids=kwargs_id,
)
def test_conv1d_transpose(kwargs: dict[str, Any]) -> None:
    check(spec.Conv1DTranspose(4, name="l", **kwargs), (None, 5, 2), may_be_invalid=True)


@pytest.mark.parametrize(
    "kwargs",
    grid(kernel_size=[1, (2, 3, 1)], strides=[1, 2], padding=["valid", "same"]),
    ids=kwargs_id,
)
def test_conv3d_transpose(kwargs: dict[str, Any]) -> None:
    check(spec.Conv3DTranspose(2, name="l", **kwargs), (None, 3, 4, 2, 2), may_be_invalid=True)


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        (spec.Conv2DTranspose(4, 3, data_format="channels_first", name="l"), (None, 3, 5, 6)),
        (spec.SeparableConv2D(4, 3, data_format="channels_first", name="l"), (None, 3, 5, 6)),
        (spec.ConvLSTM2D(2, 3, data_format="channels_first", name="l"), (None, 2, 3, 5, 6)),
        (spec.Conv2DTranspose(4, 3, strides=2, dilation_rate=2, name="l"), (None, 5, 6, 3)),
    ],
    ids=lambda v: v.class_name if isinstance(v, spec.Layer) else "",
)
def test_conv_variants(layer: spec.Layer, shape: Shape) -> None:
    check(layer, shape, may_be_invalid=True)


SEPARABLE2D = [
    kw
    for kw in grid(
        kernel_size=[1, 3],
        strides=[1, 2],
        padding=["valid", "same"],
        depth_multiplier=[1, 2],
        use_bias=[True, False],
        dilation_rate=[1, 2],
    )
    if kw["strides"] == 1 or kw["dilation_rate"] == 1
]


@pytest.mark.parametrize("kwargs", SEPARABLE2D, ids=kwargs_id)
def test_separable_conv2d(kwargs: dict[str, Any]) -> None:
    b = check(spec.SeparableConv2D(6, name="l", **kwargs), (None, 7, 8, 3), may_be_invalid=True)
    if b is not None:
        k, m = kwargs["kernel_size"], kwargs["depth_multiplier"]
        assert params(b) == k * k * 3 * m + 3 * m * 6 + 6 * kwargs["use_bias"]


@pytest.mark.parametrize(
    "kwargs",
    grid(kernel_size=[2, 3], strides=[1, 2], padding=["valid", "same"], depth_multiplier=[1, 3]),
    ids=kwargs_id,
)
def test_separable_conv1d(kwargs: dict[str, Any]) -> None:
    check(spec.SeparableConv1D(4, name="l", **kwargs), (None, 9, 2), may_be_invalid=True)


def test_separable_strides_with_dilation_refused() -> None:
    """Keras builds it, but TensorFlow cannot run it: refused, as for Conv2D."""
    model = spec.Sequential(
        [spec.Input((8, 8, 3)), spec.SeparableConv2D(4, 3, strides=2, dilation_rate=2, name="s")]
    )
    with pytest.raises(SpecError) as err:
        explain(model)
    assert str(err.value) == (
        "Layer 's' (SeparableConv2D): strides > 1 cannot be combined with dilation_rate > 1. "
        "Received: strides=(2, 2)."
    )


def test_depthwise_vs_separable() -> None:
    """The pitfall: a separable conv is a depthwise conv plus a 1×1 conv, bias only once."""
    depthwise = params(check(spec.DepthwiseConv2D(3, name="l"), (None, 8, 8, 16)))
    pointwise = params(check(spec.Conv2D(32, 1, use_bias=False, name="l"), (None, 6, 6, 16)))
    separable = params(check(spec.SeparableConv2D(32, 3, name="l"), (None, 8, 8, 16)))
    assert separable == depthwise - 16 + pointwise + 32


# --- Dense-like ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("equation", "output_shape", "bias_axes", "shape"),
    [
        ("ab,bc->ac", 4, None, (None, 7)),
        ("ab,bc->ac", 4, "c", (None, 7)),
        ("abc,cd->abd", (None, 6), "d", (None, 5, 7)),
        ("abc,cd->abd", (5, 6), "d", (None, 5, 7)),
        ("abc,cde->abde", (5, 3, 2), "de", (None, 5, 7)),
        ("abc,cde->abde", (5, 3, 2), "e", (None, 5, 7)),
        ("abc,cd->abd", (5, 6), None, (None, 5, 7)),
        ("...b,bc->...c", 6, "c", (None, 5, 7)),
        ("...b,bc->...c", 6, "c", (None, 2, 5, 7)),
        ("ab...,bc->ac...", 4, "c", (None, 7, 3)),
        ("abcd,cde->abe", (5, 2), "e", (None, 5, 3, 4)),
        ("abc,cd->abd", (4, 6), "d", (None, 5, 7)),
        ("abc,dc->abd", (5, 6), "d", (None, 5, 7)),
    ],
)
def test_einsum_dense(
    equation: str, output_shape: Any, bias_axes: str | None, shape: Shape
) -> None:
    layer = spec.EinsumDense(equation, output_shape, bias_axes=bias_axes, name="l")
    check(layer, shape, may_be_invalid=True)


@pytest.mark.parametrize("lora_rank", [None, 2])
@pytest.mark.parametrize("shape", [(None,), (None, 5), (None, 3, 4)])
def test_embedding(shape: Shape, lora_rank: int | None) -> None:
    b = check(spec.Embedding(11, 4, lora_rank=lora_rank, name="l"), shape)
    assert b is not None
    row = b.rows[0]
    assert row.output_shape == (*shape, 4)
    assert row.trainable == (11 * 4 if lora_rank is None else 2 * (11 + 4))


@pytest.mark.parametrize("shared_axes", [None, 1, [1, 2], [1, 2, 3]])
def test_prelu(shared_axes: Any) -> None:
    check(spec.PReLU(shared_axes=shared_axes, name="l"), (None, 4, 5, 3))


# --- Normalization ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    grid(axis=[-1, 1, [1, 2], [-1, 1]], center=[True, False], scale=[True, False]),
    ids=kwargs_id,
)
def test_layer_normalization(kwargs: dict[str, Any]) -> None:
    b = check(spec.LayerNormalization(name="l", **kwargs), (None, 4, 5, 6))
    assert b is not None
    assert b.rows[0].non_trainable == 0


@pytest.mark.parametrize("axis", [-1, 1, [1, 2]])
def test_rms_normalization(axis: Any) -> None:
    check(spec.RMSNormalization(axis=axis, name="l"), (None, 4, 6))


@pytest.mark.parametrize(
    "kwargs",
    grid(groups=[1, 2, 4, -1, 3, 16], center=[True, False], scale=[True, False]),
    ids=kwargs_id,
)
def test_group_normalization(kwargs: dict[str, Any]) -> None:
    check(spec.GroupNormalization(name="l", **kwargs), (None, 5, 8), may_be_invalid=True)


@pytest.mark.parametrize("axis", [-1, [1, 2]])
def test_unit_normalization(axis: Any) -> None:
    assert params(check(spec.UnitNormalization(axis=axis, name="l"), (None, 4, 6))) == 0


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"axis": None}, {"axis": (1, 2)}, {"axis": 1}, {"mean": 0.5, "variance": 2.0}],
    ids=kwargs_id,
)
def test_normalization(kwargs: dict[str, Any]) -> None:
    b = check(spec.Normalization(name="l", **kwargs), (None, 3, 4))
    assert b is not None
    assert b.rows[0].trainable == 0


def test_batch_normalization_pitfall() -> None:
    """4·C parameters, of which 2·C are never trained: Keras counts them apart."""
    b = check(spec.BatchNormalization(name="l"), (None, 6, 6, 16))
    assert b is not None
    assert (b.rows[0].params, b.rows[0].non_trainable) == (4 * 16, 2 * 16)


# --- Recurrent ----------------------------------------------------------------------------

RECURRENT = grid(
    use_bias=[True, False],
    return_sequences=[False, True],
    return_state=[False, True],
)


@pytest.mark.parametrize("kwargs", RECURRENT, ids=kwargs_id)
@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM"])
def test_simple_rnn_lstm(kind: str, kwargs: dict[str, Any]) -> None:
    b = check(getattr(spec, kind)(4, name="l", **kwargs), (None, 6, 3))
    if kwargs["use_bias"]:
        gates = {"SimpleRNN": 1, "LSTM": 4}[kind]
        assert params(b) == gates * (4 * (3 + 4) + 4)


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("kwargs", RECURRENT, ids=kwargs_id)
def test_gru(kwargs: dict[str, Any], reset_after: bool) -> None:
    b = check(spec.GRU(4, reset_after=reset_after, name="l", **kwargs), (None, 6, 3))
    assert b is not None
    if kwargs["use_bias"]:
        assert params(b) == 3 * (4 * (3 + 4) + (2 if reset_after else 1) * 4)
        assert b.rows[0].formula.symbols() == (
            "3·(n·(m+n)+2·n)" if reset_after else "3·(n·(m+n)+n)"
        )


def test_lstm_formula() -> None:
    b = check(spec.LSTM(100, name="l"), (None, 5, 28))
    assert b is not None
    assert b.rows[0].formula.symbols() == "4·(n·(m+n)+n)"
    assert str(b.rows[0].formula) == "4·(100·(28+100)+100)"


@pytest.mark.parametrize(
    "cell",
    [
        spec.SimpleRNNCell(3),
        spec.LSTMCell(3, use_bias=False),
        spec.GRUCell(3, reset_after=False),
        spec.StackedRNNCells([spec.LSTMCell(3), spec.GRUCell(2), spec.SimpleRNNCell(5)]),
    ],
    ids=lambda c: c.class_name,
)
@pytest.mark.parametrize("return_state", [False, True])
def test_rnn_cells(cell: spec.Layer, return_state: bool) -> None:
    check(spec.RNN(cell, return_state=return_state, name="l"), (None, 4, 6))


@pytest.mark.parametrize(
    "kwargs",
    grid(
        kernel_size=[1, 3],
        strides=[1, 2],
        padding=["valid", "same"],
        return_sequences=[False, True],
    ),
    ids=kwargs_id,
)
def test_conv_lstm2d(kwargs: dict[str, Any]) -> None:
    b = check(spec.ConvLSTM2D(3, name="l", **kwargs), (None, 3, 6, 5, 2), may_be_invalid=True)
    if b is not None:
        k = kwargs["kernel_size"]
        assert params(b) == 4 * (k * k * (2 + 3) + 1) * 3


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        (spec.ConvLSTM1D(3, 2, return_state=True, name="l"), (None, 3, 6, 2)),
        (spec.ConvLSTM1D(3, 3, padding="same", use_bias=False, name="l"), (None, 3, 6, 2)),
        (spec.ConvLSTM3D(2, 2, return_sequences=True, name="l"), (None, 2, 4, 3, 3, 2)),
        (spec.ConvLSTM3D(2, (1, 2, 2), strides=2, name="l"), (None, 2, 4, 3, 3, 2)),
    ],
    ids=lambda v: v.class_name if isinstance(v, spec.Layer) else "",
)
def test_conv_lstm_1d_3d(layer: spec.Layer, shape: Shape) -> None:
    check(layer, shape)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize(
    "inner",
    [
        lambda: spec.LSTM(3),
        lambda: spec.GRU(3, return_sequences=True),
        lambda: spec.SimpleRNN(3, return_state=True),
        lambda: spec.LSTM(2, return_sequences=True, return_state=True),
    ],
    ids=["lstm", "gru_sequences", "rnn_state", "lstm_sequences_state"],
)
def test_bidirectional(inner: Any, merge_mode: str | None) -> None:
    b = check(spec.Bidirectional(inner(), merge_mode=merge_mode, name="l"), (None, 5, 4))
    assert b is not None
    single = explain(spec.Sequential([spec.Input((5, 4)), inner()])).total
    assert params(b) == 2 * single


def test_bidirectional_with_backward_layer() -> None:
    layer = spec.Bidirectional(
        spec.LSTM(3, return_sequences=True),
        backward_layer=spec.LSTM(3, return_sequences=True, go_backwards=True, use_bias=False),
        name="l",
    )
    b = check(layer, (None, 5, 4))
    assert b is not None
    assert str(b.rows[0].formula.symbols()) == "4·(n·(m+n)+n)+4·n·(m+n)"


@pytest.mark.parametrize(
    ("inner", "shape"),
    [
        (spec.Dense(3), (None, 5, 4)),
        (spec.Dense(3), (None, 5, 2, 4)),
        (spec.Conv2D(4, 3), (None, 5, 8, 8, 2)),
        (spec.BatchNormalization(), (None, 5, 4)),
        (spec.Embedding(10, 3), (None, 5, 2)),
    ],
    ids=lambda v: v.class_name if isinstance(v, spec.Layer) else "",
)
def test_time_distributed(inner: spec.Layer, shape: Shape) -> None:
    check(spec.TimeDistributed(inner, name="l"), shape)


@pytest.mark.parametrize(
    ("inner", "shape"),
    [(spec.Dense(3), (None, 4)), (spec.Conv2D(4, 3), (None, 6, 6, 2))],
    ids=lambda v: v.class_name if isinstance(v, spec.Layer) else "",
)
def test_spectral_normalization(inner: spec.Layer, shape: Shape) -> None:
    b = check(spec.SpectralNormalization(inner, name="l"), shape)
    assert b is not None
    assert b.rows[0].non_trainable == b.rows[0].weights[-1].size


# --- Attention ----------------------------------------------------------------------------


def _qvk(layer: spec.Layer, inputs: list[spec.Tensor]) -> spec.Tensor:
    return layer(*inputs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"num_heads": 2, "key_dim": 4},
        {"num_heads": 1, "key_dim": 3, "use_bias": False},
        {"num_heads": 3, "key_dim": 2, "value_dim": 5},
        {"num_heads": 2, "key_dim": 4, "output_shape": 7},
        {"num_heads": 2, "key_dim": 4, "output_shape": (2, 3)},
        {"num_heads": 2, "key_dim": 4, "use_gate": True},
        {"num_heads": 2, "key_dim": 4, "use_gate": True, "use_bias": False, "value_dim": 3},
    ],
    ids=kwargs_id,
)
@pytest.mark.parametrize(
    "shapes",
    [((None, 5, 8), (None, 7, 6)), ((None, 5, 8), (None, 7, 6), (None, 7, 4))],
    ids=["query_value", "query_value_key"],
)
def test_multi_head_attention(kwargs: dict[str, Any], shapes: tuple[Shape, ...]) -> None:
    check(spec.MultiHeadAttention(name="l", **kwargs), *shapes, call=_qvk)


def test_multi_head_attention_self_attention_on_images() -> None:
    layer = spec.MultiHeadAttention(2, 3, attention_axes=(1, 2), name="l")
    check(layer, (None, 4, 4, 6), (None, 4, 4, 6), call=_qvk)


def test_multi_head_attention_key_mismatch_refused() -> None:
    layer = spec.MultiHeadAttention(2, 3, name="l")
    check(layer, (None, 4, 6), (None, 5, 6), (None, 3, 6), call=_qvk, may_be_invalid=True)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2},
        {"head_dim": 3, "num_query_heads": 2, "num_key_value_heads": 2, "use_bias": False},
        {"head_dim": 2, "num_query_heads": 3, "num_key_value_heads": 1, "use_gate": True},
    ],
    ids=kwargs_id,
)
@pytest.mark.parametrize("with_key", [False, True])
def test_grouped_query_attention(kwargs: dict[str, Any], with_key: bool) -> None:
    shapes = [(None, 5, 8), (None, 7, 8)] + ([(None, 7, 3)] if with_key else [])
    check(spec.GroupQueryAttention(name="l", **kwargs), *shapes, call=_qvk)


@pytest.mark.parametrize(
    "kwargs", grid(use_scale=[False, True], score_mode=["dot", "concat"]), ids=kwargs_id
)
@pytest.mark.parametrize("with_key", [False, True])
def test_attention(kwargs: dict[str, Any], with_key: bool) -> None:
    shapes = [(None, 5, 4), (None, 7, 4)] + ([(None, 7, 4)] if with_key else [])
    check(spec.Attention(name="l", **kwargs), *shapes)


@pytest.mark.parametrize("use_scale", [False, True])
@pytest.mark.parametrize("with_key", [False, True])
def test_additive_attention(use_scale: bool, with_key: bool) -> None:
    shapes = [(None, 5, 4), (None, 7, 4)] + ([(None, 7, 4)] if with_key else [])
    check(spec.AdditiveAttention(use_scale=use_scale, name="l"), *shapes)


# --- Shape-only layers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        (spec.Cropping1D(name="l"), (None, 8, 3)),
        (spec.Cropping1D((2, 0), name="l"), (None, 8, 3)),
        (spec.Cropping1D((4, 4), name="l"), (None, 8, 3)),
        (spec.Cropping2D(name="l"), (None, 8, 7, 3)),
        (spec.Cropping2D(1, name="l"), (None, 8, 7, 3)),
        (spec.Cropping2D((1, 2), name="l"), (None, 8, 7, 3)),
        (spec.Cropping2D(((1, 2), (0, 3)), name="l"), (None, 8, 7, 3)),
        (
            spec.Cropping2D(((1, 2), (0, 3)), data_format="channels_first", name="l"),
            (None, 3, 8, 7),
        ),
        (spec.Cropping2D(((4, 4), (0, 0)), name="l"), (None, 8, 7, 3)),
        (spec.Cropping3D(name="l"), (None, 5, 6, 7, 2)),
        (spec.Cropping3D(((0, 1), (2, 0), (1, 1)), name="l"), (None, 5, 6, 7, 2)),
        (spec.UpSampling1D(name="l"), (None, 8, 3)),
        (spec.UpSampling1D(3, name="l"), (None, 8, 3)),
        (spec.UpSampling2D(name="l"), (None, 8, 7, 3)),
        (spec.UpSampling2D((2, 3), interpolation="bilinear", name="l"), (None, 8, 7, 3)),
        (spec.UpSampling2D(data_format="channels_first", name="l"), (None, 3, 8, 7)),
        (spec.UpSampling3D((1, 2, 3), name="l"), (None, 2, 3, 4, 2)),
        (spec.Permute((2, 1), name="l"), (None, 8, 3)),
        (spec.Permute((3, 1, 2), name="l"), (None, 8, 7, 3)),
        (spec.Permute((1, 3), name="l"), (None, 8, 7, 3)),
        (spec.RepeatVector(4, name="l"), (None, 8)),
        (spec.Rescaling(1 / 255, name="l"), (None, 8, 7, 3)),
        (spec.Rescaling(2.0, offset=-1.0, name="l"), (None, 8)),
        (spec.Resizing(4, 5, name="l"), (None, 8, 7, 3)),
        (spec.Resizing(4, 5, data_format="channels_first", name="l"), (None, 3, 8, 7)),
        (spec.CenterCrop(4, 5, name="l"), (None, 8, 7, 3)),
        (spec.RandomCrop(4, 5, name="l"), (None, 8, 7, 3)),
        (spec.RandomFlip(name="l"), (None, 8, 7, 3)),
        (spec.RandomRotation(0.1, name="l"), (None, 8, 7, 3)),
        (spec.RandomZoom(0.1, name="l"), (None, 8, 7, 3)),
        (spec.RandomTranslation(0.1, 0.2, name="l"), (None, 8, 7, 3)),
        (spec.RandomContrast(0.1, name="l"), (None, 8, 7, 3)),
        (spec.RandomBrightness(0.1, name="l"), (None, 8, 7, 3)),
    ],
    ids=lambda v: v.class_name if isinstance(v, spec.Layer) else "",
)
def test_shape_only(layer: spec.Layer, shape: Shape) -> None:
    b = check(layer, shape, may_be_invalid=True)
    assert b is None or params(b) == 0


@pytest.mark.parametrize("kind", ["Average", "Max"])
@pytest.mark.parametrize(
    ("rank", "size", "shape"),
    [(1, 3, (None, 8, 2)), (2, (2, 3), (None, 8, 7, 2)), (3, 2, (None, 4, 5, 6, 2))],
)
def test_adaptive_pooling(kind: str, rank: int, size: Any, shape: Shape) -> None:
    check(getattr(spec, f"Adaptive{kind}Pooling{rank}D")(size, name="l"), shape)


@pytest.mark.parametrize(
    ("axes", "shapes"),
    [
        (1, ((None, 4), (None, 4))),
        (-1, ((None, 4), (None, 4))),
        ((2, 2), ((None, 5, 4), (None, 7, 4))),
        ((1, 1), ((None, 5, 4), (None, 5, 3))),
        ((2, 1), ((None, 5, 4), (None, 4, 3))),
        ((2, 2), ((None, 5, 4), (None, 7, 3))),
    ],
)
def test_dot(axes: Any, shapes: tuple[Shape, ...]) -> None:
    check(spec.Dot(axes, name="l"), *shapes, may_be_invalid=True)


# --- Layers checked on live Keras models ---------------------------------------------------

AUGMENTATION: dict[str, dict[str, Any]] = {
    "AutoContrast": {},
    "RandomBrightness": {"factor": 0.1},
    "RandomColorDegeneration": {"factor": 0.1},
    "RandomColorJitter": {},
    "RandomContrast": {"factor": 0.1},
    "RandomElasticTransform": {},
    "RandomErasing": {},
    "RandomFlip": {},
    "RandomGaussianBlur": {},
    "RandomGrayscale": {},
    "RandomHue": {"factor": 0.1},
    "RandomInvert": {},
    "RandomPerspective": {},
    "RandomPosterization": {"factor": 4},
    "RandomRotation": {"factor": 0.1},
    "RandomSaturation": {"factor": 0.1},
    "RandomSharpness": {"factor": 0.1},
    "RandomShear": {},
    "RandomTranslation": {"height_factor": 0.1, "width_factor": 0.1},
    "RandomZoom": {"height_factor": 0.1},
    "Solarization": {},
}


@pytest.mark.parametrize("name", sorted(AUGMENTATION))
def test_augmentation_layers(keras: Any, name: str) -> None:
    x = keras.Input((8, 7, 3))
    y = getattr(keras.layers, name)(**AUGMENTATION[name], name="l")(x)
    b = explain(keras.Model(x, y))
    assert not b.unexplained
    assert b.rows[0].output_shape == (None, 8, 7, 3)


def test_convnext_layers(keras: Any) -> None:
    from keras.src.applications.convnext import LayerScale, StochasticDepth

    x = keras.Input((5, 5, 6))
    y = LayerScale(1e-6, 6, name="scale")(x)
    y = StochasticDepth(0.1, name="drop")(y)
    b = explain(keras.Model(x, y))
    assert [(r.name, r.params, str(r.formula.symbols())) for r in b.rows] == [
        ("scale", 6, "C"),
        ("drop", 0, "0"),
    ]


def test_keyword_tensors(keras: Any) -> None:
    """Tensors passed by keyword (query=, value=, initial_state=, a mask) are read."""
    layers = keras.layers
    tokens = keras.Input((6,), dtype="int32", name="tokens")
    h, c = keras.Input((4,), name="h"), keras.Input((4,), name="c")
    x = layers.Embedding(20, 8, mask_zero=True, name="embed")(tokens)
    seq = layers.LSTM(4, return_sequences=True, name="lstm")(x, initial_state=[h, c])
    att = layers.MultiHeadAttention(2, 3, name="mha")(query=seq, value=x, key=x)
    out = layers.GlobalAveragePooling1D(name="pool")(att + 1.0)
    b = explain(keras.Model([tokens, h, c], out))
    assert not b.unexplained
    assert [r.name for r in b.rows] == ["embed", "lstm", "mha", "pool"]
    assert b.rows[2].output_shape == (None, 6, 4)


def test_wrapped_layer_without_rule_is_explained_from_its_parts(keras: Any) -> None:
    x = keras.Input((5, 4))
    inner = keras.layers.Lambda(lambda t: t * 2, name="double")
    y = keras.layers.TimeDistributed(inner, name="td")(x)
    b = explain(keras.Model(x, y))
    assert b.unexplained == []  # the Lambda holds no weight: nothing is left unaccounted for
    (row,) = b.rows
    assert (row.params, row.output_shape) == (0, (None, 5, 4))
    assert row.note.startswith("no rule for TimeDistributed(Lambda): explained from its parts")
    assert [(c.name, c.kind, c.params, c.note) for c in row.children] == [
        ("double", "Lambda", 0, "no rule for Lambda: it holds no weights")
    ]


# --- Errors and documentation ---------------------------------------------------------------


def test_group_normalization_error() -> None:
    model = spec.Sequential([spec.Input((5, 8)), spec.GroupNormalization(groups=3, name="gn")])
    with pytest.raises(SpecError) as err:
        explain(model)
    assert str(err.value) == (
        "Layer 'gn' (GroupNormalization): the 8 channels must be a positive multiple of "
        "groups. Received: groups=3."
    )


def test_wrapper_needs_a_layer() -> None:
    with pytest.raises(SpecError) as err:
        spec.TimeDistributed(3, name="td")
    assert str(err.value) == (
        "Layer 'td' (TimeDistributed): 'layer' must be a spec layer. Received: layer=3."
    )


def test_recurrent_rank_error() -> None:
    model = spec.Sequential([spec.Input((5,)), spec.LSTM(3, name="lstm")])
    with pytest.raises(SpecError) as err:
        explain(model)
    assert str(err.value) == (
        "Layer 'lstm' (LSTM): expects an input of rank 3 (batch, steps, features), got (None, 5)."
    )


@pytest.mark.parametrize("class_name", sorted(RULES))
def test_every_rule_documents_its_formula(class_name: str) -> None:
    """The Layer reference is built from the rules' docstrings: each starts with its formula."""
    first = rule_doc(class_name).splitlines()[0]
    assert first.startswith(("``", "No parameters")), first


def test_layer_reference_covers_every_rule() -> None:
    """docs/layers.md: every rule has an entry and a verified example."""
    from conftest import load_example

    layers = load_example("layers")
    assert layers.rules_without_example() == []
    page = layers.page_markdown()  # builds every example in Keras and verifies it
    listed = set()
    for line in page.splitlines():
        if line.startswith("### "):
            listed.update(line.removeprefix("### ").split(" · "))
        elif line.startswith("Layers: "):
            listed.update(k.strip("`.") for k in line.removeprefix("Layers: ").split(", "))
    assert sorted(set(RULES) - listed) == []
    assert "shared: called" not in page
    # No step says a number equals itself ("Parameters: 3 = 3", "96 = 96").
    plain = page.replace("`", "").replace("*", "")
    assert re.findall(r"(?<![\w·/−+(.,])(\d+) = \1(?![\d,.])", plain) == []
