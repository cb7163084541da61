"""Blocks no rule covers, recognised by their weights: formulas in the module's own words.

A custom module's parameters are matched against the sizes it and its
ancestors store (their int attributes, and those of a config object they
hold) and against its recorded input and output. Each dimension of a weight
is named by the attribute it equals (``hidden_size``, ``num_experts``, ``2·
intermediate_dim``), so the formula speaks the module's language. Recognised
by structure, never by class name:

- one vector over the feature axis (an RMSNorm copy, LayerScale, T5LayerNorm):
  ``hidden_size`` (two vectors, scale and shift: ``2·hidden_size``);
- a dense weight in either orientation, with or without a bias (GPT-2's
  ``Conv1D`` stores it as (in, out)): ``(nx+1)·nf``;
- stacked experts, one 3-D tensor per projection: ``num_experts·in·out``;
- a relative position table of ``(2·Wh−1)·(2·Ww−1)`` rows, one column per head;
- weight norm's ``g`` and ``v`` (``torch.nn.utils.parametrize``'s ``original0``
  and ``original1``, or the older ``weight_g`` and ``weight_v``) on a ruled module.

A weight with a dimension no size explains is still counted, as the product of
its shape; `Recognised.from_shapes` says how many parameters that is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from cnnexplain._formula import Formula, Product, Sum, Term
from cnnexplain._graph.torch_tree import Named
from cnnexplain._rules.families.dense import DenseSymbols, dense_macs
from cnnexplain._rules.protocol import Explained, Weight
from cnnexplain._shapes import Shape

__all__ = ["Recognised", "named_dim", "recognise", "with_weight_norm"]

NOTE = "recognised from its weights"


@dataclass(frozen=True)
class Recognised:
    """A block's own parameters as a formula, what it was recognised as, and what is unexplained."""

    formula: Formula
    note: str
    from_shapes: int
    """Parameters of weights with a dimension no size names: counted from the shape only."""
    macs: Formula | None = None


def named_dim(n: int, sizes: Mapping[str, int]) -> Formula | None:
    """``n`` as the size it equals (``hidden_size``), a small multiple, or one more; else None.

    Examples:
        >>> str(named_dim(1536, {"hidden_size": 768}).symbols())
        '2·hidden_size'
        >>> named_dim(7, {"hidden_size": 768}) is None
        True
    """
    if n == 1:
        return Term(1)
    for key, value in sizes.items():
        if value == n:
            return Term(n, key)
    for factor in (2, 3, 4):
        for key, value in sizes.items():
            if value * factor == n:
                return Term(factor) * Term(value, key)
    for key, value in sizes.items():
        if value + 1 == n:
            return Term(value, key) + 1
    return None


def _product(weight: Weight, sizes: Mapping[str, int]) -> tuple[Formula, bool]:
    """A weight's count as the product of its named dimensions, and whether all were named."""
    dims: list[Formula] = []
    named = True
    for d in weight.shape or (1,):
        found = named_dim(d, sizes)
        named = named and found is not None
        dims.append(found if found is not None else Term(d))
    return (dims[0] if len(dims) == 1 else Product(tuple(dims))), named


def _vectors(weights: tuple[Weight, ...], sizes: Mapping[str, int]) -> Recognised | None:
    """Every weight one vector of the same length d: ``d`` per vector."""
    lengths = {w.shape for w in weights}
    if len(lengths) != 1 or len(next(iter(lengths))) != 1:
        return None
    (d,) = next(iter(lengths))
    term = named_dim(d, sizes)
    if term is None:
        return None
    formula = term if len(weights) == 1 else Term(len(weights)) * term
    what = "one vector" if len(weights) == 1 else f"{len(weights)} vectors"
    names = ", ".join(w.name for w in weights)
    return Recognised(formula, f"{NOTE}: {what} over the feature axis ({names})", 0)


