"""The Keras adapter: turn a live Keras model into the model graph, and verify against it.

Like einops' backends, it only looks at Keras when Keras is already imported
(a Keras model can't exist otherwise), and imports it inside functions that
need it, so ``import cnnexplain`` never loads TensorFlow.

The graph comes from the model's own nodes, serialized layer by layer as
``Functional.get_config()`` does, so a layer whose ``get_config()`` raises
costs only its own config, not the model's. Then each layer's node gets what
Keras measured (`Measured`): its built weights, its output shape at each call
and, for a layer no rule covers, its parts (tracked sublayers with their
configs and build shapes, and the weights it creates itself). Evaluation
reads only that graph.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from cnnexplain._breakdown import Breakdown, LayerRow
from cnnexplain._errors import SpecError, VerificationError
from cnnexplain._graph.evaluate import explain_graph
from cnnexplain._graph.model import (
    DATA_KEYWORDS,
    LayerNode,
    Measured,
    ModelGraph,
    Part,
    TensorRef,
    all_refs,
    parse_model,
)
from cnnexplain._graph.parts import VARIABLE, explain_parts
from cnnexplain._rules.registry import find_rule
from cnnexplain._shapes import Shape, Weight

__all__ = [
    "build_keras_model",
    "check_rows",
    "check_totals",
    "explain_keras",
    "is_keras_model",
    "verify_against",
]

_SOURCE = "Keras"


def is_keras_model(obj: object) -> bool:
    """True for a Keras 3 model, checked without importing Keras."""
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(obj, keras.Model)


def _model_class(model: Any) -> str:
    import keras  # noqa: PLC0415
    from keras.src.models.functional import Functional  # noqa: PLC0415

    if isinstance(model, keras.Sequential):
        return "Sequential"
    if isinstance(model, Functional):
        return "Functional"
    return "Subclassed"


def _shape(value: Any) -> Shape:
    return tuple(None if d is None else int(d) for d in value)


def _unique(weights: list[Any]) -> list[Any]:
    seen: dict[int, Any] = {}
    for w in weights:
        seen.setdefault(id(w), w)
    return list(seen.values())


def _size(weights: list[Any]) -> int:
    return sum(math.prod(int(d) for d in w.shape) for w in _unique(weights))


def _outputs(layer: Any, call: int = 0) -> tuple[Shape, ...] | None:
    nodes = getattr(layer, "_inbound_nodes", None) or []
    if not nodes:
        return None
    node = nodes[min(call, len(nodes) - 1)]
    return tuple(_shape(t.shape) for t in node.outputs)


def _weights(layer: Any) -> tuple[Weight, ...]:
    if not _sublayers(layer):  # its own variables only: no need to walk the tracker
        trainable = bool(layer.trainable)
        own = [*layer._trainable_variables, *layer._non_trainable_variables]  # noqa: SLF001
        return tuple(
            Weight(str(w.name), _shape(w.shape), trainable and bool(w.trainable))  # type: ignore[arg-type]
            for w in _unique(own)
        )
    trainable_ids = {id(w) for w in layer.trainable_weights}
    return tuple(
        Weight(str(w.name), _shape(w.shape), id(w) in trainable_ids)  # type: ignore[arg-type]
        for w in _unique(layer.weights)
    )


def _is_shape(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(
        d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in value
    )


def _build_shapes(layer: Any) -> tuple[Shape, ...] | None:
    """The input shapes a layer was built for (``get_build_config()``), in call order."""
    try:
        config = layer.get_build_config()
    except Exception:  # noqa: BLE001 - a user's override may raise anything
        return None
    if not isinstance(config, Mapping):
        return None
    value = config.get("input_shape")
    if _is_shape(value):
        return (_shape(value),)
    if isinstance(value, (list, tuple)) and value and all(_is_shape(v) for v in value):
        return tuple(_shape(v) for v in value)
    shapes = config.get("shapes_dict")
    if isinstance(shapes, Mapping) and all(_is_shape(v) for v in shapes.values()):
        names = [str(k).removesuffix("_shape") for k in shapes]
        keys = list(shapes)
        if all(n in DATA_KEYWORDS for n in names):
            keys = sorted(keys, key=lambda k: DATA_KEYWORDS.index(str(k).removesuffix("_shape")))
        return tuple(_shape(shapes[k]) for k in keys)
    return None


def _serialize(op: Any) -> tuple[dict[str, Any], bool]:
    """An op's entry in a model config, and whether its config could be read at all."""
    from keras.src.saving import serialization_lib  # noqa: PLC0415

    try:
        entry = dict(serialization_lib.serialize_keras_object(op))
    except Exception:  # noqa: BLE001 - a user's get_config may raise anything
        # the integer arguments the layer keeps as attributes name its weights' sizes
        config = {k: v for k, v in _int_attributes(op).items() if k not in _BASE_ATTRIBUTES}
        config.update(name=op.name, trainable=bool(getattr(op, "trainable", True)))
        module = type(op).__module__
        return {"module": module, "class_name": type(op).__name__, "config": config}, False
    entry["class_name"] = type(op).__name__  # GroupedQueryAttention, not its alias
    return entry, True


