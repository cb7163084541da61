"""The shape arithmetic of ``keras.ops`` operations, one function per family of operations.

Each family mirrors the ``compute_output_spec`` Keras 3 gives the operations
of that family (``keras/src/ops/numpy.py``, ``nn.py``, ``core.py``...), reads
its arguments through `OpCall` and returns the output shapes with one line of
arithmetic per step. The table in ``_table.py`` says which operation belongs
to which family.

Examples:
    >>> from cnnexplain._rules.operations._call import OpCall, Tensor
    >>> op = OpCall("sum", "Sum", {"axis": [1, 2], "keepdims": True}, {"x": Tensor((None, 4, 5, 6))})
    >>> reduce(op)
    ([(None, 1, 1, 6)], ['sum over axes 1, 2, keepdims: (None, 4, 5, 6) → (None, 1, 1, 6)'])
"""  # noqa: E501 - a doctest line

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

from cnnexplain._rules._base import fmt_shape
from cnnexplain._rules.operations._call import ELLIPSIS, OpCall, broadcast, step
from cnnexplain._shapes import Shape, conv_length

__all__ = [
    "NoShapeRule",
    "Result",
    "along_axis",
    "append",
    "average",
    "broadcast_to",
    "concatenate",
    "depth_to_space",
    "dot",
    "einsum",
    "elementwise",
    "expand_dims",
    "flatten",
    "get_item",
    "glu",
    "matmul",
    "moveaxis",
    "one_hot",
    "pad",
    "reduce",
    "repeat",
    "reshape",
    "resize",
    "same",
    "slice_",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "take",
    "tensordot",
    "tile",
    "top_k",
    "transpose",
    "unstack",
    "windows",
]

_PAIR = 2
"""``(before, after)``, ``(values, indices)``, ``(height, width)``."""

_IMAGE_RANKS = (3, 4)
"""One image (h, w, c) or a batch of them."""

Result = tuple[list[Shape], list[str]]
"""The output shapes of one call and the arithmetic that gives them."""


