"""Saved models: a .keras file or a JSON config gives the breakdown of the live model."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hdf5_oracle import h5py_node
from hypothesis import given, settings
from hypothesis import strategies as st
from saved_models import APPLICATIONS, Saved, member_bytes, member_json, rewrite, saved, write_json

import cnnexplain
from cnnexplain import ModelFileError, explain, spec
from cnnexplain._files import read_model_file
from cnnexplain._files.hdf5 import Corrupt, Unsupported, read_tree
from cnnexplain._files.keras_zip import _read_tree
from cnnexplain._files.zip_archive import Archive

__all__ = ["saved"]  # the fixture, imported for pytest


# --- the same breakdown as the live model ------------------------------------------------------


@pytest.mark.parametrize("name", ["seed", "nested"])
def test_file_gives_the_live_breakdown(saved: Saved, name: str) -> None:
    model, path = saved(name)
    live = explain(model).to_dict()
    assert explain(path).to_dict() == live
    assert explain(str(path)).to_dict() == live


def test_file_breakdown_renders_like_the_live_one(saved: Saved) -> None:
    model, path = saved("nested")
    b, live = explain(path, expand=True), explain(model, expand=True)
    assert b.to_text() == live.to_text()
    assert b.to_markdown() == live.to_markdown()
    assert b.to_latex() == live.to_latex()
    assert b.source == str(path)


@pytest.mark.parametrize("name", ["seed", "nested", "ResNet50"])
def test_json_config_gives_the_live_breakdown(saved: Saved, name: str, tmp_path: Path) -> None:
    model, _ = saved(name)
    path = tmp_path / f"{name}.json"
    path.write_text(model.to_json(), encoding="utf-8")
    assert explain(path).to_dict() == explain(model).to_dict()


def test_bare_get_config_is_read_too(saved: Saved, tmp_path: Path) -> None:
    model, _ = saved("nested")
    path = write_json(tmp_path / "bare.json", model.get_config())
    assert explain(path).to_dict() == explain(model).to_dict()


def test_keras2_config_gives_the_keras3_breakdown(keras: Any, tmp_path: Path) -> None:
    dense = {"name": "out", "trainable": True, "dtype": "float32", "units": 10, "use_bias": True}
    conv = {
        "name": "conv",
        "trainable": True,
        "dtype": "float32",
        "filters": 32,
        "kernel_size": [3, 3],
        "strides": [1, 1],
        "padding": "valid",
        "data_format": "channels_last",
        "dilation_rate": [1, 1],
        "groups": 1,
        "use_bias": True,
    }
    flatten = {"name": "flatten", "trainable": True, "dtype": "float32"}
    image = {"batch_input_shape": [None, 28, 28, 1], "dtype": "float32", "name": "image"}
    keras2 = {
        "class_name": "Model",
        "keras_version": "2.15.0",
        "backend": "tensorflow",
        "config": {
            "name": "k2",
            "layers": [
                {"class_name": "InputLayer", "config": image, "name": "image"},
                {
                    "class_name": "Conv2D",
                    "config": conv,
                    "name": "conv",
                    "inbound_nodes": [[["image", 0, 0, {}]]],
                },
                {
                    "class_name": "Flatten",
                    "config": flatten,
                    "name": "flatten",
                    "inbound_nodes": [[["conv", 0, 0, {}]]],
                },
                {
                    "class_name": "Dense",
                    "config": dense,
                    "name": "out",
                    "inbound_nodes": [[["flatten", 0, 0, {}]]],
                },
            ],
            "input_layers": [["image", 0, 0]],
            "output_layers": [["out", 0, 0]],
        },
    }
    x = keras.Input((28, 28, 1), name="image")
    y = keras.layers.Conv2D(32, 3, name="conv")(x)
    y = keras.layers.Dense(10, name="out")(keras.layers.Flatten(name="flatten")(y))
    model = keras.Model(x, y, name="k2")
    b = explain(write_json(tmp_path / "k2.json", keras2))
    assert b.to_dict() == explain(model).to_dict()


def test_keras2_sequential_with_batch_input_shape_on_its_first_layer(
    keras: Any, tmp_path: Path
) -> None:
    """Keras 2 files of the question's era: no InputLayer, the shape on the first layer."""
    dense = {"name": "hidden", "units": 4, "batch_input_shape": [None, 8], "use_bias": True}
    out = {"name": "out", "units": 2, "use_bias": True}
    config = {
        "class_name": "Sequential",
        "keras_version": "2.4.0",
        "config": {
            "name": "old",
            "layers": [
                {"class_name": "Dense", "config": dense},
                {"class_name": "Dense", "config": out},
            ],
        },
    }
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(4, name="hidden"),
            keras.layers.Dense(2, name="out"),
        ],
        name="old",
    )
    assert explain(write_json(tmp_path / "old.json", config)).to_dict() == explain(model).to_dict()