_BASE_ATTRIBUTES = frozenset({"name", "trainable", "built"})


def _int_attributes(op: Any) -> dict[str, int]:
    """The public integer attributes of a layer whose ``get_config`` fails (its sizes)."""
    found = getattr(op, "__dict__", {})
    return {
        str(k): v
        for k, v in found.items()
        if not str(k).startswith("_") and isinstance(v, int) and not isinstance(v, bool)
    }


def _base(layer: Any) -> str | None:
    """The nearest Keras class with a rule that ``layer``'s class derives from."""
    for cls in type(layer).__mro__[1:]:
        if cls.__module__.startswith("keras.") and find_rule(cls.__name__) is not None:
            return cls.__name__
    return None


def _sublayers(layer: Any) -> list[Any]:
    return _unique(list(getattr(layer, "_layers", None) or []))


class _Live:
    """Builds the graph of a live model and attaches what Keras measured to its nodes."""

    def __init__(self) -> None:
        self.ops: dict[int, dict[str, tuple[Any, list[int]]]] = {}
        self.owners: dict[int, str] = {}
        """Each variable (by identity, as Keras's ``count_params``) and the path of the
        layer counted first with it: a later layer holding it reuses it."""

    # --- the config, layer by layer ----------------------------------------------------------

    def entry(self, op: Any) -> dict[str, Any]:
        import keras  # noqa: PLC0415
        from keras.src.models.functional import Functional  # noqa: PLC0415

        if isinstance(op, keras.Sequential):
            config = self.sequential(op)
        elif isinstance(op, Functional):
            config = self.functional(op)
        else:
            return _serialize(op)[0]
        return {"module": "keras", "class_name": type(op).__name__, "config": config}

    def functional(self, model: Any) -> dict[str, Any]:
        """``Functional.get_config()``, each layer serialized on its own."""
        from keras import tree  # noqa: PLC0415
        from keras.src.models.functional import Functional, serialize_node  # noqa: PLC0415
        from keras.src.ops.function import make_node_key  # noqa: PLC0415

        own = model._nodes  # noqa: SLF001
        reindex: dict[str, int] = {}
        kept: dict[str, tuple[Any, list[int]]] = {}
        layers = []
        for op in model.operations:
            count = 1 if isinstance(op, Functional) else 0
            indices = []
            nodes = []
            for i, node in enumerate(op._inbound_nodes):  # noqa: SLF001
                key = make_node_key(op, i)
                if key in own:
                    reindex[key] = count
                    count += 1
                    data = _node_data(node, own, serialize_node)
                    if data is not None:
                        indices.append(i)
                        nodes.append(data)
            kept[op.name] = (op, indices)
            entry = self.entry(op)
            entry["name"] = op.name
            entry["inbound_nodes"] = nodes
            layers.append(entry)
        self.ops[id(model)] = kept

        def ref(tensor: Any) -> list[Any]:
            op, index, out = tensor._keras_history  # noqa: SLF001
            return [op.name, reindex[make_node_key(op, index)], out]

        return {
            "name": model.name,
            "trainable": bool(model.trainable),
            "layers": layers,
            "input_layers": tree.map_structure(ref, model._inputs_struct),  # noqa: SLF001
            "output_layers": tree.map_structure(ref, model._outputs_struct),  # noqa: SLF001
        }

    def sequential(self, model: Any) -> dict[str, Any]:
        """``Sequential.get_config()``, each layer serialized on its own."""
        layers = []
        kept: dict[str, tuple[Any, list[int]]] = {}
        functional = getattr(model, "_functional", None)
        own = functional._nodes if functional is not None else None  # noqa: SLF001
        from keras.src.ops.function import make_node_key  # noqa: PLC0415

        for layer in model._layers:  # noqa: SLF001 - the InputLayer included
            entry = self.entry(layer)
            entry["name"] = layer.name
            entry["build_config"] = layer.get_build_config() if layer.built else None
            layers.append(entry)
            nodes = range(len(layer._inbound_nodes))  # noqa: SLF001
            indices = [i for i in nodes if own is None or make_node_key(layer, i) in own]
            kept[layer.name] = (layer, indices[:1])
        self.ops[id(model)] = kept
        config: dict[str, Any] = {
            "name": model.name,
            "trainable": bool(model.trainable),
            "layers": layers,
        }
        if functional is not None:
            config["build_input_shape"] = model._layers[0].batch_shape  # noqa: SLF001
        return config

    # --- what Keras measured -----------------------------------------------------------------

    def attach(self, graph: ModelGraph, model: Any, prefix: str = "") -> None:
        """Give each node of ``graph`` what Keras measured of its layer in ``model``.

        Layers are visited in ``model.layers`` order, nested models in place, so a
        variable belongs to the first layer holding it; a later layer whose
        weights all belong to others (an embedding called again in reverse) is
        measured as reusing them.
        """
        kept = self.ops.get(id(model), {})
        for node in graph.layers:
            if node.name not in kept or node.class_name == "InputLayer":
                continue
            op, indices = kept[node.name]
            outputs = {}
            for k, i in enumerate(indices):
                outs = op._inbound_nodes[i].outputs  # noqa: SLF001
                outputs[k] = tuple(_shape(t.shape) for t in outs)
            if node.operation:
                for k, outs in outputs.items():
                    node.recorded.update({(k, j): s for j, s in enumerate(outs)})
                continue
            path = f"{prefix}{node.name}"
            if node.model is not None:
                self.attach(node.model, op, f"{path}/")
                continue
            owner = self.owner(_unique(op.weights))
            if owner:
                node.measured = Measured(_SOURCE, _weights(op), outputs, reuses=owner)
                continue
            node.measured = self.measure(op, outputs, path)

    def owner(self, weights: list[Any]) -> str:
        """The layer counted first with all of ``weights``, or "" if one of them is new."""
        if not weights or any(id(w) not in self.owners for w in weights):
            return ""
        return self.owners[id(weights[0])]

    def own(self, weights: list[Any], path: str) -> None:
        for w in weights:
            self.owners.setdefault(id(w), path)

    def measure(self, layer: Any, outputs: dict[int, tuple[Shape, ...]], path: str) -> Measured:
        kind = type(layer).__name__
        parts = None
        ruled = find_rule(kind) is not None
        if not ruled or _sublayers(layer):  # a wrapper may wrap a custom layer
            parts = self.parts(layer, path, trainable=bool(layer.trainable))
        self.own(_unique(layer.weights), path)
        return Measured(_SOURCE, _weights(layer), outputs, parts, None if ruled else _base(layer))

    def parts(self, layer: Any, path: str, *, trainable: bool) -> tuple[Part, ...]:
        """A layer's own weights, then a part per tracked sublayer (each weight once)."""
        found = []
        own = [*layer._trainable_variables, *layer._non_trainable_variables]  # noqa: SLF001
        for v in own:
            if id(v) in self.owners:
                continue
            weight = Weight(str(v.name), _shape(v.shape), trainable and bool(v.trainable))  # type: ignore[arg-type]
            self.owners[id(v)] = path or weight.name  # the layer, or the model's own weight
            found.append(Part(weight.name, None, weights=(weight,)))
        for sub in _sublayers(layer):
            where = f"{path}/{sub.name}" if path else sub.name
            part = self.part(sub, where, trainable=trainable and bool(sub.trainable))
            if part is not None:
                found.append(part)
        return tuple(found)

    def part(self, layer: Any, path: str, *, trainable: bool) -> Part | None:
        import keras  # noqa: PLC0415
        from keras.src.models.functional import Functional  # noqa: PLC0415

        kind = type(layer).__name__
        every = _unique(layer.weights)
        fresh = [w for w in every if id(w) not in self.owners]
        trainable_ids = {id(w) for w in layer.trainable_weights} if trainable else set()
        if every and not fresh:  # tied to (or tracked by) a layer counted already
            owner = self.owners[id(every[0])]
            if owner == path:
                return None  # the same sublayer tracked twice by this layer
            weights = tuple(Weight(str(w.name), _shape(w.shape)) for w in every)  # type: ignore[arg-type]
            return Part(layer.name, kind, weights=weights, reuses=owner)
        weights = tuple(
            Weight(str(w.name), _shape(w.shape), id(w) in trainable_ids)  # type: ignore[arg-type]
            for w in fresh
        )
        if isinstance(layer, (keras.Sequential, Functional)):
            graph = self.graph(layer, f"{path}/")
            return Part(layer.name, kind, weights=weights, model=graph)
        entry, _ = _serialize(layer)
        config = entry.get("config") or {}
        shapes = _build_shapes(layer)
        base = _base(layer)
        if find_rule(kind) is not None or base is not None:
            self.own(fresh, path)
            return Part(layer.name, kind, config, shapes, weights, None, None, None, base)
        parts = self.parts(layer, path, trainable=trainable)
        return Part(layer.name, kind, config, shapes, weights, _spec_outputs(layer, shapes), parts)

    def graph(self, model: Any, prefix: str = "") -> ModelGraph:
        kind = _model_class(model)
        config = self.sequential(model) if kind == "Sequential" else self.functional(model)
        graph = parse_model(kind, config)
        self.attach(graph, model, prefix)
        return graph


