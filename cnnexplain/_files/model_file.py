"""What every format's reader returns, and what the readers share.

A `SavedModel` is a read model file: its class and config, checked for the types
the graph reader relies on (`model_config`), and its weights' shapes as
`WeightGroup` trees. The readers of ``.keras`` archives (`keras_zip`), legacy
``.h5`` files (`legacy_h5`) and SavedModel directories (`tf_savedmodel`) each
return one; `cnnexplain._files.read_model_file` tells them apart by content.
Every error is a `ModelFileError` in one sentence naming the file (`file_error`),
and no config is read past `CONFIG_LIMIT` (`too_large`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from cnnexplain._errors import ModelFileError
from cnnexplain._files import limits as _limits
from cnnexplain._files.keras2 import normalise, tf_function
from cnnexplain._graph.model import MODEL_CLASSES, is_model_config

__all__ = [
    "CONFIG_LIMIT",
    "KNOWN_KERAS",
    "SavedModel",
    "WeightGroup",
    "file_error",
    "library_model",
    "model_config",
    "parse_json",
    "read_limited",
    "too_large",
    "unknown_output",
    "version_warning",
]

CONFIG_LIMIT = _limits.CONFIG_BYTES
"""The most bytes read from ``config.json`` (or a JSON config file): 64 MiB."""

KNOWN_KERAS = ("2", "3")
"""Major versions of Keras whose saved configs cnnexplain reads."""

_MAX_NESTING = _limits.MODEL_NESTING
_MAX_INT = 2**63
_INT_DIGITS = 19
_SHOWN = 60
_NAMED = ("name", "class_name")
_SEQUENTIAL = "Sequential"


@dataclass(frozen=True)
class WeightGroup:
    """One group of ``model.weights.h5``: its datasets' shapes and its subgroups.

    Attributes:
        name: the layer name Keras records on the group's ``vars``, if any.
        shapes: ``(path, shape)`` of each dataset of ``vars``, in order.
        groups: the subgroups (a nested model's ``layers``, a layer's sublayers).
    """

    name: str | None = None
    shapes: tuple[tuple[str, tuple[int, ...]], ...] = ()
    groups: Mapping[str, WeightGroup] = field(default_factory=dict)

    def all_shapes(self, prefix: str = "") -> Iterator[tuple[str, tuple[int, ...]]]:
        """Every dataset's path and shape, this group's own first."""
        for path, shape in self.shapes:
            yield f"{prefix}{path}", shape
        for key, group in self.groups.items():
            yield from group.all_shapes(f"{prefix}{key}/")


@dataclass(frozen=True)
class SavedModel:
    """What a model file holds, read without running any of it.

    Attributes:
        path: the file, as given.
        class_name: the model's class (``Sequential``, ``Functional``...).
        config: the model's config (the ``config`` part of ``config.json``).
        keras_version: the Keras version that saved it, when recorded.
        weights: the root group of ``model.weights.h5``, or ``None``.
        no_weights: why ``weights`` is ``None`` (empty when it isn't).
        warnings: one sentence per thing the reader should know (unknown Keras version).
        weights_from: where in the file the weights are (``model.weights.h5``).
    """

    path: str
    class_name: str
    config: Mapping[str, Any]
    keras_version: str | None
    weights: WeightGroup | None
    no_weights: str = ""
    warnings: tuple[str, ...] = ()
    weights_from: str = "model.weights.h5"
    from_weights: bool = False
    """Its config names no layers (a library or subclassed model saves its constructor
    arguments): the layers are read from the weights file (`cnnexplain._files.weights_tree`)."""


def unknown_output(saved: SavedModel, entry: Mapping[str, Any], layer: str, needed_by: str) -> str:
    """Why a layer without rule stops the breakdown: its output shape is nowhere in the file.

    Advice only where it applies: a Keras 2 file records no output shapes, and Keras 3
    records them when it saves the model again (not for a TFOpLambda, which it cannot load).
    """
    class_name = entry.get("class_name")
    what = f"{class_name}, calling {tf_function(entry)}" if tf_function(entry) else class_name
    head = f"layer '{layer}' ({what}) has no rule in cnnexplain"
    version = saved.keras_version or ""
    if version.startswith("2."):
        advice = (
            ""
            if tf_function(entry)
            else '; loading the model in Keras 3 and saving it with model.save("model.keras") '
            "records them"
        )
        return (
            f"{head}, and a file written by Keras {version} records no output shapes, so its "
            f"output shape, which {needed_by} needs, is unknown{advice}."
        )
    return (
        f"{head}, and the file does not record its output shape, which {needed_by} needs; "
        "cnnexplain cannot go past it."
    )


def file_error(path: str, message: str, layer: str | None = None) -> ModelFileError:
    return ModelFileError(f"Cannot read '{path}': {message}", path=path, layer=layer)


# --- bounded reading -------------------------------------------------------------------------


def too_large(path: str, member: str) -> ModelFileError:
    """The one refusal of a config over `CONFIG_LIMIT`, whatever the format holding it."""
    return file_error(
        path,
        f"{member} is larger than {CONFIG_LIMIT // 2**20} MiB, too large to be a Keras "
        "model config (a zip bomb, or not a config); expected a config of a few MiB at most.",
    )


def read_limited(stream: IO[bytes], path: str, member: str) -> bytes:
    """At most `CONFIG_LIMIT` bytes of ``stream``; more is refused with `too_large`."""
    data = stream.read(CONFIG_LIMIT + 1)
    if len(data) > CONFIG_LIMIT:
        raise too_large(path, member)
    return data


class _HugeIntegerError(ValueError):
    """A JSON integer too large to be a size."""


def _parse_int(text: str) -> int:
    """JSON integers, refusing those no Keras size can be (and never converting huge ones)."""
    if len(text.lstrip("-")) > _INT_DIGITS or abs(value := int(text)) >= _MAX_INT:
        raise _HugeIntegerError(text)
    return value


def _untuple(value: dict[str, Any]) -> Any:
    """A tuple as Keras 2's SavedModel metadata writes it (``__tuple__``), as a list."""
    if value.get("class_name") == "__tuple__" and isinstance(value.get("items"), list):
        return value["items"]
    return value


def parse_json(data: bytes, path: str, member: str) -> Any:
    """The JSON in ``data``, read once: tuples become lists, huge integers are refused.

    Integers are checked one by one (a Python call each) only when the text holds
    a run of 19 digits or more somewhere, and tuples looked for only when it names one.
    """
    import re  # noqa: PLC0415 - imported by json already

    parse_int = _parse_int if re.search(rb"\d{19}", data) else None
    hook = _untuple if b'"__tuple__"' in data else None
    try:
        return json.loads(data, parse_int=parse_int, object_hook=hook)
    except RecursionError:
        raise file_error(path, f"{member} nests too deeply to be a Keras model config.") from None
    except _HugeIntegerError as err:
        digits = len(str(err).lstrip("-"))
        raise file_error(
            path,
            f"{member} holds an integer of {digits} digits, larger than any size Keras can "
            f"hold (below 2**63). Received: {str(err)[:24]}...",
        ) from None
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError
        raise file_error(path, f"{member} is not valid JSON ({err}).") from err


def version_warning(path: str, version: object) -> tuple[str, ...]:
    if version is None:
        return ()
    text = str(version)
    if text.split(".", maxsplit=1)[0] in KNOWN_KERAS:
        return ()
    message = (
        f"'{path}' was saved by Keras {text}, which cnnexplain does not know (it reads "
        f"Keras {' and '.join(KNOWN_KERAS)} configs); the breakdown may be wrong."
    )
    return (message,)


def library_model(top: Any) -> tuple[str, Mapping[str, Any]] | None:
    """The class and arguments of a model saved by its constructor arguments, not its layers.

    A KerasHub task or backbone, or a subclassed model with ``get_config``:
    ``config.json`` holds its class and arguments; only its code builds its layers.
    """
    if not isinstance(top, dict) or "class_name" not in top:
        return None
    class_name, config = top.get("class_name"), top.get("config")
    if not isinstance(class_name, str) or is_model_config(class_name, config):
        return None
    return class_name, config if isinstance(config, dict) else {}


def model_config(top: Any, path: str, member: str) -> tuple[str, Mapping[str, Any]]:
    """The model class and config of a serialized model (or of a bare ``get_config()``)."""
    if not isinstance(top, dict):
        raise file_error(path, f"{member} is not a JSON object. Received: {type(top).__name__}.")
    class_name: Any
    config: Any
    if "class_name" not in top and isinstance(top.get("layers"), list):
        class_name = "Functional" if "input_layers" in top else _SEQUENTIAL
        config = top
    else:
        class_name = top.get("class_name")
        config = top.get("config")
    if not isinstance(class_name, str):
        raise _fail(path, member, "'class_name' must name the model's class", class_name)
    if not is_model_config(class_name, config):
        module = top.get("module")
        where = f" (module {module})" if isinstance(module, str) else ""
        raise file_error(
            path,
            f"{member} describes a {class_name}{where}, not a Sequential or Functional model; "
            "a subclassed model's architecture is Python code, which cnnexplain never runs.",
        )
    if not isinstance(config, dict):
        raise _fail(path, member, "'config' must be the model's config", config)
    class_name, config = normalise(class_name, config)
    _check_model(config, path, f"{member}, model '{config.get('name', class_name)}'", 0)
    return (class_name if class_name in MODEL_CLASSES else "Functional"), config


# --- structure of a model config -------------------------------------------------------------


def _fail(path: str, where: str, what: str, received: object) -> ModelFileError:
    text = repr(received)
    text = text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."
    return file_error(path, f"in {where}: {what}. Received: {text}.")


def _check_name(config: Mapping[str, Any], path: str, where: str) -> None:
    """Refuse a name or class name longer than any Keras model's (a crafted file)."""
    for key in _NAMED:
        value = config.get(key)
        if isinstance(value, str) and len(value) > _limits.NAME_CHARACTERS:
            raise file_error(
                path,
                f"in {where}: '{key}' has {len(value):,} characters, more than the "
                f"{_limits.NAME_CHARACTERS:,} cnnexplain reads in a name. "
                f"Received: {value[:24]!r}...",
            )


def _check_ref(value: Any, path: str, where: str) -> None:
    ok = (
        isinstance(value, list)
        and len(value) >= 3  # noqa: PLR2004 - Keras 2 adds a kwargs dict
        and isinstance(value[0], str)
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value[1:3])
    )
    if not ok:
        raise _fail(path, where, "a tensor reference must be [layer name, node, index]", value)


