"""Shared fixtures: Keras imported once, models built once per session, golden files."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

GOLDEN = Path(__file__).parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/*")


@pytest.fixture(scope="session")
def keras() -> Any:
    """Keras, imported once (about 3 s)."""
    import keras as _keras

    return _keras


def build_seed(keras: Any) -> Any:
    """The question's model with its pooling and flatten, as the text describes it."""
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(
                32, (3, 3), activation="relu", kernel_initializer="he_uniform", name="conv"
            ),
            layers.MaxPooling2D((2, 2), name="pool"),
            layers.Flatten(name="flatten"),
            layers.Dense(100, activation="relu", kernel_initializer="he_uniform", name="hidden"),
            layers.Dense(10, activation="softmax", name="output"),
        ],
        name="mnist",
    )


@pytest.fixture(scope="session")
def seed_model(keras: Any) -> Any:
    """The seed model, built in Keras."""
    return build_seed(keras)


_APPS: dict[str, Any] = {}


@pytest.fixture(scope="session")
def application(keras: Any) -> Callable[[str], Any]:
    """Build a ``keras.applications`` model by name (weights=None), once per session."""

    def get(name: str) -> Any:
        if name not in _APPS:
            _APPS[name] = getattr(keras.applications, name)(weights=None)
        return _APPS[name]

    return get


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Compare text with ``tests/golden/<name>``; ``--update-golden`` rewrites it."""

    def check(name: str, actual: str) -> None:
        path = GOLDEN / name
        if request.config.getoption("--update-golden"):
            path.write_text(actual, encoding="utf-8")
        assert path.exists(), f"missing golden file {path}; run pytest --update-golden"
        assert actual == path.read_text(encoding="utf-8")

    return check
