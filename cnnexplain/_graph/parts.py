"""Explain a layer no rule covers from its parts: sublayers by their rules, weights by shape.

A custom layer (a transformer block, a patch encoder) is built from layers
cnnexplain knows plus weights it creates itself. Its source measures the
parts (`cnnexplain._graph.model.Part`): each sublayer's class, config and build
input shape, or at least its weights; each own weight's name and shape. Each
sublayer of a known class gets its rule's formula, checked against the weights
it was built with; a weight of its own is the product of its shape, named
(``pos_emb: 64·128``). The layer's formula is the sum of its parts, and each
part is a child row. A row is flagged only where the weights can't be
accounted for (a rule that disagrees with the built weights).

Examples:
    >>> from cnnexplain._graph.model import Part
    >>> from cnnexplain._shapes import Weight
    >>> parts = (
    ...     Part("dense", "Dense", {"units": 128}, ((None, 10, 64),),
    ...          (Weight("kernel", (64, 128)), Weight("bias", (128,)))),
    ...     Part("pos_emb", None, weights=(Weight("pos_emb", (10, 128)),)),
    ... )
    >>> found, rows = explain_parts("block", "Block", parts, "Keras", None)
    >>> str(found.formula), found.formula.symbols(), int(found.formula)
    ('(64+1)·128+10·128', 'dense+pos_emb', 9600)
    >>> [(r.name, r.kind, str(r.formula), r.explained) for r in rows]
    [('dense', 'Dense', '(64+1)·128', True), ('pos_emb', 'Variable', '10·128', True)]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from cnnexplain._breakdown import LayerRow
from cnnexplain._errors import SpecError
from cnnexplain._formula import Formula, Named, Product, Sum, Term, total_of
from cnnexplain._graph.model import ModelGraph, Part
from cnnexplain._rules import LayerArgs
from cnnexplain._rules.keras.table import IDENTITY
from cnnexplain._rules.protocol import NO_MACS, Explained, NoRule, fmt_shape
from cnnexplain._rules.registry import find_rule
from cnnexplain._shapes import Shape, Weight

__all__ = [
    "UNNAMED",
    "VARIABLE",
    "PartModel",
    "derive",
    "dimension_names",
    "explain_parts",
    "guess_base",
    "matches",
    "reuse_note",
    "unnamed",
    "weight_formula",
    "weights_formula",
]

PartModel = Callable[
    [ModelGraph, tuple[Shape, ...] | None], tuple[list[LayerRow], list[Shape | list[Shape]]]
]
"""Evaluate a sublayer that is a model: its rows and output shapes."""

VARIABLE = "Variable"
"""The kind of a row for a weight a layer creates itself (a ``keras.Variable``)."""

UNNAMED = "Layer"
"""The kind of a sublayer whose class its source does not record (a stored group)."""


def matches(computed: Sequence[Weight], built: Sequence[Weight]) -> bool:
    """True when a rule's weights have the shapes of the built (or stored) ones."""
    return sorted(w.shape for w in computed) == sorted(w.shape for w in built)


def weight_formula(weight: Weight, names: Mapping[int, str] | None = None) -> Named:
    """The size of one weight, the product of its shape, named after it.

    ``names`` gives each dimension the argument it equals (`dimension_names`).
    """
    names = names or {}
    dims = [Term(d, names.get(d, "")) for d in weight.shape] or [Term(1)]
    inner: Formula = dims[0] if len(dims) == 1 else Product(tuple(dims))
    return Named(weight.name, inner)


_NOT_SIZES = frozenset({"name", "trainable", "dtype", "seed"})


