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
Keras version. Its wire format is decoded here (varints and length-delimited
fields, every length checked against the data); nothing else of the directory is
run or read. The variables' shapes are not read: ``variables/variables.index`` is
a TensorFlow checkpoint whose keys name objects, not layers, so the rows are not
checked against stored weights.

Examples:
    >>> list(_fields(b"\x08\x96\x01\x12\x02hi", "m", "test"))
    [(1, 150), (2, b'hi')]
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from cnnexplain._archive import (
    CONFIG_LIMIT,
    SavedModel,
    _error,
    _model_config,
    _parse_json,
    _version_warning,
)

__all__ = ["read_saved_model"]

_METADATA = "keras_metadata.pb"
_GRAPH = "saved_model.pb"
_MAX_VARINT = 10
_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5
_NODES, _NODE_PATH, _METADATA_FIELD = 1, 3, 5
_NO_WEIGHTS = "a SavedModel's variables are a TensorFlow checkpoint, which cnnexplain does not read"


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
    root = _root_metadata(data, name)
    top = _parse_json(root, name, f"{_METADATA} (root)")
    if not isinstance(top, dict):
        raise _error(name, f"the root node of {_METADATA} is not a JSON object.")
    saved = top.get("model_config")
    if not isinstance(saved, dict):
        saved = {"class_name": top.get("class_name"), "config": top.get("config")}
    class_name, config = _model_config(saved, name, _METADATA)
    version = top.get("keras_version")
    version = str(version) if version is not None else None
    return SavedModel(
        name, class_name, config, version, None, _NO_WEIGHTS, _version_warning(name, version)
    )


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
    value = 0
    for i in range(_MAX_VARINT):
        if pos + i >= len(data):
            raise _error(name, f"{_METADATA} is truncated (in a varint at byte {pos}).")
        byte = data[pos + i]
        value |= (byte & 0x7F) << (7 * i)
        if byte < 0x80:  # noqa: PLR2004 - the continuation bit
            return value, pos + i + 1
    raise _error(name, f"{_METADATA} is corrupted (a varint longer than 10 bytes at {pos}).")


def _fields(data: bytes, name: str, where: str) -> Iterator[tuple[int, Any]]:
    """Each ``(field number, value)`` of a protobuf message: an int or the bytes."""
    pos = 0
    while pos < len(data):
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


def _root_metadata(data: bytes, name: str) -> bytes:
    """The ``metadata`` of the node whose ``node_path`` is ``root``."""
    for number, node in _fields(data, name, "SavedMetadata"):
        if number != _NODES or not isinstance(node, bytes):
            continue
        found = dict(_fields(node, name, "a SavedObject"))
        if found.get(_NODE_PATH) == b"root" and isinstance(found.get(_METADATA_FIELD), bytes):
            metadata: bytes = found[_METADATA_FIELD]
            return metadata
    raise _error(
        name,
        f"{_METADATA} has no root node with metadata, so it describes no Keras model "
        "(corrupted, or not written by tf.keras).",
    )
