"""Legacy Keras files (.h5, SavedModel directories) read without TensorFlow, tf_keras as oracle.

The files are real: `legacy_models` writes them with tf_keras (Keras 2) in its own
process, with the counts and output shapes tf_keras reports; Keras 3's own ``.h5``
files come from the live models of this session.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hdf5_oracle import h5py_node
from saved_models import Legacy, Saved, build_nested, legacy, saved

from cnnexplain import ModelFileError, explain
from cnnexplain._breakdown import Breakdown, LayerRow
from cnnexplain._cli import main
from cnnexplain._files.hdf5 import read_tree

__all__ = ["legacy", "saved"]  # the fixtures, imported for pytest

H5 = ("seed", "nested", "zoo", "custom_last", "ResNet50", "trained")
SAVEDMODELS = ("seed", "nested", "custom_last", "trained")


def _shape(row: LayerRow) -> Any:
    shape = row.output_shape
    return [list(s) for s in shape] if isinstance(shape, list) else list(shape)


def _check_against_tf_keras(b: Breakdown, counts: dict[str, Any]) -> None:
    assert (b.total, b.trainable) == (counts["total"], counts["trainable"])
    rows = {row.name: row for row in b.rows}
    for name, layer in counts["layers"].items():
        if name not in rows:  # an InputLayer, or a TFOpLambda read as a keras.ops operation
            assert layer["params"] == 0, name
            continue
        row = rows[name]
        assert row.params == layer["params"], name
        # A custom layer is explained from its stored parts, but a Keras 2 file records no
        # output shapes: the last layer's shape stays unknown ("?", an empty shape).
        if row.explained and row.output_shape != ():
            assert _shape(row) == layer["shape"], name


@pytest.mark.parametrize("name", H5)
def test_h5_from_tf_keras_gives_tf_keras_counts(legacy: Legacy, name: str) -> None:
    folder, oracle = legacy
    _check_against_tf_keras(explain(folder / f"{name}.h5"), oracle[name])


def test_every_layer_kind_as_tf_keras_writes_it(legacy: Legacy) -> None:
    """One small tf_keras model per layer kind (and tf.* functions): Keras 2 spellings read."""
    folder, oracle = legacy
    names = [name for name in oracle if name.startswith("layer_")]
    assert len(names) > 40  # the kinds legacy_models builds
    failed = {}
    for name in names:
        try:
            _check_against_tf_keras(explain(folder / f"{name}.h5"), oracle[name])
        except (AssertionError, ModelFileError) as err:  # noqa: PERF203 - all failures at once
            failed[name] = str(err)[:200]
    assert failed == {}


@pytest.mark.parametrize("name", SAVEDMODELS)
def test_savedmodel_from_tf_keras_gives_tf_keras_counts(legacy: Legacy, name: str) -> None:
    folder, oracle = legacy
    _check_against_tf_keras(explain(folder / f"{name}_savedmodel"), oracle[name])


@pytest.mark.parametrize("name", ["seed", "nested", "zoo", "ResNet50", "seed_weights"])
def test_pure_python_hdf5_reader_agrees_with_h5py(legacy: Legacy, name: str) -> None:
    import h5py

    folder, _ = legacy
    data = (folder / f"{name}.h5").read_bytes()
    mine = read_tree(lambda at, length: data[at : at + length], len(data))
    with h5py.File(folder / f"{name}.h5", "r") as h5:
        assert mine == h5py_node(h5py, h5, 0)
    assert isinstance(mine.attrs.get("keras_version"), str)


def test_list_attributes_split_in_chunks_are_joined(legacy: Legacy, tmp_path: Path) -> None:
    """Keras splits ``layer_names`` into ``layer_names0``, ``layer_names1``... past 64 KiB."""
    import h5py

    folder, oracle = legacy
    path = shutil.copy(folder / "seed.h5", tmp_path / "chunked.h5")
    with h5py.File(path, "r+") as h5:
        group = h5["model_weights"]
        names = list(group.attrs["layer_names"])
        del group.attrs["layer_names"]
        group.attrs["layer_names0"] = names[:2]
        group.attrs["layer_names1"] = names[2:]
    b = explain(path, verify=True)
    assert b.total == oracle["seed"]["total"]


def test_h5_weights_check_every_row(legacy: Legacy, tmp_path: Path) -> None:
    folder, _ = legacy
    b = explain(folder / "nested.h5", verify=True)
    assert [child.weights for row in b.rows for child in row.children]  # nested rows checked
    import h5py

    broken = shutil.copy(folder / "seed.h5", tmp_path / "broken.h5")
    with h5py.File(broken, "r+") as h5:
        group = h5["model_weights/hidden/hidden"]
        del group["bias:0"]
        group.create_dataset("bias:0", shape=(99,), dtype="float32")
    with pytest.raises(ModelFileError, match=r"layer 'hidden' \(Dense\) holds weights of shapes"):
        explain(broken)


def test_savedmodel_variables_check_every_row(legacy: Legacy, tmp_path: Path) -> None:
    folder, oracle = legacy
    b = explain(folder / "nested_savedmodel", verify=True)  # inner layers' keys: variables/N
    assert [child.weights for row in b.rows for child in row.children]
    damaged = shutil.copytree(folder / "seed_savedmodel", tmp_path / "damaged")
    index = damaged / "variables" / "variables.index"
    index.write_bytes(index.read_bytes()[:100])
    assert explain(damaged).total == oracle["seed"]["total"]  # explained, not checked
    with pytest.raises(ModelFileError, match=r"its variables could not be read \(variables"):
        explain(damaged, verify=True)


@pytest.mark.parametrize("name", ["seed.h5", "seed_savedmodel", "nested.h5"])
def test_command_json_equals_the_live_keras3_breakdown(
    legacy: Legacy, keras: Any, seed_model: Any, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """tf_keras wrote the architectures the seed model and `build_nested` build in Keras 3."""
    import json

    folder, _ = legacy
    model = build_nested(keras) if name.startswith("nested") else seed_model  # fresh, uncalled
    assert main([str(folder / name), "--format", "json"]) == 0
    read, expected = json.loads(capsys.readouterr().out), explain(model).to_dict()
    assert [row["name"] for row in read["rows"]] == [row["name"] for row in expected["rows"]]
    for row, other in zip(read["rows"], expected["rows"], strict=True):
        assert row == other, row["name"]
    assert read == expected


@pytest.mark.parametrize("name", ["seed", "nested", "unruled"])
def test_keras3_h5_gives_the_live_breakdown(saved: Saved, name: str, tmp_path: Path) -> None:
    model, _ = saved(name)
    path = tmp_path / f"{name}.h5"
    model.save(path)
    read, live = explain(path).to_dict(), explain(model).to_dict()
    keep = ("name", "kind", "params", "trainable", "output_shape", "formula", "explained")
    for rows in (read["rows"], live["rows"]):
        for i, row in enumerate(rows):
            if "explained from its parts" in row["note"]:
                # Parts are named as their source knows them: Keras's weight names live,
                # the stored variables' paths (vars/0) in a file; the figures are the same.
                rows[i] = {key: row[key] for key in keep}
    assert read == live


def test_custom_layer_counts_from_the_stored_weights(legacy: Legacy) -> None:
    folder, oracle = legacy
    for path in (folder / "custom_last.h5", folder / "custom_last_savedmodel"):
        (row,) = [row for row in explain(path).rows if row.name == "scale"]
        assert row.explained  # from its stored variables: a kernel and a scalar of its own
        assert row.params == oracle["custom_last"]["layers"]["scale"]["params"]
        assert [(c.kind, str(c.formula)) for c in row.children] == [
            ("Variable", "5·3"),
            ("Variable", "1"),
        ]
        assert "explained from its parts (0 sublayers and 2 weights of its own" in row.note


def test_tf_ops_become_keras_ops(legacy: Legacy) -> None:
    folder, _ = legacy
    b = explain(folder / "zoo.h5")
    assert "tf.math.multiply" not in [row.name for row in b.rows]  # x * 2.0: no weights, no row
    assert [path for path, row in b.walk() if not row.explained] == []


def _one_line_error(
    path: Path, capsys: pytest.CaptureFixture[str], head: str = "Cannot read"
) -> str:
    assert main([str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"cnnexplain: error: {head} '{path}': ")
    return err


def test_custom_layer_mid_model_stops_no_count(legacy: Legacy) -> None:
    """Keras 2 records no output shapes: the Dense after a custom layer reads its kernel."""
    folder, oracle = legacy
    b = explain(folder / "custom_mid.h5")
    assert b.total == oracle["custom_mid"]["total"]
    rows = {row.name: row for row in b.rows}
    assert rows["scale"].output_shape == ()  # unknown, shown as unknown
    assert rows["after"].note.startswith("its input shape is unknown (the output of 'scale')")
    assert rows["after"].explained


def test_truncated_h5(legacy: Legacy, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, _ = legacy
    path = tmp_path / "truncated.h5"
    path.write_bytes((folder / "seed.h5").read_bytes()[:5000])
    assert "the HDF5 file is corrupted" in _one_line_error(path, capsys)


def test_h5_without_model_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import h5py

    path = tmp_path / "data.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("x", shape=(3,), dtype="float32")
    assert "without a model_config attribute" in _one_line_error(path, capsys)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("seed.weights.h5", "weights file (model.save_weights, .weights.h5)"),
        ("seed_weights.h5", "holds only weights (Keras 2's model.save_weights)"),
    ],
)
def test_weights_only_files(
    legacy: Legacy, capsys: pytest.CaptureFixture[str], name: str, expected: str
) -> None:
    folder, _ = legacy
    err = _one_line_error(folder / name, capsys)
    assert expected in err
    assert 'model.save("model.keras")' in err


def test_keras3_weights_file(
    saved: Saved, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model, _ = saved("seed")
    path = tmp_path / "seed.weights.h5"
    model.save_weights(path)
    assert "weights file (model.save_weights" in _one_line_error(path, capsys)


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda data: data[: len(data) // 2], "keras_metadata.pb is truncated"),
        (lambda data: b"\xff" * 12 + data, "keras_metadata.pb is corrupted"),
        (lambda _: b"\x0a\x02\x1a\x00", "has no root node with metadata"),
    ],
    ids=["truncated", "garbage", "no root"],
)
def test_corrupted_keras_metadata(
    legacy: Legacy, tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: Any, expected: str
) -> None:
    folder, _ = legacy
    path = shutil.copytree(folder / "seed_savedmodel", tmp_path / "damaged")
    metadata = path / "keras_metadata.pb"
    metadata.write_bytes(damage(metadata.read_bytes()))
    assert expected in _one_line_error(path, capsys)


def test_exported_savedmodel(
    keras: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    path = tmp_path / "exported"
    model.export(path, verbose=False)
    err = _one_line_error(path, capsys)
    assert "a TensorFlow SavedModel without keras_metadata.pb" in err
    assert "model.export()" in err


def test_other_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "not a SavedModel" in _one_line_error(tmp_path, capsys)