def dimension_names(config: Any, inputs: Sequence[Shape] | None) -> dict[int, str]:
    """The layer's arguments by the size they give, for naming a weight's dimensions.

    An integer argument names the size it equals, unless another argument has
    the same value (then neither names it); the input's last axis, if no
    argument has its size, is ``n_in`` (as in Dense's formula).

    Examples:
        >>> dimension_names({"sequence_length": 1024, "dropout": 0.1}, [(None, None, 768)])
        {1024: 'sequence_length', 768: 'n_in'}
        >>> dimension_names({"hidden_dim": 8, "intermediate_dim": 32, "use_bias": True}, None)
        {8: 'hidden_dim', 32: 'intermediate_dim'}
        >>> dimension_names({"num_layers": 2, "num_heads": 2, "hidden_dim": 8}, None)
        {8: 'hidden_dim'}
    """
    keys: dict[int, list[str]] = {}
    if isinstance(config, Mapping):
        for key, value in config.items():
            if key in _NOT_SIZES or isinstance(value, bool) or not isinstance(value, int):
                continue
            keys.setdefault(value, []).append(str(key))
    # a size two arguments share (num_layers = num_heads = 12) names neither: it would guess
    names = {value: found[0] for value, found in keys.items() if len(found) == 1}
    if inputs and len(inputs) >= 1 and inputs[0] and isinstance(inputs[0][-1], int):
        names.setdefault(inputs[0][-1], "n_in")
    return names


def unnamed(weight: Weight, names: Mapping[int, str]) -> bool:
    """True when a dimension of ``weight`` equals no argument: counted from its shape only."""
    return any(d != 1 and d not in names for d in weight.shape)  # an axis of 1 needs none


def weights_formula(weights: Sequence[Weight], names: Mapping[int, str] | None = None) -> Formula:
    """The sum of the named sizes of ``weights`` (dimensions named by ``names``)."""
    if not weights:
        return Term(0)
    if len(weights) == 1:
        return weight_formula(weights[0], names)
    return Sum(tuple(weight_formula(w, names) for w in weights))


def _shape(weights: Sequence[Weight], *ranks: int) -> list[tuple[int, ...]] | None:
    """The weights' shapes if they have exactly these ranks, in order."""
    shapes = [w.shape for w in weights]
    if [len(s) for s in shapes] != list(ranks):
        return None
    return shapes


def derive(  # noqa: PLR0911 - one return per class
    class_name: str, weights: Sequence[Weight]
) -> tuple[dict[str, Any], Shape] | None:
    """A config and input shape that give these weights, for a sublayer known only by them.

    A stored Dense kernel of shape (64, 128) means 64 inputs and 128 units:
    the rule then gives ``(64+1)·128``. Returns None for a class or a set of
    shapes it can't read.

    Examples:
        >>> derive("Dense", [Weight("kernel", (64, 128)), Weight("bias", (128,))])
        ({'units': 128, 'use_bias': True}, (None, 64))
        >>> derive("Conv2D", [Weight("kernel", (3, 3, 8, 16))])
        ({'filters': 16, 'kernel_size': [3, 3], 'use_bias': False}, (None, None, None, 8))
    """
    bias = len(weights) == 2  # noqa: PLR2004 - kernel and bias
    ranks = [len(w.shape) for w in weights]
    if class_name == "Dense" and ranks in ([2], [2, 1]):
        n_in, units = weights[0].shape
        return {"units": units, "use_bias": bias}, (None, n_in)
    rank = {"Conv1D": 1, "Conv2D": 2, "Conv3D": 3}.get(class_name)
    if rank is not None and ranks in ([rank + 2], [rank + 2, 1]):
        *kernel, c_in, filters = weights[0].shape
        config = {"filters": filters, "kernel_size": list(kernel), "use_bias": bias}
        return config, (None, *([None] * rank), c_in)
    if class_name == "Embedding" and ranks == [2]:
        vocab, dim = weights[0].shape
        return {"input_dim": vocab, "output_dim": dim}, (None, None)
    if class_name == "LayerNormalization" and ranks == [1, 1]:
        return {"center": True, "scale": True}, (None, weights[0].shape[0])
    if class_name == "BatchNormalization" and ranks == [1, 1, 1, 1]:
        return {}, (None, weights[0].shape[0])
    if class_name == "MultiHeadAttention":
        return _attention(weights)
    return None