def _node_data(node: Any, own: Any, serialize_node: Any) -> dict[str, Any] | None:
    """A node's recorded call, as ``serialize_node``, or only its tensors if that fails."""
    try:
        data: dict[str, Any] | None = serialize_node(node, own_nodes=own)
    except Exception:  # noqa: BLE001 - a call argument Keras cannot serialize
        from keras.src.ops.function import make_node_key  # noqa: PLC0415

        if not node.input_tensors:
            return None
        args = []
        for x in node.input_tensors:
            op, index, out = x._keras_history  # noqa: SLF001
            skipped = sum(make_node_key(op, i) not in own for i in range(index))
            history = [op.name, index - skipped, out]
            args.append({"class_name": "__keras_tensor__", "config": {
                "shape": list(x.shape), "keras_history": history}})  # fmt: skip
        return {"args": args, "kwargs": {}}
    return data


def _spec_outputs(layer: Any, shapes: tuple[Shape, ...] | None) -> tuple[Shape, ...] | None:
    """A custom sublayer's output shapes, as Keras computes them for its build shapes."""
    if not shapes:
        return None
    import keras  # noqa: PLC0415

    try:
        spec = layer.compute_output_spec(*[keras.KerasTensor(s) for s in shapes])
        flat = keras.tree.flatten(spec)
        return tuple(_shape(t.shape) for t in flat)
    except Exception:  # noqa: BLE001 - tracing a user's call may raise anything
        return None


