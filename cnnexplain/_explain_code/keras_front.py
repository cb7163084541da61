"""Keras as the user's code sees it in `explain_code`: module objects backed by `cnnexplain.spec`.

``keras``, ``keras.layers``, ``keras.models``, ``keras.optimizers``... and the same
under ``tensorflow.keras`` are plain module objects built here, handed to the
user's code by a scoped ``__import__`` (the real ``sys.modules`` is never touched).
Layers *are* spec's layer classes; models are spec models with Keras's training
methods added (``summary``, ``count_params``, ``compile``, ``fit``...), which run
nothing: each checks its arguments as Keras 3 does (`cnnexplain._explain_code.keras_calls`) and
records what Keras would reject or warn about, with Keras's own message, as a
`KerasNote`.

What cannot be modeled raises `CodeError` (the caller adds the user's line).
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Callable, Sequence
from typing import Any

from cnnexplain import spec
from cnnexplain._breakdown import Breakdown, LayerRow
from cnnexplain._errors import CodeError
from cnnexplain._explain_code import keras_calls as calls
from cnnexplain._explain_code.keras_calls import FILENAME, KerasNote, Session, active, user_line
from cnnexplain._explain_code.stand_in import StandInModule
from cnnexplain.spec._catalogue import ALIASES

__all__ = [
    "FILENAME",
    "KerasNote",
    "LayerView",
    "Model",
    "Sequential",
    "Session",
    "active",
    "build_tree",
    "import_hook",
    "layer_names",
    "user_line",
]

# ---------------------------------------------------------------------------
# Models


class _Trainer:
    """Keras's model methods on a spec model: counts come from cnnexplain, nothing trains."""

    def _explained(self) -> Breakdown:
        if not isinstance(self, spec.Model):  # pragma: no cover - mixed into spec models only
            raise TypeError(f"{type(self).__name__} is not a model")
        return self.explain()

    def _register(self) -> None:
        if isinstance(self, spec.Model):
            calls.session().models.append((calls.user_line(), self))

    def summary(self, *args: Any, **kwargs: Any) -> None:
        """Print cnnexplain's table: Keras's summary with formulas and shape arithmetic."""
        problem = calls.check_call("Model.summary", calls.SUMMARY, args, kwargs)
        if problem:
            raise CodeError(problem)
        text = self._explained().to_text()
        print_fn = kwargs.get("print_fn")
        if print_fn is not None:
            print_fn(text)
        else:
            calls.session().write(text + "\n")

    def count_params(self) -> int:
        """The model's parameters, as Keras counts them."""
        return self._explained().total

    @property
    def layers(self) -> list[LayerView]:
        """``model.layers`` as Keras 3 lists them (a Sequential's without its InputLayer)."""
        rows = {row.name: row for row in self._explained().rows}
        assert isinstance(self, spec.Model)  # noqa: S101 - a mixin of spec's models only
        return [LayerView(layer, name, rows.get(name)) for name, layer in self.named_layers()]

    def get_layer(self, name: str | None = None, index: int | None = None) -> LayerView:
        """``model.get_layer(name)`` or ``model.get_layer(index=i)``, with Keras's errors."""
        layers = self.layers
        if index is not None and name is not None:
            raise CodeError(
                "ValueError: Provide only a layer name or a layer index. Received: "
                f"index={index}, name={name}."
            )
        if index is not None:
            if len(layers) <= index:
                raise CodeError(
                    f"ValueError: Was asked to retrieve layer at index {index} but model only "
                    f"has {len(layers)} layers."
                )
            return layers[index]
        if name is None:
            raise CodeError(
                "ValueError: Provide either a layer name or layer index at `get_layer`."
            )
        for layer in layers:
            if layer.name == name:
                return layer
        names = [layer.name for layer in layers]
        raise CodeError(f"ValueError: No such layer: {name}. Existing layers are: {names}.")

    @property
    def output_shape(self) -> tuple[int | None, ...] | list[tuple[int | None, ...]]:
        """The output shape, batch axis ``None``, as ``model.output_shape``."""
        shapes = self._explained().output_shapes
        return shapes[0] if len(shapes) == 1 else list(shapes)

    @property
    def input_shape(self) -> tuple[int | None, ...] | list[tuple[int | None, ...]]:
        """The input shape, batch axis ``None``, as ``model.input_shape``."""
        shapes = self._explained().input_shapes
        return shapes[0] if len(shapes) == 1 else list(shapes)

    _compiled: dict[str, Any] | None = None
    """The arguments of the last ``compile()`` Keras would accept (None before one)."""

    def compile(self, *args: Any, **kwargs: Any) -> None:
        """Check the arguments as Keras 3's ``compile()`` does; nothing is compiled."""
        problem = calls.check_call("Trainer.compile", calls.COMPILE, args, kwargs)
        given = {**dict(zip(calls.COMPILE, args, strict=False)), **kwargs}
        problem = problem or calls.metrics_problem(given.get("metrics"))
        if problem:
            calls.session().note("error", problem)
            return
        calls.check_optimizer(given.get("optimizer"))
        self._compiled = given

    def _not_run(
        self,
        qualname: str,
        params: Sequence[str],
        args: Any,
        kwargs: Any,
        *,
        trains: bool = False,
    ) -> None:
        problem = calls.check_call(qualname, params, args, kwargs)
        if not problem and trains:  # the loss and metric names are read only now
            problem = calls.training_problem(self._compiled)
        if problem:
            calls.session().note("error", problem)
        else:
            method = qualname.rsplit(".", 1)[-1]
            calls.session().note("info", f"{method}() accepted; cnnexplain counts without training")

    def fit(self, *args: Any, **kwargs: Any) -> NotTrained:
        """Check the arguments as Keras 3's ``fit()`` does; nothing is trained."""
        self._not_run("TensorFlowTrainer.fit", calls.FIT, args, kwargs, trains=True)
        return NotTrained("fit")

    def evaluate(self, *args: Any, **kwargs: Any) -> NotTrained:
        """Accepted with any keyword, as Keras's ``evaluate()``; nothing is evaluated."""
        del args, kwargs
        problem = calls.training_problem(self._compiled)
        if problem:
            calls.session().note("error", problem)
        else:
            calls.session().note("info", "evaluate() accepted; cnnexplain counts without training")
        return NotTrained("evaluate")

    def predict(self, *args: Any, **kwargs: Any) -> NotTrained:
        """Check the arguments as Keras 3's ``predict()`` does; nothing is predicted."""
        self._not_run("TensorFlowTrainer.predict", calls.PREDICT, args, kwargs)
        return NotTrained("predict")

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Accepted; nothing is saved."""
        del args, kwargs
        calls.session().note("info", "save() accepted; nothing is written")


class _Shaped:
    """A tensor or weight as the user's code reads it here: its shape (and name), no values."""

    def __init__(self, shape: Any, name: str = "") -> None:
        self.shape = shape
        self.name = name

    def __repr__(self) -> str:
        return f"<shape={self.shape}{f', name={self.name}' if self.name else ''}>"