def _attention(weights: Sequence[Weight]) -> tuple[dict[str, Any], Shape] | None:
    """MultiHeadAttention's arguments from its four kernels, self-attention of width ``d``.

    Query, key and value kernels are ``(d, heads, key_dim)`` (value: ``value_dim``),
    the output kernel ``(heads, value_dim, d)``; with biases, eight weights.

    Examples:
        >>> ws = [Weight("q", (16, 2, 8)), Weight("k", (16, 2, 8)), Weight("v", (16, 2, 4)),
        ...       Weight("o", (2, 4, 16))]
        >>> _attention(ws)
        ({'num_heads': 2, 'key_dim': 8, 'value_dim': 4, 'use_bias': False}, (None, None, 16))
    """
    kernels = [w.shape for w in weights if len(w.shape) == 3]  # noqa: PLR2004
    if len(kernels) != 4 or len(weights) not in (4, 8):  # noqa: PLR2004
        return None
    for out in kernels:
        heads, value_dim, d = out
        rest = [k for k in kernels if k is not out]
        if any(k[0] != d or k[1] != heads for k in rest):
            continue
        keys = sorted(k[2] for k in rest)
        key_dim = keys[0] if keys[0] != value_dim else keys[-1]
        if sorted([key_dim, key_dim, value_dim]) != keys:
            continue
        config = {"num_heads": heads, "key_dim": key_dim, "value_dim": value_dim}
        return {**config, "use_bias": len(weights) == 8}, (None, None, d)  # noqa: PLR2004
    return None


def guess_base(config: Any, inputs: Sequence[Shape]) -> str | None:
    """The Keras class whose arguments a custom layer's config carries, if any.

    A file does not record a class's bases, but a ``Conv2D`` subclass saves
    Conv2D's arguments. The guess is only a candidate: the caller keeps it only
    if that rule gives exactly the weights the file stores.

    Examples:
        >>> guess_base({"filters": 8, "kernel_size": [3, 3]}, [(None, 12, 12, 1)])
        'Conv2D'
        >>> guess_base({"units": 4}, [(None, 5)]), guess_base({"rate": 0.1}, [(None, 5)])
        ('Dense', None)
    """
    if not isinstance(config, Mapping) or len(inputs) != 1:
        return None
    if {"filters", "kernel_size"} <= config.keys():
        rank = len(inputs[0]) - 2
        return f"Conv{rank}D" if 1 <= rank <= 3 else None  # noqa: PLR2004
    if {"num_heads", "key_dim"} <= config.keys():
        return "MultiHeadAttention"
    if {"input_dim", "output_dim"} <= config.keys():
        return "Embedding"
    if "units" in config:
        return "Dense"
    return None


def reuse_note(owner: str, weights: tuple[Weight, ...]) -> str:
    """The note of a layer using weights another layer owns (and counts).

    Examples:
        >>> reuse_note("backbone/token_embedding", (Weight("embeddings", (50, 8)),))
        "reuses backbone/token_embedding's embeddings (50, 8): 0 new parameters, counted once there"
    """
    what = ", ".join(f"{w.name} {fmt_shape(w.shape)}" for w in weights) or "weights"
    return f"reuses {owner}'s {what}: 0 new parameters, counted once there"


_STRUCTURES = ("Dense", "LayerNormalization", "Conv2D")
"""Classes a sublayer of unrecorded class is read as when its weights have their structure."""


def _leaf(part: Part) -> bool:
    return all(p.class_name is None for p in part.parts or ())


def _by_structure(part: Part) -> tuple[Explained, tuple[Shape, ...], bool] | None:
    """A sublayer whose class its source does not record, read by its weights' structure.

    A kernel ``(a, b)`` and a bias ``(b,)`` are a Dense's; two vectors of one
    length, LayerNormalization's gamma and beta. The count is their shapes'
    either way; the rule adds the formula from the arguments they imply.
    """
    subs = [p for p in part.parts or () if p.class_name is not None]
    leaves = all(p.class_name == UNNAMED and not p.model and _leaf(p) for p in subs)
    if subs and not (leaves and len(subs) == 4):  # noqa: PLR2004 - q, k, v, output
        return None  # it has sublayers of its own: explained from them
    for kind in ("MultiHeadAttention",) if subs else _STRUCTURES:
        if kind == "Dense" and len(part.weights) != 2:  # noqa: PLR2004
            continue  # a lone matrix: an embedding's table as much as a Dense's kernel
        found = _rule_row(replace(part, class_name=kind))
        if found is not None:
            rule, shapes, built = found
            note = f"its class is not recorded; its weights are shaped as a {kind}'s"
            note = f"{note}: {rule.note}" if rule.note else note
            return replace(rule, note=note), shapes, built
    return None


