"""Run the rules over a model graph: shapes flow through the calls, rows come out.

Evaluation reads only the graph: a layer's rule, or, for a layer no rule
covers, what its source measured and attached to its node (`Measured`: its
parts, its weights, its output shapes). It never calls back into an adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cnnexplain._breakdown import Breakdown, LayerRow
from cnnexplain._errors import SpecError
from cnnexplain._formula import Formula, Term, total_of
from cnnexplain._graph.model import LayerNode, Measured, ModelGraph, TensorRef
from cnnexplain._graph.parts import (
    derive,
    explain_parts,
    guess_base,
    matches,
    reuse_note,
    weights_formula,
)
from cnnexplain._rules import LayerArgs
from cnnexplain._rules.protocol import Explained, NoRule
from cnnexplain._rules.registry import find_rule
from cnnexplain._shapes import Shape, Weight

__all__ = [
    "CALL_FLAGS",
    "NEEDED_BY",
    "Unknown",
    "UnknownShapeError",
    "evaluate",
    "explain_graph",
    "reused_outputs",
]

NEEDED_BY = "{needed_by}"
"""Where `Measured.unknown` names the layer that needs the unknown shape."""

CALL_FLAGS = ("return_attention_scores",)
"""Call arguments that change a layer's outputs; rules read them with its arguments."""


@dataclass(frozen=True)
class Unknown:
    """An output shape nobody knows: the layer producing it, and why, as a sentence.

    ``sentence`` holds `NEEDED_BY` where the layer that needs the shape goes.
    """

    layer: str
    sentence: str


class UnknownShapeError(SpecError):
    """A layer needs an output shape nobody knows; the breakdown stops there.

    Attributes:
        sentence: the message, starting in lower case, for a caller to prefix.
    """

    def __init__(self, sentence: str, *, layer: str) -> None:
        super().__init__(sentence[:1].upper() + sentence[1:], layer=layer)
        self.sentence = sentence


Value = Shape | Unknown


def _row_shape(shapes: tuple[Value, ...] | list[Value]) -> Shape | list[Shape]:
    known = [() if isinstance(s, Unknown) else s for s in shapes]
    return known[0] if len(known) == 1 else known


def _input_shapes(graph: ModelGraph, inputs: list[Value] | None) -> dict[TensorRef, Value]:
    """The model's own input shapes, or those it is called with (nested model)."""
    if inputs is not None and len(inputs) != len(graph.inputs):
        raise SpecError(
            f"Model '{graph.name}' takes {len(graph.inputs)} inputs but is called "
            f"with {len(inputs)}."
        )
    shapes: dict[TensorRef, Value] = {}
    for i, ref in enumerate(graph.inputs):
        if ref[0] not in graph.input_shapes:
            raise SpecError(f"Model '{graph.name}': input '{ref[0]}' is not an Input layer.")
        shapes[ref] = graph.input_shapes[ref[0]] if inputs is None else inputs[i]
    return shapes


def _flags(node: LayerNode, k: int) -> dict[str, Any]:
    if k >= len(node.call_args):
        return {}
    kwargs = node.call_args[k][1]
    if not isinstance(kwargs, Mapping):
        return {}
    return {key: kwargs[key] for key in CALL_FLAGS if key in kwargs}


@dataclass
class _Call:
    """One call's result: the rule's (or the parts') findings, child rows, output values."""

    result: Explained
    children: list[LayerRow]
    outputs: tuple[Value, ...]