class LayerView:
    """One item of ``model.layers``: the layer's name, count and shapes, from the model's rows.

    Keras 3's layer attributes a learner reads are here (``name``, ``count_params()``,
    ``input.shape``, ``output.shape``, ``weights`` with their shapes, ``trainable``,
    ``get_config()``); reading Keras 2's ``output_shape`` gets Keras 3's own error.
    """

    def __init__(self, layer: spec.Layer, name: str, row: LayerRow | None) -> None:
        self._layer = layer
        self.name = name
        self._row = row
        self.trainable = layer.trainable

    @property
    def _kind(self) -> str:
        return self._row.kind if self._row is not None else self._layer.class_name

    def count_params(self) -> int:
        """The layer's parameters, from its row (an InputLayer has none)."""
        return 0 if self._row is None else self._row.params

    @property
    def output(self) -> _Shaped | list[_Shaped]:
        """The layer's output, ``.shape`` with ``None`` for the batch axis."""
        if self._row is None:  # an InputLayer
            return _Shaped(tuple(self._layer.kwargs["batch_shape"]))
        return _shaped(self._row.output_shape)

    @property
    def input(self) -> _Shaped | list[_Shaped]:
        """The layer's input, ``.shape`` with ``None`` for the batch axis."""
        if self._row is None:
            return _Shaped(tuple(self._layer.kwargs["batch_shape"]))
        return _shaped(self._row.input_shape)

    @property
    def weights(self) -> list[_Shaped]:
        """The layer's weights: their names and shapes (no values are held here)."""
        return [] if self._row is None else [_Shaped(w.shape, w.name) for w in self._row.weights]

    def get_config(self) -> dict[str, Any]:
        """The layer's Keras-format config."""
        return self._layer.config(self.name)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        if attr in ("output_shape", "input_shape"):
            raise CodeError(
                f"AttributeError: '{self._kind}' object has no attribute '{attr}' (Keras 3 "
                f"removed it: read layer.{attr.split('_', maxsplit=1)[0]}.shape)"
            )
        raise CodeError(
            f"layer '{self.name}' ({self._kind}) has no '{attr}' here: cnnexplain holds its "
            "name, count_params(), input, output, weights (shapes, no values), trainable and "
            "get_config()"
        )

    def __repr__(self) -> str:
        return f"<{self._kind} name={self.name}, built=True>"


