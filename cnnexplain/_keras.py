"""The Keras adapter: explain a live Keras model and verify a breakdown against one.

Like einops' backends, it only looks at Keras when Keras is already imported
(a Keras model can't exist otherwise), and imports it inside functions that
need it, so ``import cnnexplain`` never loads TensorFlow.
"""

from __future__ import annotations

import math
import sys
from typing import Any

from cnnexplain._breakdown import Breakdown, LayerRow
from cnnexplain._errors import SpecError, VerificationError
from cnnexplain._evaluate import Measured, explain_graph
from cnnexplain._graph import LayerNode, ModelGraph, TensorRef, all_refs, parse_model
from cnnexplain._rules._base import Weight
from cnnexplain._shapes import Shape

__all__ = ["build_keras_model", "explain_keras", "is_keras_model", "verify_against"]


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


def _lookup(model: Any, path: tuple[str, ...]) -> Any:
    layer = model
    for name in path:
        layer = layer.get_layer(name)
    return layer


def _measure(layer: Any, call: int, *, need_shape: bool = True) -> Measured:
    try:
        params = int(layer.count_params())
    except ValueError as err:
        raise SpecError(
            f"Layer '{layer.name}' ({type(layer).__name__}) is not built, so Keras cannot "
            "count its parameters; build the model or call it on an input first."
        ) from err
    outputs = _outputs(layer, call)
    if outputs is None and not need_shape:
        outputs = ((),)
    if outputs is None:
        raise SpecError(
            f"Layer '{layer.name}' ({type(layer).__name__}) has never been called, so its "
            "output shape is unknown; build the model with keras.Input(...)."
        )
    trainable_ids = {id(w) for w in layer.trainable_weights}
    weights = tuple(
        Weight(str(w.name), _shape(w.shape), id(w) in trainable_ids)  # type: ignore[arg-type]
        for w in _unique(layer.weights)
    )
    return Measured(params, _size(layer.trainable_weights), outputs, weights)


def explain_keras(model: Any, *, verify: bool = True, expand: bool = False) -> Breakdown:
    """Explain a built Keras model; verify every row against it unless told not to."""
    kind = _model_class(model)
    if kind == "Subclassed":
        breakdown = _subclassed(model, expand=expand)
    else:
        config = model.get_config()
        graph = parse_model(kind, config)

        def fallback(path: tuple[str, ...], call: int, _inputs: list[Shape]) -> Measured:
            return _measure(_lookup(model, path), call)

        breakdown = explain_graph(
            graph,
            fallback,
            expand=expand,
            source=model,
            verifier=lambda b: verify_against(b, model),
        )
    if verify:
        breakdown.verify()
    return breakdown


def _subclassed(model: Any, *, expand: bool) -> Breakdown:
    """A subclassed model has no graph to read: each layer's row comes from Keras, flagged."""
    rows = []
    for layer in model.layers:
        m = _measure(layer, 0, need_shape=False)
        rows.append(
            LayerRow(
                name=layer.name,
                kind=type(layer).__name__,
                params=m.params,
                trainable=m.trainable,
                non_trainable=m.params - m.trainable,
                output_shape=m.outputs[0] if len(m.outputs) == 1 else list(m.outputs),
                formula=_params_term(m.params, type(layer).__name__),
                weights=m.weights,
                note=f"subclassed model {type(model).__name__}: no graph to read, count from Keras",
                explained=False,
            )
        )
    return Breakdown(
        model.name,
        tuple(rows),
        (),
        (),
        expand,
        source=model,
        _verifier=lambda b: verify_against(b, model),
    )


def _params_term(params: int, kind: str) -> Any:
    from cnnexplain._formula import Term  # noqa: PLC0415

    return Term(params, f"params({kind})")


def _check(row: LayerRow, what: str, expected: object, got: object) -> None:
    if expected != got:
        raise VerificationError(row.name, what, expected, got)


def _verify_row(row: LayerRow, layer: Any) -> None:
    _check(row, "params", int(layer.count_params()), row.params)
    _check(row, "trainable params", _size(layer.trainable_weights), row.trainable)
    outputs = _outputs(layer)
    if outputs is not None:
        expected = outputs[0] if len(outputs) == 1 else list(outputs)
        _check(row, "output_shape", expected, row.output_shape)
    if row.children:
        _verify_rows(row.children, layer)


def _verify_rows(rows: tuple[LayerRow, ...], model: Any) -> None:
    # One dict of the layers by name: ``model.get_layer`` rebuilds and scans
    # ``model.layers`` on every call, which made verification quadratic.
    layers = {layer.name: layer for layer in model.layers}
    for row in rows:
        layer = layers.get(row.name)
        if layer is None:
            raise VerificationError(row.name, "presence", "no such layer", "a row")
        _verify_row(row, layer)


def verify_against(b: Breakdown, model: Any) -> None:
    """Compare every row (params, trainable, output shape) and the totals with ``model``.

    Raises:
        VerificationError: at the first figure that differs.
    """
    _verify_rows(b.rows, model)
    if int(model.count_params()) != b.total:
        raise VerificationError(f"model {b.name}", "total params", model.count_params(), b.total)
    trainable = _size(model.trainable_weights)
    if trainable != b.trainable:
        raise VerificationError(f"model {b.name}", "trainable params", trainable, b.trainable)


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