def _check_call_args(value: Any, path: str, where: str) -> int:
    """Check every tensor reference in a call's arguments; return how many there are."""
    stack = [value]
    count = 0
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("class_name") == "__keras_tensor__":
                tensor = item.get("config")
                if not isinstance(tensor, dict):
                    raise _fail(path, where, "a tensor must have a config", item)
                _check_ref(tensor.get("keras_history"), path, where)
                count += 1
                continue
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def _check_model(config: Mapping[str, Any], path: str, where: str, depth: int) -> None:
    """Check the types `parse_model` relies on, so a malformed file fails with its own words."""
    if depth > _MAX_NESTING:
        member = where.partition(",")[0]
        raise file_error(path, f"{member} nests models more than {_MAX_NESTING} deep.")
    _check_name(config, path, where)
    layers = config.get("layers")
    if not isinstance(layers, list):
        raise _fail(path, where, "'layers' must be a list", layers)
    for key in ("input_layers", "output_layers"):
        value = config.get(key)
        if value:
            if not isinstance(value, (list, dict)):
                raise _fail(path, where, f"'{key}' must be a list or a dict", value)
            for ref in _io_refs(value):
                _check_ref(ref, path, f"{where}, {key}")
    for i, entry in enumerate(layers):
        _check_entry(entry, path, f"{where}, layer {i}", depth)


