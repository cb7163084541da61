"""Every model of ``keras.applications`` (weights=None) is explained in full and verified.

Each model is built once per session (the ``application`` fixture); `explain`
verifies every row (parameters, trainable parameters, output shape) against
Keras by default, so a test passing here means no figure differs. Every row's
MACs come from its rule, known wherever the lengths are.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from cnnexplain import explain

APPLICATIONS = [
    "VGG16",
    "VGG19",
    "ResNet50",
    "ResNet50V2",
    "MobileNet",
    "MobileNetV2",
    "MobileNetV3Small",
    "DenseNet121",
    "EfficientNetB0",
    "EfficientNetV2B0",
    "InceptionV3",
    "Xception",
    "ConvNeXtTiny",
    "NASNetMobile",
]


UNKNOWN_LENGTH = "MACs unknown: a length it needs is unknown"


def _size(weights: list[Any]) -> int:
    unique = {id(w): w for w in weights}
    return sum(math.prod(w.shape) for w in unique.values())


@pytest.mark.parametrize("name", APPLICATIONS)
def test_application_is_fully_explained(application: Callable[[str], Any], name: str) -> None:
    model = application(name)
    b = explain(model)  # verifies every row against Keras
    assert [row.name for row in b.unexplained] == []
    assert b.total == model.count_params()
    assert b.trainable == _size(model.trainable_weights)
    assert b.non_trainable == _size(model.non_trainable_weights)
    assert int(b.formula) == b.total
    assert list(b.output_shapes) == [tuple(model.output.shape)]
    # every rule gives its MACs (Explained.macs) unless a length they need is unknown
    # (MobileNetV3Small is built for images of any size)
    for path, row in b.costs().walk():
        assert row.macs is not None or row.note.startswith(UNKNOWN_LENGTH), (path, row.note)
