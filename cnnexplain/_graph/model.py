"""The model graph: layers, their calls, and what a source measured of each.

The same reader serves Keras models (their config, serialized layer by layer),
specs (which write the same format) and saved ``.keras`` files (their
``config.json``), so all three give identical breakdowns by construction.
Each source then attaches what it measured (`Measured`: built or stored
weights, output shapes per call, the `Part` s of a layer no rule covers) to the
graph's nodes before evaluation, which reads only the graph.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cnnexplain._errors import SpecError
from cnnexplain._shapes import Shape, Weight

__all__ = [
    "DATA_KEYWORDS",
    "MODEL_CLASSES",
    "OPERATION_MODULES",
    "LayerNode",
    "Measured",
    "ModelGraph",
    "Part",
    "TensorRef",
    "all_refs",
    "call_refs",
    "is_model_config",
    "parse_model",
]

TensorRef = tuple[str, int, int]
"""``(layer name, call index, output index)``, as Keras's ``keras_history``."""

MODEL_CLASSES = frozenset({"Sequential", "Functional", "Model"})

ALIASES = {"GroupQueryAttention": "GroupedQueryAttention"}
"""Class names Keras configs record for a class known by another ``type(layer).__name__``."""


@dataclass(frozen=True)
class Part:
    """A piece of a layer no rule covers: a sublayer it tracks, or a weight it creates.

    Attributes:
        name: the sublayer's name, or the weight's (``pos_emb``).
        class_name: the sublayer's class (``Dense``), or None for a weight.
        config: the sublayer's Keras-format config, when the source has it.
        input_shapes: the shapes the sublayer was built for, when recorded.
        weights: its weights as built or stored (a weight part: the weight itself).
        outputs: its output shapes, when the source measured them.
        parts: the parts of a sublayer that no rule covers itself.
        model: the graph of a sublayer that is a Functional or Sequential model.
        base: the nearest class with a rule its class derives from, if known.
        reuses: the path of the layer that owns this sublayer's weights, when they
            are another layer's (a head tied to an embedding): 0 new parameters.
    """

    name: str
    class_name: str | None
    config: Mapping[str, Any] = field(default_factory=dict)
    input_shapes: tuple[Shape, ...] | None = None
    weights: tuple[Weight, ...] = ()
    outputs: tuple[Shape, ...] | None = None
    parts: tuple[Part, ...] | None = None
    model: ModelGraph | None = None
    base: str | None = None
    reuses: str = ""


@dataclass
class Measured:
    """What a source measured of a layer: facts to explain or check, never derivations.

    Attributes:
        source: who measured them, for notes (``"Keras"``, ``"the weights file"``).
        weights: every weight of the layer (its sublayers' included), None if unknown.
        outputs: output shapes by call index, where known.
        parts: the layer's sublayers and own weights, for a layer no rule covers.
        base: the nearest class with a rule the layer's class derives from
            (a ``Conv2D`` subclass), when the source knows the class hierarchy.
        detail: what else a flagged row's note should say (the config's module).
        guess_base: the source does not know the class hierarchy (a file): a
            base may be guessed from the config, kept only if its rule gives
            exactly the measured weights.
        unknown: why an output shape it did not measure is unknown, one sentence
            in which ``{needed_by}`` names the layer that needs it (advice included
            where it applies); empty for the evaluator's own wording.
        reuses: the path of the layer that owns all of this layer's weights, when
            another layer counted them first (an embedding called again in reverse
            as the output projection): the layer adds 0 parameters.
    """

    source: str
    weights: tuple[Weight, ...] | None = None
    outputs: dict[int, tuple[Shape, ...]] = field(default_factory=dict)
    parts: tuple[Part, ...] | None = None
    base: str | None = None
    detail: str = ""
    guess_base: bool = False
    unknown: str = ""
    reuses: str = ""


@dataclass
class LayerNode:
    """One layer of a model config and the inputs of each of its calls."""

    name: str
    class_name: str
    config: Mapping[str, Any]
    trainable: bool
    calls: list[list[TensorRef]] = field(default_factory=list)
    model: ModelGraph | None = None
    call_args: list[tuple[Any, Mapping[str, Any]]] = field(default_factory=list)
    """Each call's ``(args, kwargs)`` as the config records them (Keras 3 configs only)."""
    operation: bool = False
    """A ``keras.ops`` operation (``x + 3``), not a layer: no weights, not in ``model.layers``."""
    recorded: dict[tuple[int, int], Shape] = field(default_factory=dict)
    """Output shapes by ``(call, index)`` as the layers that consume them record them."""
    measured: Measured | None = None
    """What the source (live model, weights file) measured of this layer."""


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
            history = (value.get("config") or {}).get("keras_history")
            if not (isinstance(history, (list, tuple)) and len(history) == 3):  # noqa: PLR2004
                raise SpecError(
                    "A tensor in a call's arguments must name the layer, call and output that "
                    f"produce it (keras_history=[name, call, output]). Received: {history!r}."
                )
            name, node, index = history
            if any(isinstance(i, bool) or not isinstance(i, int) for i in (node, index)):
                raise SpecError(f"keras_history must hold integer indices. Received: {history!r}.")
            return [(str(name), node, index)]
        return [r for key in sorted(value, key=str) for r in _refs(value[key])]
    if isinstance(value, (list, tuple)):
        return [r for v in value for r in _refs(v)]
    return []


DATA_KEYWORDS = ("inputs", "sequences", "query", "value", "key")
"""Keyword arguments that carry a layer's data (``mha(query=q, value=v)``), in call order.

Other tensor keywords (``mask``, ``attention_mask``, ``initial_state``) never
change a count or an output shape, so rules don't see them.
"""