def _shaped(shape: Any) -> _Shaped | list[_Shaped]:
    return [_Shaped(s) for s in shape] if isinstance(shape, list) else _Shaped(shape)


class NotTrained:
    """What ``fit()``/``evaluate()``/``predict()`` return here: there are no results to read."""

    def __init__(self, method: str) -> None:
        self._method = method

    def __getattr__(self, name: str) -> Any:
        raise CodeError(
            f"{self._method}() ran nothing here (cnnexplain counts parameters without "
            f"training), so its result has no '{name}' to read"
        )


class Sequential(_Trainer, spec.Sequential):  # type: ignore[misc] # layers: views, as Keras
    """``keras.Sequential`` (``keras.models.Sequential``)."""

    def __init__(
        self,
        layers: Sequence[Any] | None = None,
        trainable: bool = True,  # noqa: FBT001, FBT002 - Keras's signature
        name: str | None = None,
    ) -> None:
        super().__init__(layers, name, trainable=trainable)
        self._register()

    def add(self, layer: Any, rebuild: bool = True) -> None:  # noqa: FBT001, FBT002 - Keras's
        """Add a layer on top (``rebuild`` accepted, as in Keras)."""
        del rebuild
        if not self.stack and isinstance(layer, spec.Layer) and layer.input_shape_arg is not None:
            calls.session().note("warning", calls.INPUT_SHAPE_WARNING)
        super().add(layer)

    def build(self, input_shape: Sequence[int | None] | None = None) -> None:
        """Give the model its input, as ``model.build((None, 28, 28, 1))``."""
        if input_shape is None:
            raise CodeError("build() needs the input shape, e.g. build((None, 28, 28, 1))")
        if not (self.stack and isinstance(self.stack[0], spec.InputLayer)):
            self.stack.insert(0, spec.Input(tuple(input_shape)[1:]).layer)


class Model(_Trainer, spec.Model):
    """``keras.Model`` (``keras.models.Model``), the functional form."""

    def __init__(
        self, inputs: Any = None, outputs: Any = None, name: str | None = None, **kw: Any
    ) -> None:
        if inputs is None or outputs is None:
            raise CodeError(
                "cnnexplain models a keras.Model built as keras.Model(inputs, outputs) or "
                "keras.Sequential; a subclassed model (layers created in __init__, used in "
                "call) has no graph to read"
            )
        super().__init__(inputs, outputs, name, trainable=bool(kw.pop("trainable", True)))
        self._register()


