"""h5py as the oracle of `cnnexplain._files.hdf5`: a file's tree as h5py reads it.

Only tests use h5py: cnnexplain itself never hands a file to it (or to any native
parser), so a crafted file cannot crash the process.
"""

from __future__ import annotations

from typing import Any

from cnnexplain._files.hdf5 import Attribute, Node

_MAX_DEPTH = 200


def h5py_node(h5py: Any, group: Any, depth: int, skip: frozenset[str] = frozenset()) -> Node:
    """A group as `hdf5.read_tree` reads it, its subgroups in ``skip`` left out."""
    if depth > _MAX_DEPTH:
        raise ValueError(f"groups nest deeper than {_MAX_DEPTH} levels")
    node = Node()
    for key in group.attrs:
        value = h5py_attribute(group.attrs[key])
        if value is not None:
            node.attrs[key] = value
    recorded = node.attrs.get("name")
    node.name = recorded if isinstance(recorded, str) else None
    for key, item in group.items():
        if key in skip:
            continue
        if isinstance(item, h5py.Dataset):
            node.datasets[key] = tuple(int(d) for d in item.shape)
        elif isinstance(item, h5py.Group):
            node.groups[key] = h5py_node(h5py, item, depth + 1)
    return node


def h5py_attribute(value: Any) -> Attribute | None:
    """An attribute as h5py gives it, as `cnnexplain._files.hdf5` reads it: strings, else None."""
    if isinstance(value, (bytes, str)):
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    shape = getattr(value, "shape", None)
    if shape is None or getattr(value, "size", None) == 0:
        return None if shape is None else ()
    items = [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in value.flat]
    if not all(isinstance(v, str) for v in items):
        return None
    return items[0] if shape == () else tuple(items)
