"""The shape arithmetic of ``keras.ops`` operations that rearrange lengths.

Reshaping, squeezing, transposing, joining and splitting, indexing and
slicing, tiling and padding: each family mirrors the ``compute_output_spec``
of those operations in Keras 3 (``keras/src/ops/numpy.py``, ``core.py``) and
shows each step.

Examples:
    >>> from cnnexplain._graph.operations.call import OpCall, Tensor
    >>> squeeze(OpCall("squeeze", "Squeeze", {"axis": 1}, {"x": Tensor((None, 1, 64))}))
    ([(None, 64)], ['squeeze axis 1: (None, 1, 64) → (None, 64)'])
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from cnnexplain._graph.operations.call import (
    ELLIPSIS,
    PAIR,
    NoShapeRule,
    OpCall,
    Result,
    axes_text,
    broadcast,
    product,
    step,
    sum_text,
)
from cnnexplain._rules.protocol import fmt_shape
from cnnexplain._shapes import Shape

__all__ = [
    "append",
    "broadcast_to",
    "concatenate",
    "expand_dims",
    "get_item",
    "moveaxis",
    "pad",
    "repeat",
    "reshape",
    "slice_",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "tile",
    "transpose",
    "unstack",
]


def reshape(op: OpCall, *, key: str = "newshape") -> Result:
    """``reshape``: the new shape, batch included; one ``-1`` takes the rest of the size."""
    shape = op.shape("x")
    target = op.integers(key, minimum=-1)
    if target.count(-1) > 1:
        raise op.error(key, "at most one length may be -1", target)
    size = product(shape)
    known = math.prod(d for d in target if d != -1)
    what = f"{op.label} to {fmt_shape(tuple(target))}"
    if -1 not in target:
        if size is not None and size != known:
            raise op.error(
                key, f"the input {fmt_shape(shape)} holds {size} values, not {known}", target
            )
        out: Shape = tuple(target)
    elif size is None:
        out = tuple(None if d == -1 else d for d in target)
        what += " (-1: unknown, the input has an unknown length)"
    else:
        if known == 0 or size % known:
            raise op.error(
                key, f"the input's {size} values cannot fill a shape with {known} per -1", target
            )
        out = tuple(size // known if d == -1 else d for d in target)
        what += f" (-1 = {size}/{known} = {size // known})"
    return [out], [step(what, [shape], [out])]


def broadcast_to(op: OpCall) -> Result:
    """``broadcast_to(x, shape)``: the given shape, which ``x`` must broadcast to."""
    shape = op.shape("x")
    target = tuple(op.integers("shape", minimum=0))
    if broadcast([shape, target]) is None:
        raise op.error("shape", f"the input {fmt_shape(shape)} does not broadcast to it", target)
    return [target], [step(f"{op.label} {fmt_shape(target)}", [shape], [target])]


def squeeze(op: OpCall) -> Result:
    """``squeeze``: drop the given axes of length 1 (all of them with ``axis=None``)."""
    shape = op.shape("x")
    axes = op.axes("axis", len(shape))
    if axes is None:
        out = tuple(d for d in shape if d != 1)
        return [out], [step(f"{op.label} every axis of length 1", [shape], [out])]
    for a in axes:
        if shape[a] != 1:
            raise op.error(
                "axis", f"axis {a} of {fmt_shape(shape)} has length {shape[a]}, not 1", axes
            )
    out = tuple(d for i, d in enumerate(shape) if i not in axes)
    return [out], [step(f"{op.label} {axes_text(axes)}", [shape], [out])]


def expand_dims(op: OpCall) -> Result:
    """``expand_dims``: a new axis of length 1 at each position given (in the output)."""
    shape = op.shape("x")
    given = op.get("axis")
    raw = [len(shape)] if given is None else op.integers("axis")
    rank = len(shape) + len(raw)
    axes = {op.canonical("axis", a, rank, given) for a in raw}
    if len(axes) != len(raw):
        raise op.error("axis", "'axis' repeats an axis", given)
    rest = iter(shape)
    out = tuple(1 if i in axes else next(rest) for i in range(rank))
    return [out], [step(f"{op.label} {axes_text(sorted(axes))}", [shape], [out])]


def transpose(op: OpCall) -> Result:
    """``transpose``: the axes in the order ``axes`` gives (reversed if None)."""
    shape = op.shape("x")
    given = op.get("axes")
    if given is None:
        out = shape[::-1]
        return [out], [step(f"{op.label} reverses the axes", [shape], [out])]
    axes = op.axes("axes", len(shape))
    if axes is None or sorted(axes) != list(range(len(shape))):
        raise op.error(
            "axes", f"'axes' must be a permutation of the {len(shape)} axes of the input", given
        )
    out = tuple(shape[a] for a in axes)
    return [out], [step(f"{op.label} axes {tuple(axes)}", [shape], [out])]


def moveaxis(op: OpCall) -> Result:
    """``moveaxis``: each ``source`` axis moved to its ``destination``, the others in order."""
    shape = op.shape("x")
    src = op.axes("source", len(shape)) or ()
    dst = op.axes("destination", len(shape)) or ()
    if len(src) != len(dst) or len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise op.error(
            "destination",
            "'source' and 'destination' must be as long, each without repeated axes",
            op.get("destination"),
        )
    out: list[int | str | None] = ["?"] * len(shape)
    for s, d in zip(src, dst, strict=True):
        out[d] = shape[s]
    rest = iter(d for i, d in enumerate(shape) if i not in src)
    final = tuple(next(rest) if d == "?" else d for d in out)
    shape_out: Shape = tuple(d for d in final if not isinstance(d, str))
    what = f"{op.label} {', '.join(f'{s}→{d}' for s, d in zip(src, dst, strict=True))}"
    return [shape_out], [step(what, [shape], [shape_out])]


def swapaxes(op: OpCall) -> Result:
    """``swapaxes``: two axes exchanged."""
    shape = op.shape("x")
    a, b = op.axis("axis1", len(shape)), op.axis("axis2", len(shape))
    out = list(shape)
    out[a], out[b] = out[b], out[a]
    return [tuple(out)], [step(f"{op.label} {a} and {b}", [shape], [tuple(out)])]


def concatenate(op: OpCall, *, xs: str = "xs", on: int | None = None) -> Result:
    """``concatenate``: the inputs joined along ``axis`` (``hstack``: 1, ``vstack``: 0)."""
    shapes = op.shapes(xs)
    first = shapes[0]
    axis = op.axis("axis", len(first), 0) if on is None else op.canonical("xs", on, len(first), on)
    for s in shapes[1:]:
        if len(s) != len(first) or any(
            i != axis and a is not None and b is not None and a != b
            for i, (a, b) in enumerate(zip(s, first, strict=True))
        ):
            raise op.error(
                None,
                f"every input must have the shape of the first, {fmt_shape(first)}, except on "
                f"axis {axis}; got {fmt_shape(s)}",
            )
    parts = [s[axis] for s in shapes]
    total = None if any(p is None for p in parts) else sum(p for p in parts if p is not None)
    out = (*first[:axis], total, *first[axis + 1 :])
    return [out], [step(f"{op.label} on axis {axis} ({sum_text(parts)})", shapes, [out])]


def append(op: OpCall) -> Result:
    """``append(x1, x2, axis)``: concatenation of two (both flattened if ``axis=None``)."""
    a, b = op.shape("x1"), op.shape("x2")
    if op.get("axis") is None:
        sizes = [product(a), product(b)]
        total = None if None in sizes else sum(s for s in sizes if s is not None)
        return [(total,)], [step(f"{op.label} flattened ({sum_text(sizes)})", [a, b], [(total,)])]
    axis = op.axis("axis", len(a))
    if len(a) != len(b) or any(
        i != axis and p != q for i, (p, q) in enumerate(zip(a, b, strict=True))
    ):
        raise op.error("axis", f"{fmt_shape(a)} and {fmt_shape(b)} differ off axis {axis}", axis)
    p, q = a[axis], b[axis]
    total = None if p is None or q is None else p + q
    out = (*a[:axis], total, *a[axis + 1 :])
    return [out], [step(f"{op.label} on axis {axis} ({sum_text([p, q])})", [a, b], [out])]


def stack(op: OpCall) -> Result:
    """``stack``: the inputs (of one shape) along a new axis of length their number."""
    shapes = op.shapes("x")
    first = shapes[0]
    axis = op.axis("axis", len(first) + 1, 0)
    for s in shapes[1:]:
        if len(s) != len(first) or any(
            a is not None and b is not None and a != b for a, b in zip(s, first, strict=True)
        ):
            raise op.error(
                None,
                f"every input must have the shape of the first, {fmt_shape(first)}; "
                f"got {fmt_shape(s)}",
            )
    out = (*first[:axis], len(shapes), *first[axis:])
    return [out], [step(f"{op.label} {len(shapes)} inputs on new axis {axis}", shapes, [out])]


def split(op: OpCall, *, on: int | None = None, uneven: bool = False) -> Result:
    """``split``: ``n`` equal parts along ``axis``, or the parts between the given indices.

    ``hsplit`` splits axis 1 (axis 0 of a vector), ``vsplit`` axis 0;
    ``array_split`` allows unequal parts, the first ones one longer.
    """
    shape = op.shape("x")
    if on is None:
        axis = op.axis("axis", len(shape), 0)
    else:
        axis = op.canonical("x", on if len(shape) > on else 0, len(shape), shape)
    sections = op.get("indices_or_sections")
    length = shape[axis]
    if isinstance(sections, int) and not isinstance(sections, bool):
        n = op.integer("indices_or_sections", minimum=1)
        if length is not None and length % n and not uneven:
            raise op.error(
                "indices_or_sections", f"axis {axis} of length {length} does not split in {n}", n
            )
        parts = [None if length is None else length // n + (i < length % n) for i in range(n)]
        outs = [(*shape[:axis], part, *shape[axis + 1 :]) for part in parts]
        what = f"{op.label} axis {axis} in {n}"
        if length is not None:
            rest = f" remainder {length % n}, one more in the first parts" if length % n else ""
            what += f" ({length}/{n} = {length // n}{rest})"
        return outs, [step(what, [shape], outs)]
    cuts = op.integers("indices_or_sections")
    bounds: list[int | None] = [0, *cuts, length]
    outs = []
    for start, end in itertools.pairwise(bounds):
        size = None if start is None or end is None else end - start
        outs.append((*shape[:axis], size, *shape[axis + 1 :]))
    return outs, [step(f"{op.label} axis {axis} at {tuple(cuts)}", [shape], outs)]


def unstack(op: OpCall) -> Result:
    """``unstack``: one output per entry along ``axis``, that axis removed."""
    shape = op.shape("x")
    axis = op.axis("axis", len(shape), 0)
    num = op.get("num")
    count = shape[axis] if num is None else op.integer("num", minimum=1)
    if count is None:
        raise op.error(
            "num", f"axis {axis} of {fmt_shape(shape)} has an unknown length; give num", num
        )
    out = (*shape[:axis], *shape[axis + 1 :])
    return [out] * count, [step(f"{op.label} axis {axis} into {count}", [shape], [out])]


def _key_text(key: list[Any]) -> str:
    def one(k: Any) -> str:
        if isinstance(k, slice):
            parts = ["" if v is None else str(v) for v in (k.start, k.stop, k.step)]
            return ":".join(parts[:2]) + (f":{parts[2]}" if k.step is not None else "")
        return "None" if k is None else repr(k)

    return ", ".join(one(k) for k in key)


def _index_key(op: OpCall) -> list[Any]:
    """The key of ``x[key]`` as a list of ints, slices, ``None`` and at most one ``...``."""
    raw = op.get("key")
    key = list(raw) if isinstance(raw, list) else [raw]
    for k in key:
        if not (k is None or k is ELLIPSIS or isinstance(k, slice | int)) or isinstance(k, bool):
            raise NoShapeRule(f"an index of type {type(k).__name__}")
        if isinstance(k, slice) and any(
            v is not None and (isinstance(v, bool) or not isinstance(v, int))
            for v in (k.start, k.stop, k.step)
        ):
            raise NoShapeRule("a slice whose bounds are not integers")
        if isinstance(k, slice) and k.step == 0:
            raise op.error("key", "a slice step cannot be zero", _key_text(key))
    if sum(k is ELLIPSIS for k in key) > 1:
        raise op.error("key", "an index holds at most one '...'", _key_text(key))
    return key


def get_item(op: OpCall) -> Result:
    """``x[key]``: ints drop an axis, slices shorten it, ``None`` adds one, ``...`` fills in."""
    shape = op.shape("x")
    key = _index_key(op)
    rest = key if ELLIPSIS in key else [*key, ELLIPSIS]
    remaining = list(shape)
    out: list[int | None] = []
    while rest:
        k = rest.pop(0)
        if k is ELLIPSIS:
            consumed = len(remaining) - (len(rest) - rest.count(None))
            out += remaining[:consumed]
            remaining = remaining[consumed:]
        elif k is None:
            out.append(1)
        elif not remaining:
            raise op.error(
                "key", f"too many indices for an input of shape {fmt_shape(shape)}", _key_text(key)
            )
        else:
            length = remaining.pop(0)
            if isinstance(k, slice):
                out.append(length if length is None else len(range(*k.indices(length))))
            elif length is not None and not -length <= k < length:
                raise op.error(
                    "key", f"index {k} is out of range for length {length}", _key_text(key)
                )
    return [tuple(out)], [step(f"x[{_key_text(key)}]", [shape], [tuple(out)])]


def slice_(op: OpCall) -> Result:
    """``keras.ops.slice(x, start_indices, shape)``: the given shape, -1 for 'to the end'."""
    shape = op.shape("inputs")
    sizes = op.integers("shape", minimum=-1)
    start = op.get("start_indices")
    if len(sizes) != len(shape):
        raise op.error(
            "shape", f"'shape' must have one length per axis of {fmt_shape(shape)}", sizes
        )
    out: list[int | None] = []
    for i, (n, size) in enumerate(zip(shape, sizes, strict=True)):
        if size != -1:
            out.append(size)
        elif (
            n is None
            or not isinstance(start, list)
            or i >= len(start)
            or not isinstance(start[i], int)
        ):
            out.append(None)
        else:
            out.append(n - start[i])
    return [tuple(out)], [
        step(f"{op.label} of shape {fmt_shape(tuple(sizes))}", [shape], [tuple(out)])
    ]


def tile(op: OpCall) -> Result:
    """``tile``: each length times its repeat count (shapes aligned on the right)."""
    shape = op.shape("x")
    reps = op.integers("repeats", minimum=0)
    rank = max(len(shape), len(reps))
    dims = (1,) * (rank - len(shape)) + shape
    reps = [1] * (rank - len(reps)) + reps
    out = tuple(None if d is None else d * r for d, r in zip(dims, reps, strict=True))
    return [out], [step(f"{op.label} {tuple(reps)}", [shape], [out])]


def repeat(op: OpCall) -> Result:
    """``repeat``: each entry along ``axis`` repeated (the flattened input if None)."""
    shape = op.shape("x")
    reps = op.integers("repeats", minimum=0)
    if not reps:
        raise op.error("repeats", "'repeats' must give at least one count", reps)
    axis = op.get("axis")
    if axis is None:
        size = product(shape)
        if size is None:
            return [(None,)], [step(f"{op.label} flattened", [shape], [(None,)])]
        total = size * reps[0] if len(reps) == 1 else sum(reps)
        if len(reps) not in (1, size):
            raise op.error("repeats", f"one count or {size}, one per value", reps)
        return [(total,)], [step(f"{op.label} flattened", [shape], [(total,)])]
    a = op.axis("axis", len(shape))
    n = shape[a]
    if n is None:
        return [shape], [step(f"{op.label} on axis {a} (unknown length)", [shape], [shape])]
    if len(reps) not in (1, n):
        raise op.error("repeats", f"one count or {n}, one per entry of axis {a}", reps)
    total = n * reps[0] if len(reps) == 1 else sum(reps)
    out = (*shape[:a], total, *shape[a + 1 :])
    return [out], [step(f"{op.label} on axis {a}", [shape], [out])]


def _pad_pairs(op: OpCall, rank: int) -> list[list[int]]:
    """``pad_width`` as one ``[before, after]`` per axis (Keras takes n, (b, a) or per axis)."""
    width = op.get("pad_width")
    pairs = width
    if isinstance(width, int) and not isinstance(width, bool):
        pairs = [[width, width]]
    elif isinstance(width, list) and width and all(isinstance(w, int) for w in width):
        pairs = [width]
    if (
        not isinstance(pairs, list)
        or len(pairs) not in (1, rank)
        or not all(isinstance(p, list) and len(p) == PAIR for p in pairs)
        or not all(isinstance(n, int) and not isinstance(n, bool) for p in pairs for n in p)
    ):
        raise op.error(
            "pad_width",
            f"'pad_width' must give (before, after) for each of the {rank} axes, or one for all",
            width,
        )
    return pairs * rank if len(pairs) == 1 else pairs


def pad(op: OpCall) -> Result:
    """``pad``: each length plus its padding before and after."""
    shape = op.shape("x")
    pairs = _pad_pairs(op, len(shape))
    out = tuple(None if d is None else d + b + a for d, (b, a) in zip(shape, pairs, strict=True))
    what = f"{op.label} " + ", ".join(f"({b}, {a})" for b, a in pairs)
    return [out], [step(what, [shape], [out])]