def _rule_row(part: Part) -> tuple[Explained, tuple[Shape, ...], bool] | None:
    """The sublayer's rule over its config and build shape (or ones derived from its weights).

    The flag says whether the shapes are the build's own: MACs derived from a
    guessed input shape (``(None, n_in)`` for a Dense) would be guesses, unless
    they are 0 by convention whatever the shape (`NO_MACS`: a lookup, a copy).
    """
    kind = part.class_name or ""
    rule = find_rule(kind)
    if rule is None:  # a subclass is read as its base class (its rank, its arguments)
        kind = part.base or ""
        rule = find_rule(kind)
    if rule is None:
        return None
    candidates: list[tuple[Any, tuple[Shape, ...], bool]] = []
    if part.input_shapes is not None:
        candidates.append((part.config, part.input_shapes, True))
    derived = derive(part.class_name or "", part.weights) if part.weights else None
    if derived is not None:
        calls = 2 if kind == "MultiHeadAttention" else 1  # query and value: self-attention
        candidates.append(({**part.config, **derived[0]}, (derived[1],) * calls, False))
    for config, shapes, built in candidates:
        try:
            found = rule(LayerArgs(part.name, kind, config), list(shapes))
        except (SpecError, NoRule):
            continue
        if matches(found.weights, part.weights):
            return found, shapes, built
    return None


def _row(
    part: Part,
    formula: Formula,
    weights: Sequence[Weight],
    outputs: Sequence[Shape | list[Shape]],
    note: str,
    *,
    explained: bool = True,
    children: Sequence[LayerRow] = (),
    steps: tuple[str, ...] = (),
    inputs: tuple[Shape, ...] | None = None,
    macs: Formula | None = None,
) -> LayerRow:
    params = int(formula)
    if children:
        trainable = sum(c.trainable for c in children)
    elif part.weights and not all(w.trainable for w in part.weights):
        trainable = sum(w.size for w in part.weights if w.trainable)  # as measured: frozen
    else:
        trainable = sum(w.size for w in weights if w.trainable)  # the rule's (statistics)
    shapes = inputs if inputs is not None else part.input_shapes
    output: Shape | list[Shape]
    if len(outputs) == 1:
        first = outputs[0]
        output = first if isinstance(first, tuple) else list(first)
    else:
        output = [o for o in outputs if isinstance(o, tuple)]
    return LayerRow(
        name=part.name,
        kind=part.class_name or VARIABLE,
        params=params,
        trainable=trainable,
        non_trainable=params - trainable,
        output_shape=output,
        formula=formula,
        shape_steps=steps,
        weights=tuple(weights),
        children=tuple(children),
        note=note,
        explained=explained,
        input_shape=(shapes[0] if len(shapes) == 1 else list(shapes)) if shapes else (),
        config=part.config,
        macs=macs,
    )


def _reuse_row(part: Part) -> LayerRow:
    """A sublayer whose weights another layer owns (a head tied to an embedding)."""
    measured: list[Shape | list[Shape]] = list(part.outputs or ((),))
    row = _row(part, Term(0), (), measured, reuse_note(part.reuses, part.weights))
    return replace(row, reuses=part.reuses)


