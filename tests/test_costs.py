"""Costs checked against independent counts: TensorFlow's profiler, Keras weights, hand formulas."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import cnnexplain
from cnnexplain import Costs, Optimizer, SpecError, explain, spec
from cnnexplain._training import optimizer_slots

# ---------------------------------------------------------------------------------------
# Independent counts
# ---------------------------------------------------------------------------------------

_PRODUCT_OPS = {"Conv2D", "Conv3D", "DepthwiseConv2dNative", "MatMul", "BatchMatMulV2"}


def profiled_macs(model: Any) -> int:
    """Half the FLOPs TensorFlow's profiler counts in the product ops of one forward pass.

    The profiler counts 2 FLOPs per multiply-accumulate of Conv2D, Conv3D,
    DepthwiseConv2dNative, MatMul and BatchMatMulV2 (bias additions are separate ops,
    left out here as cnnexplain leaves them out of MACs).
    """
    import tensorflow as tf

    spec_ = tf.TensorSpec((1, *model.inputs[0].shape[1:]), tf.float32)
    graph = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec_).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    profile = tf.compat.v1.profiler.profile(
        graph=graph, run_meta=tf.compat.v1.RunMetadata(), cmd="op", options=options
    )
    flops = 0
    stack = list(profile.children)
    while stack:
        node = stack.pop()
        if node.name in _PRODUCT_OPS:
            flops += node.float_ops
        stack.extend(node.children)
    assert flops % 2 == 0
    return flops // 2


def keras_weight_bytes(layer_or_model: Any) -> int:
    return sum(w.numpy().nbytes for w in layer_or_model.weights)


def output_bytes(layer: Any) -> int:
    """Bytes of one example of the layer's output, from the Keras tensor's shape and dtype."""
    outputs = layer.output if isinstance(layer.output, (list, tuple)) else [layer.output]
    return sum(
        math.prod(o.shape[1:]) * np.dtype(str(o.dtype).replace("bfloat16", "float16")).itemsize
        for o in outputs
    )


def single(keras: Any, layer: Any, shape: tuple[int | None, ...]) -> Any:
    return keras.Sequential([keras.Input(shape), layer])


def row_cost(keras_model: Any) -> Any:
    (row,) = explain(keras_model).costs().rows
    return row


# ---------------------------------------------------------------------------------------
# MACs
# ---------------------------------------------------------------------------------------


def test_seed_model_macs_match_the_profiler(seed_model: Any) -> None:
    costs = explain(seed_model).costs()
    assert costs.macs == profiled_macs(seed_model)
    assert costs.flops == 2 * costs.macs
    assert costs.unknown_macs == ()


PROFILED: list[tuple[str, dict[str, Any], tuple[int, ...]]] = [
    ("Conv2D", {"filters": 32, "kernel_size": 3}, (28, 28, 1)),
    (
        "Conv2D",
        {"filters": 16, "kernel_size": (5, 3), "strides": 2, "padding": "same"},
        (31, 30, 3),
    ),
    ("Conv2D", {"filters": 8, "kernel_size": 3, "dilation_rate": 2}, (20, 20, 4)),
    ("Conv2D", {"filters": 12, "kernel_size": 1, "use_bias": False}, (9, 9, 6)),
    ("Conv2D", {"filters": 7, "kernel_size": 4, "strides": (3, 2)}, (17, 16, 5)),
    ("Conv1D", {"filters": 4, "kernel_size": 3, "padding": "causal"}, (10, 2)),
    ("Conv3D", {"filters": 4, "kernel_size": 3}, (6, 7, 6, 2)),
    ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2}, (8, 8, 3)),
    ("SeparableConv2D", {"filters": 5, "kernel_size": 3, "strides": 2}, (9, 9, 3)),
    ("Dense", {"units": 100}, (5408,)),
    ("Dense", {"units": 5}, (7, 3)),
    ("Dense", {"units": 4, "use_bias": False}, (2, 7, 3)),
    ("EinsumDense", {"equation": "abc,cd->abd", "output_shape": (7, 5)}, (7, 3)),
]


@pytest.mark.parametrize(("kind", "kwargs", "shape"), PROFILED, ids=str)
def test_macs_match_the_profiler(keras: Any, kind: str, kwargs: dict[str, Any], shape: Any) -> None:
    model = single(keras, getattr(keras.layers, kind)(**kwargs), shape)
    row = row_cost(model)
    assert row.macs == profiled_macs(model)
    assert row.macs_formula is not None
    assert int(row.macs_formula) == row.macs


def _out(layer: Any) -> tuple[int, ...]:
    return tuple(int(d) for d in layer.output.shape[1:])


def test_conv2d_hand_formula_with_groups(keras: Any) -> None:
    # TensorFlow runs grouped convolutions in a compiled call the profiler doesn't see.
    layer = keras.layers.Conv2D(12, 3, groups=3, strides=2)
    row = row_cost(single(keras, layer, (15, 14, 6)))
    h, w, f = _out(layer)
    assert row.macs == h * w * 3 * 3 * (6 // 3) * f
    assert row.macs_formula.symbols() == "H_out·W_out·k_h·k_w·(C_in/g)·F"


def test_conv_transpose_counts_each_input_position_once(keras: Any) -> None:
    # Each input value scatters a k_h·k_w·F patch; TF's profiler instead counts the
    # output positions of the equivalent convolution, zero padding included.
    layer = keras.layers.Conv2DTranspose(4, 3, strides=2)
    row = row_cost(single(keras, layer, (5, 6, 2)))
    assert row.macs == 5 * 6 * 3 * 3 * 2 * 4
    assert row.macs == 5 * 6 * layer.kernel.numpy().size


def test_batch_normalization_counts_one_mac_per_element(keras: Any) -> None:
    layer = keras.layers.BatchNormalization()
    row = row_cost(single(keras, layer, (5, 6, 7)))
    assert row.macs == 5 * 6 * 7


def test_layer_normalization_counts_two_macs_per_element(keras: Any) -> None:
    layer = keras.layers.LayerNormalization()
    row = row_cost(single(keras, layer, (5, 6)))
    assert row.macs == 2 * 5 * 6


RNNS: list[tuple[str, dict[str, Any], int]] = [
    ("SimpleRNN", {"units": 7}, 1),
    ("LSTM", {"units": 7, "return_sequences": True}, 4),
    ("GRU", {"units": 7}, 3),
    ("GRU", {"units": 7, "reset_after": False}, 3),
]


@pytest.mark.parametrize(("kind", "kwargs", "gates"), RNNS, ids=str)
def test_rnn_macs_hand_formula(keras: Any, kind: str, kwargs: dict[str, Any], gates: int) -> None:
    steps, m, n = 11, 5, kwargs["units"]
    layer = getattr(keras.layers, kind)(**kwargs)
    row = row_cost(single(keras, layer, (steps, m)))
    assert row.macs == steps * gates * (m * n + n * n)
    # the same count from Keras's own weights: per step, every kernel entry is used once
    kernels = [w for w in layer.weights if w.name in ("kernel", "recurrent_kernel")]
    assert row.macs == steps * sum(w.numpy().size for w in kernels)


def test_bidirectional_counts_both_directions(keras: Any) -> None:
    layer = keras.layers.Bidirectional(keras.layers.LSTM(6))
    row = row_cost(single(keras, layer, (9, 4)))
    assert row.macs == 2 * 9 * 4 * (4 * 6 + 6 * 6)


def test_time_distributed_counts_every_step(keras: Any) -> None:
    layer = keras.layers.TimeDistributed(keras.layers.Dense(3))
    row = row_cost(single(keras, layer, (9, 4)))
    assert row.macs == 9 * 4 * 3


def test_rnn_with_unknown_length_is_unknown(keras: Any) -> None:
    model = single(keras, keras.layers.LSTM(3, name="lstm"), (None, 4))
    costs = explain(model).costs()
    assert costs.rows[0].macs is None
    assert costs.unknown_macs == ("lstm",)
    assert costs.macs == 0


def test_multi_head_attention_hand_formula(keras: Any) -> None:
    t_q, t_v, e_q, e_v, h, dk, dv = 5, 7, 8, 6, 2, 4, 3
    query, value = keras.Input((t_q, e_q)), keras.Input((t_v, e_v))
    layer = keras.layers.MultiHeadAttention(h, dk, value_dim=dv, name="mha")
    model = keras.Model([query, value], layer(query, value))
    row = next(r for r in explain(model).costs().rows if r.name == "mha")
    projections = t_q * e_q * h * dk + t_v * e_v * h * dk + t_v * e_v * h * dv
    attention = h * t_q * t_v * dk + h * t_q * t_v * dv
    output = t_q * h * dv * e_q
    assert row.macs == projections + attention + output
    # the projections again, from Keras's sublayer kernels: every entry used once per position
    sizes = {w.path.split("/")[-2]: w.numpy().size for w in layer.weights if w.name == "kernel"}
    assert sizes["query"] * t_q + sizes["key"] * t_v + sizes["value"] * t_v == projections
    assert sizes["attention_output"] * t_q == output


def test_multi_head_attention_over_chosen_axes(keras: Any) -> None:
    # attention along axis 2 only: axis 1 acts as a batch axis of the attention
    rows, cols, e, h, dk = 3, 5, 8, 2, 4
    x = keras.Input((rows, cols, e))
    layer = keras.layers.MultiHeadAttention(h, dk, attention_axes=(2,), name="mha")
    row = next(r for r in explain(keras.Model(x, layer(x, x))).costs().rows if r.name == "mha")
    positions = rows * cols
    projections = 3 * positions * e * h * dk
    attention = 2 * rows * h * cols * cols * dk
    assert row.macs == projections + attention + positions * h * dk * e


def test_conv_lstm_hand_formula(keras: Any) -> None:
    steps, height, width, c_in, f = 4, 7, 6, 3, 5
    layer = keras.layers.ConvLSTM2D(f, 3, return_sequences=True)
    row = row_cost(single(keras, layer, (steps, height, width, c_in)))
    h_out, w_out = height - 2, width - 2
    assert row.macs == steps * h_out * w_out * 3 * 3 * 4 * f * (c_in + f)


def test_dot_hand_formula(keras: Any) -> None:
    a, b = keras.Input((5, 4)), keras.Input((6, 4))
    model = keras.Model([a, b], keras.layers.Dot(axes=2, name="dot")([a, b]))
    row = next(r for r in explain(model).costs().rows if r.name == "dot")
    assert row.macs == 5 * 6 * 4


def test_einsum_dense_with_ellipsis(keras: Any) -> None:
    # TensorFlow runs this one as an Einsum op, which the profiler doesn't count
    layer = keras.layers.EinsumDense("...b,bc->...c", output_shape=6)
    row = row_cost(single(keras, layer, (3, 5, 4)))
    assert row.macs == 3 * 5 * 4 * 6 == 3 * 5 * layer.kernel.numpy().size


@pytest.mark.parametrize("name", ["MobileNetV2"])
def test_application_products_match_the_profiler(application: Any, name: str) -> None:
    model = application(name)
    costs = explain(model).costs()
    products = {"Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Dense"}
    assert sum(r.macs or 0 for r in costs.rows if r.kind in products) == profiled_macs(model)
    assert costs.unknown_macs == ()
    assert costs.param_bytes == keras_weight_bytes(model)


def test_grouped_query_attention_hand_formula(keras: Any) -> None:
    t_q, t_v, e, h_q, h_kv, d = 5, 7, 8, 4, 2, 3
    query, value = keras.Input((t_q, e)), keras.Input((t_v, e))
    layer = keras.layers.GroupQueryAttention(
        head_dim=d, num_query_heads=h_q, num_key_value_heads=h_kv, name="gqa"
    )
    model = keras.Model([query, value], layer(query, value))
    row = next(r for r in explain(model).costs().rows if r.name == "gqa")
    projections = t_q * e * h_q * d + 2 * t_v * e * h_kv * d
    attention = 2 * h_q * t_q * t_v * d
    output = t_q * h_q * d * e
    assert row.macs == projections + attention + output
    sizes = {w.path.split("/")[-2]: w.numpy().size for w in layer.weights if w.name == "kernel"}
    assert sizes["query"] * t_q + (sizes["key"] + sizes["value"]) * t_v == projections


def test_generic_rnn_counts_as_its_cell(keras: Any) -> None:
    layer = keras.layers.RNN(keras.layers.LSTMCell(6))
    row = row_cost(single(keras, layer, (9, 4)))
    assert row.macs == 9 * 4 * (4 * 6 + 6 * 6)


@pytest.mark.parametrize(
    ("layer", "expected"),
    [
        ("RMSNormalization()", 2 * 5 * 6),
        ("UnitNormalization()", 2 * 5 * 6),
        ("RandomFlip()", 0),
        ("RandomZoom(0.1)", 0),
        ("Rescaling(1 / 255)", 0),
    ],
)
def test_per_element_conventions(keras: Any, layer: str, expected: int) -> None:
    built = eval(f"keras.layers.{layer}", {"keras": keras})  # noqa: S307 - literal table above
    row = row_cost(single(keras, built, (5, 6)))
    assert row.macs == expected


def test_interpolating_resize_is_unknown(keras: Any) -> None:
    nearest = row_cost(single(keras, keras.layers.UpSampling2D(), (4, 4, 2)))
    bilinear = row_cost(
        single(keras, keras.layers.UpSampling2D(interpolation="bilinear"), (4, 4, 2))
    )
    assert nearest.macs == 0
    assert bilinear.macs is None
    assert bilinear.note == "MACs unknown: its rule gives none for these arguments or shapes"


def test_unknown_kind_is_none_and_counted(keras: Any) -> None:
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(3, name="dense")(inputs)
    outputs = keras.layers.Lambda(lambda x: x * 2, name="double")(hidden)
    costs = explain(keras.Model(inputs, outputs)).costs()
    double = next(r for r in costs.rows if r.name == "double")
    assert double.macs is None
    assert double.flops is None
    assert double.note == "no MAC formula for Lambda: MACs unknown"
    assert costs.unknown_macs == ("double",)
    assert costs.macs == 4 * 3
    assert "MACs per example: at least 12; unknown for 1 row (double), not included" in (
        costs.to_text()
    )


def test_shared_layer_costs_every_call(keras: Any) -> None:
    a, b = keras.Input((4,)), keras.Input((4,))
    shared = keras.layers.Dense(3, name="shared")
    model = keras.Model([a, b], keras.layers.Add(name="add")([shared(a), shared(b)]))
    costs = explain(model).costs()
    row = next(r for r in costs.rows if r.name == "shared")
    assert row.macs == 2 * 4 * 3
    assert row.activation_bytes == 2 * 3 * 4
    assert row.param_bytes == keras_weight_bytes(shared)
    assert costs.param_bytes == keras_weight_bytes(model)


# ---------------------------------------------------------------------------------------
# Bytes
# ---------------------------------------------------------------------------------------


def _mixed_model(keras: Any, policy: str) -> Any:
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((12, 12, 3)),
            layers.Conv2D(8, 3, dtype=policy, name="conv"),
            layers.BatchNormalization(dtype=policy, name="bn"),
            layers.DepthwiseConv2D(3, dtype=policy, name="depthwise"),
            layers.Flatten(dtype=policy, name="flatten"),
            layers.Dense(10, dtype=policy, name="hidden"),
            layers.Dense(3, dtype="float32", name="head"),
        ],
        name=f"model_{policy}",
    )


@pytest.fixture(scope="session")
def policy_models(keras: Any) -> dict[str, Any]:
    return {p: _mixed_model(keras, p) for p in ("float32", "mixed_float16", "float16", "float64")}


@pytest.mark.parametrize("policy", ["float32", "mixed_float16", "float16", "float64"])
def test_param_and_activation_bytes_match_keras(policy_models: Any, policy: str) -> None:
    model = policy_models[policy]
    costs = explain(model).costs()
    assert costs.param_bytes == keras_weight_bytes(model)
    for row in costs.rows:
        layer = model.get_layer(row.name)
        assert row.param_bytes == keras_weight_bytes(layer), row.name
        assert row.activation_bytes == output_bytes(layer), row.name
        assert row.dtype_policy == layer.dtype_policy.name
    assert costs.unknown_bytes == ()


def test_dtype_argument_overrides_every_policy(policy_models: Any) -> None:
    b = explain(policy_models["float32"])
    as_float16 = b.costs(dtype="float16")
    mixed = b.costs(dtype="mixed_float16")
    assert as_float16.param_bytes * 2 == b.costs().param_bytes
    assert mixed.param_bytes == b.costs().param_bytes  # variables stay float32
    assert mixed.activation_bytes * 2 == b.costs().activation_bytes  # computed in float16
    assert mixed.dtype_policy == "mixed_float16"


def test_normalization_count_is_int64(keras: Any) -> None:
    layer = keras.layers.Normalization(name="norm")
    row = row_cost(single(keras, layer, (5,)))
    assert row.param_bytes == keras_weight_bytes(layer) == 5 * 4 * 2 + 8


def test_unknown_dtype_is_refused(seed_model: Any) -> None:
    with pytest.raises(SpecError) as err:
        explain(seed_model).costs(dtype="float17")
    assert str(err.value) == (
        "Unknown dtype policy: expected one of 'float16', 'bfloat16', 'float32', 'float64', "
        "'mixed_float16', 'mixed_bfloat16'. Received: dtype='float17'."
    )
    assert err.value.argument == "dtype"


# ---------------------------------------------------------------------------------------
# Training memory
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def training_model(keras: Any) -> Any:
    """Trainable and non-trainable weights: a frozen Dense and BatchNormalization statistics."""
    layers = keras.layers
    frozen = layers.Dense(6, name="frozen")
    frozen.trainable = False
    return keras.Sequential(
        [
            keras.Input((10,)),
            frozen,
            layers.BatchNormalization(name="bn"),
            layers.Dense(4, name="head"),
        ],
        name="training",
    )


OPTIMIZERS: list[tuple[str, dict[str, Any]]] = [
    ("SGD", {}),
    ("SGD", {"momentum": 0.9}),
    ("Adam", {}),
    ("Adam", {"amsgrad": True}),
    ("AdamW", {}),
    ("RMSprop", {}),
    ("RMSprop", {"momentum": 0.9}),
    ("RMSprop", {"centered": True, "momentum": 0.5}),
    ("Adagrad", {}),
    ("Adadelta", {}),
    ("Adamax", {}),
    ("Nadam", {}),
    ("Ftrl", {}),
    ("Lion", {}),
    ("Lamb", {}),
]


def _slot_bytes(optimizer: Any) -> int:
    """Bytes of the optimizer's per-weight variables (its scalar counters left out)."""
    return sum(v.numpy().nbytes for v in optimizer.variables if len(v.shape) > 0)