class _Run:
    def model(
        self, graph: ModelGraph, inputs: list[Value] | None
    ) -> tuple[list[LayerRow], list[Value]]:
        shapes = _input_shapes(graph, inputs)
        first: dict[str, tuple[_Call, list[Shape]]] = {}
        pending = [
            (node, k)
            for node in graph.layers
            if node.class_name != "InputLayer"
            for k in range(len(node.calls))
        ]
        while pending:
            waiting = []
            for node, k in pending:
                refs = node.calls[k]
                if not all(r in shapes for r in refs):
                    waiting.append((node, k))
                    continue
                ins = [shapes[r] for r in refs]
                unknown = [v for v in ins if isinstance(v, Unknown)]
                known = [s for s in ins if not isinstance(s, Unknown)]
                done = _blind(node, unknown[0]) if unknown else self.dispatch(graph, node, k, known)
                for j, out in enumerate(done.outputs):
                    shapes[(node.name, k, j)] = out
                first.setdefault(node.name, (done, known))
            if len(waiting) == len(pending):
                node, k = waiting[0]
                missing = [r[0] for r in node.calls[k] if r not in shapes]
                raise SpecError(
                    f"Layer '{node.name}' ({node.class_name}) in model '{graph.name}' takes "
                    f"inputs that no layer produces: {', '.join(missing)}."
                )
            pending = waiting
        rows = [
            _row(node, *first[node.name])
            for node in graph.layers
            if node.class_name != "InputLayer" and not node.operation and node.name in first
        ]
        outputs = []
        for ref in graph.outputs:
            if ref not in shapes:
                raise SpecError(f"Model '{graph.name}': output '{ref[0]}' is never computed.")
            outputs.append(shapes[ref])
        return rows, outputs

    def dispatch(self, graph: ModelGraph, node: LayerNode, k: int, ins: list[Shape]) -> _Call:
        """Call ``k`` of a layer: reusing another layer's weights, or its own."""
        if node.measured is not None and node.measured.reuses:
            return self.reuse(graph, node, k, ins, node.measured)
        return self.call(graph, node, k, ins)

    def call(self, graph: ModelGraph, node: LayerNode, k: int, ins: list[Shape]) -> _Call:
        if node.model is not None:
            rows, outs = self.model(node.model, list(ins))
            formula = total_of([c.formula for c in rows])
            return _Call(Explained(formula, (), (), ()), rows, tuple(outs))
        if node.operation:  # its table is imported for the first model that has one
            from cnnexplain._graph.operations import operation  # noqa: PLC0415

            done = operation(node, k, ins)
            return _Call(done, [], done.outputs)
        rule = find_rule(node.class_name)
        what = node.class_name
        macs = None
        if rule is not None:
            config = {**node.config, **_flags(node, k)}
            try:
                done = rule(LayerArgs(node.name, node.class_name, config), ins)
            except NoRule as missing:
                what, macs = missing.what, missing.macs
            else:
                return _Call(done, [], done.outputs)
        measured = node.measured
        if measured is None or (measured.weights is None and measured.parts is None):
            raise SpecError(
                f"Layer '{node.name}' ({node.class_name}): no rule for {what}, "
                "and no Keras model or weights to read its count from.",
                layer=node.name,
            )
        found = _measured(node, what, measured, ins)
        if found is not None and measured.guess_base:
            return _Call(found, [], found.outputs)
        children: list[LayerRow] = []
        if found is None and measured.parts is not None:
            found, children = explain_parts(
                node.name, what, measured.parts, measured.source, self.part_model,
                config=node.config, inputs=ins,
            )  # fmt: skip
        if found is None:
            found = _flagged(node, what, measured, macs)
        return _Call(found, children, self.outputs(graph, node, k, measured))

    def reuse(
        self, graph: ModelGraph, node: LayerNode, k: int, ins: list[Shape], measured: Measured
    ) -> _Call:
        """A layer whose weights another layer owns: 0 new parameters, the owner named."""
        outputs = reused_outputs(node, k, ins, measured)
        note = reuse_note(measured.reuses, measured.weights or ())
        found = Explained(Term(0), (), (), (), note)
        return _Call(found, [], outputs or self.outputs(graph, node, k, measured))

    def part_model(
        self, graph: ModelGraph, inputs: tuple[Shape, ...] | None
    ) -> tuple[list[LayerRow], list[Shape | list[Shape]]]:
        """A sublayer that is a model, evaluated over its own inputs or those it was built on."""
        rows, outs = self.model(graph, None if inputs is None else list(inputs))
        return rows, [_row_shape([o]) for o in outs]

    @staticmethod
    def outputs(
        graph: ModelGraph, node: LayerNode, k: int, measured: Measured
    ) -> tuple[Value, ...]:
        """The measured output shapes of call ``k``, the unmeasured ones (``()``) as `Unknown`."""
        sentence = measured.unknown or (
            f"layer '{node.name}' ({node.class_name}) has no rule in cnnexplain, and "
            f"{measured.source} does not record its output shape, which {NEEDED_BY} needs; "
            "cnnexplain cannot go past it."
        )
        where = node.name
        if k in measured.outputs:
            return tuple(s or Unknown(where, sentence) for s in measured.outputs[k])
        used = [
            ref[2]
            for other in graph.layers
            for refs in other.calls
            for ref in refs
            if ref[:2] == (node.name, k)
        ]
        used += [ref[2] for ref in graph.outputs if ref[:2] == (node.name, k)]
        return tuple(Unknown(where, sentence) for _ in range(max([*used, 0]) + 1))