def call_refs(args: Any, kwargs: Any) -> list[TensorRef]:
    """The data tensors of one call: positional ones, then `DATA_KEYWORDS` in that order."""
    refs = _refs(args)
    if isinstance(kwargs, Mapping):
        for key in DATA_KEYWORDS:
            refs.extend(_refs(kwargs.get(key)))
        if not refs:  # called with keyword tensors only (``block(x=a, context=b)``): all of them
            refs = _refs(kwargs)
    return refs


def all_refs(args: Any, kwargs: Any) -> list[TensorRef]:
    """Every tensor a call needs, masks and states included."""
    return _refs(args) + _refs(kwargs)


def _calls(inbound: Any) -> tuple[list[list[TensorRef]], list[tuple[Any, Mapping[str, Any]]]]:
    calls = []
    raw: list[tuple[Any, Mapping[str, Any]]] = []
    for node in inbound or []:
        if isinstance(node, Mapping):  # Keras 3: {"args": [...], "kwargs": {...}}
            args, kwargs = node.get("args", []), node.get("kwargs") or {}
            calls.append(call_refs(args, kwargs))
            raw.append((args, kwargs))
        else:  # Keras 2: [[name, node_index, tensor_index, kwargs], ...]
            calls.append([(str(t[0]), int(t[1]), int(t[2])) for t in node])
    if len(raw) != len(calls):
        raw = []
    return calls, raw


OPERATION_MODULES = ("keras.src.ops.", "keras.ops.")


def _tensors(value: Any) -> list[Mapping[str, Any]]:
    """Every keras-tensor config in a call's arguments."""
    if isinstance(value, Mapping):
        if value.get("class_name") == "__keras_tensor__":
            return [value.get("config") or {}]
        return [t for v in value.values() for t in _tensors(v)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    return []


def _record_shapes(layers: list[LayerNode]) -> None:
    """Give each operation the output shapes its consumers record (Keras 3 configs)."""
    operations = {node.name: node for node in layers if node.operation}
    if not operations:
        return
    for node in layers:
        for args, kwargs in node.call_args:
            for tensor in _tensors([args, kwargs]):
                name, call, index = tensor.get("keras_history") or (None, 0, 0)
                if name in operations and tensor.get("shape") is not None:
                    shape = _shape(tensor["shape"], f"Operation '{name}'")
                    operations[name].recorded[(int(call), int(index))] = shape


def _is_ref(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and len(value) == 3  # noqa: PLR2004 - [layer name, node, index]
        and isinstance(value[0], str)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value[1:])
    )


def _io(value: Any) -> list[TensorRef]:
    """The tensor references of ``input_layers``/``output_layers``, flattened as Keras does.

    A single reference, a list of them, or a dict or nested structure of them
    (``keras.Model(inputs={"a": ..., "b": ...})``: sorted by key, as ``keras.tree``).
    """
    if _is_ref(value):
        return [(str(value[0]), int(value[1]), int(value[2]))]
    if isinstance(value, Mapping):
        return [r for key in sorted(value) for r in _io(value[key])]
    if isinstance(value, (list, tuple)):
        return [r for v in value for r in _io(v)]
    return []


def is_model_config(class_name: str, config: Any) -> bool:
    """A Sequential or Functional model, or a ``keras.Model`` subclass saved as Functional.

    A subclass that only overrides ``train_step`` keeps Functional's config
    (``layers``, ``input_layers``, ``output_layers``): it is read as Functional.
    """
    if class_name in MODEL_CLASSES:
        return True
    return (
        isinstance(config, Mapping)
        and isinstance(config.get("layers"), list)
        and "input_layers" in config
        and "output_layers" in config
    )


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
        lclass = ALIASES.get(lclass, lclass)
        lconfig = entry.get("config") or {}
        node = LayerNode(lname, lclass, lconfig, trainable and bool(lconfig.get("trainable", True)))
        if lclass == "InputLayer":
            input_shapes[lname] = _input_shape(lconfig, lname)
        elif is_model_config(lclass, lconfig):
            kind = lclass if lclass in MODEL_CLASSES else "Functional"
            node.model = parse_model(kind, lconfig, trainable=node.trainable)
        node.calls, node.call_args = _calls(entry.get("inbound_nodes"))
        node.operation = str(entry.get("module") or "").startswith(OPERATION_MODULES)
        layers.append(node)
    _record_shapes(layers)
    if class_name == "Sequential":
        return _sequential(
            name,
            trainable=trainable,
            layers=layers,
            input_shapes=input_shapes,
            config=config,
            entries=entries,
        )
    by_name = {node.name: node for node in layers}
    return ModelGraph(
        name,
        class_name,
        trainable,
        layers,
        _io(config.get("input_layers")),
        [_output_ref(ref, by_name) for ref in _io(config.get("output_layers"))],
        input_shapes,
    )


def _output_ref(ref: TensorRef, layers: Mapping[str, LayerNode]) -> TensorRef:
    """An output reference with calls counted from 0, as everywhere else in the graph.

    Keras 3 counts a nested Functional model's calls from 1 in ``output_layers``
    (its call 0 is the node linking its own inputs to its outputs) but from 0 in
    ``inbound_nodes``.
    """
    node = layers.get(ref[0])
    if node is None or node.model is None or node.model.class_name == "Sequential":
        return ref
    return (ref[0], ref[1] - 1, ref[2]) if 1 <= ref[1] <= len(node.calls) else ref


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
        node.call_args = []
        previous = (node.name, 0, 0)
    return ModelGraph(
        name, "Sequential", trainable, layers, [(layers[0].name, 0, 0)], [previous], input_shapes
    )
