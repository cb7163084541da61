"""Invalid specs raise SpecError naming the layer and the argument."""

from __future__ import annotations

import pytest

import cnnexplain
from cnnexplain import SpecError, spec


def explain_one(layer: spec.Layer, shape: tuple[int | None, ...]) -> cnnexplain.Breakdown:
    return cnnexplain.explain(spec.Sequential([spec.Input(shape), layer], name="m"))


@pytest.mark.parametrize(
    ("layer", "shape", "message", "argument"),
    [
        (
            spec.Conv2D(-4, 3, name="c"),
            (8, 8, 1),
            "Layer 'c' (Conv2D): 'filters' must be at least 1. Received: filters=-4.",
            "filters",
        ),
        (
            spec.Conv2D(4, 0, name="c"),
            (8, 8, 1),
            (
                "Layer 'c' (Conv2D): 'kernel_size' must hold integers of at least 1. "
                "Received: kernel_size=0."
            ),
            "kernel_size",
        ),
        (
            spec.Conv2D(4, (5, 5), name="c"),
            (3, 8, 1),
            (
                "Layer 'c' (Conv2D): the kernel is larger than the input along H (3) with "
                "padding='valid'. Received: kernel_size=(5, 5)."
            ),
            "kernel_size",
        ),
        (
            spec.Conv2D(4, 3, padding="full", name="c"),
            (8, 8, 1),
            (
                "Layer 'c' (Conv2D): 'padding' must be one of 'valid', 'same'. Received: "
                "padding='full'."
            ),
            "padding",
        ),
        (
            spec.Conv2D(6, 3, groups=4, name="c"),
            (8, 8, 4),
            "Layer 'c' (Conv2D): filters=6 must be divisible by groups. Received: groups=4.",
            "groups",
        ),
        (
            spec.Dense(0, name="d"),
            (8,),
            "Layer 'd' (Dense): 'units' must be at least 1. Received: units=0.",
            "units",
        ),
        (
            spec.MaxPooling2D(4, name="p"),
            (3, 3, 1),
            (
                "Layer 'p' (MaxPooling2D): the window is larger than the input along H (3) with "
                "padding='valid'. Received: pool_size=4."
            ),
            "pool_size",
        ),
        (
            spec.Reshape((5, 5), name="r"),
            (4, 6),
            (
                "Layer 'r' (Reshape): it holds 25 values but the input has 24. "
                "Received: target_shape=(5, 5)."
            ),
            "target_shape",
        ),
    ],
)
def test_invalid_arguments(
    layer: spec.Layer, shape: tuple[int, ...], message: str, argument: str
) -> None:
    with pytest.raises(SpecError) as info:
        explain_one(layer, shape)
    assert str(info.value) == message
    assert info.value.argument == argument
    assert info.value.layer == layer.name


def test_add_of_different_shapes() -> None:
    x = spec.Input((8, 8, 3), name="x")
    a = spec.Conv2D(4, 3, name="a")(x)
    b = spec.Conv2D(4, 1, name="b")(x)
    model = spec.Model(x, spec.Add(name="add")([a, b]), name="bad")
    with pytest.raises(SpecError) as info:
        cnnexplain.explain(model)
    assert str(info.value) == (
        "Layer 'add' (Add): inputs must have the same shape, got (None, 6, 6, 4), (None, 8, 8, 4)."
    )
    assert info.value.layer == "add"


def test_negative_input_size() -> None:
    with pytest.raises(SpecError, match=r"Input 'input_layer': sizes must be positive"):
        cnnexplain.explain(spec.Sequential([spec.Input((-1, 3)), spec.Dense(2)]))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: spec.Conv2D(32, kernel=3, name="c"),
            (
                "Layer 'c' (Conv2D): unknown argument 'kernel'; expected one of filters, "
                "kernel_size, strides, padding, data_format, dilation_rate, groups, use_bias. "
                "Received: kernel=3."
            ),
        ),
        (
            lambda: spec.Dense(10, 20, name="d"),
            "Layer 'd' (Dense): takes at most 1 positional arguments (units). Received: 2.",
        ),
        (
            lambda: spec.Dense(name="d"),
            "Layer 'd' (Dense): missing required argument 'units'.",
        ),
        (
            lambda: spec.Dense(10, units=5, name="d"),
            "Layer 'd' (Dense): 'units' is given twice. Received: units=10.",
        ),
    ],
)
def test_unknown_and_missing_arguments(make: object, message: str) -> None:
    with pytest.raises(SpecError) as info:
        make()  # type: ignore[operator]
    assert str(info.value) == message


def test_ignored_keras_arguments_are_accepted() -> None:
    layer = spec.Conv2D(
        8, 3, activation="relu", kernel_initializer="he_uniform", kernel_regularizer=None
    )
    assert explain_one(layer, (5, 5, 2)).total == (3 * 3 * 2 + 1) * 8


def test_auto_names_follow_keras_style() -> None:
    b = cnnexplain.explain(
        spec.Sequential([spec.Input((4,)), spec.Dense(3), spec.Dense(2), spec.Dropout(0.5)])
    )
    assert [r.name for r in b.rows] == ["dense", "dense_1", "dropout"]
    assert b.name == "sequential"


def test_frozen_spec_layer() -> None:
    b = cnnexplain.explain(
        spec.Sequential([spec.Input((4,)), spec.Dense(3, trainable=False, name="d")])
    )
    assert (b.trainable, b.non_trainable) == (0, 15)


@pytest.mark.usefixtures("keras")
def test_nested_spec_model_and_shared_layer() -> None:
    inner = spec.Sequential([spec.Input((6,)), spec.Dense(4, name="inner_d")], name="inner")
    x = spec.Input((6,), name="x")
    shared = spec.Dense(6, name="shared")
    y = inner(shared(shared(x)))
    model = spec.Model(x, y, name="outer")
    b = model.explain(verify=True)  # built in Keras and compared row by row
    assert [(r.name, r.params, r.calls) for r in b.rows] == [("shared", 42, 2), ("inner", 28, 1)]
    assert b.total == 70


def test_breakdown_without_keras_model_cannot_verify() -> None:
    b = cnnexplain.explain(spec.Sequential([spec.Input((4,)), spec.Dense(3)]))
    bare = cnnexplain.Breakdown(b.name, b.rows)
    assert bare.total == 15
    with pytest.raises(SpecError, match="Breakdown of 'sequential' has no Keras model"):
        bare.verify()
