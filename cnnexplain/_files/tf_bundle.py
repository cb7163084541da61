r"""Read variable shapes from a TensorFlow checkpoint (tensor bundle), in pure Python.

A SavedModel's ``variables/variables.index`` is a LevelDB table (an SSTable):
a footer pointing to an index block, which points to data blocks of
prefix-compressed keys, each key a checkpoint key and each value a
``BundleEntryProto`` (``dtype = 1``, ``shape = 2``, ``shard_id = 3``,
``offset = 4``, ``size = 5``). The shape is a ``TensorShapeProto`` (``dim = 2``,
each ``Dim`` with ``size = 1``).

Checkpoint keys name objects by their shortest path from the root, so a nested
layer's kernel may be ``variables/4/...``. The key ``_CHECKPOINTABLE_OBJECT_GRAPH``
holds the ``TrackableObjectGraph`` (``nodes = 1``; a node's ``children = 1`` are
``node_id = 1``, ``local_name = 2``; its ``attributes = 2`` have ``name = 1`` and
``checkpoint_key = 3``), a string tensor in the data shard. Walking it from the
root along a layer's path (``layer_with_weights-2``, then ``layer_with_weights-0``)
finds every variable the layer owns, whatever its key. Only the index, and that
one string of the data file, are read: never a weight.

Its protobufs are decoded by `cnnexplain._files.protobuf`, bounded by a field budget.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from cnnexplain._files import limits as _limits
from cnnexplain._files.protobuf import Budget, ProtobufError, fields, varint

__all__ = ["Bundle", "BundleError", "read_bundle"]

_MAGIC = bytes.fromhex("57fb808b247547db")
_FOOTER = 48
_TRAILER = 5
_LIMIT = _limits.CONFIG_BYTES
_MAX_NODES = _limits.PROTOBUF_NODES
_MAX_FIELDS = _limits.CHECKPOINT_FIELDS
_GRAPH_KEY = b"_CHECKPOINTABLE_OBJECT_GRAPH"


class BundleError(ProtobufError):
    """The checkpoint cannot be read: missing, truncated, compressed or malformed."""


@dataclass
class Bundle:
    """Each variable's shape by checkpoint key, and the object graph's nodes."""

    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    children: list[dict[str, int]] = field(default_factory=list)
    """Per node: its children's node ids by local name."""
    variables: list[str | None] = field(default_factory=list)
    """Per node: its ``VARIABLE_VALUE`` checkpoint key, if it is a variable."""
    visits: int = 0
    """Nodes visited by `owned` so far, bounded by `cnnexplain._files.limits.PROTOBUF_NODES`."""

    def node(self, path: list[str]) -> int | None:
        """The node reached from the root along ``path`` (local names), or None."""
        at = 0
        for name in path:
            if at >= len(self.children) or name not in self.children[at]:
                return None
            at = self.children[at][name]
        return at

    def owned(self, node: int) -> list[tuple[str, tuple[int, ...]]]:
        """``(path from node, shape)`` of every variable reachable from ``node``, once each.

        Raises:
            BundleError: if the calls, together, visit too many nodes (a crafted graph).
        """
        found: list[tuple[str, tuple[int, ...]]] = []
        seen = {node}
        stack = [(node, "")]
        while stack:
            at, prefix = stack.pop()
            self.visits += 1
            if self.visits > _MAX_NODES:
                message = f"finding the layers' variables visits over {_MAX_NODES:,} nodes"
                raise BundleError(message)
            key = self.variables[at] if at < len(self.variables) else None
            if key is not None and key in self.shapes:
                found.append((prefix.rstrip("/"), self.shapes[key]))
                continue
            children = self.children[at] if at < len(self.children) else {}
            for name, child in sorted(children.items(), reverse=True):
                if child not in seen:
                    seen.add(child)
                    stack.append((child, f"{prefix}{name}/"))
        return found


def _block(data: bytes, handle: bytes) -> bytes:
    offset, pos = varint(handle, 0)
    size, _ = varint(handle, pos)
    if offset + size + _TRAILER > len(data):
        raise BundleError(f"a block at byte {offset} runs past the index file")
    if data[offset + size] != 0:
        raise BundleError("its blocks are compressed")
    return data[offset : offset + size]