def _functional(layers: list[Any], outputs: list[Any]) -> dict[str, Any]:
    image = {"batch_input_shape": {"class_name": "__tuple__", "items": [None, 6]}, "name": "x"}
    entry = {"class_name": "InputLayer", "config": image, "name": "x", "inbound_nodes": []}
    return {
        "class_name": "Functional",
        "keras_version": "2.15.0",
        "config": {
            "name": "k2",
            "layers": [entry, *layers],
            "input_layers": [["x", 0, 0]],
            "output_layers": outputs,
        },
    }


def test_keras2_tf_ops_and_registered_names(keras: Any, tmp_path: Path) -> None:
    """``x * 2`` as TFOpLambda, ``x[:, 1:]`` as SlicingOpLambda, a ``package>Class`` name."""
    multiply = {
        "class_name": "TFOpLambda",
        "config": {"name": "tf.math.multiply", "function": "math.multiply"},
        "name": "tf.math.multiply",
        "inbound_nodes": [["d", 0, 0, {"y": 2.0, "name": None}]],
    }
    dense = {
        "class_name": "Custom>Dense",
        "config": {"name": "d", "units": 5},
        "name": "d",
        "inbound_nodes": [[["x", 0, 0, {}]]],
    }
    out = {
        "class_name": "Dense",
        "config": {"name": "out", "units": 3},
        "name": "out",
        "inbound_nodes": [[["tf.math.multiply", 0, 0, {}]]],
    }
    path = write_json(tmp_path / "k2.json", _functional([dense, multiply, out], [["out", 0, 0]]))
    x = keras.Input((6,), name="x")
    y = keras.layers.Dense(3, name="out")(keras.layers.Dense(5, name="d")(x) * 2.0)
    assert explain(path).to_dict() == explain(keras.Model(x, y, name="k2")).to_dict()


def test_keras2_tf_function_without_rule_is_one_true_sentence(tmp_path: Path) -> None:
    gelu = {
        "class_name": "TFOpLambda",
        "config": {"name": "tf.nn.gelu", "function": "nn.gelu"},
        "name": "tf.nn.gelu",
        "inbound_nodes": [["x", 0, 0, {"name": None}]],
    }
    out = {
        "class_name": "Dense",
        "config": {"name": "out", "units": 3},
        "name": "out",
        "inbound_nodes": [[["tf.nn.gelu", 0, 0, {}]]],
    }
    path = write_json(tmp_path / "gelu.json", _functional([gelu, out], [["out", 0, 0]]))
    with pytest.raises(ModelFileError) as error:
        explain(path)
    assert str(error.value) == (
        f"Cannot read '{path}': layer 'tf.nn.gelu' (TFOpLambda, calling tf.nn.gelu) has no rule "
        "in cnnexplain, and a file written by Keras 2.15.0 records no output shapes, so its "
        "output shape, which layer 'out' needs, is unknown."
    )