def _io_refs(value: Any) -> list[Any]:
    """The references of ``input_layers``/``output_layers``: one, a list, or a dict of them."""
    if isinstance(value, list) and value and isinstance(value[0], str):
        return [value]
    if isinstance(value, dict):
        return [r for v in value.values() for r in _io_refs(v)]
    if isinstance(value, list) and value and all(isinstance(v, (list, dict)) for v in value):
        return [r for v in value for r in _io_refs(v)]
    return [value] if isinstance(value, list) and value else []


def _check_inbound(inbound: Any, path: str, where: str) -> None:
    if not isinstance(inbound, (list, type(None))):
        raise _fail(path, where, "'inbound_nodes' must be a list", inbound)
    for node in inbound or []:
        if isinstance(node, dict):  # tensors as arguments or keywords (``layer(inputs=x)``)
            tensors = _check_call_args(
                [node.get("args", []), node.get("kwargs") or {}], path, where
            )
            if not tensors:
                raise _fail(path, where, "a call must take at least one tensor", node)
        elif isinstance(node, list) and node:
            for ref in node:
                _check_ref(ref, path, where)
        else:
            raise _fail(path, where, "a call in 'inbound_nodes' must be an object", node)


def _check_entry(entry: Any, path: str, where: str, depth: int) -> None:
    if not isinstance(entry, dict):
        raise _fail(path, where, "a layer must be an object", entry)
    config = entry.get("config")
    if not isinstance(config, (dict, type(None))):
        raise _fail(path, where, "'config' must be an object", config)
    class_name = entry.get("class_name")
    if not isinstance(class_name, str):
        raise _fail(path, where, "'class_name' must be a string", class_name)
    _check_name(entry, path, where)
    where = f"{where} ({class_name})"
    _check_name(config or {}, path, where)
    build = entry.get("build_config")
    if not isinstance(build, (dict, type(None))):
        raise _fail(path, where, "'build_config' must be an object", build)
    _check_inbound(entry.get("inbound_nodes"), path, where)
    if config is not None and is_model_config(class_name, config):
        name = config.get("name", class_name)
        _check_model(config, path, f"{where}, model '{name}'", depth + 1)


# --- weights ---------------------------------------------------------------------------------
