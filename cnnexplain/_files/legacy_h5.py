r"""Read a legacy HDF5 model file (``model.save("m.h5")``) without Keras: config and weight shapes.

Keras 2 (tf.keras, ``tf_keras``) and Keras 3 write the same layout: the root
group's attribute ``model_config`` is the model's JSON config, ``keras_version``
the version that wrote it, and the group ``model_weights`` lists the model's
layers in its attribute ``layer_names``, each layer's group listing the paths of
its weights, relative to the group, in ``weight_names`` (both split into
``layer_names0``, ``layer_names1``... when longer than an object header holds).
Only object headers are read, by `cnnexplain._files.hdf5` alone (no native HDF5 parser
ever sees the file), never the weights themselves.

A nested model's group holds all of its layers' weights; each weight goes to the
inner layer its path names (``inner_dense/kernel:0`` from Keras 2,
``inner/inner_dense/kernel`` from Keras 3), so every row is checked.

Examples:
    >>> import tempfile, pathlib
    >>> from cnnexplain import ModelFileError
    >>> from cnnexplain._files import read_model_file
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp, "m.h5")
    ...     _ = path.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(8))
    ...     try:
    ...         read_model_file(path)
    ...     except ModelFileError as err:
    ...         print(str(err).replace(str(path), "m.h5").split(" (")[0])
    Cannot read 'm.h5': the HDF5 file is corrupted
"""

from __future__ import annotations

import mmap
from collections.abc import Mapping
from typing import IO, Any

from cnnexplain._files import limits as _limits
from cnnexplain._files.hdf5 import Attribute, Corrupt, Node, Unsupported, read_tree
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
from cnnexplain._graph.model import MODEL_CLASSES

__all__ = ["read_h5_model"]

_WEIGHTS = "model_weights"
_OPTIMIZER = frozenset({"optimizer_weights"})  # the optimizer's state: never read
_MAX_DEPTH = _limits.NESTING
_SAVE_KERAS = 'save the whole model with model.save("model.keras") and explain that file'


def read_h5_model(name: str, stream: IO[bytes]) -> SavedModel:
    """Read an HDF5 model file opened as ``stream``.

    Raises:
        ModelFileError: if it is corrupted, holds only weights, or is no Keras model.
    """
    root = _tree(name, stream)
    config = root.attrs.get("model_config")
    if not isinstance(config, str):
        raise file_error(name, _not_a_model(root))
    data = config.encode()
    if len(data) > CONFIG_LIMIT:
        raise too_large(name, "its model_config")
    class_name, model = model_config(parse_json(data, name, "model_config"), name, "model_config")
    version = root.attrs.get("keras_version")
    version = version if isinstance(version, str) else None
    group = root.groups.get(_WEIGHTS)
    warned = version_warning(name, version)
    if group is None:
        missing = "the file has no model_weights group"
        return SavedModel(name, class_name, model, version, None, missing, warned, _WEIGHTS)
    weights = _weights(name, group, model)
    return SavedModel(name, class_name, model, version, weights, "", warned, _WEIGHTS)


def _tree(name: str, stream: IO[bytes]) -> Node:
    """The file's groups, attributes and dataset shapes, read in pure Python."""
    try:
        with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as view:
            return read_tree(lambda at, length: view[at : at + length], len(view), _OPTIMIZER)
    except Corrupt as err:
        raise file_error(name, f"the HDF5 file is corrupted ({err}).") from err
    except Unsupported as err:
        raise file_error(
            name,
            f"it uses an HDF5 layout ({err}) that cnnexplain does not read (Keras never "
            'writes it); load the model in Keras, save it with model.save("model.keras") and '
            "explain that file.",
        ) from err
    except (ValueError, OSError) as err:  # an empty file cannot be mapped
        raise file_error(name, f"the HDF5 file is corrupted ({err}).") from err