def test_keras3_file_without_a_recorded_shape_gives_no_keras3_advice(
    saved: Saved, tmp_path: Path
) -> None:
    _, path = saved("unruled")
    config = member_json(path, "config.json")
    for entry in config["config"]["layers"]:
        for call in entry.get("inbound_nodes", []):
            for arg in call["args"]:
                arg["config"].pop("shape", None)
    broken = rewrite(path, tmp_path / "no_shapes.keras", config=config)
    model, _ = saved("unruled")
    b = explain(broken)  # one unknown shape stops no count: the layers after it read their weights
    assert b.total == model.count_params()
    rows = {row.name: row for row in b.rows}
    assert rows["double"].output_shape == ()  # unknown, and shown as unknown
    assert rows["after"].note == (
        "its input shape is unknown (the output of 'double'): Dense's rule over the shapes "
        "of the weights the file holds"
    )
    assert str(rows["after"].formula) == "(3+1)·2"
    assert "Keras 3" not in b.to_text()


def test_model_subclass_with_a_functional_config_is_read_as_functional(
    keras: Any, tmp_path: Path
) -> None:
    """A ``keras.Model`` subclass that only overrides ``train_step`` saves a functional config."""

    @keras.saving.register_keras_serializable(package="cnnexplain_tests")
    class Trainer(keras.Model):  # type: ignore[misc]
        def train_step(self, data: Any) -> Any:
            return super().train_step(data)

    x = keras.Input((8,), name="x")
    y = keras.layers.Dense(2, name="out")(keras.layers.Dense(4, name="hidden")(x))
    path = tmp_path / "trainer.keras"
    Trainer(x, y, name="trainer").save(path)
    assert member_json(path, "config.json")["class_name"] == "Trainer"
    plain = keras.Model(x, y, name="trainer")
    assert explain(path).to_dict() == explain(plain).to_dict()


# --- weights -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["seed", "nested", "unruled", *APPLICATIONS])
def test_pure_python_hdf5_reader_agrees_with_h5py(saved: Saved, name: str) -> None:
    import h5py

    _, path = saved(name)
    member = "model.weights.h5"
    with path.open("rb") as stream:
        archive = Archive(stream)
        assert not archive.uses_zipfile
        mine = _read_tree(archive, stream, member)
    with h5py.File(io.BytesIO(member_bytes(path, member)), "r") as h5:
        assert mine == h5py_node(h5py, h5, 0, frozenset({"optimizer"}))


def test_weight_shapes_are_read_for_every_layer(saved: Saved) -> None:
    model, path = saved("nested")
    weights = read_model_file(path).weights
    assert weights is not None
    layers = weights.groups["layers"]
    assert {g.name for g in layers.groups.values()} == {layer.name for layer in model.layers}
    dense = next(g for g in layers.groups.values() if g.name == "shared")
    assert [shape for _, shape in dense.all_shapes()] == [(8, 8), (8,)]


def test_weights_that_disagree_with_the_config_name_the_layer(saved: Saved, tmp_path: Path) -> None:
    _, path = saved("seed")
    config = member_json(path, "config.json")
    hidden = next(e for e in config["config"]["layers"] if e["config"]["name"] == "hidden")
    hidden["config"]["units"] = 50
    bad = rewrite(path, tmp_path / "bad.keras", config=config)
    with pytest.raises(ModelFileError) as caught:
        explain(bad)
    assert str(caught.value) == (
        f"Cannot read '{bad}': layer 'hidden' (Dense) holds weights of shapes (5408, 100), "
        "(100,) in model.weights.h5, but its config implies (5408, 50), (50,)."
    )
    assert (caught.value.path, caught.value.layer) == (str(bad), "hidden")
    assert explain(bad, verify=False).total == 320 + 5409 * 50 + 51 * 10


def _relayout(data: bytes) -> bytes:
    """The same HDF5 tree written with h5py's newest file format."""
    import h5py

    out = io.BytesIO()
    with h5py.File(io.BytesIO(data), "r") as src, h5py.File(out, "w", libver="latest") as dst:
        for key in src:
            src.copy(src[key], dst, name=key)
    return out.getvalue()