def explain_keras(model: Any, *, verify: bool = True, expand: bool = False) -> Breakdown:
    """Explain a built Keras model; verify every row against it unless told not to."""
    kind = _model_class(model)
    if kind == "Subclassed":
        breakdown = _subclassed(model, expand=expand)
    else:
        try:
            graph = _Live().graph(model)
        except (KeyError, IndexError, TypeError, AttributeError, ValueError) as err:
            if isinstance(err, SpecError):
                raise
            raise SpecError(
                f"Model '{model.name}' ({type(model).__name__}): cnnexplain cannot read its "
                f"graph from Keras ({type(err).__name__}: {err}); please report it with the "
                "code that builds the model."
            ) from err
        breakdown = explain_graph(graph, expand=expand, source=model)
    check_totals(breakdown, model)  # even unverified: a wrong total is never returned
    found = check_rows(breakdown, model) if verify else {}
    tolerate = frozenset(found)
    return replace(
        breakdown,
        rows=_marked(breakdown.rows, found),
        _verifier=lambda b: verify_against(b, model, tolerate),
    )


def _subclassed(model: Any, *, expand: bool) -> Breakdown:
    """A subclassed model has no graph: its rows are its parts, sublayers and own weights."""
    if not model.built:
        raise SpecError(
            f"Model '{model.name}' ({type(model).__name__}) is not built, so its weights do "
            "not exist yet; call it on a batch or build it first."
        )
    live = _Live()
    parts = live.parts(model, "", trainable=bool(model.trainable))
    _, rows = explain_parts(model.name, type(model).__name__, parts, _SOURCE, _part_model)
    shapes = _build_shapes(model) or ()
    outputs = _spec_outputs(model, shapes) or ()
    return Breakdown(model.name, tuple(rows), shapes, outputs, expand, source=model)


