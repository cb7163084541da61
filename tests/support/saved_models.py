"""Keras models saved once per session as ``.keras`` files, for the file and command tests.

Both ``test_file.py`` and ``test_cli.py`` import the ``saved`` fixture; the cache
lives here, so each model is saved once however many modules use it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

APPLICATIONS = ("VGG16", "ResNet50", "MobileNetV2", "DenseNet121", "EfficientNetB0")
"""The ``keras.applications`` models of the core issue."""

Saved = Callable[[str], tuple[Any, Path]]
"""The type of the ``saved`` fixture."""

_SAVED: dict[str, tuple[Any, Path]] = {}


def build_nested(keras: Any) -> Any:
    """A Functional model with a shared layer, a frozen layer and a nested Sequential."""
    layers = keras.layers
    x = keras.Input((8,), name="x")
    shared = layers.Dense(8, name="shared")
    y = shared(shared(x))
    z = layers.Dense(8, name="frozen", trainable=False)(x)
    added = layers.Add(name="add")([y, z])
    inner = keras.Sequential(
        [
            keras.Input((8,)),
            layers.Dense(4, name="inner_dense"),
            layers.BatchNormalization(name="inner_norm"),
        ],
        name="inner",
    )
    return keras.Model(x, inner(added), name="nested")


def custom_layer_class(keras: Any) -> type:
    """A registered layer class no rule covers: it owns a kernel and a scalar."""
    registered = keras.saving.get_registered_object("cnnexplain_tests>Scale")
    if registered is not None:
        return registered  # type: ignore[no-any-return]

    @keras.saving.register_keras_serializable(package="cnnexplain_tests")
    class Scale(keras.layers.Layer):  # type: ignore[misc]
        def build(self, input_shape: Any) -> None:
            self.kernel = self.add_weight(shape=(input_shape[-1], 3), name="kernel")
            self.offset = self.add_weight(shape=(), name="offset")

        def call(self, inputs: Any) -> Any:
            return keras.ops.matmul(inputs, self.kernel) + self.offset

    return Scale


def build_unruled(keras: Any) -> Any:
    """A Functional model with a Lambda and a custom layer between layers that have rules."""
    layers = keras.layers
    scale = custom_layer_class(keras)
    x = keras.Input((6,), name="x")
    h = layers.Dense(5, name="before")(x)
    h = layers.Lambda(lambda t: t * 2.0, name="double")(h)
    h = scale(name="scale")(h)
    return keras.Model(x, layers.Dense(2, name="after")(h), name="unruled")


def _build(name: str, keras: Any, seed_model: Any, application: Callable[[str], Any]) -> Any:
    if name == "seed":
        return seed_model
    if name == "nested":
        return build_nested(keras)
    if name == "unruled":
        return build_unruled(keras)
    return application(name)


@pytest.fixture(scope="session")
def saved(
    keras: Any,
    seed_model: Any,
    application: Callable[[str], Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Saved:
    """``saved(name)``: the model (seed, nested, unruled or an application) and its file."""
    folder = tmp_path_factory.getbasetemp() / "saved_models"
    folder.mkdir(exist_ok=True)

    def get(name: str) -> tuple[Any, Path]:
        if name not in _SAVED:
            model = _build(name, keras, seed_model, application)
            path = folder / f"{name}.keras"
            model.save(path)
            _SAVED[name] = (model, path)
        return _SAVED[name]

    return get


def rewrite(
    source: Path,
    dest: Path,
    *,
    config: Any = None,
    metadata: Any = None,
    weights: bytes | None = None,
    drop: tuple[str, ...] = (),
) -> Path:
    """A copy of a .keras archive with members replaced or dropped."""
    replaced = {"config.json": config, "metadata.json": metadata, "model.weights.h5": weights}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(dest, "w") as new:
        for name in old.namelist():
            if name in drop:
                continue
            value = replaced.get(name)
            if value is None:
                new.writestr(name, old.read(name))
            elif isinstance(value, bytes):
                new.writestr(name, value)
            else:
                new.writestr(name, json.dumps(value))
    return dest


def member_json(path: Path, name: str) -> Any:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read(name))


def member_bytes(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


Legacy = tuple[Path, dict[str, Any]]
"""The type of the ``legacy`` fixture: the folder of tf_keras files and tf_keras's counts."""

_LEGACY: list[Legacy] = []
_WRITING: list[tuple[Path, subprocess.Popen[bytes]]] = []


def start_legacy(folder: Path) -> None:
    """Start writing the tf_keras files into ``folder``, in a process of its own.

    tf_keras and Keras 3 cannot share a process; started as soon as the tests are
    collected (``conftest.py``), it runs on the other core while the first tests run.
    """
    if _WRITING:
        return
    script = Path(__file__).with_name("legacy_models.py")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONSTARTUP", "PYTHONPATH")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    with (folder / "stderr.txt").open("w", encoding="utf-8") as stderr:  # the child's copy stays
        process = subprocess.Popen(
            [sys.executable, str(script), str(folder)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=env,
        )
    _WRITING.append((folder, process))


def stop_legacy() -> None:
    """End the writing process if no test waited for it (a run stopped early)."""
    for _, process in _WRITING:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> Legacy:
    """Real tf_keras (Keras 2) ``.h5`` files and SavedModels, written once per session.

    `legacy_models` writes them, with ``oracle.json``: tf_keras's counts and shapes.
    """
    if not _LEGACY:
        start_legacy(tmp_path_factory.mktemp("legacy_models"))
        folder, process = _WRITING[0]
        process.wait(timeout=900)
        stderr = (folder / "stderr.txt").read_text(encoding="utf-8")
        assert process.returncode == 0, stderr[-3000:]
        oracle = json.loads((folder / "oracle.json").read_text(encoding="utf-8"))
        _LEGACY.append((folder, oracle))
    return _LEGACY[0]