def test_newer_hdf5_layouts_are_explained_but_not_checked(saved: Saved, tmp_path: Path) -> None:
    """No native parser reads a file: a layout Keras never writes leaves the rows unchecked."""
    model, path = saved("seed")
    newer = _relayout(member_bytes(path, "model.weights.h5"))
    with pytest.raises(Unsupported):
        read_tree(lambda at, n: newer[at : at + n], len(newer))
    archive = rewrite(path, tmp_path / "newer.keras", weights=newer)
    live = explain(model).to_dict()
    saved_file = read_model_file(archive)
    assert saved_file.weights is None
    assert saved_file.no_weights == (
        "model.weights.h5 uses an HDF5 layout (superblock version 3) that cnnexplain does not read"
    )
    assert explain(archive).to_dict() == live  # explained, not checked
    with pytest.raises(ModelFileError, match=r"no weights to verify against: model\.weights"):
        explain(archive, verify=True)


def test_hdf5_reader_refuses_damage_cleanly(saved: Saved) -> None:
    _, path = saved("seed")
    data = bytearray(member_bytes(path, "model.weights.h5"))
    with pytest.raises(Corrupt, match="outside the file"):
        read_tree(lambda at, n: bytes(data[at : at + n]), 200)
    data[0x88:0x8C] = b"XXXX"  # the root group's B-tree signature
    with pytest.raises(Corrupt, match="no group B-tree node at 136"):
        read_tree(lambda at, n: bytes(data[at : at + n]), len(data))


# --- layers without a rule ---------------------------------------------------------------------


def test_layers_without_rule_are_explained_from_their_stored_variables(saved: Saved) -> None:
    model, path = saved("unruled")
    b, live = explain(path), explain(model)
    assert b.unexplained == live.unexplained == []
    for row, expected in zip(b.rows, live.rows, strict=True):
        layer = model.get_layer(row.name)
        assert (row.params, row.trainable) == (layer.count_params(), expected.trainable)
        assert row.output_shape == tuple(layer.output.shape)
        if not row.children:
            assert row == expected
    scale = b.rows[2]
    assert [(w.name, w.shape) for w in scale.weights] == [("vars/0", (5, 3)), ("vars/1", ())]
    assert [(c.name, str(c.formula)) for c in scale.children] == [
        ("vars/0", "5·3"),
        ("vars/1", "1"),
    ]
    assert scale.note == (
        "no rule for Scale: explained from its parts (0 sublayers and 2 weights of its own, "
        "measured by the file)"
    )
    assert [(c.name, str(c.formula)) for c in live.rows[2].children] == [
        ("kernel", "5·3"),
        ("offset", "1"),
    ]
    assert b.total == model.count_params()


def test_layers_without_rule_and_without_weights_count_as_unknown(
    saved: Saved, tmp_path: Path
) -> None:
    model, _ = saved("unruled")
    path = tmp_path / "unruled.json"
    path.write_text(model.to_json(), encoding="utf-8")
    scale = next(r for r in explain(path).rows if r.name == "scale")
    assert (scale.params, scale.explained, scale.output_shape) == (0, False, (None, 3))
    assert "count unknown, shown as 0: a JSON config holds no weights" in scale.note


def test_stored_weights_of_absurd_size_are_counted_not_allocated(
    saved: Saved, tmp_path: Path
) -> None:
    import h5py

    _, path = saved("unruled")
    source = member_bytes(path, "model.weights.h5")
    out = io.BytesIO()
    with h5py.File(io.BytesIO(source), "r") as src, h5py.File(out, "w") as dst:
        for key in src:
            src.copy(src[key], dst, name=key)
        group = next(g for g in dst["layers"].values() if g["vars"].attrs.get("name") == "scale")
        del group["vars/0"]
        group["vars"].create_dataset("0", shape=(10**8, 10**7), dtype="f4")  # never written
    huge = rewrite(path, tmp_path / "huge.keras", weights=out.getvalue())
    assert huge.stat().st_size < 10**6
    scale = next(r for r in explain(huge).rows if r.name == "scale")
    assert scale.params == 10**15 + 1


# --- sizes, versions and the Python API --------------------------------------------------------


def test_absurd_sizes_in_a_config_are_computed_as_integers(tmp_path: Path) -> None:
    model = spec.Sequential([spec.Input((10**6,)), spec.Dense(10**15, name="huge")], name="absurd")
    path = write_json(
        tmp_path / "absurd.json", {"class_name": "Sequential", "config": model.config()}
    )
    b = explain(path)
    assert b.total == (10**6 + 1) * 10**15
    assert b.rows[0].output_shape == (None, 10**15)


