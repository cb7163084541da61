"""Keras 2 model configs in Keras 3's format: the one place where old spellings are read.

tf.keras (Keras 2) files write a model config much like Keras 3's, with a few
differences that this module rewrites before the graph reader sees the config,
so no rule ever meets a Keras 2 spelling (tuples, which SavedModel metadata writes
as ``{"class_name": "__tuple__", "items": [...]}``, are already lists: the JSON
reader turns them into lists as it parses):

- an ``InputLayer``'s ``batch_input_shape`` becomes ``batch_shape``, and a Sequential
  whose first layer carries ``batch_input_shape`` gets the InputLayer Keras 2 implied;
- calls recorded as lists (``[[layer, node, tensor, kwargs], ...]``) become Keras 3
  calls (``{"args": [...], "kwargs": {...}}``), tensors passed by keyword included
  (``value`` of a MultiHeadAttention), and references to the calls of a nested
  model built on its own ``Input`` counted from 0, as Keras 3 counts them (Keras 2
  counts the node its ``Input`` created);
- ``TFOpLambda`` and ``SlicingOpLambda`` layers (TensorFlow functions called in a
  functional model: ``x * 2``, ``tf.reshape``, ``x[:, 0]``) become the ``keras.ops``
  operation Keras 3 records for the same call, when there is one; any other stays a
  layer without rule, named by its TensorFlow function;
- a BatchNormalization ``axis`` written as a one-element list becomes the integer;
- a registered class written as its registered name (``package>Scale``) becomes the
  class name (``Scale``), the registered name kept in ``registered_name``;
- ``Model`` and a ``keras.Model`` subclass whose config is functional (``layers``,
  ``input_layers``, ``output_layers``) are read as ``Functional``.

A Keras 3 config passes through unchanged, apart from the last two points (Keras 3's
legacy ``.h5`` files write registered names too).

Examples:
    >>> config = {"name": "m", "layers": [
    ...     {"class_name": "InputLayer", "name": "x",
    ...      "config": {"name": "x", "batch_input_shape": [None, 4]}, "inbound_nodes": []},
    ...     {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 2},
    ...      "inbound_nodes": [[["x", 0, 0, {}]]]},
    ... ], "input_layers": [["x", 0, 0]], "output_layers": [["d", 0, 0]]}
    >>> class_name, new = normalise("Model", config)
    >>> class_name, new["layers"][0]["config"]["batch_shape"]
    ('Functional', [None, 4])
    >>> new["layers"][1]["inbound_nodes"][0]["args"][0]["config"]["keras_history"]
    ['x', 0, 0]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cnnexplain._graph.model import is_model_config

__all__ = ["normalise", "tf_function"]

_MAX_DEPTH = 200
_OPS_MODULE = "keras.src.ops.numpy"
_SEQUENTIAL = "Sequential"
_REF_LENGTH = 3

_BINARY = {
    "__operators__.add": "Add",
    "math.add": "Add",
    "math.subtract": "Subtract",
    "math.multiply": "Multiply",
    "math.truediv": "TrueDivide",
    "math.divide": "Divide",
    "math.maximum": "Maximum",
    "math.minimum": "Minimum",
    "math.pow": "Power",
    "math.greater": "Greater",
    "math.greater_equal": "GreaterEqual",
    "math.less": "Less",
    "math.less_equal": "LessEqual",
    "math.equal": "Equal",
    "math.not_equal": "NotEqual",
    "math.logical_and": "LogicalAnd",
    "math.logical_or": "LogicalOr",
}
"""TensorFlow's element-wise functions of ``x`` and ``y``, by the Keras 3 operation."""

_UNARY = {
    "math.negative": "Negative",
    "math.abs": "Abs",
    "math.exp": "Exp",
    "math.log": "Log",
    "math.sqrt": "Sqrt",
    "math.square": "Square",
    "math.sigmoid": "Sigmoid",
    "math.tanh": "Tanh",
    "nn.relu": "Relu",
    "math.logical_not": "LogicalNot",
}
"""TensorFlow's element-wise functions of ``x`` alone."""

_WITH_CONFIG: dict[str, tuple[str, dict[str, str]]] = {
    "reshape": ("Reshape", {"shape": "newshape"}),
    "concat": ("Concatenate", {"axis": "axis"}),
    "math.reduce_mean": ("Mean", {"axis": "axis", "keepdims": "keepdims"}),
    "math.reduce_sum": ("Sum", {"axis": "axis", "keepdims": "keepdims"}),
    "math.reduce_max": ("Max", {"axis": "axis", "keepdims": "keepdims"}),
    "math.reduce_min": ("Min", {"axis": "axis", "keepdims": "keepdims"}),
    "expand_dims": ("ExpandDims", {"axis": "axis"}),
    "compat.v1.squeeze": ("Squeeze", {"axis": "axis"}),
    "squeeze": ("Squeeze", {"axis": "axis"}),
    "compat.v1.transpose": ("Transpose", {"perm": "axes"}),
    "transpose": ("Transpose", {"perm": "axes"}),
}
"""TensorFlow functions whose keyword arguments become the Keras 3 operation's config."""


