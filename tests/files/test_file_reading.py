"""A saved file is read for what the breakdown needs: its config once, its model's weight shapes."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

import cnnexplain._files.hdf5
from cnnexplain import ModelFileError, explain
from cnnexplain._files import read_model_file


def _config(units: Any) -> dict[str, Any]:
    return {
        "class_name": "Sequential",
        "config": {
            "name": "m",
            "layers": [
                {"class_name": "InputLayer", "config": {"batch_shape": [None, 4], "name": "x"}},
                {"class_name": "Dense", "config": {"name": "d", "units": units}},
            ],
        },
    }


def test_an_integer_of_19_digits_is_checked_like_a_longer_one(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps(_config(2**63)))
    with pytest.raises(ModelFileError, match="an integer of 19 digits, larger than any size"):
        read_model_file(path)
    path.write_text(
        json.dumps(_config(7)).replace('"x"}', '"x", "scale": 0.1000000000000000000001}')
    )
    assert explain(path).total == (4 + 1) * 7  # a long fraction is no integer


def test_tuples_become_lists_as_the_json_is_read(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    config = _config({"class_name": "__tuple__", "items": [3]})
    config["config"]["layers"][0]["config"]["batch_shape"] = {
        "class_name": "__tuple__",
        "items": [None, {"class_name": "__tuple__", "items": [4]}],
    }
    path.write_text(json.dumps(config).replace('{"class_name": "__tuple__", "items": [4]}', "4"))
    saved = read_model_file(path)
    layers = saved.config["layers"]
    assert layers[0]["config"]["batch_shape"] == [None, 4]
    assert layers[1]["config"]["units"] == [3]  # a list: the rule then names the argument


@pytest.fixture(scope="module")
def trained(keras: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, list[Path]]:
    """A compiled model with its Adam state built, saved as .keras and as .h5."""
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, name="a"), keras.layers.Dense(2, name="b")]
    )
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)
    folder = tmp_path_factory.mktemp("trained")
    paths = [folder / "m.keras", folder / "m.h5"]
    with warnings.catch_warnings():  # Keras warns that .h5 is legacy; NumPy, of its internals
        warnings.simplefilter("ignore")
        for path in paths:
            model.save(path)
    return model, paths


@pytest.mark.parametrize("index", [0, 1], ids=["keras", "h5"])
def test_the_optimizer_state_is_never_read(
    trained: tuple[Any, list[Path]], index: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, paths = trained
    shapes: list[tuple[int, ...]] = []
    original = cnnexplain._files.hdf5._dataset_shape

    def recorded(messages: list[tuple[int, int, bytes]]) -> tuple[int, ...]:
        shapes.append(original(messages))
        return shapes[-1]

    monkeypatch.setattr(cnnexplain._files.hdf5, "_dataset_shape", recorded)
    breakdown = explain(paths[index])
    # One object header read per weight of the model; none of Adam's moments or counters.
    assert sorted(shapes) == sorted(tuple(w.shape) for w in model.weights)
    assert breakdown.total == model.count_params()
