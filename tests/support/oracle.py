"""Keras as the oracle: build a one-layer model in Keras and in cnnexplain, compare."""

from __future__ import annotations

from typing import Any

import pytest

from cnnexplain import Breakdown, SpecError, spec
from cnnexplain._graph.model import parse_model
from cnnexplain._live.keras import build_keras_model


def one_layer(layer: spec.Layer, shape: tuple[int | None, ...]) -> spec.Sequential:
    """A Sequential of an input of ``shape`` (batch axis included) and ``layer``."""
    return spec.Sequential([spec.Input(shape[1:], name="x"), layer], name="oracle")


def check_layer(
    layer: spec.Layer, shape: tuple[int | None, ...], *, may_be_invalid: bool = False
) -> Breakdown | None:
    """Compare one layer with Keras: same count, trainable count and output shape.

    With ``may_be_invalid``, Keras may refuse the configuration, and then
    cnnexplain must refuse it too, with a SpecError naming the layer. Returns the
    breakdown, or None when both refused.
    """
    model = one_layer(layer, shape)
    config = model.config()
    try:
        keras_model = build_keras_model(parse_model("Sequential", config))
    except SpecError:
        if not may_be_invalid:
            raise
        with pytest.raises(SpecError, match=r"Layer 'l' \("):
            model.explain()
        return None
    b = model.explain()
    (row,) = b.rows
    k_layer = keras_model.get_layer("l")
    assert row.params == k_layer.count_params(), (config, row)
    assert row.output_shape == tuple(k_layer.output.shape), (config, row)
    assert int(row.formula) == row.params
    assert sum(w.size for w in row.weights) == row.params
    assert sorted(w.shape for w in row.weights) == sorted(tuple(v.shape) for v in k_layer.weights)
    b.verify()
    return b


def kwargs_id(kwargs: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in kwargs.items())