def _entries(block: bytes) -> Iterator[tuple[bytes, bytes]]:
    if len(block) < 4:  # noqa: PLR2004 - the restart count
        raise BundleError("a block is shorter than its restart count")
    (restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    end = len(block) - 4 - 4 * restarts
    if end < 0:
        raise BundleError("a block's restart array is larger than the block")
    pos, key = 0, b""
    while pos < end:
        shared, pos = varint(block, pos)
        unshared, pos = varint(block, pos)
        length, pos = varint(block, pos)
        if shared > len(key) or pos + unshared + length > end:
            raise BundleError("a block entry runs past its block")
        key = key[:shared] + block[pos : pos + unshared]
        pos += unshared
        yield key, block[pos : pos + length]
        pos += length


def _shape(entry: bytes, budget: Budget) -> tuple[tuple[int, ...], int, int, int]:
    """A BundleEntryProto's shape, shard, offset and size."""
    dims: list[int] = []
    shard = offset = size = 0
    for number, value in fields(entry, budget):
        if number == 2 and isinstance(value, bytes):  # noqa: PLR2004 - shape
            for dim_number, dim in fields(value, budget):
                if dim_number == 2 and isinstance(dim, bytes):  # noqa: PLR2004 - dim
                    sizes = [v for n, v in fields(dim, budget) if n == 1 and isinstance(v, int)]
                    dims.append(sizes[0] if sizes else 0)
        elif isinstance(value, int) and number in (3, 4, 5):
            shard, offset, size = (
                (value, offset, size)
                if number == 3  # noqa: PLR2004
                else (shard, value, size)
                if number == 4  # noqa: PLR2004
                else (shard, offset, value)
            )
    return tuple(dims), shard, offset, size


def _read(path: str, limit: int = _LIMIT) -> bytes:
    try:
        with open(path, "rb") as stream:  # noqa: PTH123 - path may be any str
            data = stream.read(limit + 1)
    except OSError as err:
        raise BundleError(f"{os.path.basename(path)}: {err.strerror or err}") from err  # noqa: PTH119
    if len(data) > limit:
        raise BundleError(f"{os.path.basename(path)} is larger than {limit // 2**20} MiB")  # noqa: PTH119
    return data


def read_bundle(prefix: str) -> Bundle:
    """The variable shapes and object graph of the checkpoint ``prefix`` (``.../variables``).

    Raises:
        BundleError: if the index or its object graph cannot be read.
    """
    data = _read(f"{prefix}.index")
    if len(data) < _FOOTER or data[-8:] != _MAGIC:
        raise BundleError("variables.index is not a TensorFlow checkpoint index (no table footer)")
    footer = data[-_FOOTER:]
    _, pos = varint(footer, 0)
    _, pos = varint(footer, pos)  # the metaindex handle, unused
    bundle = Bundle()
    budget = Budget(_MAX_FIELDS)
    graph: tuple[int, int, int] | None = None
    shards = 1
    for _, handle in _entries(_block(data, footer[pos:])):
        for key, value in _entries(_block(data, handle)):
            if not key:  # the header: number of shards
                found = (v for n, v in fields(value, budget) if n == 1 and isinstance(v, int))
                shards = next(found, 1)
                continue
            if len(bundle.shapes) >= _MAX_NODES:
                raise BundleError(f"variables.index has more than {_MAX_NODES:,} entries")
            shape, shard, offset, size = _shape(value, budget)
            if key == _GRAPH_KEY:
                graph = (shard, offset, size)
            else:
                bundle.shapes[key.decode("utf-8", "replace")] = shape
    if graph is None:
        raise BundleError("variables.index has no object graph")
    _object_graph(bundle, prefix, shards, graph, budget)
    return bundle


def _object_graph(
    bundle: Bundle, prefix: str, shards: int, where: tuple[int, int, int], budget: Budget
) -> None:
    shard, offset, size = where
    if size > _LIMIT:
        raise BundleError("the checkpoint's object graph is too large")
    path = f"{prefix}.data-{shard:05d}-of-{shards:05d}"
    try:
        with open(path, "rb") as stream:  # noqa: PTH123
            stream.seek(offset)
            tensor = stream.read(size)
    except OSError as err:
        raise BundleError(f"{os.path.basename(path)}: {err.strerror or err}") from err  # noqa: PTH119
    length, pos = varint(tensor, 0)  # a string tensor: its length, a 4-byte checksum, the bytes
    proto = tensor[pos + 4 : pos + 4 + length]
    if len(proto) != length:
        raise BundleError("the checkpoint's object graph is truncated")
    for number, node in fields(proto, budget):
        if number != 1 or not isinstance(node, bytes):
            continue
        if len(bundle.children) >= _MAX_NODES:
            raise BundleError(f"the object graph has more than {_MAX_NODES:,} nodes")
        children, variable = _trackable(node, budget)
        bundle.children.append(children)
        bundle.variables.append(variable)


def _trackable(node: bytes, budget: Budget) -> tuple[dict[str, int], str | None]:
    """A TrackableObject's children by local name, and its variable's checkpoint key."""
    children: dict[str, int] = {}
    variable: str | None = None
    for kind, value in fields(node, budget):
        if not isinstance(value, bytes):
            continue
        found = dict(fields(value, budget))
        if kind == 1 and isinstance(found.get(2), bytes):
            node_id = found.get(1, 0)
            if not isinstance(node_id, int):
                raise BundleError(
                    "a child in the checkpoint's object graph has a node id stored as "
                    f"{len(node_id)} bytes, not an integer"
                )
            children[bytes(found[2]).decode("utf-8", "replace")] = node_id
        elif kind == 2 and found.get(1) == b"VARIABLE_VALUE":  # noqa: PLR2004 - attributes
            key = found.get(3)
            variable = bytes(key).decode("utf-8", "replace") if isinstance(key, bytes) else None
    return children, variable
