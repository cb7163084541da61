"""Spec models: `Sequential` and the functional `Model`, their configs and their breakdowns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cnnexplain._breakdown import Breakdown
from cnnexplain._errors import SpecError
from cnnexplain.spec._layer import Input, InputLayer, Layer, Tensor, _check_unique, _snake


class Model(Layer):
    """A functional model: ``spec.Model(inputs, outputs, name=...)``, as ``keras.Model``."""

    class_name = "Functional"

    def __init__(
        self,
        inputs: Tensor | Sequence[Tensor],
        outputs: Tensor | Sequence[Tensor],
        name: str | None = None,
        *,
        trainable: bool = True,
    ) -> None:
        super().__init__(name=name, trainable=trainable)
        where = f"Model '{name or 'functional'}'"
        for argument, value in (("inputs", inputs), ("outputs", outputs)):
            items = [value] if isinstance(value, Tensor) else value
            tensors = isinstance(items, (list, tuple)) and all(isinstance(t, Tensor) for t in items)
            if not tensors:
                raise SpecError(
                    f"{where}: {argument} must be a spec tensor (from spec.Input or a layer's "
                    f"call) or a list of them. Received: {argument}={value!r}.",
                    argument=argument,
                )
        self.inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        self.outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
        _check_unique(self._members(), where)

    def _members(self) -> list[Layer]:
        """Layers reachable from the outputs, inputs first, in call order."""
        order: list[Layer] = []
        seen: set[int] = set()

        def visit(layer: Layer) -> None:
            if id(layer) in seen:
                return
            seen.add(id(layer))
            for call in layer.calls:
                for t in call:
                    visit(t.layer)
            order.append(layer)

        for t in self.inputs:
            visit(t.layer)
        for t in self.outputs:
            visit(t.layer)
        return order

    def named_layers(self) -> list[tuple[str, Layer]]:
        """The layers Keras's ``model.layers`` lists (inputs first), each with its name."""
        members = self._members()
        names = _names(members)
        return [(names[id(layer)], layer) for layer in members]

    def config(self, name: str | None = None) -> dict[str, Any]:
        """The Keras-format config (``get_config()`` of the Keras model)."""
        members = self._members()
        names = _names(members)
        calls = {id(layer): list(range(len(layer.calls))) for layer in members}

        def ref(t: Tensor) -> list[Any]:
            return [names[id(t.layer)], t.call, t.index]

        layers = []
        for layer in members:
            inbound: list[dict[str, Any]] = [
                {
                    "args": [_tensor(ref(t)) for t in call]
                    if layer.spread
                    else [[_tensor(ref(t)) for t in call]]
                    if len(call) > 1
                    else [_tensor(ref(call[0]))],
                    "kwargs": {},
                }
                for call in (layer.calls[i] for i in calls[id(layer)])
            ]
            layers.append(
                {
                    "class_name": layer.class_name,
                    "name": names[id(layer)],
                    "config": layer.config(names[id(layer)]),
                    "inbound_nodes": inbound,
                }
            )
        return {
            "name": name or self.name or "functional",
            "trainable": self.trainable,
            "layers": layers,
            "input_layers": [ref(t) for t in self.inputs],
            "output_layers": [_output_ref(ref(t), t.layer) for t in self.outputs],
        }

    def get_config(self) -> dict[str, Any]:
        """Alias of `config` named as in Keras."""
        return self.config()

    def explain(self, *, verify: bool = False, expand: bool = False) -> Breakdown:
        """The breakdown of this model; with ``verify`` it is built in Keras and compared."""
        from cnnexplain._graph.evaluate import explain_graph  # noqa: PLC0415
        from cnnexplain._graph.model import parse_model  # noqa: PLC0415
        from cnnexplain._live.keras import build_keras_model, verify_against  # noqa: PLC0415

        graph = parse_model(self.class_name, self.config())

        def verifier(b: Breakdown) -> None:
            verify_against(b, build_keras_model(graph))

        breakdown = explain_graph(graph, expand=expand, source=self, verifier=verifier)
        if verify:
            breakdown.verify()
        return breakdown


def _output_ref(ref: list[Any], layer: Layer) -> list[Any]:
    """Keras 3 counts a nested Functional's calls from 1 in ``output_layers`` (0 is its own)."""
    if isinstance(layer, Model) and not isinstance(layer, Sequential):
        return [ref[0], ref[1] + 1, ref[2]]
    return ref


