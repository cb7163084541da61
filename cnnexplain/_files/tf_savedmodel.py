r"""Read a tf.keras SavedModel directory without TensorFlow: the Keras metadata's config.

tf.keras 2.0–2.12 saved ``model.save("dir")`` as a SavedModel directory: the
TensorFlow graph in ``saved_model.pb``, the variables in ``variables/``, and
``keras_metadata.pb``, a small protobuf that Keras reads back::

    message SavedMetadata { repeated SavedObject nodes = 1; }
    message SavedObject {
      int32 node_id = 2; string node_path = 3; string identifier = 4; string metadata = 5;
      VersionDef version = 1 (6 in tf_keras's files: skipped either way);
    }

The root node (``node_path`` ``root``) holds, as JSON, the model's class, config and
Keras version; every layer has a node too (``root.layer_with_weights-0``), whose
JSON gives its name. The wire format is decoded here (varints and
length-delimited fields, every length checked against the data). The weight
shapes come from the checkpoint in ``variables/`` (`cnnexplain._files.tf_bundle`), found
along each layer's path, so every row is checked as for a ``.keras`` file; if
the checkpoint cannot be read, the rows are explained but not checked. Nothing
of the directory is run, and ``saved_model.pb`` (the TensorFlow graph) is not read.

Examples:
    >>> list(_fields(b"\x08\x96\x01\x12\x02hi", "m", "test"))
    [(1, 150), (2, b'hi')]
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

from cnnexplain._files import limits as _limits
from cnnexplain._files.keras_zip import (
    CONFIG_LIMIT,
    SavedModel,
    WeightGroup,
    _error,
    _model_config,
    _parse_json,
    _version_warning,
)
from cnnexplain._files.tf_bundle import Bundle, BundleError, read_bundle

__all__ = ["read_saved_model"]

_METADATA = "keras_metadata.pb"
_GRAPH = "saved_model.pb"
_MAX_VARINT = 10
_MAX_FIELDS = _limits.PROTOBUF_FIELDS
_MAX_NODES = _limits.PROTOBUF_NODES
_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5
_NODES, _NODE_PATH, _IDENTIFIER, _METADATA_FIELD = 1, 3, 4, 5
_VARIABLES = "variables/variables.index"
_MODEL_IDS = frozenset({"_tf_keras_network", "_tf_keras_model", "_tf_keras_sequential"})
_LAYER_IDS = _MODEL_IDS | {"_tf_keras_layer", "_tf_keras_input_layer", "_tf_keras_rnn_layer"}


def read_saved_model(name: str) -> SavedModel:
    """Read a SavedModel directory's Keras metadata.

    Raises:
        ModelFileError: if the directory has no Keras metadata (``model.export()``, a
            plain TensorFlow SavedModel, any other directory) or it is corrupted.
    """
    path = os.path.join(name, _METADATA)  # noqa: PTH118 - name may be any str
    if not os.path.isfile(path):  # noqa: PTH113
        raise _error(name, _no_metadata(name))
    try:
        with open(path, "rb") as stream:  # noqa: PTH123
            data = stream.read(CONFIG_LIMIT + 1)
    except OSError as err:
        raise _error(name, f"{_METADATA}: {err.strerror or err}.") from err
    if len(data) > CONFIG_LIMIT:
        raise _error(
            name,
            f"{_METADATA} is larger than {CONFIG_LIMIT // 2**20} MiB, too large to be Keras's.",
        )
    nodes = _nodes(data, name)
    root = next((m for path, _, m in nodes if path == "root"), None)
    if root is None:
        raise _error(
            name,
            f"{_METADATA} has no root node with metadata, so it describes no Keras model "
            "(corrupted, or not written by tf.keras).",
        )
    top = _parse_json(root, name, f"{_METADATA} (root)")
    if not isinstance(top, dict):
        raise _error(name, f"the root node of {_METADATA} is not a JSON object.")
    saved = top.get("model_config")
    if not isinstance(saved, dict):
        saved = {"class_name": top.get("class_name"), "config": top.get("config")}
    class_name, config = _model_config(saved, name, _METADATA)
    version = top.get("keras_version")
    version = str(version) if version is not None else None
    warned = _version_warning(name, version)
    try:
        bundle = read_bundle(os.path.join(name, "variables", "variables"))  # noqa: PTH118
    except BundleError as err:
        missing = f"its variables could not be read ({err})"
        return SavedModel(name, class_name, config, version, None, missing, warned, _VARIABLES)
    by_parent: dict[str, list[tuple[str, str, bytes]]] = {}
    for node in nodes:  # each node's children, found once (not by a scan per model)
        by_parent.setdefault(node[0].rpartition(".")[0], []).append(node)
    try:
        layers = _layers(by_parent, bundle, "root", 0)
    except BundleError as err:
        missing = f"its variables could not be read ({err})"
        return SavedModel(name, class_name, config, version, None, missing, warned, _VARIABLES)
    weights = WeightGroup(groups={"layers": WeightGroup(groups=layers)})
    return SavedModel(name, class_name, config, version, weights, "", warned, _VARIABLES)


def _layers(
    by_parent: dict[str, list[tuple[str, str, bytes]]], bundle: Bundle, parent: str, depth: int
) -> dict[str, WeightGroup]:
    """The weight group of each layer directly under ``parent`` (a node path), by name."""
    groups: dict[str, WeightGroup] = {}
    if depth > _limits.MODEL_NESTING:
        raise BundleError(f"its models nest more than {_limits.MODEL_NESTING} deep")
    for path, identifier, metadata in by_parent.get(parent, []):
        if identifier not in _LAYER_IDS:
            continue
        layer = _layer_name(metadata)
        node = bundle.node(path.split(".")[1:])
        if layer is None or node is None:
            continue
        if identifier in _MODEL_IDS:
            inner = WeightGroup(groups=_layers(by_parent, bundle, path, depth + 1))
            groups[layer] = WeightGroup(layer, (), {"layers": inner})
        else:
            groups[layer] = WeightGroup(layer, tuple(bundle.owned(node)))
    return groups


def _layer_name(metadata: bytes) -> str | None:
    try:
        found = json.loads(metadata)
    except (ValueError, RecursionError):
        return None
    name = found.get("name") if isinstance(found, dict) else None
    return name if isinstance(name, str) else None


def _no_metadata(name: str) -> str:
    save = 'save the model with model.save("model.keras") and explain that file'
    if os.path.isfile(os.path.join(name, _GRAPH)):  # noqa: PTH113, PTH118
        return (
            f"it is a TensorFlow SavedModel without {_METADATA} (written by Keras 3's "
            "model.export() or tf.saved_model.save), which holds a TensorFlow graph but not "
            f"the Keras layers; {save}."
        )
    return (
        f"it is a directory but not a SavedModel (no {_GRAPH} nor {_METADATA}); expected a "
        ".keras, .h5 or JSON file, or a tf.keras SavedModel directory."
    )


def _varint(data: bytes, pos: int, name: str) -> tuple[int, int]:
    if pos < len(data) and data[pos] < 0x80:  # noqa: PLR2004 - one byte: most of them
        return data[pos], pos + 1
    value = 0
    for i in range(_MAX_VARINT):
        if pos + i >= len(data):
            raise _error(name, f"{_METADATA} is truncated (in a varint at byte {pos}).")
        byte = data[pos + i]
        value |= (byte & 0x7F) << (7 * i)
        if byte < 0x80:  # noqa: PLR2004 - the continuation bit
            return value, pos + i + 1
    raise _error(name, f"{_METADATA} is corrupted (a varint longer than 10 bytes at {pos}).")


class _Budget:
    """How many more protobuf fields ``keras_metadata.pb`` may make the reader decode."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.left = _MAX_FIELDS

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise _error(
                self.name,
                f"{_METADATA} holds more than {_MAX_FIELDS:,} protobuf fields, far more than "
                "Keras writes for any model (crafted or corrupted).",
            )


