"""The registry of torch rules and what they share: reading a module's stored arguments.

A torch rule has the Keras rules' signature: it takes the module's arguments as
`LayerArgs` (the adapter reads them from the module's public attributes, as
``get_config`` would give them; a parameter slot such as ``bias`` reads True
when the module holds that parameter, False when it was created without it)
and the shapes of its inputs, and returns an `Explained` whose weights carry
torch's names and layout and whose ``macs`` the family computed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from cnnexplain._formula import Term
from cnnexplain._rules._base import Explained, LayerArgs, Rule, fmt_shape
from cnnexplain._shapes import Shape

__all__ = [
    "TORCH_RULES",
    "find_torch_rule",
    "ints",
    "one_input",
    "torch_rule",
    "zero_cost",
]

TORCH_RULES: dict[str, Rule] = {}
"""torch.nn class name → rule (``"Conv2d"``, ``"LSTM"``...), apart from the Keras rules."""
_R = TypeVar("_R", bound=Rule)


def torch_rule(*class_names: str) -> Callable[[_R], _R]:
    """Register a rule for the given ``torch.nn`` class names."""

    def register(fn: _R) -> _R:
        for name in class_names:
            if name in TORCH_RULES:
                raise RuntimeError(f"two torch rules for {name}")
            TORCH_RULES[name] = fn
        return fn

    return register


def find_torch_rule(class_name: str) -> Rule | None:
    """The rule for a ``torch.nn`` class name, or ``None``."""
    return TORCH_RULES.get(class_name)


def ints(
    args: LayerArgs, key: str, rank: int, default: Any = None, *, minimum: int = 1
) -> tuple[int, ...]:
    """An int or ``rank`` ints, as torch stores ``kernel_size``, ``stride``... (lists too)."""
    value = args.get(key, default)
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(value, tuple) and len(value) == 1 and rank > 1:
        value = value * rank
    fixed = LayerArgs(args.name, args.class_name, {key: value})
    return fixed.integers(key, rank, minimum=minimum)


def one_input(args: LayerArgs, inputs: Sequence[Shape]) -> Shape:
    """The module's first input tensor's shape."""
    if not inputs:
        raise args.error(None, "was called without a tensor input")
    return inputs[0]


def known(args: LayerArgs, shape: Shape, axis: int, what: str) -> int:
    """The length of ``shape[axis]``, which must exist and be known."""
    if not -len(shape) <= axis < len(shape):
        raise args.error(None, f"expects the {what} on axis {axis}, got shape {fmt_shape(shape)}")
    return args.known(shape, axis, what)


def zero_cost(result: Explained) -> Explained:
    """``result`` with 0 MACs (element-wise work, data movement, lookups)."""
    return Explained(
        result.formula,
        result.weights,
        result.outputs,
        result.shape_steps,
        result.note,
        macs=Term(0),
        buffers=result.buffers,
    )
