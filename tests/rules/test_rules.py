"""Every rule against the real Keras layer over grids of arguments."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from oracle import check_layer, kwargs_id

from cnnexplain import spec

pytestmark = pytest.mark.usefixtures("keras")


def grid(**axes: list[Any]) -> list[dict[str, Any]]:
    keys = list(axes)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*axes.values())]


CONV2D = grid(
    filters=[1, 6],
    kernel_size=[1, 3, (2, 5)],
    strides=[1, 2],
    padding=["valid", "same"],
    dilation_rate=[1, 2],
    groups=[1, 2],
    use_bias=[True, False],
)


@pytest.mark.parametrize("kwargs", CONV2D, ids=kwargs_id)
def test_conv2d(kwargs: dict[str, Any]) -> None:
    check_layer(spec.Conv2D(name="l", **kwargs), (None, 7, 9, 4), may_be_invalid=True)


@pytest.mark.parametrize(
    "kwargs",
    grid(
        filters=[3],
        kernel_size=[1, 4],
        strides=[1, 3],
        padding=["valid", "same", "causal"],
        dilation_rate=[1, 2],
        use_bias=[True, False],
    ),
    ids=kwargs_id,
)
def test_conv1d(kwargs: dict[str, Any]) -> None:
    check_layer(spec.Conv1D(name="l", **kwargs), (None, 11, 3), may_be_invalid=True)


@pytest.mark.parametrize(
    "kwargs",
    grid(
        filters=[2],
        kernel_size=[1, (2, 3, 1)],
        strides=[1, 2],
        padding=["valid", "same"],
        use_bias=[True, False],
    ),
    ids=kwargs_id,
)
def test_conv3d(kwargs: dict[str, Any]) -> None:
    check_layer(spec.Conv3D(name="l", **kwargs), (None, 5, 6, 4, 2), may_be_invalid=True)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv2d_data_format(data_format: str) -> None:
    b = check_layer(spec.Conv2D(8, 3, data_format=data_format, name="l"), (None, 3, 10, 10))
    assert b is not None
    assert b.rows[0].params == (3 * 3 * (10 if data_format == "channels_last" else 3) + 1) * 8


@pytest.mark.parametrize(
    "kwargs",
    grid(
        kernel_size=[1, 3],
        depth_multiplier=[1, 3],
        strides=[1, 2],
        padding=["valid", "same"],
        use_bias=[True, False],
    ),
    ids=kwargs_id,
)
def test_depthwise_conv2d(kwargs: dict[str, Any]) -> None:
    check_layer(spec.DepthwiseConv2D(name="l", **kwargs), (None, 8, 8, 5), may_be_invalid=True)


POOLS = ["MaxPooling", "AveragePooling"]


@pytest.mark.parametrize(
    ("kind", "kwargs"),
    [
        (k, kw)
        for k in POOLS
        for kw in grid(pool_size=[2, 3], strides=[None, 1, 2], padding=["valid", "same"])
    ],
    ids=lambda v: v if isinstance(v, str) else kwargs_id(v),
)
@pytest.mark.parametrize(
    ("rank", "shape"), [(1, (None, 9, 3)), (2, (None, 9, 7, 3)), (3, (None, 5, 6, 7, 2))]
)
def test_pooling(
    kind: str, kwargs: dict[str, Any], rank: int, shape: tuple[int | None, ...]
) -> None:
    layer = getattr(spec, f"{kind}{rank}D")(name="l", **kwargs)
    b = check_layer(layer, shape, may_be_invalid=True)
    assert b is not None
    assert b.rows[0].params == 0


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("kind", ["Max", "Average"])
@pytest.mark.parametrize(
    ("rank", "shape"), [(1, (None, 9, 3)), (2, (None, 9, 7, 3)), (3, (None, 5, 6, 7, 2))]
)
def test_global_pooling(
    kind: str, rank: int, shape: tuple[int | None, ...], keepdims: bool
) -> None:
    check_layer(getattr(spec, f"Global{kind}Pooling{rank}D")(name="l", keepdims=keepdims), shape)


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("shape", [(None, 7), (None, 5, 7), (None, 3, 4, 7)])
def test_dense(shape: tuple[int | None, ...], use_bias: bool) -> None:
    b = check_layer(spec.Dense(6, use_bias=use_bias, name="l"), shape)
    assert b is not None
    assert b.rows[0].params == (7 + use_bias) * 6
    assert b.rows[0].output_shape == (*shape[:-1], 6)


@pytest.mark.parametrize("shape", [(None, 13, 13, 32), (None, 5), (None, 2, 3, 4, 5)])
def test_flatten(shape: tuple[int | None, ...]) -> None:
    check_layer(spec.Flatten(name="l"), shape)


@pytest.mark.parametrize(
    "layer",
    [
        spec.Dropout(0.5, name="l"),
        spec.Activation("relu", name="l"),
        spec.ReLU(name="l"),
        spec.Softmax(name="l"),
        spec.LeakyReLU(name="l"),
        spec.SpatialDropout2D(0.1, name="l"),
    ],
    ids=lambda layer: layer.class_name,
)
def test_identity_layers(layer: spec.Layer) -> None:
    b = check_layer(layer, (None, 6, 6, 3))
    assert b is not None
    assert b.rows[0].output_shape == (None, 6, 6, 3)


@pytest.mark.parametrize(
    "kwargs",
    grid(axis=[-1, 1, 2], center=[True, False], scale=[True, False]),
    ids=kwargs_id,
)
def test_batch_normalization(kwargs: dict[str, Any]) -> None:
    b = check_layer(spec.BatchNormalization(name="l", **kwargs), (None, 4, 5, 6))
    assert b is not None
    row = b.rows[0]
    channels = (4, 5, 6)[kwargs["axis"] - 1 if kwargs["axis"] > 0 else kwargs["axis"]]
    assert row.non_trainable == 2 * channels
    assert row.trainable == (kwargs["center"] + kwargs["scale"]) * channels


@pytest.mark.parametrize("target", [(4, 6), (-1, 3), (2, -1, 2), (24,)])
def test_reshape(target: tuple[int, ...]) -> None:
    check_layer(spec.Reshape(target, name="l"), (None, 2, 3, 4))


@pytest.mark.parametrize("target", [(5, 5), (-1, -1), (-1, 5)])
def test_reshape_refused_like_keras(target: tuple[int, ...]) -> None:
    assert check_layer(spec.Reshape(target, name="l"), (None, 2, 3, 4), may_be_invalid=True) is None


@pytest.mark.parametrize("padding", [1, (2, 3), ((1, 2), (0, 3))])
def test_zero_padding2d(padding: Any) -> None:
    check_layer(spec.ZeroPadding2D(padding, name="l"), (None, 5, 6, 2))


@pytest.mark.parametrize("padding", [1, (2, 3)])
def test_zero_padding1d(padding: Any) -> None:
    check_layer(spec.ZeroPadding1D(padding, name="l"), (None, 5, 2))


@pytest.mark.parametrize("kind", ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"])
@pytest.mark.parametrize("shapes", [((None, 4, 4), (None, 4, 4)), ((None, 4, 4), (None, 1, 4))])
def test_elementwise_merge(kind: str, shapes: tuple[tuple[int | None, ...], ...]) -> None:
    from cnnexplain._graph.model import parse_model
    from cnnexplain._live.keras import build_keras_model

    inputs = [spec.Input(s[1:], name=f"in{i}") for i, s in enumerate(shapes)]
    model = spec.Model(inputs, getattr(spec, kind)(name="l")(inputs), name="merge")
    keras_model = build_keras_model(parse_model("Functional", model.config()))
    b = model.explain()
    assert b.rows[0].output_shape == tuple(keras_model.get_layer("l").output.shape)
    b.verify()


@pytest.mark.parametrize("axis", [-1, 1, 2])
def test_concatenate(axis: int) -> None:
    a, c = spec.Input((3, 4), name="a"), spec.Input((3, 4), name="c")
    model = spec.Model([a, c], spec.Concatenate(axis, name="l")([a, c]), name="cat")
    b = model.explain(verify=True)
    expected = [None, 3, 4]
    expected[axis] = 2 * expected[axis]  # type: ignore[operator]
    assert b.rows[0].output_shape == tuple(expected)


@pytest.mark.parametrize("lora_rank", [1, 3])
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_lora(lora_rank: int, use_bias: bool) -> None:
    b = check_layer(spec.Dense(4, lora_rank=lora_rank, use_bias=use_bias, name="l"), (None, 8))
    assert b is not None
    row = b.rows[0]
    assert row.params == (8 + use_bias) * 4 + lora_rank * (8 + 4)
    assert row.non_trainable == 8 * 4  # the frozen kernel


def test_depthwise_conv1d_refuses_causal_like_keras() -> None:
    layer = spec.DepthwiseConv1D(3, padding="causal", name="l")
    assert check_layer(layer, (None, 9, 2), may_be_invalid=True) is None


def test_depthwise_symbols_name_both_kernel_axes() -> None:
    b = check_layer(spec.DepthwiseConv2D(3, depth_multiplier=2, name="l"), (None, 8, 8, 5))
    assert b is not None
    assert b.rows[0].formula.symbols() == "(k_h·k_w+1)·C_in·m"
