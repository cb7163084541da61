"""A module's parameters from its arguments alone, when no call of it was recorded.

Counts are structure: a ``Linear`` holds ``(in_features+1)·out_features``
whatever it is given. A torch rule reads its arguments *and* an input shape
(it checks the input against them and derives the output), so here each rule
is given small stand-in inputs built from the arguments that fix an input
axis (``in_features``, ``in_channels`` and the kernel, ``num_features``,
``normalized_shape``, ``embed_dim``...). A stand-in is accepted only when the
weights the rule implies are exactly the module's parameters, name by name
and shape by shape; the rule's output shapes and MACs are then dropped: they
belong to the stand-in, not to any real input.

Used for a module explained without an input (``explain(module)``), for a
module the forward never calls, and for a module whose call its rule cannot
read (a subclass with its own ``forward``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from cnnexplain._errors import SpecError
from cnnexplain._rules.protocol import Explained, LayerArgs, NoRule, Rule, Weight
from cnnexplain._shapes import Shape

if TYPE_CHECKING:
    from cnnexplain._graph.torch_tree import Call

__all__ = ["NO_INPUT_NOTE", "Unrun", "from_arguments", "stand_ins"]

NO_INPUT_NOTE = (
    "no input given: every count comes from the modules' arguments and parameters; "
    "output shapes and MACs are unknown (a sample input, input_size= or input_data=, "
    "adds shapes and costs)"
)


@dataclass
class Unrun:
    """What a run records, for a module that was not run: no calls, no output dtypes."""

    calls: dict[int, list[Call]] = field(default_factory=dict)
    dtypes: dict[int, str] = field(default_factory=dict)
    order: dict[int, int] = field(default_factory=dict)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _ints(value: Any) -> tuple[int, ...] | None:
    if _int(value) is not None:
        return (value,)
    if isinstance(value, (tuple, list)) and value and all(_int(v) is not None for v in value):
        return tuple(value)
    return None


def _rank(class_name: str, default: int) -> int:
    """The spatial rank a class name ends with (``Conv2d``: 2), else ``default``."""
    return int(class_name[-2]) if len(class_name) > 1 and class_name[-2].isdigit() else default


def _windows(config: dict[str, Any], rank: int) -> tuple[int, ...]:
    """Spatial lengths each window fits in whatever the padding: ``d·(k−1)+1``."""
    kernel = _ints(config.get("kernel_size")) or (1,)
    dilation = _ints(config.get("dilation")) or (1,)
    kernel = kernel * rank if len(kernel) == 1 else kernel
    dilation = dilation * rank if len(dilation) == 1 else dilation
    return tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=False))


def stand_ins(  # noqa: C901 - one case per argument that fixes an input axis
    class_name: str, config: dict[str, Any], parameters: tuple[Weight, ...]
) -> list[list[Shape]]:
    """Candidate input shapes for a rule, built from the arguments that fix an input axis.

    Examples:
        >>> stand_ins("Linear", {"in_features": 3}, ())[0]
        [(1, 3)]
        >>> stand_ins("Conv2d", {"in_channels": 3, "kernel_size": (3, 3)}, ())[0]
        [(1, 3, 3, 3)]
    """
    found: list[list[Shape]] = []
    width = next(
        (_int(config.get(k)) for k in ("in_features", "input_size") if _int(config.get(k))),
        None,
    )
    if width is not None:
        found += [[(1, width)], [(1, 1, width)], [(1, width), (1,)]]
    channels = _int(config.get("in_channels"))
    if channels is not None:
        rank = len(_ints(config.get("kernel_size")) or ()) or _rank(class_name, 2)
        found.append([(1, channels, *_windows(config, rank))])
    for key in ("num_features", "num_channels"):
        c = _int(config.get(key))
        if c is not None:
            rank = _rank(class_name, 2)
            found += [[(1, c, *(1,) * rank)], [(1, c)], [(1, c, 1)]]
    normalized = _ints(config.get("normalized_shape"))
    if normalized is not None:
        found.append([(1, *normalized)])
    e = _int(config.get("embed_dim"))
    if e is not None:
        kdim, vdim = _int(config.get("kdim")) or e, _int(config.get("vdim")) or e
        found.append([(1, 1, e), (1, 1, kdim), (1, 1, vdim)])
    n1, n2 = _int(config.get("in1_features")), _int(config.get("in2_features"))
    if n1 is not None and n2 is not None:
        found.append([(1, n1), (1, n2)])
    if _int(config.get("num_embeddings")) is not None:
        found += [[(1, 1)], [(1,), (1,)]]
    for weight in parameters:  # a weight's input axis: a Linear-like projection inside
        if len(weight.shape) == 2:  # noqa: PLR2004
            found += [[(1, weight.shape[-1])], [(1, 1, weight.shape[-1])]]
            break
    found += [[(1, 1)], [(1, 1, 1, 1)]]
    return found


def from_arguments(
    rule: Rule, name: str, class_name: str, config: dict[str, Any], parameters: tuple[Weight, ...]
) -> Explained | None:
    """The rule's formula and weights from the module's arguments, shapes and MACs unknown.

    None when no stand-in input makes the rule imply exactly ``parameters``
    (names and shapes): the count is then not the rule's to give.
    """
    held = {w.name: w.shape for w in parameters}
    for inputs in stand_ins(class_name, config, parameters):
        try:
            result = rule(LayerArgs(name, class_name, config), inputs)
        except (SpecError, NoRule, ValueError, TypeError, ZeroDivisionError, IndexError):
            continue
        if {w.name: w.shape for w in result.weights} != held:
            from cnnexplain._graph.torch_blocks import with_weight_norm  # noqa: PLC0415

            result = with_weight_norm(result, parameters, config) or result
        if {w.name: w.shape for w in result.weights} == held:
            return replace(result, outputs=(), shape_steps=(), macs=None)
    return None
