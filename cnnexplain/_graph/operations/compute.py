"""The shape arithmetic of ``keras.ops`` operations that compute: element-wise, reductions, products.

Each family mirrors the ``compute_output_spec`` Keras 3 gives the operations
of that family (``keras/src/ops/numpy.py``, ``nn.py``, ``math.py``,
``image.py``), reads its arguments through `OpCall` and returns the output
shapes with one line of arithmetic per step. The families that only move
lengths around (reshape, slicing, joining) are in ``_rearrange.py``; the table
in ``_table.py`` says which operation belongs to which family.

Examples:
    >>> from cnnexplain._graph.operations.call import OpCall, Tensor
    >>> op = OpCall("sum", "Sum", {"axis": [1, 2], "keepdims": True}, {"x": Tensor((None, 4, 5, 6))})
    >>> reduce(op)
    ([(None, 1, 1, 6)], ['sum over axes 1, 2, keepdims: (None, 4, 5, 6) → (None, 1, 1, 6)'])
"""  # noqa: E501 - a doctest line

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from cnnexplain._graph.operations.call import (
    IMAGE_RANKS,
    PAIR,
    NoShapeRule,
    OpCall,
    Result,
    axes_text,
    broadcast,
    product,
    step,
)
from cnnexplain._rules.protocol import fmt_shape
from cnnexplain._shapes import Shape, conv_length

__all__ = [
    "along_axis",
    "average",
    "depth_to_space",
    "dot",
    "einsum",
    "elementwise",
    "flatten",
    "glu",
    "grayscale",
    "matmul",
    "one_hot",
    "reduce",
    "resize",
    "same",
    "take",
    "take_along_axis",
    "tensordot",
    "top_k",
    "windows",
]


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
    size = product(shape)
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
        what = f"{op.label} over {axes_text(sorted(set(axes)))}"
    what += ", keepdims" if keep else ""
    return [out] * outputs, [step(what, [shape], [out])]


def average(op: OpCall) -> Result:
    """``average(x, axis, weights)``: one axis (or all) reduced, never kept."""
    shape = op.shape("x")
    axes = op.axes("axis", len(shape))
    if axes is None:
        return [()], [step("average over every axis", [shape], [()])]
    out = tuple(d for i, d in enumerate(shape) if i not in axes)
    return [out], [step(f"average over {axes_text(axes)}", [shape], [out])]


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
    if not isinstance(axes, list) or len(axes) != PAIR:
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
    if len(sides) > PAIR:
        raise op.error("subscripts", "at most one '->' is allowed", subscripts)
    specs = sides[0].split(",")
    if len(specs) != len(shapes):
        raise op.error(
            "subscripts", f"{len(specs)} input specs for {len(shapes)} operands", subscripts
        )
    letters = [c for c in sides[0] if c.isalpha()]
    once = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    target = sides[1] if len(sides) == PAIR else f"...{once}"
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
    lead = 1 if patches and len(shape) == IMAGE_RANKS[0] else 0
    dims = (1,) * lead + shape
    spatial = list(dims[2:] if first else dims[1:-1])
    if not spatial or (patches and len(spatial) != PAIR):
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
        out = (out[-1],) if len(out) == PAIR else (out[0], *out[2:])
    return [out], [step(f"{op.label} num_classes={n}", [shape], [out])]


def resize(op: OpCall) -> Result:
    """``image.resize``: height and width set to ``size``."""
    shape = op.shape("images")
    size = op.integers("size", minimum=1)
    if len(shape) not in IMAGE_RANKS or len(size) != PAIR:
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


def take_along_axis(op: OpCall) -> Result:
    """``take_along_axis``: the indices' length on ``axis``, the rest broadcast with them."""
    shape, idx = op.shape("x"), op.shape("indices")
    dims = list(shape)
    if op.get("axis") is None:
        dims = [product(shape)]
    if len(dims) != len(idx):
        raise op.error(
            None, f"x {fmt_shape(shape)} and indices {fmt_shape(idx)} must have the same rank"
        )
    a = 0 if op.get("axis") is None else op.axis("axis", len(dims))
    dims[a] = idx[a]
    out = broadcast([tuple(dims), idx])
    if out is None:
        raise op.error(None, f"x {fmt_shape(shape)} and indices {fmt_shape(idx)} do not broadcast")
    return [out], [step(f"{op.label} on axis {a}", [shape, idx], [out])]


def grayscale(op: OpCall) -> Result:
    """``image.rgb_to_grayscale``: one channel."""
    shape = op.shape("images")
    if len(shape) not in IMAGE_RANKS:
        raise op.error(None, f"it takes images of rank 3 or 4; got {fmt_shape(shape)}")
    axis = len(shape) - (3 if op.get("data_format") == "channels_first" else 1)
    if shape[axis] not in (None, 1, 3):
        raise op.error(None, f"images must have 1 or 3 channels; got {fmt_shape(shape)}")
    out = (*shape[:axis], 1, *shape[axis + 1 :])
    return [out], [step(f"{op.label}: one channel", [shape], [out])]