_DEFAULTS = {"conjugate": False}
"""Keyword arguments TensorFlow records at a value that changes no shape (``tf.transpose``)."""


def tf_function(entry: Mapping[str, Any]) -> str | None:
    """The TensorFlow function a ``TFOpLambda`` layer calls (``tf.reshape``), else None."""
    config = entry.get("config")
    function = config.get("function") if isinstance(config, Mapping) else None
    return f"tf.{function}" if isinstance(function, str) else None


def normalise(class_name: str, config: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """A model's class and config, in the Keras 3 format the graph reader reads.

    Values of unexpected types are left as they are, for the config checks to report.
    """
    return _model(class_name, config, 0)


def _model(class_name: str, config: Any, depth: int) -> tuple[str, Any]:
    if not is_model_config(class_name, config):
        return class_name, config
    if class_name != _SEQUENTIAL:
        class_name = "Functional"
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        return class_name, config
    entries = config["layers"]
    names = {
        name
        for e in entries
        if isinstance(e, dict)
        and isinstance(e.get("config"), (dict, type(None)))
        and isinstance(name := e.get("name") or (e.get("config") or {}).get("name"), str)
    }
    keras2 = any(
        isinstance(node, list)
        for e in entries
        if isinstance(e, dict) and isinstance(e.get("inbound_nodes"), list)
        for node in e["inbound_nodes"]
    )
    shifted = _shifted(entries) if keras2 else set()
    layers = [_entry(e, names, shifted, depth) if isinstance(e, dict) else e for e in entries]
    if class_name == _SEQUENTIAL and layers:
        layers = _sequential_input(layers)
    new = {**config, "layers": layers}
    for key in ("input_layers", "output_layers"):
        if shifted and isinstance(config.get(key), list):
            new[key] = [_shift(ref, shifted) for ref in config[key]]
    return class_name, new


def _shifted(entries: list[Any]) -> set[str]:
    """Nested models that Keras 2 numbers from call 1: those built on their own ``Input``.

    Keras 2 keeps such a model's first node (the one its ``Input`` created) out of
    the config but counts it when referring to the model's calls; Keras 3 does not.
    """
    found = set()
    for entry in entries:
        config = entry.get("config") if isinstance(entry, dict) else None
        if not isinstance(config, dict):
            continue
        inner = config.get("layers")
        if (
            isinstance(inner, list)
            and inner
            and isinstance(inner[0], dict)
            and inner[0].get("class_name") == "InputLayer"
            and isinstance(name := entry.get("name") or config.get("name"), str)
        ):
            found.add(name)
    return found


def _shift(ref: Any, shifted: set[str]) -> Any:
    """A Keras 2 reference to a call of a model in ``shifted``, counted from 0."""
    if (
        isinstance(ref, list)
        and len(ref) >= _REF_LENGTH
        and ref[0] in shifted
        and isinstance(ref[1], int)
        and ref[1] >= 1
    ):
        return [ref[0], ref[1] - 1, *ref[2:]]
    return ref


def _sequential_input(layers: list[Any]) -> list[Any]:
    """Keras 2's implied InputLayer of a Sequential whose first layer has ``batch_input_shape``."""
    first = layers[0]
    config = first.get("config") if isinstance(first, dict) else None
    if not isinstance(config, dict) or first.get("class_name") == "InputLayer":
        return layers
    shape = config.get("batch_input_shape")
    if not isinstance(shape, list):
        return layers
    name = f"{config.get('name', 'sequential')}_input"
    entry = {"class_name": "InputLayer", "config": {"batch_shape": shape, "name": name}}
    rest = {k: v for k, v in config.items() if k != "batch_input_shape"}
    return [entry, {**first, "config": rest}, *layers[1:]]


def _entry(entry: dict[str, Any], names: set[str], shifted: set[str], depth: int) -> dict[str, Any]:
    entry = dict(entry)
    class_name = entry.get("class_name")
    config = entry.get("config")
    if isinstance(class_name, str) and ">" in class_name:  # a registered name, "package>Class"
        entry.setdefault("registered_name", class_name)
        class_name = class_name.rpartition(">")[2]
    if class_name == "InputLayer" and isinstance(config, dict) and "batch_input_shape" in config:
        config = {k: v for k, v in config.items() if k != "batch_input_shape"}
        config["batch_shape"] = entry["config"]["batch_input_shape"]
    elif class_name == "BatchNormalization" and isinstance(config, dict):
        axis = config.get("axis")
        if isinstance(axis, list) and len(axis) == 1:
            config = {**config, "axis": axis[0]}
    elif isinstance(class_name, str) and depth < _MAX_DEPTH:
        class_name, config = _model(class_name, config, depth + 1)
    entry["class_name"] = class_name
    entry["config"] = config
    inbound = entry.get("inbound_nodes")
    if isinstance(inbound, list) and all(isinstance(n, list) for n in inbound):
        entry["inbound_nodes"] = [_call(node, names, shifted) for node in inbound]
        if class_name in ("TFOpLambda", "SlicingOpLambda"):
            entry = _operation(entry)
    return entry


def _is_ref(value: Any, names: set[str]) -> bool:
    return (
        isinstance(value, list)
        and len(value) >= _REF_LENGTH
        and isinstance(value[0], str)
        and value[0] in names
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value[1:3])
    )


