"""Read the group tree and dataset shapes of an HDF5 file, in pure Python.

``model.weights.h5`` and the legacy ``model.save("m.h5")`` files are written by
h5py with its default ("earliest") file format: a version 0 superblock,
version 1 object headers, groups indexed by symbol tables (version 1 B-trees
and local heaps), and string attributes (a layer's ``name``, the
``model_config`` JSON, the ``layer_names`` and ``weight_names`` lists), fixed
length in the object header or variable length in the global heap. Reading
that much takes a few milliseconds, where importing h5py (and NumPy) takes a
fifth of a second, which matters to a command that should answer in well under one.

Only metadata is read, never the weights themselves, and every address is
checked against the file's size, every B-tree node and object visited once, and
every count bounded (`cnnexplain._files.limits`), so a corrupted or crafted file fails
cleanly with `Corrupt`. A file in a newer layout (``libver="latest"``, which
Keras never asks for) raises `Unsupported`; no other HDF5 parser is tried, so
untrusted bytes never reach a native one.

Examples:
    >>> data = b"not an HDF5 file"
    >>> read_tree(lambda offset, length: data[offset : offset + length], len(data))
    Traceback (most recent call last):
    ...
    cnnexplain._files.hdf5.Corrupt: no HDF5 signature at the start of the file
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from cnnexplain._files import limits as _limits

__all__ = ["Attribute", "Corrupt", "Node", "Unsupported", "read_tree"]

_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_UNDEFINED = 2**64 - 1
_MAX_OBJECTS = _limits.HDF5_OBJECTS
_MAX_DEPTH = _limits.NESTING
_MAX_CONTINUATIONS = _limits.HDF5_CONTINUATIONS
_MAX_READ = _limits.HDF5_METADATA_BYTES
_MAX_NAME_BYTES = 4 * _limits.NAME_CHARACTERS  # UTF-8 takes up to 4 bytes a character
_VALID_SIZES = {2, 4, 8, 16, 32}

_DATASPACE = 0x0001
_LAYOUT = 0x0008
_ATTRIBUTE = 0x000C
_CONTINUATION = 0x0010
_SYMBOL_TABLE = 0x0011
_LINK_INFO = 0x0002
_LINK = 0x0006
_SHARED_FLAG = 0x02

_ATTRIBUTE_VERSIONS = (1, 2, 3)
_VLEN_CLASS = 9
_STRING_CLASS = 3
_SPACE_PADDED = 2
_VLEN_SIZE = 16  # length (4 bytes), global heap collection (8) and object index (4)
_NULL_SPACE = 2
_MAX_ELEMENTS = _limits.ATTRIBUTE_ELEMENTS

Attribute = str | tuple[str, ...]
"""A string attribute: a string, or a tuple of them for an array (``()`` for any empty one)."""


class Corrupt(ValueError):  # noqa: N818 - reads as "the file is corrupt"
    """The file is not HDF5 or is damaged: an address out of range, a bad signature."""


class Unsupported(ValueError):  # noqa: N818 - reads as "the layout is unsupported"
    """The file uses an HDF5 layout this reader doesn't know (one Keras does not write)."""


@dataclass
class Node:
    """A group: its ``name`` attribute, its datasets' shapes and its subgroups, by name.

    ``attrs`` holds its string attributes (and its empty arrays, as ``()``); other
    attributes (numbers) are left out.
    """

    name: str | None = None
    datasets: dict[str, tuple[int, ...]] = field(default_factory=dict)
    groups: dict[str, Node] = field(default_factory=dict)
    attrs: dict[str, Attribute] = field(default_factory=dict)