def Input(  # noqa: N802, PLR0917 - Keras's name and signature
    shape: Sequence[int | None] | None = None,
    batch_size: int | None = None,
    dtype: Any = None,
    sparse: Any = None,
    batch_shape: Sequence[int | None] | None = None,
    name: str | None = None,
    tensor: Any = None,
    optional: bool = False,  # noqa: FBT001, FBT002
) -> spec.Tensor:
    """``keras.Input``: a model input, the batch axis excluded from ``shape``."""
    del dtype, sparse, tensor, optional
    if batch_shape is not None:
        batch_size, shape = batch_shape[0], tuple(batch_shape)[1:]
    if shape is None:
        raise CodeError("keras.Input needs the input's shape, e.g. keras.Input((28, 28, 1))")
    return spec.Input(shape, batch_size=batch_size, name=name)


def InputLayer(  # noqa: N802 - Keras's name
    shape: Sequence[int | None] | None = None,
    batch_size: int | None = None,
    *,
    batch_shape: Sequence[int | None] | None = None,
    name: str | None = None,
    **kwargs: Any,
) -> spec.Layer:
    """``keras.layers.InputLayer``, as the first layer of a Sequential."""
    del kwargs
    return Input(shape, batch_size, batch_shape=batch_shape, name=name).layer


# ---------------------------------------------------------------------------
# The merging layers' functional forms


def _merging_form(cls: type[spec.Layer]) -> Callable[..., Any]:
    """``keras.layers.add`` and the like: ``Add(**kwargs)(inputs)``, Keras 3's signature."""

    def form(inputs: Any, **kwargs: Any) -> Any:
        return cls(**kwargs)(inputs)

    form.__name__ = form.__qualname__ = cls.__name__.lower()
    form.__doc__ = f"``keras.layers.{form.__name__}(inputs)``: ``{cls.__name__}()(inputs)``."
    return form


def concatenate(inputs: Any, axis: int = -1, **kwargs: Any) -> Any:
    """``keras.layers.concatenate(inputs, axis=-1)``: ``Concatenate(axis=axis)(inputs)``."""
    return spec.Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: Any, axes: Any = -1, **kwargs: Any) -> Any:
    """``keras.layers.dot(inputs, axes=-1)``: ``Dot(axes=axes)(inputs)``."""
    return spec.Dot(axes=axes, **kwargs)(inputs)


def _functional_forms() -> dict[str, Callable[..., Any]]:
    merging = (spec.Add, spec.Subtract, spec.Multiply, spec.Average, spec.Maximum, spec.Minimum)
    forms = {cls.__name__.lower(): _merging_form(cls) for cls in merging}
    return forms | {"concatenate": concatenate, "dot": dot}


# ---------------------------------------------------------------------------
# The module tree


def layer_names() -> dict[str, Any]:
    """``keras.layers`` as cnnexplain models it: spec's layers, their aliases, Input.

    The merging layers' functional forms (``concatenate``, ``add``...) are there too.
    """
    names: dict[str, Any] = {
        name: getattr(spec, name)
        for name in spec.__all__
        if isinstance(getattr(spec, name), type)
        and issubclass(getattr(spec, name), spec.Layer)
        and name not in ("Layer", "Model", "Sequential")
    }
    names.update({alias: names[target] for alias, target in ALIASES.items()})
    names["Input"] = Input
    names["InputLayer"] = InputLayer
    return names | _functional_forms()


class _Inert:
    """A Keras object that never changes a count (an initializer, a loss, a callback...)."""

    def __init__(self, path: str) -> None:
        self._path = path

    def __call__(self, *args: Any, **kwargs: Any) -> _Inert:
        del args, kwargs
        return self

    def __getattr__(self, name: str) -> _Inert:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Inert(f"{self._path}.{name}")

    def __repr__(self) -> str:
        return f"<{self._path}>"