def _dense(
    weights: tuple[Weight, ...], sizes: Mapping[str, int], inputs: tuple[Shape, ...]
) -> Recognised | None:
    """A 2-D weight and at most one 1-D bias: a dense layer in either orientation."""
    matrices = [w for w in weights if len(w.shape) == 2]  # noqa: PLR2004
    vectors = [w for w in weights if len(w.shape) == 1]
    if len(matrices) != 1 or len(vectors) > 1 or len(weights) != len(matrices) + len(vectors):
        return None
    a, b = matrices[0].shape
    width = inputs[0][-1] if inputs and inputs[0] else None
    orientations = [(b, a), (a, b)]  # (in, out): torch's layout first
    if vectors:  # the bias is as long as the output
        orientations = [(i, o) for i, o in orientations if o == vectors[0].shape[0]]
    if width is not None:  # called: its input's last axis is the weight's input
        orientations = [(i, o) for i, o in orientations if i == width]
    if not orientations:
        return None
    n_in, units = orientations[-1] if vectors else orientations[0]
    t_out = named_dim(units, sizes)
    used = {t_out.symbol} if isinstance(t_out, Term) and t_out.symbol else set()
    others = {k: v for k, v in sizes.items() if k not in used}  # a square: two names if held
    t_in = named_dim(n_in, others) or named_dim(n_in, sizes)
    if t_in is None or t_out is None:
        return None
    formula = (t_in + 1) * t_out if vectors else t_in * t_out
    layout = "(in, out), Keras's layout" if (n_in, units) == (a, b) else "(out, in), as torch"
    note = f"{NOTE}: a dense layer, its weight stored {layout}"
    macs = None
    if width == n_in and inputs[0] and None not in inputs[0]:
        shape = inputs[0] if len(inputs[0]) > 1 else (1, *inputs[0])
        symbols = DenseSymbols(_symbol(t_in, "in"), _symbol(t_out, "out"))
        macs = dense_macs(shape, units, symbols=symbols)
    return Recognised(formula, note, 0, macs)


def _symbol(term: Formula, default: str) -> str:
    return term.symbols() if isinstance(term, Term) and term.symbol else default


def _table(weight: Weight, sizes: Mapping[str, int], windows: Mapping[str, Any]) -> Formula | None:
    """A relative position table: ``(2·Wh−1)·(2·Ww−1)`` rows, one column per head."""
    if len(weight.shape) != 2:  # noqa: PLR2004
        return None
    rows, heads = weight.shape
    t_heads = named_dim(heads, sizes)
    if t_heads is None:
        return None
    for key, value in windows.items():
        lengths = (value, value) if isinstance(value, int) else tuple(value)
        if math.prod(2 * w - 1 for w in lengths) == rows:
            axes = [Term(2 * w - 1, f"(2·{key}[{i}]−1)") for i, w in enumerate(lengths)]
            if isinstance(value, int):
                axes = [Term(2 * value - 1, f"(2·{key}−1)")] * 2
            return Product((*axes, t_heads))
    return None