@pytest.mark.parametrize(("name", "kwargs"), OPTIMIZERS, ids=str)
def test_optimizer_slots_match_keras(
    keras: Any, training_model: Any, name: str, kwargs: dict[str, Any]
) -> None:
    optimizer = getattr(keras.optimizers, name)(**kwargs)
    optimizer.build(training_model.trainable_variables)
    costs = explain(training_model).costs()
    trainable = sum(v.numpy().nbytes for v in training_model.trainable_variables)
    by_name = costs.training_memory(name, batch_size=8, **kwargs)
    by_object = costs.training_memory(optimizer, batch_size=8)
    assert by_name == by_object
    assert by_name.optimizer_bytes == _slot_bytes(optimizer)
    assert by_name.gradients_bytes == trainable
    assert by_name.weights_bytes == keras_weight_bytes(training_model)
    assert by_name.optimizer_bytes == by_name.slots * trainable


def test_every_optimizer_is_a_keras_optimizer_class(keras: Any) -> None:
    classes = {
        name.lower(): value
        for name, value in vars(keras.optimizers).items()
        if isinstance(value, type) and issubclass(value, keras.optimizers.Optimizer)
    }
    for member in Optimizer:
        assert member.value in classes, member
    # the names keras.optimizers.get() takes are the same (Lamb has no short name there)
    for member in set(Optimizer) - {Optimizer.LAMB}:
        assert isinstance(keras.optimizers.get(member.value), classes[member.value])