class NoShapeRule(Exception):  # noqa: N818 - names a situation, not an error of the user
    """A case the family does not compute (a tensor used as an index...)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def _axes_text(axes: Sequence[int]) -> str:
    return f"axis {axes[0]}" if len(axes) == 1 else "axes " + ", ".join(map(str, axes))


def _sum_text(parts: Sequence[int | None]) -> str:
    if any(p is None for p in parts):
        return "None (a length is unknown)"
    return f"{'+'.join(map(str, parts))} = {sum(p for p in parts if p is not None)}"


def _product(shape: Shape) -> int | None:
    if any(d is None for d in shape):
        return None
    return math.prod(d for d in shape if d is not None)


def same(op: OpCall, *, x: str = "x", axis: str | None = None) -> Result:
    """Shape-preserving: activations, unary math, casts, ``clip``, ``sort`` along an axis."""
    shape = op.shape(x)
    if axis is not None:
        op.axes(axis, len(shape), None)
    return [shape], [step(f"{op.label} keeps the shape", [shape], [shape])]


def along_axis(op: OpCall) -> Result:
    """``cumsum``, ``sort``, ``argsort``: the shape along ``axis``, the flattened input if None."""
    if op.get("axis") is not None:
        return same(op, axis="axis")
    return flatten(op)


def flatten(op: OpCall, *, x: str = "x") -> Result:
    """``ravel`` (and ``axis=None`` variants): every axis, batch included, in one."""
    shape = op.shape(x)
    size = _product(shape)
    what = "·".join(map(str, shape)) + f" = {size}" if size is not None else "unknown length"
    return [(size,)], [step(f"{op.label} flattens every axis ({what})", [shape], [(size,)])]


def elementwise(op: OpCall, *, params: Sequence[str] = ()) -> Result:
    """Element-wise operations: the inputs broadcast as NumPy does (numbers are scalars)."""
    shapes = [op.shape(p) for p in (params or op.params) if op.has(p)]
    out = broadcast(shapes)
    if out is None:
        raise op.error(
            None,
            "its inputs do not broadcast together: "
            + ", ".join(fmt_shape(s) for s in shapes)
            + " (aligned on the right, each pair of lengths must be equal or 1)",
        )
    return [out], [step(f"{op.label}, element-wise (broadcast)", shapes, [out])]


def reduce(
    op: OpCall, *, axis: str = "axis", keepdims: str | None = "keepdims", outputs: int = 1
) -> Result:
    """Reductions (``sum``, ``mean``, ``argmax``, ``norm``...): drop or keep the reduced axes."""
    shape = op.shape("x")
    axes = op.axes(axis, len(shape))
    keep = op.boolean(keepdims, default=False) if keepdims else False
    if axes is None:
        out: Shape = (1,) * len(shape) if keep else ()
        what = f"{op.label} over every axis"
    else:
        out = (
            tuple(1 if i in axes else d for i, d in enumerate(shape))
            if keep
            else tuple(d for i, d in enumerate(shape) if i not in axes)
        )
        what = f"{op.label} over {_axes_text(sorted(set(axes)))}"
    what += ", keepdims" if keep else ""
    return [out] * outputs, [step(what, [shape], [out])]


def average(op: OpCall) -> Result:
    """``average(x, axis, weights)``: one axis (or all) reduced, never kept."""
    shape = op.shape("x")
    axes = op.axes("axis", len(shape))
    if axes is None:
        return [()], [step("average over every axis", [shape], [()])]
    out = tuple(d for i, d in enumerate(shape) if i not in axes)
    return [out], [step(f"average over {_axes_text(axes)}", [shape], [out])]


def reshape(op: OpCall, *, key: str = "newshape") -> Result:
    """``reshape``: the new shape, batch included; one ``-1`` takes the rest of the size."""
    shape = op.shape("x")
    target = op.integers(key, minimum=-1)
    if target.count(-1) > 1:
        raise op.error(key, "at most one length may be -1", target)
    size = _product(shape)
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
    return [out], [step(f"{op.label} {_axes_text(axes)}", [shape], [out])]


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
    return [out], [step(f"{op.label} {_axes_text(sorted(axes))}", [shape], [out])]


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


def concatenate(op: OpCall, *, xs: str = "xs") -> Result:
    """``concatenate``: the inputs joined along ``axis``; other lengths must agree."""
    shapes = op.shapes(xs)
    first = shapes[0]
    axis = op.axis("axis", len(first), 0)
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
    return [out], [step(f"{op.label} on axis {axis} ({_sum_text(parts)})", shapes, [out])]


def append(op: OpCall) -> Result:
    """``append(x1, x2, axis)``: concatenation of two (both flattened if ``axis=None``)."""
    a, b = op.shape("x1"), op.shape("x2")
    if op.get("axis") is None:
        sizes = [_product(a), _product(b)]
        total = None if None in sizes else sum(s for s in sizes if s is not None)
        return [(total,)], [step(f"{op.label} flattened ({_sum_text(sizes)})", [a, b], [(total,)])]
    axis = op.axis("axis", len(a))
    if len(a) != len(b) or any(
        i != axis and p != q for i, (p, q) in enumerate(zip(a, b, strict=True))
    ):
        raise op.error("axis", f"{fmt_shape(a)} and {fmt_shape(b)} differ off axis {axis}", axis)
    p, q = a[axis], b[axis]
    total = None if p is None or q is None else p + q
    out = (*a[:axis], total, *a[axis + 1 :])
    return [out], [step(f"{op.label} on axis {axis} ({_sum_text([p, q])})", [a, b], [out])]


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


def split(op: OpCall) -> Result:
    """``split``: ``n`` equal parts along ``axis``, or the parts between the given indices."""
    shape = op.shape("x")
    axis = op.axis("axis", len(shape), 0)
    sections = op.get("indices_or_sections")
    length = shape[axis]
    if isinstance(sections, int) and not isinstance(sections, bool):
        n = op.integer("indices_or_sections", minimum=1)
        if length is not None and length % n:
            raise op.error(
                "indices_or_sections", f"axis {axis} of length {length} does not split in {n}", n
            )
        part = None if length is None else length // n
        outs = [(*shape[:axis], part, *shape[axis + 1 :])] * n
        what = f"{op.label} axis {axis} in {n}" + (f" ({length}/{n} = {part})" if part else "")
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


def _matmul_shape(op: OpCall, a: Shape, b: Shape) -> Shape:
    x, y = ((1, *a) if len(a) == 1 else a), ((*b, 1) if len(b) == 1 else b)
    if x[-1] is not None and y[-2] is not None and x[-1] != y[-2]:
        raise op.error(
            None,
            f"the inner lengths differ: {fmt_shape(a)} @ {fmt_shape(b)} needs {x[-1]} = {y[-2]}",
        )
    lead = broadcast([x[:-2], y[:-2]])
    if lead is None:
        raise op.error(
            None, f"the batch axes of {fmt_shape(a)} and {fmt_shape(b)} do not broadcast"
        )
    out = [*lead, x[-2], y[-1]]
    if len(a) == 1:
        del out[-2]
    if len(b) == 1:
        del out[-1]
    return tuple(out)


def matmul(op: OpCall) -> Result:
    """``matmul``: ``(…, n, k) @ (…, k, m) → (…, n, m)``, leading axes broadcast, 1-D promoted."""
    a, b = op.shape("x1"), op.shape("x2")
    if not a or not b:
        raise op.error(None, "matmul takes no scalar")
    out = _matmul_shape(op, a, b)
    return [out], [step(f"{op.label} (…, n, k) @ (…, k, m) → (…, n, m)", [a, b], [out])]


def dot(op: OpCall) -> Result:
    """``dot``: by a scalar, element-wise; 1-D·1-D, a scalar; else x1's last axis with x2's."""
    a, b = op.shape("x1"), op.shape("x2")
    if not a or not b:
        return elementwise(op)
    if len(a) == 1 and len(b) == 1:
        out: Shape = ()
    elif len(b) == 1:
        if a[-1] != b[0]:
            raise op.error(None, f"the last lengths of {fmt_shape(a)} and {fmt_shape(b)} differ")
        out = a[:-1]
    elif a[-1] is None or b[-2] is None or a[-1] == b[-2]:
        out = (*a[:-1], *b[:-2], b[-1])
    else:
        raise op.error(None, f"{fmt_shape(a)} · {fmt_shape(b)} needs {a[-1]} = {b[-2]}")
    return [out], [step(f"{op.label} contracts the last axis of x1", [a, b], [out])]


def tensordot(op: OpCall) -> Result:
    """``tensordot``: the given axes (or the last/first ``axes``) contracted, the rest kept."""
    a, b = op.shape("x1"), op.shape("x2")
    axes = op.get("axes", 2)
    if isinstance(axes, int) and not isinstance(axes, bool):
        out = (*a, *b) if axes <= 0 else (*a[:-axes], *b[axes:])
        return [out], [step(f"{op.label} over {axes} axes", [a, b], [out])]
    if not isinstance(axes, list) or len(axes) != _PAIR:
        raise op.error("axes", "'axes' must be an integer or two lists of axes", axes)
    first, second = ([x] if isinstance(x, int) else x for x in axes)
    if not all(
        isinstance(x, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in x)
        for x in (first, second)
    ) or len(first) != len(second):
        raise op.error("axes", "'axes' must give as many axes of x1 as of x2", axes)
    ia = {op.canonical("axes", x, len(a), axes) for x in first}
    ib = {op.canonical("axes", x, len(b), axes) for x in second}
    out = (
        *(d for i, d in enumerate(a) if i not in ia),
        *(d for i, d in enumerate(b) if i not in ib),
    )
    return [out], [step(f"{op.label} over axes {axes}", [a, b], [out])]


def _einsum_expand(
    op: OpCall, spec: str, shape: Shape, target: str, sizes: dict[str, int | None]
) -> Shape:
    """One operand's lengths laid out as the output ``target`` (1 for a letter it lacks)."""
    subscripts = op.get("subscripts")
    left, dots, right = spec.partition("...")
    if not dots and len(shape) != len(spec):
        raise op.error(
            "subscripts",
            f"'{spec}' names {len(spec)} axes but the operand is {fmt_shape(shape)}",
            subscripts,
        )
    if len(shape) < len(left) + len(right):
        raise op.error(
            "subscripts", f"'{spec}' names more axes than {fmt_shape(shape)} has", subscripts
        )
    own: dict[str, int | None] = {}
    for i, c in enumerate(left):
        own.setdefault(c, shape[i])
    for i, c in enumerate(reversed(right)):
        own.setdefault(c, shape[len(shape) - 1 - i])
    for c, n in own.items():
        if sizes.get(c) is None:
            sizes[c] = n
    wild = list(shape[len(left) : len(shape) - len(right)]) if dots else []
    t_left, t_dots, t_right = target.partition("...")
    lead = [own.get(c, 1) for c in t_left]
    return (*lead, *(wild if t_dots else []), *(own.get(c, 1) for c in t_right))