def _windows(config: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in config.items():
        ok = isinstance(value, int) and not isinstance(value, bool) and value > 1
        pair = isinstance(value, tuple) and len(value) == 2  # noqa: PLR2004
        if ok or (pair and all(isinstance(v, int) and v > 1 for v in value)):
            found[key] = value
    return found


def recognise(
    weights: tuple[Weight, ...],
    sizes: Mapping[str, int],
    config: Mapping[str, Any],
    inputs: tuple[Shape, ...] = (),
    *,
    beside: bool = False,
) -> Recognised | None:
    """A custom module's own parameters as a formula in its own sizes, or None if none is named.

    Args:
        weights: the parameters counted at this module (tied ones left out).
        sizes: the int sizes in scope, nearest first: its own attributes, then its
            ancestors' (and those of a config object they hold).
        config: its own stored arguments (window sizes for a position table).
        inputs: the shapes of its first recorded call, if any.
        beside: the weights sit beside child modules (a block's own tensors): not
            read as one dense layer, whose work its children do.

    Examples:
        >>> gamma = (Weight("weight", (768,)),)
        >>> r = recognise(gamma, {"hidden_size": 768}, {})
        >>> r.formula.symbols(), r.from_shapes
        ('hidden_size', 0)
        >>> conv1d = (Weight("weight", (768, 2304)), Weight("bias", (2304,)))
        >>> recognise(conv1d, {"nf": 2304, "nx": 768}, {}).formula.symbols()
        '(nx+1)·nf'
    """
    if not weights:
        return None
    found = _vectors(weights, sizes)
    if found is None and not beside:
        found = _dense(weights, sizes, inputs)
    if found is not None:
        return found
    parts: list[Formula] = []
    unnamed = 0
    kinds: list[str] = []
    windows = _windows(config)
    for weight in weights:
        table = _table(weight, sizes, windows) if windows else None
        if table is not None:
            parts.append(Named(weight.name, table))
            kinds.append(f"{weight.name}: a relative position table, one column per head")
            continue
        formula, named = _product(weight, sizes)
        if not named:
            unnamed += weight.size
        elif len(weight.shape) == 3:  # noqa: PLR2004
            kinds.append(f"{weight.name}: stacked experts ({weight.shape[0]} matrices)")
        parts.append(Named(weight.name, formula))
    if unnamed == sum(w.size for w in weights):
        return None
    what = "; ".join(kinds) or "each dimension named by the size it equals"
    formula = parts[0] if len(parts) == 1 else Sum(tuple(parts))
    return Recognised(formula, f"{NOTE}: {what}", unnamed)


def _norm_pairs(names: set[str]) -> dict[str, tuple[str, str]]:
    """Weight norm's tensors: the weight's name → (g's name, v's name)."""
    pairs: dict[str, tuple[str, str]] = {}
    for name in names:
        head, _, last = name.rpartition(".")
        if last == "original1" and head.startswith("parametrizations."):
            g = f"{head}.original0"
            if g in names:
                pairs[head.removeprefix("parametrizations.")] = (g, name)
        elif name.endswith("_v") and f"{name[:-2]}_g" in names:
            pairs[name[:-2]] = (f"{name[:-2]}_g", name)
    return pairs


def with_weight_norm(
    result: Explained, parameters: tuple[Weight, ...], config: Mapping[str, Any]
) -> Explained | None:
    """A rule's result for a module under weight norm: ``v`` is the weight, ``g`` is added.

    None unless the module's parameters are the rule's weights with each
    normalised one replaced by ``g`` and ``v`` (``v`` of the weight's shape).
    """
    held = {w.name: w for w in parameters}
    pairs = _norm_pairs(set(held))
    if not pairs:
        return None
    rule = {w.name: w for w in result.weights}
    renamed = {n: w for n, w in held.items() if not any(n in pair for pair in pairs.values())}
    for target, (_, v) in pairs.items():
        renamed[target] = replace(held[v], name=target)
    if {n: w.shape for n, w in renamed.items()} != {n: w.shape for n, w in rule.items()}:
        return None
    sizes = {k: v for k, v in config.items() if isinstance(v, int) and not isinstance(v, bool)}
    weights = [w for w in result.weights if w.name not in pairs]
    extra: list[Formula] = []
    for target, (g, v) in pairs.items():
        weights += [replace(rule[target], name=v), held[g]]
        extra.append(Named(g, _product(held[g], sizes)[0]))
    note = (
        "weight norm: weight = g·v/‖v‖, v of the weight's shape (counted by the rule) and "
        "g one scale per output (" + ", ".join(sorted(g for g, _ in pairs.values())) + ")"
    )
    return replace(
        result,
        formula=Sum((result.formula, *extra)),
        weights=tuple(weights),
        note="; ".join(n for n in (result.note, note) if n),
    )
