"""Wrappers: Bidirectional, TimeDistributed, SpectralNormalization.

A wrapper's config holds the wrapped layer's config (``{"class_name": ...,
"config": {...}}``); its rule runs the wrapped layer's rule and adjusts, its
MACs included: both directions' for Bidirectional, ``T`` times one step's for
TimeDistributed, the wrapped layer's for SpectralNormalization.
"""

from __future__ import annotations

from collections.abc import Mapping

from cnnexplain._formula import Formula, Sum, Term
from cnnexplain._rules.protocol import Explained, LayerArgs, NoRule, Weight, fmt_shape
from cnnexplain._rules.registry import find_rule, rule
from cnnexplain._shapes import Shape

__all__ = [
    "bidirectional",
    "nested_layer",
    "run_nested",
    "spectral_normalization",
    "time_distributed",
]


def nested_layer(args: LayerArgs, key: str) -> LayerArgs:
    """The `LayerArgs` of the layer config held in argument ``key`` (named ``outer/inner``)."""
    entry = args.get(key)
    if (
        not isinstance(entry, Mapping)
        or not isinstance(entry.get("class_name"), str)
        or not isinstance(entry.get("config"), Mapping)
    ):
        raise args.error(key, f"'{key}' must be a layer config with class_name and config", entry)
    config = entry["config"]
    return LayerArgs(f"{args.name}/{config.get('name', key)}", entry["class_name"], config)


def run_nested(args: LayerArgs, inner: LayerArgs, inputs: list[Shape]) -> Explained:
    """Run the rule of the wrapped layer; without one, the wrapper has no rule either."""
    fn = find_rule(inner.class_name)
    if fn is None:
        raise NoRule(f"{args.class_name}({inner.class_name})")
    return fn(inner, inputs)


def _prefixed(inner: LayerArgs, weights: tuple[Weight, ...]) -> tuple[Weight, ...]:
    prefix = inner.name.rsplit("/", 1)[-1]
    return tuple(Weight(f"{prefix}/{w.name}", w.shape, w.trainable) for w in weights)


@rule("TimeDistributed")
def time_distributed(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``params(layer)``: the wrapped layer's count; the same weights serve every step.

    The wrapped layer sees ``(batch, *rest)`` for an input ``(batch, steps, *rest)``
    and its output gets the ``steps`` axis back.
    """
    inner = nested_layer(args, "layer")
    (shape,) = inputs
    if len(shape) < 3:  # noqa: PLR2004
        raise args.error(
            None, f"expects an input of rank 3 or more (batch, steps, ...), got {fmt_shape(shape)}"
        )
    child = run_nested(args, inner, [(shape[0], *shape[2:])])
    outputs = tuple((o[0], shape[1], *o[1:]) for o in child.outputs)
    count = shape[1] if shape[1] is not None else "?"
    each = f"{fmt_shape((shape[0], *shape[2:]))} → {fmt_shape(child.outputs[0])}"
    steps = (f"each of the {count} steps: {each}", *child.shape_steps)
    note = f"one {inner.class_name} shared by every step"
    macs = None if child.macs is None or shape[1] is None else Term(shape[1], "T") * child.macs
    weights = _prefixed(inner, child.weights)
    return Explained(child.formula, weights, outputs, steps, note, macs=macs)


_MERGE_MODES = ("concat", "sum", "mul", "ave")


@rule("Bidirectional")
def bidirectional(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``2·(count of the wrapped RNN)``: one copy reads forward, one backward.

    With ``backward_layer`` the two directions may differ, and the count is
    their sum. ``merge_mode='concat'`` (the default) doubles the last axis;
    ``'sum'``, ``'mul'``, ``'ave'`` keep it; ``None`` returns both outputs.
    """
    forward = nested_layer(args, "layer")
    backward = nested_layer(args, "backward_layer") if args.get("backward_layer") else forward
    merge = args.get("merge_mode", "concat")
    if merge is not None and merge not in _MERGE_MODES:
        raise args.error(
            "merge_mode", f"'merge_mode' must be one of {', '.join(_MERGE_MODES)} or None", merge
        )
    fwd = run_nested(args, forward, inputs)
    bwd = run_nested(args, backward, inputs)
    if fwd.outputs != bwd.outputs:
        raise args.error(
            "backward_layer",
            "the backward layer's outputs must match the forward layer's "
            f"{', '.join(fmt_shape(o) for o in fwd.outputs)}",
            [fmt_shape(o) for o in bwd.outputs],
        )
    formula: Formula
    if fwd.formula.symbols() == bwd.formula.symbols() and int(fwd.formula) == int(bwd.formula):
        formula = Term(2) * fwd.formula
    else:
        formula = fwd.formula + bwd.formula
    out, *states = fwd.outputs
    if merge == "concat":
        last = None if out[-1] is None else 2 * out[-1]
        merged: tuple[Shape, ...] = ((*out[:-1], last),)
        step = f"merge_mode='concat': last axis 2·{out[-1]} = {last}"
    elif merge is None:
        merged = (out, out)
        step = "merge_mode=None: the forward and backward outputs, unmerged"
    else:
        merged = (out,)
        step = f"merge_mode='{merge}': element-wise, shape kept"
    outputs = (*merged, *states, *states)
    weights = _prefixed(forward, fwd.weights) + _prefixed(
        backward if backward is not forward else _renamed(forward, "backward"), bwd.weights
    )
    macs = None if fwd.macs is None or bwd.macs is None else Sum((fwd.macs, bwd.macs))
    return Explained(formula, weights, outputs, (*fwd.shape_steps, step), macs=macs)


def _renamed(args: LayerArgs, prefix: str) -> LayerArgs:
    inner = args.name.rsplit("/", 1)[-1].removeprefix("forward_")
    outer = args.name.rsplit("/", 1)[0]
    return LayerArgs(f"{outer}/{prefix}_{inner}", args.class_name, args.config)


@rule("SpectralNormalization")
def spectral_normalization(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``params(layer)+F``: the wrapped layer's count and a non-trainable vector ``u`` (1, F).

    ``F`` is the last axis of the wrapped layer's kernel (its units or filters);
    ``u`` estimates the kernel's largest singular value by power iteration.
    """
    inner = nested_layer(args, "layer")
    child = run_nested(args, inner, inputs)
    kernel = next((w for w in child.weights if w.name == "kernel"), None)
    if kernel is None:
        raise args.error(
            "layer",
            f"the wrapped {inner.class_name} has no 'kernel' to normalize",
            inner.class_name,
        )
    f = kernel.shape[-1]
    formula = child.formula + Term(f, "F")
    weights = (*_prefixed(inner, child.weights), Weight("vector_u", (1, f), trainable=False))
    note = "vector_u (1·F) is updated by power iteration, not by gradients: non-trainable"
    # at inference the normalized kernel is fixed: the wrapped layer's MACs
    return Explained(formula, weights, child.outputs, child.shape_steps, note, macs=child.macs)