def test_unknown_keras_version_warns(saved: Saved, tmp_path: Path) -> None:
    _, path = saved("seed")
    future = rewrite(path, tmp_path / "future.keras", metadata={"keras_version": "9.1.0"})
    message = (
        f"'{future}' was saved by Keras 9.1.0, which cnnexplain does not know (it reads Keras "
        "2 and 3 configs); the breakdown may be wrong."
    )
    with pytest.warns(UserWarning, match="was saved by Keras 9.1.0") as caught:
        b = explain(future)
    assert [str(w.message) for w in caught] == [message]
    assert b.to_dict() == explain(path).to_dict()


def test_verify_needs_weights(saved: Saved, tmp_path: Path) -> None:
    model, path = saved("seed")
    assert explain(path, verify=True).total == model.count_params()
    config = write_json(tmp_path / "seed.json", member_json(path, "config.json"))
    with pytest.raises(ModelFileError) as caught:
        explain(config, verify=True)
    assert str(caught.value) == (
        f"Cannot read '{config}': no weights to verify against: a JSON config holds no weights."
    )


def test_invalid_layer_config_names_file_and_layer(saved: Saved, tmp_path: Path) -> None:
    _, path = saved("seed")
    config = member_json(path, "config.json")
    config["config"]["layers"][1]["config"]["filters"] = -3
    bad = rewrite(path, tmp_path / "bad.keras", config=config)
    with pytest.raises(ModelFileError) as caught:
        explain(bad)
    assert str(caught.value) == (
        f"In '{bad}': Layer 'conv' (Conv2D): 'filters' must be at least 1. Received: filters=-3."
    )
    assert caught.value.layer == "conv"
    assert isinstance(caught.value, cnnexplain.CnnexplainError)


# --- whatever a file says, the answer is a breakdown or one CnnexplainError --------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.sampled_from(["", "same", "valid", "channels_first", "relu", "x", "__keras_tensor__"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*path, i))
    return found


@pytest.mark.parametrize("name", ["seed", "nested", "unruled"])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_corrupted_config_is_explained_or_refused_in_one_sentence(
    saved: Saved, name: str, data: st.DataObject
) -> None:
    _, path = saved(name)
    top = member_json(path, "config.json")
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.sampled_from(_paths(top)[1:]))
        parent = top
        for key in where[:-1]:
            parent = parent[key]
        parent[where[-1]] = data.draw(JSON_VALUES)
    config = path.with_name(f"fuzzed-{name}.json")
    config.write_bytes(json.dumps(top).encode())
    try:
        b = explain(config)
    except cnnexplain.CnnexplainError as err:
        message = str(err)  # the command prints it as one line
        assert message.endswith("."), message
    else:
        assert b.total == sum(row.params for row in b.rows)
        assert json.loads(json.dumps(b.to_dict()))["total"] == b.total


def _without_names(data: bytes) -> bytes:
    """The same weights without the layer names Keras 3.9+ records (as older Keras wrote)."""
    import h5py

    out = io.BytesIO()
    with h5py.File(io.BytesIO(data), "r") as src, h5py.File(out, "w") as dst:
        for key in src:
            src.copy(src[key], dst, name=key)
        groups = [dst]
        dst.visititems(lambda _, item: groups.append(item) if "name" in item.attrs else None)
        for group in groups:
            group.attrs.pop("name", None)
    return out.getvalue()


@pytest.mark.parametrize("name", ["seed", "nested", "unruled", "MobileNetV2"])
def test_weights_without_recorded_names_are_matched_as_keras_names_them(
    saved: Saved, tmp_path: Path, name: str
) -> None:
    _, path = saved(name)
    bare = _without_names(member_bytes(path, "model.weights.h5"))
    archive = rewrite(path, tmp_path / "bare.keras", weights=bare)
    weights = read_model_file(archive).weights
    assert weights is not None
    assert all(group.name is None for _, group in weights.groups["layers"].groups.items())
    assert explain(archive, verify=True).to_dict() == explain(path).to_dict()
