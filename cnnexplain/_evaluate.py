"""Run the rules over a model graph: shapes flow through the calls, rows come out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cnnexplain._breakdown import Breakdown, LayerRow
from cnnexplain._errors import SpecError
from cnnexplain._formula import Term, total_of
from cnnexplain._graph import LayerNode, ModelGraph, TensorRef
from cnnexplain._rules import LayerArgs, find_rule
from cnnexplain._rules._base import Explained, NoRule, Weight
from cnnexplain._rules.operations import operation
from cnnexplain._shapes import Shape

__all__ = ["Fallback", "Measured", "evaluate", "explain_graph"]


@dataclass(frozen=True)
class Measured:
    """What an outside source (a live Keras layer, a weights file) says of a layer without rule."""

    params: int
    trainable: int
    outputs: tuple[Shape, ...]
    weights: tuple[Weight, ...] = ()
    source: str = "Keras"
    """Where the figures come from, for the row's note ("Keras", "the weights file")."""


Fallback = Callable[[tuple[str, ...], int, list[Shape]], Measured | None]
"""Given a layer's path, call index and input shapes, what is known of it, or None."""


def _row_shape(shapes: tuple[Shape, ...] | list[Shape]) -> Shape | list[Shape]:
    return shapes[0] if len(shapes) == 1 else list(shapes)


def _input_shapes(graph: ModelGraph, inputs: list[Shape] | None) -> dict[TensorRef, Shape]:
    """The model's own input shapes, or those it is called with (nested model)."""
    if inputs is not None and len(inputs) != len(graph.inputs):
        raise SpecError(
            f"Model '{graph.name}' takes {len(graph.inputs)} inputs but is called "
            f"with {len(inputs)}."
        )
    shapes: dict[TensorRef, Shape] = {}
    for i, ref in enumerate(graph.inputs):
        if ref[0] not in graph.input_shapes:
            raise SpecError(f"Model '{graph.name}': input '{ref[0]}' is not an Input layer.")
        shapes[ref] = graph.input_shapes[ref[0]] if inputs is None else inputs[i]
    return shapes


class _Run:
    def __init__(self, fallback: Fallback | None) -> None:
        self.fallback = fallback

    def model(
        self, graph: ModelGraph, inputs: list[Shape] | None, path: tuple[str, ...]
    ) -> tuple[list[LayerRow], list[Shape]]:
        shapes = _input_shapes(graph, inputs)
        first: dict[str, tuple[Explained, list[Shape], list[LayerRow]]] = {}
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
                result, children = self.call(node, k, ins, (*path, node.name))
                for j, out in enumerate(result.outputs):
                    shapes[(node.name, k, j)] = out
                first.setdefault(node.name, (result, ins, children))
            if len(waiting) == len(pending):
                node, k = waiting[0]
                missing = [r[0] for r in node.calls[k] if r not in shapes]
                raise SpecError(
                    f"Layer '{node.name}' ({node.class_name}) in model '{graph.name}' takes "
                    f"inputs that no layer produces: {', '.join(missing)}."
                )
            pending = waiting
        rows = [
            self.row(node, *first[node.name])
            for node in graph.layers
            if node.class_name != "InputLayer" and not node.operation and node.name in first
        ]
        outputs = []
        for ref in graph.outputs:
            if ref not in shapes:
                raise SpecError(f"Model '{graph.name}': output '{ref[0]}' is never computed.")
            outputs.append(shapes[ref])
        return rows, outputs

    def call(
        self, node: LayerNode, k: int, ins: list[Shape], path: tuple[str, ...]
    ) -> tuple[Explained, list[LayerRow]]:
        if node.model is not None:
            children, outs = self.model(node.model, ins, path)
            formula = total_of([c.formula for c in children])
            return Explained(formula, (), tuple(outs), ()), children
        if node.operation:
            return operation(node, k, ins), []
        rule = find_rule(node.class_name)
        what = node.class_name
        if rule is not None:
            try:
                return rule(LayerArgs(node.name, node.class_name, node.config), ins), []
            except NoRule as missing:
                what = missing.what
        measured = self.fallback(path, k, ins) if self.fallback else None
        if measured is None:
            raise SpecError(
                f"Layer '{node.name}' ({node.class_name}): no rule for {what}, "
                "and no Keras model or weights to read its count from."
            )
        symbol = f"params({node.class_name})"
        note = f"no rule for {what}: count and shape taken from {measured.source}"
        result = Explained(
            Term(measured.params, symbol),
            measured.weights,
            measured.outputs,
            (),
            note,
            trainable=measured.trainable,
            explained=False,
        )
        return result, []

    def row(
        self, node: LayerNode, result: Explained, ins: list[Shape], children: list[LayerRow]
    ) -> LayerRow:
        explained = result.explained
        params = int(result.formula)
        if children:
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
            output_shape=_row_shape(result.outputs),
            formula=result.formula,
            shape_steps=result.shape_steps,
            weights=result.weights,
            children=tuple(children),
            note="; ".join(notes),
            explained=explained,
            calls=len(node.calls),
            input_shape=_row_shape(ins) if ins else (),
            config=node.config,
        )


def evaluate(
    graph: ModelGraph, fallback: Fallback | None = None
) -> tuple[list[LayerRow], list[Shape], list[Shape]]:
    """Rows, input shapes and output shapes of a model graph.

    Raises:
        SpecError: naming the layer and argument when the graph is invalid.
    """
    run = _Run(fallback)
    rows, outputs = run.model(graph, None, ())
    inputs = [graph.input_shapes[r[0]] for r in graph.inputs]
    return rows, inputs, outputs


def explain_graph(
    graph: ModelGraph,
    fallback: Fallback | None = None,
    *,
    expand: bool = False,
    source: Any = None,
    verifier: Callable[[Breakdown], None] | None = None,
) -> Breakdown:
    """The `Breakdown` of a model graph, remembering its source and how to verify it."""
    rows, inputs, outputs = evaluate(graph, fallback)
    return Breakdown(
        graph.name,
        tuple(rows),
        tuple(inputs),
        tuple(outputs),
        expand,
        source=source,
        _verifier=verifier,
    )