class _File:
    def __init__(self, read: Callable[[int, int], bytes], size: int) -> None:
        self.raw_read = read
        self.size = size
        self.objects = 0
        self.seen: set[int] = set()
        self.nodes: set[int] = set()  # B-tree and symbol table nodes visited
        self.heaps: dict[int, dict[int, bytes]] = {}
        self.total = 0

    def read(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0 or offset + length > self.size:
            raise Corrupt(f"address {offset}+{length} is outside the file ({self.size} bytes)")
        self.total += length
        if self.total > _MAX_READ:
            raise Corrupt(f"its metadata exceeds {_MAX_READ // 2**20} MiB")
        data = self.raw_read(offset, length)
        if len(data) != length:
            raise Corrupt(f"the file ends before byte {offset + length}")
        return data


_FORMATS = {
    1: struct.Struct("<B"),
    2: struct.Struct("<H"),
    4: struct.Struct("<I"),
    8: struct.Struct("<Q"),
}


_MESSAGE = struct.Struct("<HHB3x")  # a version 1 header message: type, size, flags
_LINK_ENTRY = struct.Struct("<QQ24x")  # a symbol table entry: name offset, object header
_CHILD = struct.Struct("<8xQ")  # a group B-tree's key and child address


def _u(data: bytes, offset: int, size: int) -> int:
    """The little-endian unsigned integer of ``size`` bytes at ``offset``."""
    try:
        value: int = _FORMATS[size].unpack_from(data, offset)[0]
    except struct.error:
        raise Corrupt("a structure is shorter than its fields") from None
    return value


def read_tree(
    read: Callable[[int, int], bytes], size: int, skip: frozenset[str] = frozenset()
) -> Node:
    """The root group of an HDF5 file of ``size`` bytes; ``read(offset, length)`` reads it.

    The root's groups named in ``skip`` (an optimizer's state) are left out unread.

    Raises:
        Corrupt: if the file is not HDF5 or is damaged.
        Unsupported: if it uses a layout other than h5py's default one.
    """
    f = _File(read, size)
    head = f.read(0, min(size, 96))
    if not head.startswith(_SIGNATURE):
        raise Corrupt("no HDF5 signature at the start of the file")
    version = _u(head, 8, 1)
    if version not in (0, 1):
        raise Unsupported(f"superblock version {version}")
    offsets, lengths = _u(head, 13, 1), _u(head, 14, 1)
    sizes = f"the superblock gives {offsets}-byte addresses and {lengths}-byte lengths"
    if not {offsets, lengths} <= _VALID_SIZES:
        raise Corrupt(sizes)
    if (offsets, lengths) != (8, 8):
        raise Unsupported(sizes)
    root_entry = 24 + (4 if version == 1 else 0) + 4 * 8
    header = _u(head, root_entry + 8, 8)
    return _group(f, _messages(f, header), 0, skip)


def _messages(f: _File, address: int) -> list[tuple[int, int, bytes]]:
    """The messages (type, flags, body) of a version 1 object header."""
    if address in f.seen:
        raise Corrupt(f"object header {address} is reached twice (a cycle)")
    f.seen.add(address)
    f.objects += 1
    if f.objects > _MAX_OBJECTS:
        raise Corrupt(f"more than {_MAX_OBJECTS} objects")
    prefix = f.read(address, 16)
    if prefix[:4] == b"OHDR":
        raise Unsupported("version 2 object headers")
    if prefix[0] != 1:
        raise Corrupt(f"object header {address} has version {prefix[0]}")
    count = _u(prefix, 2, 2)
    blocks = [(address + 16, _u(prefix, 8, 4))]
    messages: list[tuple[int, int, bytes]] = []
    continuations = 0
    while blocks and len(messages) < count:
        start, length = blocks.pop(0)
        data = f.read(start, length)
        pos = 0
        while pos + 8 <= length and len(messages) < count:
            kind, size, flags = _MESSAGE.unpack_from(data, pos)
            body = data[pos + 8 : pos + 8 + size]
            if len(body) != size:
                raise Corrupt(f"a message of object header {address} overruns its block")
            pos += 8 + size
            messages.append((kind, flags, body))
            if kind == _CONTINUATION:
                continuations += 1
                if continuations > _MAX_CONTINUATIONS:
                    raise Corrupt(f"object header {address} continues too many times")
                blocks.append((_u(body, 0, 8), _u(body, 8, 8)))
    return messages


def _group_header(f: _File, messages: list[tuple[int, int, bytes]]) -> tuple[Node, int, int]:
    """An empty node with the group's ``name`` attribute, its B-tree and its local heap."""
    node = Node()
    table = None
    for kind, flags, body in messages:
        if kind in (_LINK, _LINK_INFO):
            raise Unsupported("groups indexed by links")
        if kind == _SYMBOL_TABLE:
            table = (_u(body, 0, 8), _u(body, 8, 8))
        elif kind == _ATTRIBUTE and not flags & _SHARED_FLAG:
            name, value = _attribute(f, body)
            if value is not None:
                node.attrs[name] = value
                if name == "name" and isinstance(value, str):
                    node.name = value
    if table is None:
        raise Corrupt("the root object is not a group")
    return node, *table


def _group(
    f: _File,
    messages: list[tuple[int, int, bytes]],
    depth: int,
    skip: frozenset[str] = frozenset(),
) -> Node:
    if depth > _MAX_DEPTH:
        raise Corrupt(f"groups nest deeper than {_MAX_DEPTH} levels")
    node, btree, heap_address = _group_header(f, messages)
    links = _links(f, btree, _local_heap(f, heap_address), skip)
    # Visited in the order they lie in the file, so that a deflated file is read front to
    # back (`cnnexplain._files.inflate`), then kept in the B-tree's (name) order.
    read: dict[int, Node | tuple[int, ...] | None] = {}
    for i in sorted(range(len(links)), key=lambda i: links[i][1]):
        found = _messages(f, links[i][1])
        kinds = {kind for kind, _, _ in found}
        if _SYMBOL_TABLE in kinds or kinds & {_LINK, _LINK_INFO}:
            read[i] = _group(f, found, depth + 1)
        elif _LAYOUT in kinds:
            read[i] = _dataset_shape(found)
    for i, (name, _) in enumerate(links):
        item = read.get(i)
        if isinstance(item, Node):
            node.groups[name] = item
        elif item is not None:
            node.datasets[name] = item
    return node


def _links(f: _File, btree: int, heap: bytes, skip: frozenset[str]) -> list[tuple[str, int]]:
    """``(name, object header address)`` of a group's links, in its B-tree's order."""
    links: list[tuple[str, int]] = []
    for name_offset, child in _symbols(f, btree, 0):
        end = heap.find(b"\0", name_offset, name_offset + _MAX_NAME_BYTES + 1)
        if name_offset >= len(heap) or end < 0:
            raise Corrupt(
                "a link name lies outside its heap or is longer than "
                f"{_limits.NAME_CHARACTERS} characters"
            )
        name = heap[name_offset:end].decode("utf-8", "replace")
        if name not in skip:
            links.append((name, child))
    return links


def _local_heap(f: _File, address: int) -> bytes:
    head = f.read(address, 32)
    if head[:4] != b"HEAP":
        raise Corrupt(f"no local heap at {address}")
    size, data = _u(head, 8, 8), _u(head, 24, 8)
    return f.read(data, size)


def _symbols(f: _File, address: int, depth: int) -> list[tuple[int, int]]:
    """(name offset, object header address) of each link in a group's B-tree."""
    if depth > _MAX_DEPTH:
        raise Corrupt("a B-tree is too deep")
    _visit(f, address, "B-tree node")
    head = f.read(address, 24)
    if head[:4] != b"TREE" or head[4] != 0:
        raise Corrupt(f"no group B-tree node at {address}")
    level, used = head[5], _u(head, 6, 2)
    body = f.read(address + 24, used * 16 + 8)
    children = [child for (child,) in _CHILD.iter_unpack(body[: used * 16])]
    links: list[tuple[int, int]] = []
    for child in children:
        if level > 0:
            links += _symbols(f, child, depth + 1)
            continue
        _visit(f, child, "symbol table node")
        node = f.read(child, 8)
        if node[:4] != b"SNOD":
            raise Corrupt(f"no symbol table node at {child}")
        count = _u(node, 6, 2)
        links += _LINK_ENTRY.iter_unpack(f.read(child + 8, count * 40))
    return links


def _visit(f: _File, address: int, what: str) -> None:
    """Note a B-tree or symbol table node as read; reading one twice means a cycle."""
    if address in f.nodes:
        raise Corrupt(f"{what} {address} is reached twice (a cycle)")
    f.nodes.add(address)


def _dataspace(body: bytes) -> tuple[int, ...]:
    if len(body) < 2:  # noqa: PLR2004 - version and rank
        raise Corrupt(f"a dataspace message has {len(body)} bytes, fewer than its header")
    version, rank = body[0], body[1]
    start = {1: 8, 2: 4}.get(version)
    if start is None:
        raise Unsupported(f"dataspace message version {version}")
    try:
        return struct.unpack_from(f"<{rank}Q", body, start)
    except struct.error:
        raise Corrupt("a structure is shorter than its fields") from None


def _dataset_shape(messages: list[tuple[int, int, bytes]]) -> tuple[int, ...]:
    kinds = {kind: (flags, body) for kind, flags, body in messages}
    flags, body = kinds.get(_DATASPACE, (0, b""))
    if flags & _SHARED_FLAG or not body:
        raise Unsupported("a dataset with a shared or missing dataspace")
    return _dataspace(body)


def _pad8(n: int) -> int:
    return (n + 7) // 8 * 8


def _count(space: bytes) -> int:
    """How many elements a dataspace message describes (1 for a scalar, 0 for a null one)."""
    if len(space) < 4:  # noqa: PLR2004 - version, rank, flags and type (or reserved)
        raise Corrupt("an attribute has a truncated dataspace")
    if space[0] == _NULL_SPACE and space[3] == _NULL_SPACE:
        return 0
    count = 1
    for dim in _dataspace(space):
        count *= dim
    if count > _MAX_ELEMENTS:
        raise Corrupt(f"an attribute has more than {_MAX_ELEMENTS} elements")
    return count


def _attribute(f: _File, body: bytes) -> tuple[str, Attribute | None]:
    """An attribute's name and, when it holds strings (or nothing), its value."""
    version = _u(body, 0, 1)
    name_size, type_size, space_size = _u(body, 2, 2), _u(body, 4, 2), _u(body, 6, 2)
    if version not in _ATTRIBUTE_VERSIONS:
        raise Unsupported(f"attribute message version {version}")
    pos = 9 if version == _ATTRIBUTE_VERSIONS[-1] else 8  # version 3 adds an encoding byte

    def pad(n: int) -> int:  # version 1 pads each part to 8 bytes
        return _pad8(n) if version == 1 else n

    name = body[pos : pos + name_size].rstrip(b"\0").decode("utf-8", "replace")
    pos += pad(name_size)
    datatype = body[pos : pos + type_size]
    pos += pad(type_size)
    space = body[pos : pos + space_size]
    pos += pad(space_size)
    if len(datatype) < 8:  # noqa: PLR2004 - class, bit fields and size
        raise Corrupt(f"attribute {name!r} has a truncated datatype")
    count = _count(space)
    if count == 0:
        return name, ()
    kind, size = datatype[0] & 0x0F, _u(datatype, 4, 4)
    scalar = not _dataspace(space)
    if kind == _STRING_CLASS:
        if len(body) < pos + size * count:
            raise Corrupt(f"attribute {name!r} is shorter than its strings")
        strip = b"\0 " if datatype[1] & 0x0F == _SPACE_PADDED else b"\0"
        items = [
            body[pos + i * size : pos + (i + 1) * size].rstrip(strip).decode("utf-8", "replace")
            for i in range(count)
        ]
    elif kind == _VLEN_CLASS and datatype[1] & 0x0F == 1:  # variable-length strings
        if len(body) < pos + _VLEN_SIZE * count:
            raise Corrupt(f"attribute {name!r} is shorter than its strings")
        items = []
        for at in range(pos, pos + _VLEN_SIZE * count, _VLEN_SIZE):
            length, collection, index = _u(body, at, 4), _u(body, at + 4, 8), _u(body, at + 12, 4)
            items.append(_global(f, collection, index, length) if collection else "")
    else:
        return name, None
    return name, items[0] if scalar else tuple(items)


def _global(f: _File, collection: int, index: int, length: int) -> str:
    """Object ``index`` of the global heap collection at ``collection``."""
    if collection not in f.heaps:
        head = f.read(collection, 16)
        if head[:4] != b"GCOL":
            raise Corrupt(f"no global heap at {collection}")
        data = f.read(collection, _u(head, 8, 8))
        objects: dict[int, bytes] = {}
        pos = 16
        while pos + 16 <= len(data):
            number, size = _u(data, pos, 2), _u(data, pos + 8, 8)
            if number == 0:
                break
            objects[number] = data[pos + 16 : pos + 16 + size]
            pos += 16 + _pad8(size)
        f.heaps[collection] = objects
    value = f.heaps[collection].get(index)
    if value is None:
        raise Corrupt(f"global heap object {index} not found")
    return value[:length].decode("utf-8", "replace")