def _part_model(
    graph: ModelGraph, inputs: tuple[Shape, ...] | None
) -> tuple[list[LayerRow], list[Shape | list[Shape]]]:
    from cnnexplain._graph.evaluate import evaluate  # noqa: PLC0415

    del inputs
    rows, _, outputs = evaluate(graph)
    return rows, list(outputs)


class _Verifier:
    """Each row against its layer, counting each variable once, in row order (as Keras does).

    A row is expected to hold its layer's variables that no earlier row counted:
    a layer reusing another's weights (a tied embedding) is expected to add 0.
    ``strict`` raises at the first difference; otherwise each differing row is
    recorded once (``found``: row path to sentence) and checking goes on.
    """

    def __init__(self, *, strict: bool, tolerate: frozenset[str] = frozenset()) -> None:
        self.strict = strict
        self.tolerate = tolerate
        self.counted: set[int] = set()
        self.found: dict[str, str] = {}

    def check(self, path: str, row: LayerRow, what: str, expected: object, got: object) -> None:
        if expected == got or path in self.tolerate:
            return
        if self.strict:
            raise VerificationError(row.name, what, expected, got)
        self.found.setdefault(path, f"Keras reports {what} {expected}, cnnexplain computes {got}")

    def fresh(self, weights: list[Any]) -> int:
        return sum(math.prod(int(d) for d in w.shape) for w in weights if id(w) not in self.counted)

    def row(self, path: str, row: LayerRow, layer: Any) -> None:
        every = _unique(list(layer.weights))  # never count_params(): an unbuilt layer raises
        self.check(path, row, "params", self.fresh(every), row.params)
        trainable = _unique(list(layer.trainable_weights))
        self.check(path, row, "trainable params", self.fresh(trainable), row.trainable)
        shapes = [
            tuple(_shape(t.shape) for t in node.outputs)
            for node in getattr(layer, "_inbound_nodes", None) or []
        ]
        expected = [s[0] if len(s) == 1 else list(s) for s in shapes]
        known = row.output_shape not in ((), [])  # an unknown shape is shown as unknown
        if known and expected and row.output_shape not in expected:  # one of its calls' shapes
            self.check(path, row, "output_shape", expected[0], row.output_shape)
        if row.children:
            self.rows(row.children, layer, f"{path}/")
        self.counted.update(id(w) for w in every)

    def rows(self, rows: tuple[LayerRow, ...], container: Any, prefix: str = "") -> None:
        """Each row against the layer (or weight) of ``container`` it names."""
        import keras  # noqa: PLC0415

        # One dict of the layers by name: ``model.get_layer`` rebuilds and scans
        # ``model.layers`` on every call, which made verification quadratic.
        if isinstance(container, keras.Model):
            members = [*container.layers, *_sublayers(container)]
        else:
            members = _sublayers(container)
        layers = {layer.name: layer for layer in members}
        own = [*container._trainable_variables, *container._non_trainable_variables]  # noqa: SLF001
        variables: dict[str, Any] = {}
        for v in _unique([*own, *container.weights]):  # its own weight first, by name
            variables.setdefault(str(v.name), v)
        for row in rows:
            path = f"{prefix}{row.name}"
            if row.kind == VARIABLE and row.name in variables:
                variable = variables[row.name]
                self.check(path, row, "params", self.fresh([variable]), row.params)
                self.counted.add(id(variable))
                continue
            layer = layers.get(row.name)
            if layer is None:
                self.check(path, row, "presence", "no such layer", "a row")
                continue
            self.row(path, row, layer)


