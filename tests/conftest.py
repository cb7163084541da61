"""Shared fixtures: Keras imported once, models built once per session, golden files."""

from __future__ import annotations

import importlib.util
import os
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import cnnexplain.spec

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

GOLDEN = Path(__file__).parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/*")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start writing the tf_keras files now if a test needs them (see `saved_models.legacy`)."""
    if any("legacy" in getattr(item, "fixturenames", ()) for item in session.items):
        from saved_models import start_legacy

        factory = session.config._tmp_path_factory  # type: ignore[attr-defined]
        start_legacy(factory.mktemp("legacy_models"))


def pytest_sessionfinish(session: pytest.Session) -> None:  # noqa: ARG001
    """End the tf_keras writer if the run stopped before any test waited for it."""
    from saved_models import stop_legacy

    stop_legacy()


@pytest.fixture(scope="session")
def keras() -> Any:
    """Keras, imported once (about 3 s)."""
    import keras as _keras

    return _keras


def seed_spec() -> cnnexplain.spec.Sequential:
    """The question's model in Keras terms (docs/examples/seed.py), without TensorFlow."""
    spec = cnnexplain.spec
    return spec.Sequential(
        [
            spec.Input((28, 28, 1)),
            spec.Conv2D(32, (3, 3), activation="relu", name="conv"),
            spec.MaxPooling2D((2, 2), name="pool"),
            spec.Flatten(name="flatten"),
            spec.Dense(100, activation="relu", name="hidden"),
            spec.Dense(10, activation="softmax", name="output"),
        ],
        name="mnist",
    )


def load_example(name: str) -> types.ModuleType:
    """Import ``docs/examples/<name>.py``: tests run the code the docs show."""
    path = Path(__file__).parent.parent / "docs" / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"docs_examples_{name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def seed_model(keras: Any) -> Any:
    """The seed model as the docs show it (docs/examples/seed.py), built in Keras."""
    del keras  # imported first, with the environment set above
    return load_example("seed").define_model()


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


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documentation site, built once per session with ``mkdocs build --strict``."""
    import subprocess
    import sys

    site = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=Path(__file__).parent.parent,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr[-6000:]}"
    return site
