"""Merging layers: Add and the other element-wise merges, Concatenate; no parameters."""

from __future__ import annotations

from cnnexplain._rules.protocol import Explained, LayerArgs, fmt_shape, zero
from cnnexplain._rules.registry import rule
from cnnexplain._shapes import Shape

__all__ = ["concatenate", "elementwise"]


@rule("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")
def elementwise(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; inputs must have the same shape (a length of 1 broadcasts)."""
    if len(inputs) < 2:  # noqa: PLR2004
        raise args.error(None, f"needs at least 2 inputs, got {len(inputs)}")
    if args.class_name == "Subtract" and len(inputs) != 2:  # noqa: PLR2004
        raise args.error(None, f"needs exactly 2 inputs, got {len(inputs)}")
    out = list(inputs[0])
    for shape in inputs[1:]:
        if len(shape) != len(out):
            raise _mismatch(args, inputs)
        for i, (a, b) in enumerate(zip(out, shape, strict=True)):
            if a is None or b is None:
                out[i] = None
            elif a == 1:
                out[i] = b
            elif b not in (1, a):
                raise _mismatch(args, inputs)
    result = tuple(out)
    return zero(
        (result,), (f"element-wise over {len(inputs)} inputs of shape {fmt_shape(result)}",)
    )


def _mismatch(args: LayerArgs, inputs: list[Shape]) -> Exception:
    shapes = ", ".join(fmt_shape(s) for s in inputs)
    return args.error(None, f"inputs must have the same shape, got {shapes}")


@rule("Concatenate")
def concatenate(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; lengths along ``axis`` add up, the other axes must match."""
    if len(inputs) < 2:  # noqa: PLR2004
        raise args.error(None, f"needs at least 2 inputs, got {len(inputs)}")
    rank = len(inputs[0])
    axis = args.get("axis", -1)
    if (
        isinstance(axis, bool)
        or not isinstance(axis, int)
        or not -rank < axis < rank
        or axis
        in (
            0,
            -rank,
        )
    ):
        raise args.error("axis", f"'axis' must name a non-batch axis of rank-{rank} inputs", axis)
    axis %= rank
    for shape in inputs[1:]:
        same = len(shape) == rank and all(
            i == axis or a is None or b is None or a == b
            for i, (a, b) in enumerate(zip(inputs[0], shape, strict=True))
        )
        if not same:
            shapes = ", ".join(fmt_shape(s) for s in inputs)
            raise args.error(None, f"inputs must match except along axis {axis}, got {shapes}")
    lengths = [s[axis] for s in inputs]
    total = None if None in lengths else sum(d for d in lengths if d is not None)
    out = tuple(total if i == axis else d for i, d in enumerate(inputs[0]))
    text = "+".join("?" if d is None else str(d) for d in lengths) + f" = {total}"
    return zero((out,), (f"axis {axis}: {text}",))