def einsum(op: OpCall) -> Result:
    """``einsum``: each output letter's length from the operands holding it, broadcast."""
    subscripts = op.get("subscripts")
    if not isinstance(subscripts, str):
        raise op.error("subscripts", "'subscripts' must be a string", subscripts)
    shapes = op.shapes("operands")
    sides = subscripts.replace(" ", "").split("->")
    if len(sides) > _PAIR:
        raise op.error("subscripts", "at most one '->' is allowed", subscripts)
    specs = sides[0].split(",")
    if len(specs) != len(shapes):
        raise op.error(
            "subscripts", f"{len(specs)} input specs for {len(shapes)} operands", subscripts
        )
    letters = [c for c in sides[0] if c.isalpha()]
    once = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    target = sides[1] if len(sides) == _PAIR else f"...{once}"
    sizes: dict[str, int | None] = {}
    expanded = [
        _einsum_expand(op, spec, shape, target, sizes)
        for shape, spec in zip(shapes, specs, strict=True)
    ]
    out = broadcast(expanded)
    if out is None:
        raise op.error(
            "subscripts", "the operands' lengths do not broadcast for the output", subscripts
        )
    named = ", ".join(f"{c}={sizes.get(c)}" for c in dict.fromkeys(letters))
    return [out], [step(f"{op.label} '{subscripts}' ({named})", shapes, [out])]


