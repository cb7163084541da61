"""A torch module as plain data, and its rows: what the torch adapter measured, explained.

The adapter (`cnnexplain._live.torch`) runs the module once and records, for each
submodule, its class, stored arguments, own parameters (shape, trainable,
where a tied tensor was first counted), buffers and the shapes of each call.
This module turns that tree into `LayerRow` values without importing torch:
each row's count comes from the module's torch rule, or, for a custom module,
from its children plus its own parameters (a named product of each shape).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from cnnexplain._breakdown import LayerRow
from cnnexplain._errors import SpecError
from cnnexplain._formula import Formula, Product, Sum, Term, total_of
from cnnexplain._framework import Framework
from cnnexplain._rules.protocol import Explained, LayerArgs, NoRule, Weight, fmt_shape
from cnnexplain._rules.registry import find_torch_rule
from cnnexplain._shapes import Shape

__all__ = ["CONTAINERS", "OWN_PARAMETERS", "Call", "ModuleNode", "Named", "evaluate_tree"]

CONTAINERS = frozenset({"Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"})
OWN_PARAMETERS = "(parameters)"
"""The name of the row holding a module's own ``nn.Parameter`` s beside its children."""


@dataclass(frozen=True)
class Call:
    """One call of a module: the shapes of its tensor inputs and outputs, its plain arguments.

    ``kwargs`` holds the keyword arguments that are plain data (numbers, strings,
    tuples) and, under ``"args"``, the positional ones (None for a tensor).
    """

    inputs: tuple[Shape, ...]
    outputs: tuple[Shape, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class ModuleNode:
    """One module of the tree, as measured (no torch object in it).

    Attributes:
        name: its attribute name in the parent (``conv1``, ``0``).
        path: its dotted path from the root (``layer1.0.conv1``), as ``get_submodule`` takes it.
        class_name: its class's name (``Conv2d``).
        config: its stored arguments (public attributes) and parameter slots.
        parameters: the parameters its row covers, named relative to it, each once.
        shared: parameter name → where the same tensor was first counted (tied weights).
        buffers: its buffers (never counted).
        calls: each call's shapes, in order.
        children: its child modules in registration order.
        same_as: the path of the first occurrence when this module object appears twice.
        ruled_as: the torch.nn class whose rule counts it (its own, or the nearest
            ruled ancestor's when its parameters are that ancestor's), None without one.
        own_forward: a subclass counted by an ancestor's rule that overrides ``forward``:
            its shapes are its own, recorded, not the rule's.
        sizes: the int sizes it stores (its attributes, then a config object's), which
            name the dimensions of weights no rule explains.
    """

    name: str
    path: str
    class_name: str
    config: dict[str, Any]
    parameters: tuple[Weight, ...] = ()
    shared: dict[str, str] = field(default_factory=dict)
    buffers: tuple[Weight, ...] = ()
    calls: list[Call] = field(default_factory=list)
    children: list[ModuleNode] = field(default_factory=list)
    same_as: str | None = None
    ruled_as: str | None = None
    own_forward: bool = False
    sizes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Named(Formula):
    """A tensor's count as the product of its shape, labelled: ``pos_emb: 64·128``."""

    label: str
    inner: Formula

    def evaluate(self) -> int:
        """The product of the shape."""
        return self.inner.evaluate()

    def _render(self, style: Any, *, compact: bool) -> str:
        inner = self.inner._render(style, compact=compact)  # noqa: SLF001
        if style.startswith("latex"):
            label = self.label.replace("_", r"\_")
            return rf"\mathrm{{{label}}}{{:}}\ {inner}"
        return f"{self.label}: {inner}"


def shape_product(weight: Weight) -> Formula:
    """``pos_emb: 64·128``: a tensor's count named by the tensor."""
    dims = [Term(d) for d in weight.shape] or [Term(1)]
    return Named(weight.name, dims[0] if len(dims) == 1 else Product(tuple(dims)))


def _own_formula(weights: tuple[Weight, ...]) -> Formula:
    if not weights:
        return Term(0)
    parts = [shape_product(w) for w in weights]
    return parts[0] if len(parts) == 1 else Sum(tuple(parts))


def _shape_of(shapes: tuple[Shape, ...]) -> Shape | list[Shape]:
    if not shapes:
        return ()
    return shapes[0] if len(shapes) == 1 else list(shapes)


def _buffers_note(buffers: tuple[Weight, ...]) -> str:
    if not buffers:
        return ""
    listed = ", ".join(f"{b.name} {b.shape}" for b in buffers)
    return f"buffers (not parameters, never counted): {listed}"


def _packed(result: Explained, sizes: dict[str, int]) -> Explained:
    """A recurrent rule's result for a PackedSequence input: its output is packed too.

    The rule read the padded shape the sequence stands for; torch's output
    sequence is a PackedSequence whose data holds the real steps only.
    """
    sequence, *rest = result.outputs
    data = (sizes["steps"], *sequence[2:])
    line = (
        f"PackedSequence of {sizes['batch']} sequences (longest {sizes['longest']}, "
        f"{sizes['steps']} steps in all): output data {fmt_shape(data)}"
    )
    macs, counted = result.macs, "MACs counted for the padded length (an upper bound)"
    longest = sizes["longest"]
    if macs is not None and int(macs) % longest == 0:  # every step costs the same
        # the real steps of all sequences: the row counts the whole batch at once
        macs = Term(sizes["steps"], "S") * Term(int(macs) // longest, "MACs per step")
        counted = f"MACs counted for the {sizes['steps']} real steps of all sequences"
    note = "; ".join(
        n
        for n in (
            result.note,
            f"input is a PackedSequence: shapes read as padded to the longest sequence, {counted}",
        )
        if n
    )
    return replace(
        result,
        outputs=(data, *rest),
        shape_steps=(*result.shape_steps, line),
        note=note,
        macs=macs,
    )


class _Evaluate:
    def __init__(self, *, ran: bool = True) -> None:
        self.ran = ran
        """Whether the module was run on an input (else every count is from arguments)."""
        self.scopes: list[dict[str, int]] = []
        """The sizes of the modules being evaluated, outermost first."""

    def _sizes(self, node: ModuleNode) -> dict[str, int]:
        """The sizes in scope at ``node``, nearest first: its own, then its ancestors'."""
        found: dict[str, int] = {}
        for sizes in (node.sizes, *reversed(self.scopes)):
            for key, value in sizes.items():
                found.setdefault(key, value)
        return found

    def _recognised(
        self, node: ModuleNode, kept: tuple[Weight, ...], *, beside: bool = False
    ) -> Any:
        """``kept`` recognised from their weights; ``beside`` children, not the module's input."""
        from cnnexplain._graph.torch_blocks import recognise  # noqa: PLC0415 - it reads Named

        inputs = node.calls[0].inputs if node.calls else ()
        sizes = self._sizes(node)
        if not beside and inputs and inputs[0] and isinstance(inputs[0][-1], int):
            sizes.setdefault("d", inputs[0][-1])  # the input's feature axis
        return recognise(kept, sizes, node.config, inputs, beside=beside)

    def _uncalled(self) -> str:
        return "not called on this input: counted from its arguments, shapes unknown" * self.ran

    def _static(self, node: ModuleNode) -> Explained | None:
        from cnnexplain._graph.torch_static import from_arguments  # noqa: PLC0415 - it reads Call

        rule = find_torch_rule(node.ruled_as) if node.ruled_as else None
        if rule is None or node.ruled_as is None:
            return None
        path = node.path or node.class_name
        return from_arguments(rule, path, node.ruled_as, node.config, node.parameters)

    def node(self, node: ModuleNode) -> LayerRow:  # noqa: C901, PLR0911 - one case per kind
        if node.same_as is not None:
            return self._shared(node)
        rule = find_torch_rule(node.ruled_as) if node.ruled_as else None
        if rule is not None and node.calls and node.own_forward:
            static = self._static(node)
            if static is not None:
                why = "its own forward(): counted from its arguments, output shape recorded"
                return self._ruled(node, static, why)
        if rule is not None and node.ruled_as is not None and node.calls:
            try:
                result = rule(
                    LayerArgs(node.path or node.class_name, node.ruled_as, node.config),
                    list(node.calls[0].inputs),
                )
            except (SpecError, NoRule) as err:
                static = self._static(node)
                if static is not None:
                    why = f"its rule could not read this call ({err}): counted from its arguments"
                    return self._ruled(node, static, why)
                return self._measured(node, f"its rule could not read this call: {err}")
            packed = node.calls[0].kwargs.get("packed")
            return self._ruled(node, _packed(result, packed) if packed else result)
        if node.children:
            return self._container(node)
        if rule is not None:
            static = self._static(node)
            if static is not None:
                return self._ruled(node, static, self._uncalled())
            if not node.parameters:
                return self._row(node, formula=Term(0), trainable=0, notes=[self._uncalled()])
            why = "never called in the forward pass" if self.ran else "no input given"
            return self._measured(node, f"{why}, and its arguments don't give its parameters")
        if node.parameters:
            return self._parts(node, f"no rule for {node.class_name}")
        return self._measured(node, f"no rule for {node.class_name}")

    def _row(self, node: ModuleNode, **kw: Any) -> LayerRow:
        call = node.calls[0] if node.calls else Call((), ())
        defaults: dict[str, Any] = {
            "name": node.name,
            "kind": node.class_name,
            "output_shape": _shape_of(call.outputs),
            "input_shape": _shape_of(call.inputs),
            "calls": max(len(node.calls), 1),
            "config": node.config,
            "buffers": node.buffers,
            "framework": Framework.TORCH,
        }
        defaults.update(kw)
        params = int(defaults["formula"])
        defaults.setdefault("params", params)
        defaults.setdefault("non_trainable", params - defaults["trainable"])
        notes = [n for n in defaults.pop("notes", []) if n]
        lazy = node.config.get("lazy")
        if lazy:
            notes.insert(
                0,
                f"{lazy}: its shapes inferred from the input on a materialised meta copy "
                f"(your module stays uninitialised); torch makes it a {node.class_name}",
            )
        if len(node.calls) > 1:
            notes.append(f"called {len(node.calls)} times: its parameters count once")
        defaults["note"] = "; ".join(notes)
        return LayerRow(**defaults)

    def _ruled(self, node: ModuleNode, result: Explained, why: str = "") -> LayerRow:
        held = {w.name for w in node.parameters}
        if held != {w.name for w in result.weights}:
            from cnnexplain._graph.torch_blocks import with_weight_norm  # noqa: PLC0415

            result = with_weight_norm(result, node.parameters, node.config) or result
        if held != {w.name for w in result.weights}:  # parameters the rule doesn't know
            listed = ", ".join(sorted(held))
            return self._parts(
                node,
                f"it holds other parameters than a plain {node.class_name} ({listed}), "
                "as torch.nn.utils.weight_norm leaves it",
            )
        frozen = {w.name for w in node.parameters if not w.trainable}
        weights = tuple(replace(w, trainable=w.name not in frozen) for w in result.weights)
        formula = result.formula
        notes = [why, result.note]
        if node.ruled_as != node.class_name:
            notes.insert(
                0, f"a subclass of torch.nn.{node.ruled_as}: counted by {node.ruled_as}'s rule"
            )
        kept = tuple(w for w in weights if w.name not in node.shared)
        if len(kept) != len(weights):
            formula = _own_formula(kept)
            for name, where in node.shared.items():
                notes.append(f"{name} is the same tensor as {where} (tied), counted there")
        if frozen:
            notes.append(f"frozen (requires_grad=False): {', '.join(sorted(frozen))}")
        notes.append(_buffers_note(result.buffers or node.buffers))
        return self._row(
            node,
            formula=formula,
            trainable=sum(w.size for w in kept if w.trainable),
            **({"output_shape": _shape_of(result.outputs)} if result.outputs else {}),
            shape_steps=result.shape_steps,
            weights=kept,
            buffers=result.buffers or node.buffers,
            macs=result.macs,
            family=result.family,
            window=result.window,
            notes=notes,
        )

    def _own(self, node: ModuleNode) -> tuple[tuple[Weight, ...], list[str]]:
        kept = tuple(w for w in node.parameters if w.name not in node.shared)
        notes = [
            f"{n} is the same tensor as {w} (tied), counted there" for n, w in node.shared.items()
        ]
        return kept, notes

    def _parts(self, node: ModuleNode, why: str) -> LayerRow:
        kept, notes = self._own(node)
        found = self._recognised(node, kept)
        if found is not None:
            return self._row(
                node,
                formula=found.formula,
                from_shapes=found.from_shapes,
                trainable=sum(w.size for w in kept if w.trainable),
                weights=kept,
                macs=found.macs,
                notes=[
                    found.note,
                    self._uncalled() if not node.calls else "",
                    *notes,
                    _buffers_note(node.buffers),
                ],
            )
        return self._row(
            node,
            formula=_own_formula(kept),
            from_shapes=sum(w.size for w in kept),
            trainable=sum(w.size for w in kept if w.trainable),
            weights=kept,
            notes=[
                (
                    f"{why}: its own parameters, each the product of its shape; "
                    "output shape recorded from the forward pass"
                ),
                *notes,
                _buffers_note(node.buffers),
            ],
        )

    def _measured(self, node: ModuleNode, why: str) -> LayerRow:
        if node.children:
            row = self._container(node)
            return replace(row, note="; ".join(n for n in (row.note, why) if n))
        kept, notes = self._own(node)
        return self._row(
            node,
            formula=_own_formula(kept),
            from_shapes=sum(w.size for w in kept),
            trainable=sum(w.size for w in kept if w.trainable),
            weights=kept,
            explained=not kept,
            notes=[f"{why}: count from its parameters' shapes, shape recorded", *notes],
        )

    def _container(self, node: ModuleNode) -> LayerRow:
        self.scopes.append(node.sizes)
        try:
            children = [self.node(c) for c in node.children]
        finally:
            self.scopes.pop()
        own, notes = self._own(node)
        if own:
            children.append(self.own_row(node, own, notes))
        notes = []
        if node.class_name not in CONTAINERS:
            notes.append("custom module: the sum of its children and own parameters")
        notes.append(_buffers_note(node.buffers))
        return self._row(
            node,
            formula=total_of([c.formula for c in children]),
            trainable=sum(c.trainable for c in children),
            children=tuple(children),
            notes=notes,
        )

    def own_row(self, node: ModuleNode, own: tuple[Weight, ...], notes: list[str]) -> LayerRow:
        """The row of a module's own ``nn.Parameter`` s, held beside its children."""
        found = self._recognised(node, own, beside=True)
        if found is not None:
            return LayerRow(
                name=OWN_PARAMETERS,
                kind="Parameter",
                params=int(found.formula),
                trainable=sum(w.size for w in own if w.trainable),
                non_trainable=sum(w.size for w in own if not w.trainable),
                output_shape=(),
                formula=found.formula,
                weights=own,
                from_shapes=found.from_shapes,
                note="; ".join(
                    [f"parameters held by {node.class_name} itself", found.note, *notes]
                ),
                framework=Framework.TORCH,
                macs=Term(0),
                config={"dtype": node.config.get("dtype")},
            )
        return LayerRow(
            name=OWN_PARAMETERS,
            kind="Parameter",
            params=int(_own_formula(own)),
            trainable=sum(w.size for w in own if w.trainable),
            non_trainable=sum(w.size for w in own if not w.trainable),
            output_shape=(),
            formula=_own_formula(own),
            weights=own,
            from_shapes=sum(w.size for w in own),
            note="; ".join(
                [
                    f"parameters held by {node.class_name} itself, each the product of its shape",
                    *notes,
                ]
            ),
            framework=Framework.TORCH,
            macs=Term(0),
            config={"dtype": node.config.get("dtype")},
        )

    def _shared(self, node: ModuleNode) -> LayerRow:
        return self._row(
            node,
            formula=Term(0),
            trainable=0,
            macs=Term(0) if not node.parameters else None,
            notes=[f"shared: the same module as {node.same_as}, its parameters counted there"],
        )


def evaluate_tree(root: ModuleNode, *, ran: bool = True) -> list[LayerRow]:
    """The rows of a module tree: one per top-level child (or the root alone if it has none).

    ``ran`` is False when the module was not run (no input given): no module is
    then said to be left uncalled.
    """
    run = _Evaluate(ran=ran)
    if not root.children:
        return [replace(run.node(root), name=root.class_name)]
    run.scopes.append(root.sizes)
    rows = [run.node(child) for child in root.children]
    own, notes = run._own(root)  # noqa: SLF001
    if own:
        rows.append(run.own_row(root, own, notes))
    return rows
