"""Read a Keras-format model config into a graph of layers and their calls.

The same reader serves Keras models (``model.get_config()``), specs (which
write the same format) and saved ``.keras`` files (their ``config.json``), so
all three give identical breakdowns by construction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cnnexplain._errors import SpecError
from cnnexplain._shapes import Shape

__all__ = ["MODEL_CLASSES", "LayerNode", "ModelGraph", "TensorRef", "parse_model"]

TensorRef = tuple[str, int, int]
"""``(layer name, call index, output index)``, as Keras's ``keras_history``."""

MODEL_CLASSES = frozenset({"Sequential", "Functional", "Model"})


@dataclass
class LayerNode:
    """One layer of a model config and the inputs of each of its calls."""

    name: str
    class_name: str
    config: Mapping[str, Any]
    trainable: bool
    calls: list[list[TensorRef]] = field(default_factory=list)
    model: ModelGraph | None = None


@dataclass
class ModelGraph:
    """A model config as layers (in ``model.layers`` order) plus its inputs and outputs."""

    name: str
    class_name: str
    trainable: bool
    layers: list[LayerNode]
    inputs: list[TensorRef]
    outputs: list[TensorRef]
    input_shapes: dict[str, Shape]


def _shape(value: Any, where: str) -> Shape:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise SpecError(f"{where}: a shape must be a list of sizes. Received: {value!r}.")
    dims: list[int | None] = []
    for d in value:
        if d is not None and (isinstance(d, bool) or not isinstance(d, int) or d < 1):
            raise SpecError(
                f"{where}: sizes must be positive integers or None. Received: shape={value!r}."
            )
        dims.append(d)
    return tuple(dims)


def _input_shape(config: Mapping[str, Any], name: str) -> Shape:
    """The batch shape of an InputLayer config (Keras 3 or Keras 2 spelling)."""
    for key in ("batch_shape", "batch_input_shape"):
        if config.get(key) is not None:
            return _shape(config[key], f"Input '{name}'")
    if config.get("shape") is not None:
        return (None, *_shape(config["shape"], f"Input '{name}'"))
    raise SpecError(f"Input '{name}' has no shape; give Input(shape=...).")


def _layer_name(entry: Mapping[str, Any]) -> str:
    config = entry.get("config") or {}
    name = entry.get("name") or config.get("name")
    if not isinstance(name, str):
        raise SpecError(f"A layer of class {entry.get('class_name')!r} has no name in the config.")
    return name


def _refs(value: Any) -> list[TensorRef]:
    """Every tensor reference in a call's arguments, in order (Keras 3 format)."""
    if isinstance(value, Mapping):
        if value.get("class_name") == "__keras_tensor__":
            name, node, index = value["config"]["keras_history"]
            return [(str(name), int(node), int(index))]
        return [r for v in value.values() for r in _refs(v)]
    if isinstance(value, (list, tuple)):
        return [r for v in value for r in _refs(v)]
    return []


def _calls(inbound: Any) -> list[list[TensorRef]]:
    calls = []
    for node in inbound or []:
        if isinstance(node, Mapping):  # Keras 3: {"args": [...], "kwargs": {...}}
            calls.append(_refs(node.get("args", [])))
        else:  # Keras 2: [[name, node_index, tensor_index, kwargs], ...]
            calls.append([(str(t[0]), int(t[1]), int(t[2])) for t in node])
    return calls


def _io(value: Any) -> list[TensorRef]:
    if not value:
        return []
    if isinstance(value[0], str):
        value = [value]
    return [(str(v[0]), int(v[1]), int(v[2])) for v in value]


def parse_model(
    class_name: str, config: Mapping[str, Any], *, trainable: bool = True
) -> ModelGraph:
    """Parse a Sequential or Functional config (the ``config`` part of ``get_config``).

    Raises:
        SpecError: if the config is not a model config or has no input shape.
    """
    name = str(config.get("name", class_name.lower()))
    entries = config.get("layers")
    if not isinstance(entries, list):
        raise SpecError(f"Model '{name}' ({class_name}): the config has no list of layers.")
    trainable = trainable and bool(config.get("trainable", True))
    layers: list[LayerNode] = []
    input_shapes: dict[str, Shape] = {}
    for entry in entries:
        lname = _layer_name(entry)
        lclass = str(entry.get("class_name"))
        lconfig = entry.get("config") or {}
        node = LayerNode(lname, lclass, lconfig, trainable and bool(lconfig.get("trainable", True)))
        if lclass == "InputLayer":
            input_shapes[lname] = _input_shape(lconfig, lname)
        elif lclass in MODEL_CLASSES:
            node.model = parse_model(lclass, lconfig, trainable=node.trainable)
        node.calls = _calls(entry.get("inbound_nodes"))
        layers.append(node)
    if class_name == "Sequential":
        return _sequential(
            name,
            trainable=trainable,
            layers=layers,
            input_shapes=input_shapes,
            config=config,
            entries=entries,
        )
    return ModelGraph(
        name,
        class_name,
        trainable,
        layers,
        _io(config.get("input_layers")),
        _io(config.get("output_layers")),
        input_shapes,
    )


def _sequential(
    name: str,
    *,
    trainable: bool,
    layers: list[LayerNode],
    input_shapes: dict[str, Shape],
    config: Mapping[str, Any],
    entries: list[Any],
) -> ModelGraph:
    """Chain a Sequential's layers, giving it an input when the config has none."""
    if not layers:
        raise SpecError(f"Model '{name}' (Sequential) has no layers.")
    if layers[0].class_name != "InputLayer":
        build = (entries[0].get("build_config") or {}).get("input_shape")
        build = build or config.get("build_input_shape")
        if build is None:
            raise SpecError(
                f"Model '{name}' (Sequential) has no input shape: start it with "
                "Input(shape=...) or build it."
            )
        input_name = f"{name}_input"
        input_shapes[input_name] = _shape(build, f"Model '{name}'")
        layers.insert(0, LayerNode(input_name, "InputLayer", {}, trainable))
    previous = (layers[0].name, 0, 0)
    for node in layers[1:]:
        node.calls = [[previous]]
        previous = (node.name, 0, 0)
    return ModelGraph(
        name, "Sequential", trainable, layers, [(layers[0].name, 0, 0)], [previous], input_shapes
    )
