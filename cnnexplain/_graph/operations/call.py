"""One call of a ``keras.ops`` operation, its arguments bound to names and read with validation.

Keras 3 records an operation's constructor arguments in its ``config``
(``Squeeze``: ``{"axis": 1}``) and the call's arguments in the node
(``args``: the tensors, and for some operations more, such as the key of
``x[1:3]``). `OpCall` puts both under the argument names Keras uses, with each
tensor replaced by its shape, so a shape rule reads ``op.shape("x")`` and
``op.axes("axis", rank)`` whatever the spelling of the call.

Examples:
    >>> op = OpCall("squeeze", "Squeeze", {"axis": 1}, {"x": Tensor((None, 1, 64))})
    >>> op.shape("x"), op.axes("axis", 3)
    ((None, 1, 64), (1,))
    >>> op.axes("axis", 1)
    Traceback (most recent call last):
    ...
    cnnexplain.SpecError: Operation 'squeeze' (Squeeze): axis 1 is out of range for an input of rank 1. Received: axis=1.
"""  # noqa: E501 - a doctest's traceback line is one line

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cnnexplain._errors import SpecError
from cnnexplain._rules.protocol import fmt_shape
from cnnexplain._shapes import Shape

__all__ = [
    "ELLIPSIS",
    "IMAGE_RANKS",
    "PAIR",
    "Ellipsis_",
    "NoShapeRule",
    "OpCall",
    "Result",
    "Tensor",
    "array_shape",
    "axes_text",
    "bind",
    "broadcast",
    "decode",
    "product",
    "step",
    "sum_text",
]


@dataclass(frozen=True, slots=True)
class Tensor:
    """A tensor argument, known by its shape."""

    shape: Shape


class Ellipsis_:  # noqa: N801 - names the Python ``...`` it stands for
    """``...`` in a ``__getitem__`` key, as Keras serializes it (``__ellipsis__``)."""

    def __repr__(self) -> str:
        return "..."


ELLIPSIS = Ellipsis_()


def _special(kind: Any, config: Mapping[str, Any]) -> Any:
    """A slice, ``...`` or constant as Keras 3 serializes it; the config itself otherwise."""
    if kind == "__slice__":
        return slice(config.get("start"), config.get("stop"), config.get("step"))
    if kind == "__ellipsis__":
        return ELLIPSIS
    shape = array_shape(config.get("value"))  # a constant (__numpy__, __tensor__)
    return config if shape is None else Tensor(shape)