def _per_axis(op: OpCall, key: str, count: int, default: Any = None) -> list[int]:
    values = op.integers(key, default, minimum=1)
    if len(values) == 1:
        values = values * count
    if len(values) != count:
        raise op.error(key, f"'{key}' must be one integer or {count}", op.get(key, default))
    return values


def windows(
    op: OpCall, *, x: str = "inputs", size: str = "pool_size", patches: bool = False
) -> Result:
    """Pooling (``max_pool``...) and ``image.extract_patches``: a window slides over each axis."""
    shape = op.shape(x)
    first = op.get("data_format") == "channels_first"
    lead = 1 if patches and len(shape) == _IMAGE_RANKS[0] else 0
    dims = (1,) * lead + shape
    spatial = list(dims[2:] if first else dims[1:-1])
    if not spatial or (patches and len(spatial) != _PAIR):
        raise NoShapeRule(f"an input of shape {fmt_shape(shape)}")
    k = _per_axis(op, size, len(spatial))
    strides = k if op.get("strides") is None else _per_axis(op, "strides", len(spatial))
    dilation = _per_axis(op, "dilation_rate", len(spatial), 1) if patches else [1] * len(spatial)
    padding = str(op.get("padding", "valid")).lower()
    if padding not in ("valid", "same"):
        raise op.error("padding", "'padding' must be 'valid' or 'same'", op.get("padding"))
    lengths = [
        conv_length(n, kn, stride=sn, padding=padding, dilation=dn)
        for n, kn, sn, dn in zip(spatial, k, strides, dilation, strict=True)
    ]
    if any(d.value is not None and d.value < 1 for d in lengths):
        raise op.error(size, f"the window is larger than the input {fmt_shape(shape)}", k)
    channels = dims[1] if first else dims[-1]
    if patches:
        channels = None if channels is None else math.prod(k) * channels
    new = [d.value for d in lengths]
    out = (dims[0], channels, *new) if first else (dims[0], *new, channels)
    out = out[lead:]
    texts = "; ".join(d.text for d in lengths)
    return [out], [
        step(f"{op.label} {tuple(k)}, strides {tuple(strides)}: {texts}", [shape], [out])
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
        size = _product(shape)
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
        or not all(isinstance(p, list) and len(p) == _PAIR for p in pairs)
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


def top_k(op: OpCall) -> Result:
    """``top_k``: values and indices, the last axis cut to ``k``."""
    shape = op.shape("x")
    k = op.integer("k", minimum=1)
    out = (*shape[:-1], k)
    return [out, out], [step(f"{op.label} k={k} (values, indices)", [shape], [out, out])]


def one_hot(op: OpCall, *, x: str = "x", multi: bool = False) -> Result:
    """``one_hot``: a new axis of ``num_classes``; ``multi_hot`` then sums over axis 1."""
    shape = op.shape(x)
    n = op.integer("num_classes", minimum=1)
    axis = op.integer("axis", -1)
    if axis == -1:
        out = (*shape, n)
    elif 0 <= axis < len(shape):
        out = (*shape[:axis], n, *shape[axis:])
    else:
        raise op.error("axis", f"axis must be -1 or in [0, {len(shape)})", axis)
    if multi:
        out = (out[-1],) if len(out) == _PAIR else (out[0], *out[2:])
    return [out], [step(f"{op.label} num_classes={n}", [shape], [out])]


def resize(op: OpCall) -> Result:
    """``image.resize``: height and width set to ``size``."""
    shape = op.shape("images")
    size = op.integers("size", minimum=1)
    if len(shape) not in _IMAGE_RANKS or len(size) != _PAIR:
        raise op.error(
            "size",
            f"resize takes images of rank 3 or 4 and a (height, width); got {fmt_shape(shape)}",
            size,
        )
    first = op.get("data_format") == "channels_first"
    out = list(shape)
    out[-2 if first else -3], out[-1 if first else -2] = size
    return [tuple(out)], [step(f"{op.label} to {tuple(size)}", [shape], [tuple(out)])]


def depth_to_space(op: OpCall, *, inverse: bool = False) -> Result:
    """``depth_to_space`` (``space_to_depth``): channels ÷ b² (× b²), height and width × b (÷ b)."""
    shape = op.shape("x")
    b = op.integer("block_size", minimum=1)
    if len(shape) != 4:  # noqa: PLR2004 - images
        raise op.error(None, f"it takes a 4-D input; got {fmt_shape(shape)}")
    first = op.get("data_format") == "channels_first"
    n, c, h, w = (
        (shape[0], shape[1], shape[2], shape[3])
        if first
        else (shape[0], shape[3], shape[1], shape[2])
    )
    if inverse:
        c2 = None if c is None else c * b * b
        h2, w2 = (None if h is None else h // b), (None if w is None else w // b)
    else:
        if c is not None and c % (b * b):
            raise op.error("block_size", f"{c} channels do not divide by block_size² = {b * b}", b)
        c2 = None if c is None else c // (b * b)
        h2, w2 = (None if h is None else h * b), (None if w is None else w * b)
    out = (n, c2, h2, w2) if first else (n, h2, w2, c2)
    return [out], [step(f"{op.label} block_size={b}", [shape], [out])]


def glu(op: OpCall) -> Result:
    """``glu``: the length of ``axis`` halved."""
    shape = op.shape("x")
    a = op.axis("axis", len(shape), -1)
    n = shape[a]
    if n is not None and n % 2:
        raise op.error("axis", f"axis {a} has odd length {n}", a)
    out = (*shape[:a], None if n is None else n // 2, *shape[a + 1 :])
    return [out], [step(f"{op.label} halves axis {a}", [shape], [out])]


def take(op: OpCall) -> Result:
    """``take``: the indices' shape in place of ``axis`` (the whole input if None)."""
    shape, idx = op.shape("x"), op.shape("indices")
    if op.get("axis") is None:
        return [idx], [step(f"{op.label} from the flattened input", [shape, idx], [idx])]
    a = op.axis("axis", len(shape))
    out = (*shape[:a], *idx, *shape[a + 1 :])
    return [out], [step(f"{op.label} on axis {a}", [shape, idx], [out])]