def check_rows(b: Breakdown, model: Any) -> dict[str, str]:
    """Every row's disagreement with ``model``, by row path (none: an empty dict)."""
    verifier = _Verifier(strict=False)
    verifier.rows(b.rows, model)
    return verifier.found


def check_totals(b: Breakdown, model: Any) -> None:
    """The total and trainable counts against the weights ``model`` holds, each once.

    Raises:
        VerificationError: if either differs.
    """
    total = _size(list(model.weights))
    if total != b.total:
        raise VerificationError(f"model {b.name}", "total params", total, b.total)
    trainable = _size(model.trainable_weights)
    if trainable != b.trainable:
        raise VerificationError(f"model {b.name}", "trainable params", trainable, b.trainable)


def verify_against(b: Breakdown, model: Any, tolerate: frozenset[str] = frozenset()) -> None:
    """Compare every row (params, trainable, output shape) and the totals with ``model``.

    Args:
        b: the breakdown.
        model: the Keras model it explains.
        tolerate: paths of rows already marked with their disagreement (not raised again).

    Raises:
        VerificationError: at the first figure that differs.
    """
    _Verifier(strict=True, tolerate=tolerate).rows(b.rows, model)
    check_totals(b, model)


def _marked(
    rows: tuple[LayerRow, ...], found: Mapping[str, str], prefix: str = ""
) -> tuple[LayerRow, ...]:
    """The rows with each disagreement with Keras appended to its row's note."""
    out = []
    for row in rows:
        path = f"{prefix}{row.name}"
        children = _marked(row.children, found, f"{path}/") if row.children else row.children
        marked = row
        if path in found:
            note = "; ".join(n for n in (row.note, found[path]) if n)
            counts = not found[path].startswith("Keras reports output_shape")
            marked = replace(row, note=note, explained=row.explained and not counts)
        out.append(replace(marked, children=children) if children is not row.children else marked)
    return tuple(out)