def _part_row(  # noqa: PLR0911 - one return per way a part is explained
    part: Part, source: str, part_model: PartModel | None, names: Mapping[int, str]
) -> LayerRow:
    measured: list[Shape | list[Shape]] = list(part.outputs or ((),))
    if part.class_name is None:
        (weight,) = part.weights
        kind = "trainable" if weight.trainable else "non-trainable"
        note = f"a {kind} weight the layer creates itself, of shape {fmt_shape(weight.shape)}"
        formula = weight_formula(weight, names)
        if unnamed(weight, names):
            note += ", counted from its shape (a size no argument of the layer gives)"
            row = _row(part, formula, part.weights, [()], note)
            return replace(row, from_shapes=row.params)
        if formula.inner.symbols() != str(formula.inner):  # its sizes, named by arguments
            note += f" = {formula.inner.symbols()}"
        return _row(part, formula, part.weights, [()], note)
    if part.model is not None and part_model is not None:
        rows, outs = part_model(part.model, part.input_shapes)
        return _row(part, total_of([r.formula for r in rows]), (), outs, "", children=rows)
    ruled = _rule_row(part)
    if ruled is None and part.class_name == UNNAMED:
        ruled = _by_structure(part)
    if ruled is not None:
        found, shapes, built = ruled
        # shapes derived from the weights alone give the count, not the activations' shapes
        derived_only = not built
        return _row(
            part,
            found.formula,
            found.weights,
            measured if derived_only else list(found.outputs),
            found.note,
            steps=() if derived_only else found.shape_steps,
            inputs=() if derived_only else shapes,
            macs=found.macs if built or found.macs is NO_MACS else None,
        )
    if part.parts is not None:
        found, rows = explain_parts(
            part.name, part.class_name, part.parts, source, part_model,
            config=part.config, inputs=part.input_shapes, names=names,
        )  # fmt: skip
        return _row(
            part, found.formula, found.weights, measured, found.note, children=rows,
            explained=found.explained,
        )  # fmt: skip
    known = find_rule(part.class_name) is not None
    if known and part.weights:
        note = (
            f"the rule for {part.class_name} does not reproduce the weights {source} "
            f"holds for it ({', '.join(fmt_shape(w.shape) for w in part.weights)}): "
            "their sizes, unexplained"
        )
        sizes = weights_formula(part.weights)
        row = _row(part, sizes, part.weights, measured, note, explained=False)
        return replace(row, from_shapes=row.params)
    # a pass-through layer (Dropout...) does no work whatever its unrecorded input shape
    identity = part.class_name in IDENTITY and not part.weights
    macs = NO_MACS if identity else None
    if not part.weights:
        note = "no weights" if identity or part.class_name is None else "it holds no weights"
        return _row(part, Term(0), (), measured, note, macs=macs)
    note = f"the weights {source} holds for it, each the product of its shape"
    sizes = weights_formula(part.weights, names)
    row = _row(part, sizes, part.weights, measured, note, macs=macs)
    return replace(row, from_shapes=sum(w.size for w in part.weights if unnamed(w, names)))


def explain_parts(
    owner: str,
    kind: str,
    parts: Sequence[Part],
    source: str,
    part_model: PartModel | None,
    *,
    config: Any = None,
    inputs: Sequence[Shape] | None = None,
    names: Mapping[int, str] | None = None,
) -> tuple[Explained, list[LayerRow]]:
    """The formula of a layer no rule covers, as the sum of its parts, and a row per part.

    Args:
        owner: the layer's name.
        kind: its class name.
        parts: what its source measured (`Part`).
        source: who measured them, for notes (``"Keras"``, ``"the weights file"``).
        part_model: evaluates a sublayer that is a Functional or Sequential model.
        config: the layer's arguments, naming its own weights' dimensions.
        inputs: its input shapes (the last axis names a dimension ``n_in``).
        names: sizes already named by an enclosing layer's (or the model's) arguments.
    """
    del owner
    names = {**(names or {}), **dimension_names(config, inputs)}
    rows = [
        _reuse_row(part) if part.reuses else _part_row(part, source, part_model, names)
        for part in parts
    ]
    terms = [Named(r.name, r.formula) if r.kind != VARIABLE else r.formula for r in rows]
    terms = [t for t in terms if int(t)] or [Term(0)]
    formula: Formula = terms[0] if len(terms) == 1 else Sum(tuple(terms))
    sublayers = sum(1 for r in rows if r.kind != VARIABLE)
    own = len(rows) - sublayers
    counted = f"{sublayers} sublayer{'s' * (sublayers != 1)}"
    counted += f" and {own} weight{'s' * (own != 1)} of its own" if own else ""
    head = f"no rule for {kind}" if kind != UNNAMED else f"{source} does not name its class"
    note = f"{head}: explained from its parts ({counted}, measured by {source})"
    if not rows:
        note = f"no rule for {kind}: it holds no weights"
    weights = tuple(w for r in rows for w in r.weights)
    explained = all(r.explained for r in rows)
    trainable = sum(r.trainable for r in rows)
    return Explained(formula, weights, (), (), note, trainable=trainable, explained=explained), rows