def test_training_bytes_add_up(seed_model: Any) -> None:
    costs = explain(seed_model).costs()
    weights = sum(w.numpy().nbytes for w in seed_model.weights)
    activations = sum(output_bytes(layer) for layer in seed_model.layers)
    assert costs.training_bytes("sgd", batch_size=1) == 2 * weights + activations
    assert costs.training_bytes("sgd", batch_size=1, momentum=0.9) == 3 * weights + activations
    assert costs.training_bytes("adam", batch_size=32) == 4 * weights + 32 * activations
    assert costs.training_bytes() == costs.training_bytes("adam", batch_size=32)
    assert int(costs.training_memory("adam", batch_size=4)) == costs.training_bytes(batch_size=4)


def test_mistyped_optimizer_is_refused() -> None:
    with pytest.raises(SpecError) as err:
        optimizer_slots("adamm")
    assert str(err.value) == (
        "Unknown optimizer: expected one of 'adadelta', 'adagrad', 'adam', 'adamax', 'adamw', "
        "'ftrl', 'lamb', 'lion', 'nadam', 'rmsprop', 'sgd' or a Keras optimizer of those "
        "classes. Received: optimizer='adamm'."
    )
    assert err.value.argument == "optimizer"
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_bad_batch_size_is_refused(seed_model: Any, batch_size: Any) -> None:
    costs = explain(seed_model).costs()
    with pytest.raises(SpecError, match=r"^batch_size must be a positive integer\. Received: "):
        costs.training_bytes("adam", batch_size=batch_size)