class Sequential(Model):
    """A linear stack of layers: ``spec.Sequential([spec.Input(...), ...], name=...)``.

    As in Keras, layers can also be added one by one, and the first layer may
    declare the input with ``input_shape=`` (or ``input_dim=``) instead of `Input`:

    Examples:
        >>> from cnnexplain import explain, spec
        >>> model = spec.Sequential(name="stack")
        >>> model.add(spec.Dense(16, input_shape=(8,), name="hidden"))
        >>> model.add(spec.Dense(1, name="out"))
        >>> explain(model).total
        161
    """

    class_name = "Sequential"

    def __init__(
        self,
        layers: Sequence[Layer | Tensor] | None = None,
        name: str | None = None,
        *,
        trainable: bool = True,
    ) -> None:
        Layer.__init__(self, name=name, trainable=trainable)
        self.stack: list[Layer] = []
        """The layers in order, the `InputLayer` first when the model has its input."""
        if layers is not None and not isinstance(layers, (list, tuple)):
            raise SpecError(
                f"Sequential '{name or 'sequential'}': layers must be a list of spec layers. "
                f"Received: layers of type {type(layers).__name__}.",
                argument="layers",
            )
        for item in layers or ():
            self.add(item)
        self.inputs, self.outputs = [], []

    @property
    def layers(self) -> list[Layer]:
        """The layers in order, the `InputLayer` first when there is one (``stack``)."""
        return self.stack

    def named_layers(self) -> list[tuple[str, Layer]]:
        """The layers Keras's ``model.layers`` lists (no `InputLayer`), each with its name."""
        names = _names(self.stack)
        return [(names[id(x)], x) for x in self.stack if not isinstance(x, InputLayer)]

    def add(self, layer: Layer | Tensor) -> None:
        """Add a layer on top, as ``keras.Sequential.add``; an `Input` tensor gives its layer."""
        where = f"Sequential '{self.name or 'sequential'}'"
        item = layer
        if isinstance(layer, Tensor):
            layer = layer.layer
        if not isinstance(layer, Layer):
            raise SpecError(f"{where}: every item must be a spec layer. Received: {item!r}.")
        has_input = bool(self.stack) and isinstance(self.stack[0], InputLayer)
        if isinstance(layer, InputLayer) and has_input:
            shape = tuple(self.stack[0].kwargs["batch_shape"])
            raise SpecError(
                f"{where} already has an input of shape {shape}; it cannot take another. "
                f"Received: {item!r}."
            )
        if not self.stack and layer.input_shape_arg is not None:
            self.stack.append(Input(layer.input_shape_arg).layer)
        _check_unique([*self.stack, layer], where)
        self.stack.append(layer)

    def config(self, name: str | None = None) -> dict[str, Any]:
        """The Keras-format config (``get_config()`` of the Keras model)."""
        names = _names(self.stack)
        layers = []
        for layer in self.stack:
            entry: dict[str, Any] = {
                "class_name": layer.class_name,
                "config": layer.config(names[id(layer)]),
            }
            if isinstance(layer, Model):
                entry["config"] = layer.config(names[id(layer)])
            layers.append(entry)
        return {
            "name": name or self.name or "sequential",
            "trainable": self.trainable,
            "layers": layers,
        }


def _tensor(ref: list[Any]) -> dict[str, Any]:
    return {"class_name": "__keras_tensor__", "config": {"keras_history": ref}}


def _names(layers: Sequence[Layer]) -> dict[int, str]:
    """Each layer's name: its own, or Keras-style ``conv2d``, ``conv2d_1``... per model."""
    taken = {layer.name for layer in layers if layer.name}
    names: dict[int, str] = {}
    counts: dict[str, int] = {}
    for layer in layers:
        if layer.name:
            names[id(layer)] = layer.name
            continue
        base = "input_layer" if isinstance(layer, InputLayer) else _snake(layer.class_name)
        if isinstance(layer, Sequential):
            base = "sequential"
        elif isinstance(layer, Model):
            base = "functional"
        while True:
            n = counts.get(base, 0)
            counts[base] = n + 1
            candidate = base if n == 0 else f"{base}_{n}"
            if candidate not in taken:
                break
        taken.add(candidate)
        names[id(layer)] = candidate
    return names
