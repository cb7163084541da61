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
JSON gives its name. The wire format is decoded by `cnnexplain._files.protobuf`
(every length checked against the data, the fields counted). The weight
shapes come from the checkpoint in ``variables/`` (`cnnexplain._files.tf_bundle`), found
along each layer's path, so every row is checked as for a ``.keras`` file; if
the checkpoint cannot be read, the rows are explained but not checked. Nothing
of the directory is run, and ``saved_model.pb`` (the TensorFlow graph) is not read.

"""

from __future__ import annotations

import json
import os

from cnnexplain._files import limits as _limits
from cnnexplain._files.model_file import (
    CONFIG_LIMIT,
    SavedModel,
    WeightGroup,
    file_error,
    model_config,
    parse_json,
    too_large,
    version_warning,
)
from cnnexplain._files.protobuf import (
    Budget,
    ProtobufError,
    TooManyFieldsError,
    TruncatedError,
    fields,
)
from cnnexplain._files.tf_bundle import Bundle, BundleError, read_bundle

__all__ = ["read_saved_model"]

_METADATA = "keras_metadata.pb"
_GRAPH = "saved_model.pb"
_MAX_FIELDS = _limits.PROTOBUF_FIELDS
_MAX_NODES = _limits.PROTOBUF_NODES
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
        raise file_error(name, _no_metadata(name))
    try:
        with open(path, "rb") as stream:  # noqa: PTH123
            data = stream.read(CONFIG_LIMIT + 1)
    except OSError as err:
        raise file_error(name, f"{_METADATA}: {err.strerror or err}.") from err
    if len(data) > CONFIG_LIMIT:
        raise too_large(name, _METADATA)
    nodes = _metadata_nodes(data, name)
    root = next((m for path, _, m in nodes if path == "root"), None)
    if root is None:
        raise file_error(
            name,
            f"{_METADATA} has no root node with metadata, so it describes no Keras model "
            "(corrupted, or not written by tf.keras).",
        )
    top = parse_json(root, name, f"{_METADATA} (root)")
    if not isinstance(top, dict):
        raise file_error(name, f"the root node of {_METADATA} is not a JSON object.")
    saved = top.get("model_config")
    if not isinstance(saved, dict):
        saved = {"class_name": top.get("class_name"), "config": top.get("config")}
    class_name, config = model_config(saved, name, _METADATA)
    version = top.get("keras_version")
    version = str(version) if version is not None else None
    warned = version_warning(name, version)
    try:
        bundle = read_bundle(os.path.join(name, "variables", "variables"))  # noqa: PTH118
    except ProtobufError as err:
        missing = f"its variables could not be read ({err})"
        return SavedModel(name, class_name, config, version, None, missing, warned, _VARIABLES)
    by_parent: dict[str, list[tuple[str, str, bytes]]] = {}
    for node in nodes:  # each node's children, found once (not by a scan per model)
        by_parent.setdefault(node[0].rpartition(".")[0], []).append(node)
    try:
        layers = _layers(by_parent, bundle, "root", 0)
    except ProtobufError as err:
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


def _metadata_nodes(data: bytes, name: str) -> list[tuple[str, str, bytes]]:
    """`_nodes`, a wire-format error said as one sentence about the file."""
    try:
        return _nodes(data, name)
    except TooManyFieldsError as err:
        raise file_error(
            name,
            f"{_METADATA} holds {err}, far more than Keras writes for any model (crafted or "
            "corrupted).",
        ) from None
    except ProtobufError as err:
        state = "truncated" if isinstance(err, TruncatedError) else "corrupted"
        raise file_error(name, f"{_METADATA} is {state} ({err}).") from None


def _nodes(data: bytes, name: str) -> list[tuple[str, str, bytes]]:
    """``(node_path, identifier, metadata)`` of each node of the SavedMetadata."""
    nodes: list[tuple[str, str, bytes]] = []
    budget = Budget(_MAX_FIELDS)
    for number, node in fields(data, budget):
        if number != _NODES or not isinstance(node, bytes):
            continue
        if len(nodes) >= _MAX_NODES:
            raise file_error(name, f"{_METADATA} has more than {_MAX_NODES:,} nodes.")
        found = dict(fields(node, budget))
        path, identifier, metadata = (
            found.get(k) for k in (_NODE_PATH, _IDENTIFIER, _METADATA_FIELD)
        )
        if isinstance(path, bytes) and isinstance(metadata, bytes):
            ident = identifier.decode("utf-8", "replace") if isinstance(identifier, bytes) else ""
            nodes.append((path.decode("utf-8", "replace"), ident, metadata))
    return nodes