def build_keras_model(graph: ModelGraph) -> Any:
    """Build in Keras the model a parsed config describes (used to verify specs).

    Raises:
        SpecError: naming the layer when Keras refuses its configuration.
    """
    import keras  # noqa: PLC0415

    tensors: dict[TensorRef, Any] = {
        ref: keras.Input(batch_shape=graph.input_shapes[ref[0]], name=ref[0])
        for ref in graph.inputs
    }
    built = []
    pending = [n for n in graph.layers if n.class_name != "InputLayer"]
    while pending:
        waiting = []
        for node in pending:
            ready = all(r in tensors for r in _needs(node) if r[0] != node.name)
            if not ready:
                waiting.append(node)
                continue
            layer = _keras_layer(keras, node)
            built.append(layer)
            for k in range(len(node.calls)):
                try:
                    out = _invoke(layer, node, k, tensors)
                except (ValueError, TypeError, KeyError) as err:
                    raise SpecError(
                        f"Layer '{node.name}' ({node.class_name}): Keras refuses it: {err}",
                        layer=node.name,
                    ) from err
                outs = out if isinstance(out, (list, tuple)) else [out]
                for j, o in enumerate(outs):
                    tensors[(node.name, k, j)] = o
        if len(waiting) == len(pending):
            raise SpecError(
                f"Model '{graph.name}': layers {', '.join(n.name for n in waiting)} "
                "take inputs that no layer produces."
            )
        pending = waiting
    if graph.class_name == "Sequential":
        (ref,) = graph.inputs
        return keras.Sequential(
            [keras.Input(batch_shape=graph.input_shapes[ref[0]], name=ref[0]), *built],
            name=graph.name,
            trainable=graph.trainable,
        )
    model = keras.Model(
        [tensors[r] for r in graph.inputs], [tensors[r] for r in graph.outputs], name=graph.name
    )
    model.trainable = graph.trainable
    return model


def _needs(node: LayerNode) -> list[TensorRef]:
    """Every tensor the layer's calls take, masks and states included."""
    if len(node.call_args) == len(node.calls):
        return [r for args, kwargs in node.call_args for r in all_refs(args, kwargs)]
    return [r for call in node.calls for r in call]


def _substitute(value: Any, tensors: dict[TensorRef, Any]) -> Any:
    """The recorded call arguments with each tensor reference replaced by its Keras tensor."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            name, call, index = value["config"]["keras_history"]
            return tensors[(str(name), int(call), int(index))]
        return {k: _substitute(v, tensors) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_substitute(v, tensors) for v in value)
    return value


def _invoke(layer: Any, node: LayerNode, k: int, tensors: dict[TensorRef, Any]) -> Any:
    """Call ``layer`` as the config records its ``k``-th call (positional and keyword tensors)."""
    if len(node.call_args) == len(node.calls):
        args, kwargs = node.call_args[k]
        return layer(*_substitute(list(args), tensors), **_substitute(dict(kwargs), tensors))
    ins = [tensors[r] for r in node.calls[k]]
    return layer(ins[0] if len(ins) == 1 else ins)


_RENAMED = {"GroupedQueryAttention": "GroupQueryAttention"}
"""Classes whose ``get_config`` name differs from their ``keras.layers`` name."""


def _keras_layer(keras: Any, node: LayerNode) -> Any:
    if node.model is not None:
        return build_keras_model(node.model)
    cls = getattr(keras.layers, _RENAMED.get(node.class_name, node.class_name), None)
    if cls is None:
        raise SpecError(
            f"Layer '{node.name}': keras.layers has no class {node.class_name}.", layer=node.name
        )
    try:
        layer = cls.from_config(dict(node.config))
    except (ValueError, TypeError) as err:
        raise SpecError(
            f"Layer '{node.name}' ({node.class_name}): Keras refuses its arguments: {err}",
            layer=node.name,
        ) from err
    layer.trainable = node.trainable
    return layer