# ---------------------------------------------------------------------------------------
# Specs, nested models, rendering
# ---------------------------------------------------------------------------------------


def test_spec_and_keras_give_the_same_costs(seed_model: Any) -> None:
    model = spec.Sequential(
        [
            spec.Input((28, 28, 1)),
            spec.Conv2D(32, (3, 3), name="conv"),
            spec.MaxPooling2D((2, 2), name="pool"),
            spec.Flatten(name="flatten"),
            spec.Dense(100, name="hidden"),
            spec.Dense(10, name="output"),
        ],
        name="mnist",
    )
    assert explain(model).costs() == explain(seed_model).costs()


def test_nested_model_sums_its_layers(keras: Any) -> None:
    inner = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, name="a")], name="inner")
    outer = keras.Sequential([keras.Input((6,)), inner, keras.layers.Dense(2, name="b")])
    costs = explain(outer).costs()
    assert costs.rows[0].macs == 6 * 5
    assert [path for path, _ in costs.walk()] == ["inner", "inner/a", "b"]
    assert costs.macs == 6 * 5 + 5 * 2
    assert costs.param_bytes == keras_weight_bytes(outer)


def test_costs_table(seed_model: Any, golden: Callable[[str, str], None]) -> None:
    costs = explain(seed_model).costs()
    golden("costs_seed.txt", costs.to_text())
    golden("costs_seed.md", costs.to_markdown())
    assert str(costs) == costs.to_text()


def test_costs_is_public() -> None:
    assert cnnexplain.Costs is Costs
    assert Costs.__module__ == "cnnexplain"


def test_costs_to_dict_is_json_ready() -> None:
    import json

    from cnnexplain import explain, spec

    model = spec.Sequential(
        [spec.Input((8, 8, 1)), spec.Conv2D(2, 3, name="c"), spec.Flatten(name="f")], name="m"
    )
    costs = explain(model).costs()
    data = json.loads(json.dumps(costs.to_dict()))
    assert data["macs"] == costs.macs == 6 * 6 * 3 * 3 * 1 * 2
    assert [r["name"] for r in data["rows"]] == ["c", "f"]
    formula = costs.rows[0].macs_formula
    assert formula is not None
    assert data["rows"][0]["macs_formula"] == formula.text()