class _InertModule(StandInModule):
    """A module whose every name is `_Inert`: activations, initializers, losses, metrics..."""

    def __init__(self, name: str, names: dict[str, Any] | None = None) -> None:
        super().__init__(name, names or {}, lambda m, a: f"{m}.{a}")

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _Inert(f"{self.__name__}.{attr}")


def _no_layer(module: str, attr: str) -> str:
    close = difflib.get_close_matches(attr, layer_names(), n=1)
    hint = f"did you mean {close[0]}?" if close else "the Layer reference lists the layers it knows"
    return f"{module} has no layer '{attr}' that cnnexplain can model; {hint}"


def _not_here(module: str, attr: str) -> str:
    if module.endswith("datasets"):
        return (
            f"{module}.{attr}: there are no data sets here; cnnexplain counts parameters "
            "without data, so leave out the data loading and training"
        )
    return (
        f"{module}.{attr} is not something cnnexplain can model (it models Keras layers and models)"
    )


_INERT: tuple[str, ...] = (
    *("activations", "initializers", "regularizers", "constraints", "losses", "metrics"),
    *("callbacks", "utils", "backend", "ops", "random", "config"),
)


def build_tree() -> dict[str, types.ModuleType]:
    """``keras.*`` and ``tensorflow.keras.*``, as fresh module objects."""
    layers = layer_names()
    optimizers: dict[str, Any] = {name: calls.optimizer_class(name) for name in calls.OPTIMIZERS}
    optimizers["Optimizer"] = calls.Optimizer
    optimizers["get"] = _optimizer_get
    tree: dict[str, types.ModuleType] = {}
    for root in ("keras", "tensorflow.keras"):
        subs: dict[str, types.ModuleType] = {
            "layers": StandInModule(f"{root}.layers", layers, _no_layer),
            "models": StandInModule(
                f"{root}.models", {"Sequential": Sequential, "Model": Model}, _not_here
            ),
            "optimizers": StandInModule(f"{root}.optimizers", optimizers, _not_here),
            "datasets": StandInModule(f"{root}.datasets", {}, _not_here),
            **{name: _InertModule(f"{root}.{name}") for name in _INERT},
        }
        top = StandInModule(
            root,
            {"Sequential": Sequential, "Model": Model, "Input": Input, "__version__": "3.15.1"}
            | subs,
            _not_here,
        )
        tree[root] = top
        tree.update({f"{root}.{name}": module for name, module in subs.items()})
    tensorflow = _InertModule("tensorflow", {"keras": tree["tensorflow.keras"]})
    tree["tensorflow"] = tensorflow
    return tree


def _optimizer_get(identifier: Any) -> Any:
    calls.check_optimizer(identifier)
    return identifier


def import_hook(
    tree: dict[str, types.ModuleType], real_import: Callable[..., Any]
) -> Callable[..., Any]:
    """An ``__import__`` that serves ``keras`` and ``tensorflow`` from ``tree``, others as usual."""

    def hooked(
        name: str,
        globals: dict[str, Any] | None = None,  # noqa: A002 - __import__'s own names
        locals: dict[str, Any] | None = None,  # noqa: A002
        fromlist: Sequence[str] | None = (),
        level: int = 0,
    ) -> Any:
        top = name.split(".", 1)[0]
        if level == 0 and top in ("keras", "tensorflow", "tf_keras"):
            if name not in tree:
                raise CodeError(
                    f"cnnexplain's Keras has no module '{name}' (it has "
                    f"{', '.join(sorted(n for n in tree if n.startswith('keras')))})"
                )
            return tree[name] if fromlist else tree[top]
        return real_import(name, globals, locals, fromlist, level)

    return hooked