def reused_outputs(
    node: LayerNode, k: int, ins: list[Shape], measured: Measured
) -> tuple[Shape, ...] | None:
    """The output shapes of a call of a layer reusing another's weights, where known.

    As measured, else structurally: an embedding called in reverse (``reverse=True``,
    the tied output projection) maps its last axis to ``input_dim``; any other
    call gives the shapes its rule gives.
    """
    if k in measured.outputs and all(measured.outputs[k]):
        return measured.outputs[k]
    kwargs = node.call_args[k][1] if k < len(node.call_args) else {}
    dim = node.config.get("input_dim")
    if isinstance(kwargs, Mapping) and kwargs.get("reverse") is True and len(ins) == 1:
        if isinstance(dim, int) and not isinstance(dim, bool) and ins[0]:
            return ((*ins[0][:-1], dim),)
        return None
    kind = node.class_name if find_rule(node.class_name) else measured.base or ""
    rule = find_rule(kind)
    if rule is None:
        return None
    try:  # a subclass is read as its base class (Conv2D's rank from "Conv2D", not the subclass)
        return rule(LayerArgs(node.name, kind, node.config), ins).outputs
    except (SpecError, NoRule):
        return None


def _blind(node: LayerNode, unknown: Unknown) -> _Call:
    """A layer whose input shape nobody knows, counted from the weights its source holds.

    A Dense after a custom layer whose output shape a file does not record still
    gets ``(n_in+1)·units`` from its kernel's shape; its own output shape is unknown
    too. Without weights to read (a JSON config), the breakdown stops there.

    Raises:
        UnknownShapeError: naming the layer whose output shape is unknown.
    """
    if node.operation:  # ``x * 2`` after it: no weights, its shape unknown as well
        return _Call(Explained(Term(0), (), (), ()), [], (unknown,))
    measured = node.measured
    holds = measured is not None and measured.weights is not None
    holds = holds and bool(measured.weights or measured.parts is not None)  # type: ignore[union-attr]
    if node.model is not None or measured is None or measured.weights is None or not holds:
        sentence = unknown.sentence.replace(NEEDED_BY, f"layer '{node.name}'")
        raise UnknownShapeError(sentence, layer=unknown.layer)
    where = f"its input shape is unknown (the output of '{unknown.layer}')"
    kind = node.class_name if find_rule(node.class_name) else measured.base or node.class_name
    found = _from_weights(node, kind, measured.weights)
    if found is not None:
        note = f"{where}: {kind}'s rule over the shapes of the weights {measured.source} holds"
        result = Explained(found.formula, found.weights, (), (), note)
    elif not measured.weights:
        result = Explained(Term(0), (), (), (), f"{where}; it holds no weights")
    else:
        note = (
            f"{where}: its weights as {measured.source} holds them, each the product of its shape"
        )
        formula = weights_formula(measured.weights)
        result = Explained(formula, measured.weights, (), (), note, explained=False)
    count = max(1, len(measured.outputs.get(0, ())))
    return _Call(result, [], tuple(unknown for _ in range(count)))


def _from_weights(node: LayerNode, kind: str, weights: tuple[Weight, ...]) -> Explained | None:
    """``kind``'s rule over a config and input shape read from the weights' shapes, if exact."""
    derived = derive(kind, weights) if weights else None
    rule = find_rule(kind)
    if derived is None or rule is None:
        return None
    config = {**node.config, **derived[0]}
    try:
        found = rule(LayerArgs(node.name, kind, config), [derived[1]])
    except (SpecError, NoRule):
        return None
    return found if matches(found.weights, weights) else None


