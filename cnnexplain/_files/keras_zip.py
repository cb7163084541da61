"""Read a saved Keras model file without Keras, bounded: the config and the weight shapes.

A ``.keras`` file is a zip holding ``metadata.json`` (the Keras version that
saved it), ``config.json`` (the architecture, in the format of
``model.get_config()``) and ``model.weights.h5`` (each layer's weights under
``layers/<snake_case class>/vars/<i>``). `read_model_file` reads it (or a JSON
config) into a `SavedModel`: the model's class and config, checked for the
types the graph reader relies on, and the weights' shapes as `WeightGroup`
trees, read by `cnnexplain._files.hdf5` from the layout Keras writes (only its
metadata: never a weight's values). `cnnexplain._files.explain` turns it into a breakdown.

Nothing in the file is ever run: no unpickling, no ``keras.models.load_model``,
no import of a module the config names. Its bytes are parsed by cnnexplain's own
readers only: h5py (or any other native parser) is never used on a file, so no
crafted file can crash the process. Every read is bounded (`cnnexplain._files.limits`),
so a zip bomb or an absurd size is reported, not allocated.

Examples:
    >>> import json, tempfile, pathlib
    >>> config = {"class_name": "Sequential", "config": {"name": "tiny", "layers": []}}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp, "tiny.json")
    ...     _ = path.write_text(json.dumps(config))
    ...     saved = read_model_file(path)
    >>> saved.class_name, saved.weights, saved.no_weights
    ('Sequential', None, 'a JSON config holds no weights')
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from cnnexplain._errors import ModelFileError
from cnnexplain._files import limits as _limits
from cnnexplain._files.hdf5 import Corrupt, Node, Unsupported, read_tree
from cnnexplain._files.inflate import Inflated, InflateLimitError
from cnnexplain._files.keras2 import normalise, tf_function
from cnnexplain._files.zip_archive import (
    Archive,
    DamagedZipError,
    MemberReadError,
    TooManyMembersError,
)
from cnnexplain._graph.model import MODEL_CLASSES, is_model_config

__all__ = [
    "CONFIG_LIMIT",
    "KNOWN_KERAS",
    "SavedModel",
    "WeightGroup",
    "read_model_file",
]

CONFIG_LIMIT = _limits.CONFIG_BYTES
"""The most bytes read from ``config.json`` (or a JSON config file): 64 MiB."""

KNOWN_KERAS = ("2", "3")
"""Major versions of Keras whose saved configs cnnexplain reads."""

_MAX_NESTING = _limits.MODEL_NESTING
_MAX_INT = 2**63
_INT_DIGITS = 19
_SHOWN = 60
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OPTIMIZER = frozenset({"optimizer"})  # model.weights.h5's optimizer state: never read
_NAMED = ("name", "class_name")
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_STORED, _DEFLATED = 0, 8  # zip compression methods
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


def _error(path: str, message: str, layer: str | None = None) -> ModelFileError:
    return ModelFileError(f"Cannot read '{path}': {message}", path=path, layer=layer)


# --- bounded reading -------------------------------------------------------------------------


def _read_limited(stream: IO[bytes], path: str, member: str) -> bytes:
    data = stream.read(CONFIG_LIMIT + 1)
    if len(data) > CONFIG_LIMIT:
        raise _error(
            path,
            f"{member} is larger than {CONFIG_LIMIT // 2**20} MiB, too large to be a Keras "
            "model config (a zip bomb?); expected a config of a few MiB at most.",
        )
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


def _parse_json(data: bytes, path: str, member: str) -> Any:
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
        raise _error(path, f"{member} nests too deeply to be a Keras model config.") from None
    except _HugeIntegerError as err:
        digits = len(str(err).lstrip("-"))
        raise _error(
            path,
            f"{member} holds an integer of {digits} digits, larger than any size Keras can "
            f"hold (below 2**63). Received: {str(err)[:24]}...",
        ) from None
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError
        raise _error(path, f"{member} is not valid JSON ({err}).") from err


def _zip_member(archive: Archive, path: str, member: str) -> bytes:
    try:
        data = archive.read(member, CONFIG_LIMIT)
    except DamagedZipError as err:
        raise _error(path, f"the archive is truncated or corrupted ({member}: {err}).") from err
    except MemberReadError as err:  # unknown compression, encrypted
        raise _error(path, f"{member} cannot be extracted ({err}).") from err
    if len(data) > CONFIG_LIMIT:
        raise _error(
            path,
            f"{member} is larger than {CONFIG_LIMIT // 2**20} MiB, too large to be a Keras "
            "model config (a zip bomb?); expected a config of a few MiB at most.",
        )
    return data


def _version_warning(path: str, version: object) -> tuple[str, ...]:
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


def read_model_file(path: str | os.PathLike[str]) -> SavedModel:
    """Read a model file without running anything in it.

    A ``.keras`` archive, a JSON config, a legacy HDF5 file (`cnnexplain._files.legacy_h5`)
    or a tf.keras SavedModel directory (`cnnexplain._files.tf_savedmodel`), told apart by
    their content, not their name.

    Args:
        path: the file or directory.

    Returns:
        The `SavedModel`, with the weight shapes when the file holds weights.

    Raises:
        ModelFileError: if the file is missing, not a zip, HDF5 nor JSON, truncated
            or corrupted, lacks its config, or its config is too large or not a
            Sequential or Functional model.
    """
    name = os.fspath(path)
    try:
        return _read_model_file(name)
    except ModelFileError:
        raise
    except (
        ArithmeticError,
        LookupError,
        TypeError,
        ValueError,
        RecursionError,
        EOFError,
        OSError,
        struct.error,
        zlib.error,
    ) as err:
        # Defence in depth: every reader checks what it reads, and fuzzing finds nothing
        # past those checks; were a crafted file to reach one, it is still refused.
        raise _error(
            name,
            f"it is damaged in a way cnnexplain does not recognise ({type(err).__name__}: "
            f"{str(err)[:_SHOWN]}).",
        ) from err


def _read_model_file(name: str) -> SavedModel:
    if os.path.isdir(name):  # noqa: PTH112 - name may be any str
        from cnnexplain._files.tf_savedmodel import read_saved_model  # noqa: PLC0415 - imports this

        return read_saved_model(name)
    try:
        with open(name, "rb") as stream:  # noqa: PTH123 - path may be str or PathLike
            head = stream.read(8)
            if head[:4] in _ZIP_MAGIC:
                return _read_archive(name, stream)
            if head == _HDF5_SIGNATURE:
                from cnnexplain._files.legacy_h5 import read_h5_model  # noqa: PLC0415 - imports this

                return read_h5_model(name, stream)
            stream.seek(0)
            data = _read_limited(stream, name, "the file")
    except FileNotFoundError:
        raise _error(name, "no such file.") from None
    except OSError as err:
        raise _error(name, f"{err.strerror or err}.") from err
    if not data.strip():
        raise _error(name, "the file is empty; expected a .keras, .h5 or JSON model file.")
    if data.lstrip()[:1] != b"{":
        raise _error(
            name,
            "it is neither a .keras archive (zip), an HDF5 file (.h5) nor a Keras model JSON "
            "config. "
            f"Received: first bytes {data[:8]!r}.",
        )
    top = _parse_json(data, name, "the file")
    class_name, config = _model_config(top, name, "the file")
    version = top.get("keras_version") if isinstance(top, dict) else None
    return SavedModel(
        name,
        class_name,
        config,
        None if version is None else str(version),
        None,
        "a JSON config holds no weights",
        _version_warning(name, version),
    )


def _read_archive(name: str, stream: IO[bytes]) -> SavedModel:
    try:
        archive = Archive(stream)
    except TooManyMembersError as err:
        raise _error(name, f"{err}.") from err
    except DamagedZipError as err:
        raise _error(name, f"the archive is truncated or corrupted ({err}).") from err
    try:
        members = set(archive.names)
        if "config.json" not in members and any(m.endswith("/data.pkl") for m in members):
            raise _error(
                name,
                "this is a PyTorch file (torch.save), which holds weights or a pickled "
                "module but no architecture cnnexplain reads without running code; the "
                "command reads Keras files only. Explain the module from Python: "
                "cnnexplain.explain(module, input_size=(1, 1, 28, 28)) with your input's "
                "shape, batch included.",
            )
        if "config.json" not in members:
            raise _error(
                name,
                "the archive has no config.json; expected a .keras file saved by Keras "
                f"(model.save). Received: members {sorted(members)[:5]!r}.",
            )
        top = _parse_json(_zip_member(archive, name, "config.json"), name, "config.json")
        library = _library(top)
        if library is not None:
            weights, no_weights = _weights(archive, stream, name, members)
            return SavedModel(
                name, *library, _keras_version(archive, name, members), weights, no_weights,
                from_weights=True,
            )  # fmt: skip
        class_name, config = _model_config(top, name, "config.json")
        version: object = None
        found: tuple[str, ...] = ()
        if "metadata.json" in members:
            metadata = _parse_json(
                _zip_member(archive, name, "metadata.json"), name, "metadata.json"
            )
            version = metadata.get("keras_version") if isinstance(metadata, dict) else None
        if version is None:
            found = (
                (
                    f"'{name}' does not record the Keras version that saved it (no "
                    "keras_version in metadata.json); reading it as Keras 3."
                ),
            )
        weights, no_weights = _weights(archive, stream, name, members)
    finally:
        archive.close()
    return SavedModel(
        name,
        class_name,
        config,
        None if version is None else str(version),
        weights,
        no_weights,
        found or _version_warning(name, version),
    )


def _library(top: Any) -> tuple[str, Mapping[str, Any]] | None:
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


def _keras_version(archive: Archive, name: str, members: set[str]) -> str | None:
    """The Keras version ``metadata.json`` records, if any."""
    if "metadata.json" not in members:
        return None
    metadata = _parse_json(_zip_member(archive, name, "metadata.json"), name, "metadata.json")
    version = metadata.get("keras_version") if isinstance(metadata, dict) else None
    return None if version is None else str(version)


def _model_config(top: Any, path: str, member: str) -> tuple[str, Mapping[str, Any]]:
    """The model class and config of a serialized model (or of a bare ``get_config()``)."""
    if not isinstance(top, dict):
        raise _error(path, f"{member} is not a JSON object. Received: {type(top).__name__}.")
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
        raise _error(
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
    return _error(path, f"in {where}: {what}. Received: {text}.")


def _check_name(config: Mapping[str, Any], path: str, where: str) -> None:
    """Refuse a name or class name longer than any Keras model's (a crafted file)."""
    for key in _NAMED:
        value = config.get(key)
        if isinstance(value, str) and len(value) > _limits.NAME_CHARACTERS:
            raise _error(
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
        raise _error(path, f"{member} nests models more than {_MAX_NESTING} deep.")
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


def _read_tree(archive: Archive, stream: IO[bytes], member: str) -> Node:
    """The HDF5 tree of a member, read in pure Python: only the metadata's bytes.

    A stored member is read through a memory map of the file; a deflated one is
    inflated only as far as the reads reach (`cnnexplain._files.inflate`).

    Raises:
        Corrupt: if the member is damaged, or compressed in another way.
        Unsupported: if it uses an HDF5 layout Keras does not write.
        DamagedZipError: if the archive is damaged around it.
        MemberReadError: if it is encrypted.
        InflateLimitError: if reading it would inflate too much.
        zlib.error: if its deflated data is corrupted.
    """
    start, method, compressed, size = archive.raw(member)
    if method == _STORED:
        if compressed != size or start + size > os.fstat(stream.fileno()).st_size:
            raise Corrupt(f"it is stored in {compressed} bytes but holds {size}")
        with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as view:
            return read_tree(
                lambda at, length: view[start + at : start + at + length], size, _OPTIMIZER
            )
    if method != _DEFLATED:
        raise MemberReadError(
            f"it is compressed with zip method {method}; Keras stores or deflates members"
        )
    inflated = Inflated(stream, start, compressed)
    return read_tree(inflated.read, size, _OPTIMIZER)


def _weights(
    archive: Archive, stream: IO[bytes], path: str, members: set[str]
) -> tuple[WeightGroup | None, str]:
    """The weight groups, read by `cnnexplain._files.hdf5` alone: no native parser sees the bytes.

    A layout Keras does not write (`Unsupported`) leaves the model explained but not
    checked; a damaged member is an error.
    """
    member = "model.weights.h5"
    if member not in members:
        return None, "the archive has no model.weights.h5"
    try:
        return _weight_group(_read_tree(archive, stream, member)), ""
    except Unsupported as err:
        return None, f"{member} uses an HDF5 layout ({err}) that cnnexplain does not read"
    except Corrupt as err:
        raise _error(path, f"{member} is corrupted ({err}).") from err
    except (DamagedZipError, zlib.error, EOFError) as err:
        raise _error(path, f"the archive is truncated or corrupted ({member}: {err}).") from err
    except MemberReadError as err:
        raise _error(path, f"{member} cannot be extracted ({err}).") from err
    except InflateLimitError as err:
        raise _error(path, f"{member} is too large to read ({err}).") from err


def _weight_group(node: Node) -> WeightGroup:
    """A group as a layer sees it: its ``vars`` datasets and name folded into it."""
    shapes = sorted(node.datasets.items(), key=lambda item: _var_order(item[0]))
    groups = {key: _weight_group(child) for key, child in node.groups.items() if key != "vars"}
    name = None
    own = node.groups.get("vars")
    if own is not None:
        name = own.name
        folded = _weight_group(own)
        shapes = [(f"vars/{key}", shape) for key, shape in folded.shapes] + shapes
        groups.update({f"vars/{key}": group for key, group in folded.groups.items()})
    return WeightGroup(name, tuple(shapes), groups)


def _var_order(key: str) -> tuple[int, str]:
    tail = key.rsplit("/", 1)[-1]
    return (int(tail), key) if tail.isdigit() else (2**63, key)