def _tensor(ref: list[Any]) -> dict[str, Any]:
    return {"class_name": "__keras_tensor__", "config": {"keras_history": list(ref[:3])}}


def _tensors(value: Any, names: set[str], shifted: set[str], depth: int = 0) -> Any:
    """A keyword argument with its tensor references (``[layer, node, tensor]``) as tensors."""
    if _is_ref(value, names):
        return _tensor(_shift(value, shifted))
    if isinstance(value, list) and depth < _MAX_DEPTH:
        return [_tensors(v, names, shifted, depth + 1) for v in value]
    if isinstance(value, dict) and depth < _MAX_DEPTH:
        return {k: _tensors(v, names, shifted, depth + 1) for k, v in value.items()}
    return value


def _call(node: list[Any], names: set[str], shifted: set[str]) -> Any:
    """One Keras 2 call, as Keras 3 records it; a malformed one is left for the checks.

    A call is a list of references, one per input tensor (several for a merge
    layer's list); a TFOpLambda's call on one tensor is that reference alone.
    """
    refs: list[Any] = [node] if node and isinstance(node[0], str) else node
    if not refs or not all(_is_ref(r, names) for r in refs):
        return node
    kwargs = refs[0][3] if len(refs[0]) > _REF_LENGTH and isinstance(refs[0][3], dict) else {}
    tensors = [_tensor(_shift(r, shifted)) for r in refs]
    args = [tensors[0]] if len(tensors) == 1 else [tensors]
    return {"args": args, "kwargs": _tensors(kwargs, names, shifted)}


def _operation(entry: dict[str, Any]) -> dict[str, Any]:
    """A TFOpLambda as the ``keras.ops`` operation Keras 3 records, when there is one."""
    function = tf_function(entry)
    calls = entry.get("inbound_nodes")
    if (
        function is None
        or not isinstance(calls, list)
        or not all(isinstance(c, dict) for c in calls)
    ):
        return entry
    function = function.removeprefix("tf.")
    name = entry.get("name") or (entry.get("config") or {}).get("name")
    op_config: dict[str, Any] = {"name": name}
    new_calls = []
    op: str | None = None
    for call in calls:
        args, kwargs = list(call["args"]), dict(call["kwargs"])
        kwargs.pop("name", None)
        for key, default in _DEFAULTS.items():
            if key in kwargs and kwargs[key] == default:
                del kwargs[key]
        op = _op_call(function, args, kwargs, op_config) if len(args) == 1 else None
        if op is None or kwargs:  # an argument the operation would not see: keep the layer
            return entry
        new_calls.append({"args": args, "kwargs": {}})
    return {
        "module": _OPS_MODULE,
        "class_name": op,
        "config": op_config,
        "registered_name": op,
        "name": name,
        "inbound_nodes": new_calls,
    }


def _op_call(
    function: str, args: list[Any], kwargs: dict[str, Any], config: dict[str, Any]
) -> str | None:
    """The Keras 3 operation of one call of ``function``, or None.

    Its arguments move where Keras 3 records them: ``y`` into ``args``, ``axis`` into
    the config.
    """
    if function in _BINARY and "y" in kwargs:
        args.append(kwargs.pop("y"))
        return _BINARY[function]
    if function in _UNARY:
        return _UNARY[function]
    if function in _WITH_CONFIG:
        op, keys = _WITH_CONFIG[function]
        config.update({new: kwargs.pop(old) for old, new in keys.items() if old in kwargs})
        return op
    if function == "__operators__.getitem" and "slice_spec" in kwargs:
        key = _slice_key(kwargs.pop("slice_spec"))
        if key is None:
            return None
        args.append(key)
        return "GetItem"
    return None


def _slice_key(spec: Any) -> Any:
    """A SlicingOpLambda's ``slice_spec`` as Keras 3's ``GetItem`` key, or None."""
    items = spec if isinstance(spec, list) else [spec]
    key: list[Any] = []
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool):
            key.append(item)
        elif isinstance(item, dict) and set(item) == {"start", "stop", "step"}:
            key.append({"class_name": "__slice__", "config": dict(item)})
        else:
            return None
    return key if isinstance(spec, list) else key[0]