def _not_a_model(root: Node) -> str:
    """Why an HDF5 file without ``model_config`` is not a model file, in one sentence."""
    if "layer_names" in root.attrs or "layer_names0" in root.attrs:
        return (
            "it holds only weights (Keras 2's model.save_weights), not the architecture; "
            f"{_SAVE_KERAS}."
        )
    if {"layers", "vars"} & set(root.groups):
        return (
            "it is a weights file (model.save_weights, .weights.h5), which holds the "
            f"weights but not the architecture; {_SAVE_KERAS}."
        )
    return (
        "it is an HDF5 file without a model_config attribute, so not a model saved by "
        f"Keras (model.save); {_SAVE_KERAS}."
    )


def _strings(attrs: Mapping[str, Attribute], key: str) -> list[str] | None:
    """A list attribute, joined from its chunks (``key0``, ``key1``...) when split."""
    if key in attrs:
        value = attrs[key]
        return [value] if isinstance(value, str) else list(value)
    if f"{key}0" not in attrs:
        return None
    items: list[str] = []
    i = 0
    while f"{key}{i}" in attrs:
        value = attrs[f"{key}{i}"]
        items += [value] if isinstance(value, str) else list(value)
        i += 1
    return items


def _dataset(group: Node, path: str) -> tuple[int, ...] | None:
    *parents, leaf = path.split("/")
    node: Node | None = group
    for part in parents:
        node = node.groups.get(part) if node is not None else None
    return None if node is None else node.datasets.get(leaf)


def _weights(name: str, group: Node, config: Mapping[str, Any]) -> WeightGroup:
    """``model_weights`` as the `WeightGroup` tree a ``.keras`` file gives."""
    layer_names = _strings(group.attrs, "layer_names")
    if layer_names is None:
        raise file_error(name, "its model_weights group has no layer_names attribute.")
    entries = {_name(e): e for e in config.get("layers", []) if isinstance(e, Mapping)}
    layers: dict[str, WeightGroup] = {}
    for layer in layer_names:
        child = group.groups.get(layer)
        if child is None:
            raise file_error(
                name, f"model_weights lists layer '{layer}' but has no group for it.", layer
            )
        shapes = []
        for path in _strings(child.attrs, "weight_names") or []:
            shape = _dataset(child, path)
            if shape is None:
                raise file_error(
                    name,
                    f"layer '{layer}' lists weight '{path}' in model_weights, which the file "
                    "does not hold.",
                    layer,
                )
            shapes.append((path, shape))
        layers[layer] = _layer(layer, shapes, entries.get(layer), 0)
    return WeightGroup(groups={"layers": WeightGroup(groups=layers)})


def _name(entry: Mapping[str, Any]) -> str:
    config = entry.get("config")
    return str(entry.get("name") or (config.get("name") if isinstance(config, Mapping) else ""))


def _layer(
    layer: str,
    shapes: list[tuple[str, tuple[int, ...]]],
    entry: Mapping[str, Any] | None,
    depth: int,
) -> WeightGroup:
    """A layer's group; a nested model's weights handed to the inner layers their paths name."""
    config = entry.get("config") if entry is not None else None
    if (
        entry is None
        or entry.get("class_name") not in MODEL_CLASSES
        or not isinstance(config, Mapping)
        or depth > _MAX_DEPTH
    ):
        return WeightGroup(layer, tuple((_weight_name(layer, p), s) for p, s in shapes))
    inner = {_name(e): e for e in config.get("layers", []) if isinstance(e, Mapping)}
    parts: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
    own: list[tuple[str, tuple[int, ...]]] = []
    for path, shape in shapes:
        components = path.split("/")
        at = next((i for i, c in enumerate(components[:-1]) if c in inner), None)
        if at is None:
            own.append((path, shape))
        else:
            key = components[at]
            parts.setdefault(key, []).append(("/".join(components[at + 1 :]), shape))
    groups = {key: _layer(key, found, inner[key], depth + 1) for key, found in parts.items()}
    return WeightGroup(layer, tuple(own), {"layers": WeightGroup(groups=groups)})


def _weight_name(layer: str, path: str) -> str:
    """A weight's name in its layer: ``kernel`` for ``conv/kernel:0`` and ``mnist/conv/kernel``."""
    parts = path.removesuffix(":0").split("/")
    last = max((i for i, part in enumerate(parts[:-1]) if part == layer), default=-1)
    return "/".join(parts[last + 1 :])