def decode(value: Any, tensor: Any) -> Any:
    """A recorded argument with tensors replaced by ``tensor(config)`` and slices decoded.

    Keras 3 serializes a slice as ``{"class_name": "__slice__", "config": {...}}``,
    ``...`` as ``__ellipsis__``, a constant as ``__numpy__`` or ``__tensor__`` with
    its value, ``None`` (``newaxis``) as ``null`` and a tuple as a list.
    """
    if isinstance(value, Mapping):
        kind = value.get("class_name")
        if kind == "__keras_tensor__":
            return tensor(value.get("config") or {})
        if kind in ("__slice__", "__ellipsis__", "__numpy__", "__tensor__"):
            return _special(kind, value.get("config") or {})
        return {k: decode(v, tensor) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [decode(v, tensor) for v in value]
    return value


def array_shape(value: Any) -> Shape | None:
    """The shape of a number or a nested list of numbers (NumPy's), None if ragged.

    Examples:
        >>> array_shape([[1, 2, 3], [4, 5, 6]]), array_shape(2.5), array_shape([[1], [2, 3]])
        ((2, 3), (), None)
    """
    if isinstance(value, (bool, int, float)):
        return ()
    if not isinstance(value, list) or not value:
        return (0,) if value == [] else None
    inner = {array_shape(v) for v in value}
    if len(inner) != 1 or None in inner:
        return None
    (shape,) = inner
    return None if shape is None else (len(value), *shape)


def bind(params: Sequence[str], args: Sequence[Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Call arguments by parameter name.

    A ``*name`` parameter takes a list of tensors, given as one list
    (``concatenate([a, b])``) or as the remaining positionals (``einsum(s, a, b)``).

    Examples:
        >>> bind(("*xs",), [[1, 2]], {}), bind(("*xs",), [1, 2], {})
        ({'xs': [1, 2]}, {'xs': [1, 2]})
        >>> bind(("x", "y"), [1], {"y": 2})
        {'x': 1, 'y': 2}
    """
    bound: dict[str, Any] = {}
    rest = list(args)
    for param in params:
        if param.startswith("*"):  # a list of tensors, given as one list or spread
            bound[param[1:]] = rest[0] if len(rest) == 1 and isinstance(rest[0], list) else rest
            rest = []
        elif rest:
            bound[param] = rest.pop(0)
    for key, value in kwargs.items():
        bound.setdefault(key, value)
    return bound


def broadcast(shapes: Sequence[Shape]) -> Shape | None:
    """NumPy broadcasting of shapes aligned on the right, as Keras does; None if they clash.

    An unknown length (None) takes the other operand's known length.

    Examples:
        >>> broadcast([(None, 4, 1), (6,)])
        (None, 4, 6)
        >>> broadcast([(None, 4), (3,)]) is None
        True
    """
    if not shapes:
        return ()
    rank = max(len(s) for s in shapes)
    out: list[int | None] = []
    for i in range(1, rank + 1):
        dims = {s[-i] for s in shapes if len(s) >= i} - {1}
        known = {d for d in dims if d is not None}
        if len(known) > 1:
            return None
        if known:
            out.append(known.pop())
        else:
            out.append(None if None in dims else 1)
    return tuple(reversed(out))


class OpCall:
    """An operation's arguments (constructor ones and call ones) read with validation."""

    def __init__(
        self,
        name: str,
        class_name: str,
        config: Mapping[str, Any],
        call: Mapping[str, Any],
        params: Sequence[str] = ("x",),
    ) -> None:
        self.name = name
        self.params = [p.lstrip("*") for p in params]
        """The call's parameter names, in order (``Where``: condition, x1, x2)."""
        self.class_name = class_name
        self.config = config
        self.call = call
        self.label = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", class_name).lower()
        """The ``keras.ops`` function's name (``ExpandDims``: ``expand_dims``)."""

    def error(self, argument: str | None, message: str, received: object = None) -> SpecError:
        """A `SpecError` naming the operation, ending with what was received."""
        where = f"Operation '{self.name}' ({self.class_name})"
        tail = f" Received: {argument}={received!r}." if argument is not None else ""
        return SpecError(f"{where}: {message}.{tail}", layer=self.name, argument=argument)

    def has(self, key: str) -> bool:
        """Whether the call or the config gives ``key``."""
        return key in self.call or key in self.config

    def get(self, key: str, default: Any = None) -> Any:
        """The value of argument ``key`` (call first, then config), or ``default``."""
        if key in self.call:
            return self.call[key]
        return self.config.get(key, default)

    def shape(self, key: str) -> Shape:
        """The shape of tensor argument ``key``; a Python number is a scalar, shape ``()``."""
        value = self.get(key)
        if isinstance(value, Tensor):
            return value.shape
        shape = () if value is None else array_shape(value)
        if shape is None:
            raise self.error(key, f"'{key}' must be a tensor or a number", value)
        return shape

    def shapes(self, key: str) -> list[Shape]:
        """The shapes of a list of tensors (``concatenate([a, b])``)."""
        value = self.get(key)
        if isinstance(value, Tensor):
            value = [value]
        if not isinstance(value, list) or not value:
            raise self.error(key, f"'{key}' must be a list of tensors", value)
        return [self.shape_of(key, v) for v in value]

    def shape_of(self, key: str, value: Any) -> Shape:
        """The shape of one tensor in argument ``key``."""
        if not isinstance(value, Tensor):
            raise self.error(key, f"'{key}' must hold tensors", value)
        return value.shape

    def integer(self, key: str, default: Any = None, *, minimum: int | None = None) -> int:
        """An integer argument (at least ``minimum``)."""
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"'{key}' must be an integer", value)
        if minimum is not None and value < minimum:
            raise self.error(key, f"'{key}' must be at least {minimum}", value)
        return value

    def integers(self, key: str, default: Any = None, *, minimum: int | None = None) -> list[int]:
        """An int or a list of ints (Keras accepts both)."""
        value = self.get(key, default)
        items = [value] if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(items, list) or any(
            isinstance(v, bool) or not isinstance(v, int) for v in items
        ):
            raise self.error(key, f"'{key}' must be an integer or a list of integers", value)
        if minimum is not None and any(v < minimum for v in items):
            raise self.error(key, f"'{key}' must hold integers of at least {minimum}", value)
        return items

    def boolean(self, key: str, *, default: bool) -> bool:
        """A boolean argument."""
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"'{key}' must be True or False", value)
        return value

    def axis(self, key: str, rank: int, default: Any = None) -> int:
        """One axis of a tensor of ``rank`` (``-1`` is the last), as a non-negative index."""
        value = self.integer(key, default)
        return self.canonical(key, value, rank, value)

    def axes(self, key: str, rank: int, default: Any = None) -> tuple[int, ...] | None:
        """None, one axis or a list of axes of a tensor of ``rank``, as non-negative indices."""
        value = self.get(key, default)
        if value is None:
            return None
        items = self.integers(key, default)
        return tuple(self.canonical(key, a, rank, value) for a in items)

    def canonical(self, key: str, axis: int, rank: int, received: object) -> int:
        """``axis`` in ``[-rank, rank)`` as a non-negative index."""
        if not -rank <= axis < rank:
            raise self.error(
                key, f"axis {axis} is out of range for an input of rank {rank}", received
            )
        return axis % rank


def step(what: str, before: Sequence[Shape], after: Sequence[Shape]) -> str:
    """``what: (inputs) → (outputs)``, one line of shape arithmetic.

    Examples:
        >>> step("squeeze axis 1", [(None, 1, 64)], [(None, 64)])
        'squeeze axis 1: (None, 1, 64) → (None, 64)'
    """
    ins = ", ".join(fmt_shape(s) for s in before)
    outs = ", ".join(fmt_shape(s) for s in after)
    return f"{what}: {ins} → {outs}"


PAIR = 2
"""``(before, after)``, ``(values, indices)``, ``(height, width)``."""


IMAGE_RANKS = (3, 4)
"""One image (h, w, c) or a batch of them."""


Result = tuple[list[Shape], list[str]]
"""The output shapes of one call and the arithmetic that gives them."""


class NoShapeRule(Exception):  # noqa: N818 - names a situation, not an error of the user
    """A case the family does not compute (a tensor used as an index...)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def axes_text(axes: Sequence[int]) -> str:
    return f"axis {axes[0]}" if len(axes) == 1 else "axes " + ", ".join(map(str, axes))


def sum_text(parts: Sequence[int | None]) -> str:
    if any(p is None for p in parts):
        return "None (a length is unknown)"
    return f"{'+'.join(map(str, parts))} = {sum(p for p in parts if p is not None)}"


def product(shape: Shape) -> int | None:
    if any(d is None for d in shape):
        return None
    return math.prod(d for d in shape if d is not None)