def _measured(node: LayerNode, what: str, measured: Measured, ins: list[Shape]) -> Explained | None:
    """A subclass of a class with a rule (``class MyConv(Conv2D)``): its base's rule, if exact."""
    base_name = measured.base
    if base_name is None and measured.guess_base:
        base_name = guess_base(node.config, ins)
    base = find_rule(base_name) if base_name else None
    if base is None or not measured.weights:
        return None
    try:
        found = base(LayerArgs(node.name, str(base_name), node.config), ins)
    except (SpecError, NoRule):
        return None
    if not matches(found.weights, measured.weights):
        return None
    if measured.base:
        article = "an" if str(base_name)[:1] in "AEIOU" else "a"
        note = (
            f"no rule for {what}: {article} {base_name} subclass, explained by {base_name}'s rule"
        )
    else:
        note = (
            f"no rule for {what}: its config and stored weights are those of a {base_name}, "
            f"so {base_name}'s rule counts it"
        )
    return Explained(found.formula, found.weights, found.outputs, found.shape_steps, note)


def _flagged(
    node: LayerNode, what: str, measured: Measured, macs: Formula | None = None
) -> Explained:
    """A layer nobody can account for: its count as measured, flagged unexplained.

    ``macs`` are those the rule could still give (`NoRule.macs`).
    """
    weights = measured.weights or ()
    count = sum(w.size for w in weights)
    detail = f"; {measured.detail}" if measured.detail else ""
    formula = weights_formula(weights) if weights else Term(0, f"params({node.class_name})")
    return Explained(
        formula,
        weights,
        (),
        (),
        f"no rule for {what}: count and shape taken from {measured.source}{detail}",
        trainable=sum(w.size for w in weights if w.trainable) if weights else count,
        explained=False,
        macs=macs,
    )


def _row(node: LayerNode, done: _Call, ins: list[Shape]) -> LayerRow:
    result, children = done.result, done.children
    params = int(result.formula)
    if node.model is not None:
        trainable = sum(c.trainable for c in children)
    elif result.trainable is not None:
        trainable = result.trainable if node.trainable else 0
    else:
        trainable = sum(w.size for w in result.weights if w.trainable) if node.trainable else 0
    notes = [result.note] if result.note else []
    if not node.trainable and params:
        notes.append("frozen (trainable=False): all its parameters are non-trainable")
    if len(node.calls) > 1:
        notes.append(f"shared: called {len(node.calls)} times, its weights count once")
    return LayerRow(
        name=node.name,
        kind=node.class_name,
        params=params,
        trainable=trainable,
        non_trainable=params - trainable,
        output_shape=_row_shape(done.outputs),
        formula=result.formula,
        shape_steps=result.shape_steps,
        weights=result.weights,
        children=tuple(children),
        note="; ".join(notes),
        explained=result.explained,
        calls=len(node.calls),
        input_shape=_row_shape(list(ins)) if ins else (),
        config=node.config,
        macs=result.macs,
        family=result.family,
        window=result.window,
        reuses=node.measured.reuses if node.measured is not None else "",
        from_shapes=0 if result.explained or children else params,
    )


def evaluate(graph: ModelGraph) -> tuple[list[LayerRow], list[Shape], list[Shape]]:
    """Rows, input shapes and output shapes of a model graph.

    Raises:
        SpecError: naming the layer and argument when the graph is invalid.
    """
    rows, outputs = _Run().model(graph, None)
    inputs = [graph.input_shapes[r[0]] for r in graph.inputs]
    return rows, inputs, [() if isinstance(o, Unknown) else o for o in outputs]


def explain_graph(
    graph: ModelGraph,
    *,
    expand: bool = False,
    source: Any = None,
    verifier: Callable[[Breakdown], None] | None = None,
) -> Breakdown:
    """The `Breakdown` of a model graph, remembering its source and how to verify it."""
    rows, inputs, outputs = evaluate(graph)
    return Breakdown(
        graph.name,
        tuple(rows),
        tuple(inputs),
        tuple(outputs),
        expand,
        source=source,
        _verifier=verifier,
    )