def _fields(
    data: bytes, name: str, where: str, budget: _Budget | None = None
) -> Iterator[tuple[int, Any]]:
    """Each ``(field number, value)`` of a protobuf message: an int or the bytes."""
    pos = 0
    while pos < len(data):
        if budget is not None:
            budget.spend()
        key, pos = _varint(data, pos, name)
        number, wire = key >> 3, key & 7
        value: Any
        if wire == _VARINT:
            value, pos = _varint(data, pos, name)
        elif wire in (_FIXED64, _FIXED32, _LENGTH):
            if wire == _LENGTH:
                length, pos = _varint(data, pos, name)
            else:
                length = 8 if wire == _FIXED64 else 4
            if pos + length > len(data):
                raise _error(name, f"{_METADATA} is truncated (in {where}, at byte {pos}).")
            value, pos = data[pos : pos + length], pos + length
        else:
            raise _error(
                name, f"{_METADATA} is corrupted (wire type {wire} in {where}, at byte {pos})."
            )
        yield number, value


def _nodes(data: bytes, name: str) -> list[tuple[str, str, bytes]]:
    """``(node_path, identifier, metadata)`` of each node of the SavedMetadata."""
    nodes: list[tuple[str, str, bytes]] = []
    budget = _Budget(name)
    for number, node in _fields(data, name, "SavedMetadata", budget):
        if number != _NODES or not isinstance(node, bytes):
            continue
        if len(nodes) >= _MAX_NODES:
            raise _error(name, f"{_METADATA} has more than {_MAX_NODES:,} nodes.")
        found = dict(_fields(node, name, "a SavedObject", budget))
        path, identifier, metadata = (
            found.get(k) for k in (_NODE_PATH, _IDENTIFIER, _METADATA_FIELD)
        )
        if isinstance(path, bytes) and isinstance(metadata, bytes):
            ident = identifier.decode("utf-8", "replace") if isinstance(identifier, bytes) else ""
            nodes.append((path.decode("utf-8", "replace"), ident, metadata))
    return nodes
