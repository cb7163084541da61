"""Keras as the user's code sees it in `explain_code`: module objects backed by `cnnexplain.spec`.

``keras``, ``keras.layers``, ``keras.models``, ``keras.optimizers``... and the same
under ``tensorflow.keras`` are plain module objects built here, handed to the
user's code by a scoped ``__import__`` (the real ``sys.modules`` is never touched).
Layers *are* spec's layer classes; models are spec models with Keras's training
methods added (``summary``, ``count_params``, ``compile``, ``fit``...), which run
nothing: each checks its arguments as Keras 3 does and records what Keras would
reject or warn about, with Keras's own message, as a `KerasNote`.

What cannot be modeled raises `CodeError` (the caller adds the user's line).
"""

from __future__ import annotations

import contextlib
import contextvars
import difflib
import io
import re
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from cnnexplain import spec
from cnnexplain._breakdown import Breakdown
from cnnexplain._errors import CodeError

__all__ = ["FILENAME", "KerasNote", "Session", "active", "build_tree", "import_hook", "user_line"]

FILENAME = "<your code>"
"""The file name the user's code is compiled under: its frames are found by it."""

NoteKind = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class KerasNote:
    """What Keras 3 would say at one line of the code, which `explain_code` runs past.

    Attributes:
        line: the line of the user's code (from 1).
        kind: ``"error"`` (Keras 3 raises: the real run would stop here),
            ``"warning"`` (Keras 3 warns and goes on) or ``"info"`` (accepted,
            nothing run: ``fit()`` trains nothing here).
        message: Keras's own message with its class, e.g. ``ValueError: Argument(s)
            not recognized: {'lr': 0.01}``; for ``"info"``, what was not run.

    Examples:
        >>> from cnnexplain import KerasNote
        >>> print(KerasNote(6, "error", "ValueError: Argument(s) not recognized: {'lr': 0.01}"))
        Line 6: Keras 3 stops here: ValueError: Argument(s) not recognized: {'lr': 0.01}
    """

    line: int
    kind: NoteKind
    message: str

    def __str__(self) -> str:
        lead = {"error": "Keras 3 stops here", "warning": "Keras 3 warns", "info": "not run"}
        return f"Line {self.line}: {lead[self.kind]}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """The note as JSON-ready data."""
        return {"line": self.line, "kind": self.kind, "message": self.message}


@dataclass
class Session:
    """One run of user code: the models it builds, what it prints, what Keras would say."""

    models: list[tuple[int, spec.Model]] = field(default_factory=list)
    notes: list[KerasNote] = field(default_factory=list)
    out: io.StringIO = field(default_factory=io.StringIO)

    def note(self, kind: NoteKind, message: str) -> None:
        self.notes.append(KerasNote(user_line(), kind, message))

    def write(self, text: str) -> None:
        self.out.write(text)


_SESSION: contextvars.ContextVar[Session] = contextvars.ContextVar("cnnexplain_code_session")


def _session() -> Session:
    return _SESSION.get()


def user_line() -> int:
    """The line of the user's code being run (the innermost frame compiled from it)."""
    frame = sys._getframe(1)  # noqa: SLF001 - the only way to find the caller's line
    while frame is not None:
        if frame.f_code.co_filename == FILENAME:
            return frame.f_lineno
        frame = frame.f_back  # type: ignore[assignment]
    return 0


# ---------------------------------------------------------------------------
# Calls checked as Python (and so Keras) checks them


def _check_call(
    qualname: str, params: Sequence[str], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> str | None:
    """Python's TypeError message for calling Keras's ``qualname(self, *params)`` so, or None."""
    source = f"def f(self, {', '.join(f'{p}=None' for p in params)}): pass"
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # noqa: S102 - a signature built from our own names
    stub = namespace["f"]
    stub.__qualname__ = qualname
    try:
        stub(None, *args, **kwargs)
    except TypeError as err:
        message = re.sub(r"^\w+\(\)", f"{qualname}()", str(err))
        # Python 3.14 adds ". Did you mean 'metrics'?": Keras's message as 3.10-3.13 print it.
        return "TypeError: " + re.sub(r"\. Did you mean .*\?$", "", message)
    return None


# Keras 3.15's signatures (tests/test_code.py compares them with Keras's own).
COMPILE = (
    "optimizer",
    "loss",
    "loss_weights",
    "metrics",
    "weighted_metrics",
    "run_eagerly",
    "steps_per_execution",
    "jit_compile",
    "auto_scale_loss",
)
FIT = (
    "x",
    "y",
    "batch_size",
    "epochs",
    "verbose",
    "callbacks",
    "validation_split",
    "validation_data",
    "shuffle",
    "class_weight",
    "sample_weight",
    "initial_epoch",
    "steps_per_epoch",
    "validation_steps",
    "validation_batch_size",
    "validation_freq",
)
PREDICT = ("x", "batch_size", "verbose", "steps", "callbacks")
SUMMARY = (
    "line_length",
    "positions",
    "print_fn",
    "expand_nested",
    "show_trainable",
    "layer_range",
)
_OPTIMIZER_BASE = (
    "weight_decay",
    "clipnorm",
    "clipvalue",
    "global_clipnorm",
    "use_ema",
    "ema_momentum",
    "ema_overwrite_frequency",
    "loss_scale_factor",
    "gradient_accumulation_steps",
    "name",
)
OPTIMIZERS: dict[str, tuple[str, ...]] = {
    "SGD": ("learning_rate", "momentum", "nesterov"),
    "Adam": ("learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad"),
    "RMSprop": ("learning_rate", "rho", "momentum", "epsilon", "centered"),
    "Adagrad": ("learning_rate", "initial_accumulator_value", "epsilon"),
    "Adadelta": ("learning_rate", "rho", "epsilon"),
    "Adamax": ("learning_rate", "beta_1", "beta_2", "epsilon"),
    "Nadam": ("learning_rate", "beta_1", "beta_2", "epsilon"),
    "AdamW": ("learning_rate", "weight_decay", "beta_1", "beta_2", "epsilon", "amsgrad"),
    "Ftrl": (
        "learning_rate",
        "learning_rate_power",
        "initial_accumulator_value",
        "l1_regularization_strength",
        "l2_regularization_strength",
        "l2_shrinkage_regularization_strength",
        "beta",
    ),
    "Lion": ("learning_rate", "beta_1", "beta_2"),
    "Adafactor": (
        "learning_rate",
        "beta_2_decay",
        "epsilon_1",
        "epsilon_2",
        "clip_threshold",
        "relative_step",
    ),
}
"""Each optimizer's own arguments, before those every optimizer takes."""
# keras.optimizers.get() reads these names, any case (Keras's ALL_OBJECTS_DICT).
_OPTIMIZER_NAMES = frozenset(
    {n.lower() for n in OPTIMIZERS}
    | {"optimizer", "muon", "multioptimizer", "optimizermap", "lossscaleoptimizer"}
    | {"schedulefreeadamw"}
)


class Optimizer:
    """A Keras optimizer's arguments, checked as Keras 3 checks them; nothing is trained."""

    params: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = (*self.params, *(p for p in _OPTIMIZER_BASE if p not in self.params))
        given = dict(zip(names, args, strict=False))
        problem = _check_call(f"{type(self).__name__}.__init__", names, args, {})
        if problem:
            _session().note("error", problem)
        unknown = {}
        for key, value in kwargs.items():
            if key in names:
                given[key] = value
            elif key == "decay":
                if value is not None:
                    _session().note(
                        "warning",
                        "UserWarning: Argument `decay` is no longer supported and will be ignored.",
                    )
            else:
                unknown[key] = value
        if unknown:
            _session().note("error", f"ValueError: Argument(s) not recognized: {unknown}")
        self.config = given

    def __repr__(self) -> str:
        return f"<{type(self).__name__} optimizer (not run)>"


def _optimizer(name: str) -> type[Optimizer]:
    return type(name, (Optimizer,), {"params": OPTIMIZERS[name], "__module__": "keras.optimizers"})


def _check_optimizer(identifier: Any) -> None:
    if isinstance(identifier, str) and identifier.lower() not in _OPTIMIZER_NAMES:
        _session().note(
            "error", f"ValueError: Could not interpret optimizer identifier: {identifier}"
        )


# ---------------------------------------------------------------------------
# Models


class _Trainer:
    """Keras's model methods on a spec model: counts come from cnnexplain, nothing trains."""

    def _explained(self) -> Breakdown:
        from cnnexplain._explain import explain  # noqa: PLC0415

        return explain(self)

    def _register(self) -> None:
        if isinstance(self, spec.Model):
            _session().models.append((user_line(), self))

    def summary(self, *args: Any, **kwargs: Any) -> None:
        """Print cnnexplain's table: Keras's summary with formulas and shape arithmetic."""
        problem = _check_call("Model.summary", SUMMARY, args, kwargs)
        if problem:
            raise CodeError(problem)
        text = self._explained().to_text()
        print_fn = kwargs.get("print_fn")
        if print_fn is not None:
            print_fn(text)
        else:
            _session().write(text + "\n")

    def count_params(self) -> int:
        """The model's parameters, as Keras counts them."""
        return self._explained().total

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

    def compile(self, *args: Any, **kwargs: Any) -> None:
        """Check the arguments as Keras 3's ``compile()`` does; nothing is compiled."""
        problem = _check_call("Trainer.compile", COMPILE, args, kwargs)
        if problem:
            _session().note("error", problem)
            return
        optimizer = dict(zip(COMPILE, args, strict=False)).get("optimizer")
        _check_optimizer(kwargs.get("optimizer", optimizer))

    def _not_run(self, qualname: str, params: Sequence[str], args: Any, kwargs: Any) -> None:
        problem = _check_call(qualname, params, args, kwargs)
        if problem:
            _session().note("error", problem)
        else:
            method = qualname.rsplit(".", 1)[-1]
            _session().note("info", f"{method}() accepted; cnnexplain counts without training")

    def fit(self, *args: Any, **kwargs: Any) -> NotTrained:
        """Check the arguments as Keras 3's ``fit()`` does; nothing is trained."""
        self._not_run("TensorFlowTrainer.fit", FIT, args, kwargs)
        return NotTrained("fit")

    def evaluate(self, *args: Any, **kwargs: Any) -> NotTrained:
        """Accepted (Keras's ``evaluate()`` takes any keyword); nothing is evaluated."""
        del args, kwargs
        _session().note("info", "evaluate() accepted; cnnexplain counts without training")
        return NotTrained("evaluate")

    def predict(self, *args: Any, **kwargs: Any) -> NotTrained:
        """Check the arguments as Keras 3's ``predict()`` does; nothing is predicted."""
        self._not_run("TensorFlowTrainer.predict", PREDICT, args, kwargs)
        return NotTrained("predict")

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Accepted; nothing is saved."""
        del args, kwargs
        _session().note("info", "save() accepted; nothing is written")


class NotTrained:
    """What ``fit()``/``evaluate()``/``predict()`` return here: there are no results to read."""

    def __init__(self, method: str) -> None:
        self._method = method

    def __getattr__(self, name: str) -> Any:
        raise CodeError(
            f"{self._method}() ran nothing here (cnnexplain counts parameters without "
            f"training), so its result has no '{name}' to read"
        )


class Sequential(_Trainer, spec.Sequential):
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
        if not self.layers and isinstance(layer, spec.Layer) and layer.input_shape_arg is not None:
            _session().note("warning", INPUT_SHAPE_WARNING)
        super().add(layer)

    def build(self, input_shape: Sequence[int | None] | None = None) -> None:
        """Give the model its input, as ``model.build((None, 28, 28, 1))``."""
        if input_shape is None:
            raise CodeError("build() needs the input shape, e.g. build((None, 28, 28, 1))")
        if not (self.layers and isinstance(self.layers[0], spec.InputLayer)):
            self.layers.insert(0, spec.Input(tuple(input_shape)[1:]).layer)


INPUT_SHAPE_WARNING = (
    "UserWarning: Do not pass an `input_shape`/`input_dim` argument to a layer. When using "
    "Sequential models, prefer using an `Input(shape)` object as the first layer in the "
    "model instead."
)


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
# The module tree


# Keras 3's other names for the same layers (tests/test_code.py checks Keras has each).
_ALIASES = {
    "AvgPool1D": "AveragePooling1D",
    "AvgPool2D": "AveragePooling2D",
    "AvgPool3D": "AveragePooling3D",
    "MaxPool1D": "MaxPooling1D",
    "MaxPool2D": "MaxPooling2D",
    "MaxPool3D": "MaxPooling3D",
    "GlobalAvgPool1D": "GlobalAveragePooling1D",
    "GlobalAvgPool2D": "GlobalAveragePooling2D",
    "GlobalAvgPool3D": "GlobalAveragePooling3D",
    "GlobalMaxPool1D": "GlobalMaxPooling1D",
    "GlobalMaxPool2D": "GlobalMaxPooling2D",
    "GlobalMaxPool3D": "GlobalMaxPooling3D",
    "Convolution1D": "Conv1D",
    "Convolution2D": "Conv2D",
    "Convolution3D": "Conv3D",
    "Convolution1DTranspose": "Conv1DTranspose",
    "Convolution2DTranspose": "Conv2DTranspose",
    "Convolution3DTranspose": "Conv3DTranspose",
    "SeparableConvolution1D": "SeparableConv1D",
    "SeparableConvolution2D": "SeparableConv2D",
}


def layer_names() -> dict[str, Any]:
    """``keras.layers`` as cnnexplain models it: spec's layers, their aliases, Input."""
    names: dict[str, Any] = {
        name: getattr(spec, name)
        for name in spec.__all__
        if isinstance(getattr(spec, name), type)
        and issubclass(getattr(spec, name), spec.Layer)
        and name not in ("Layer", "Model", "Sequential")
    }
    names.update({alias: names[target] for alias, target in _ALIASES.items()})
    names["Input"] = Input
    names["InputLayer"] = InputLayer
    return names


class _Module(types.ModuleType):
    """A module of the fake tree: known names, and one sentence for any other."""

    def __init__(
        self, name: str, names: dict[str, Any], missing: Callable[[str, str], str]
    ) -> None:
        super().__init__(name)
        self.__dict__.update(names)
        self._missing = missing

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise CodeError(self._missing(self.__name__, attr))


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


class _InertModule(_Module):
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
    optimizers: dict[str, Any] = {name: _optimizer(name) for name in OPTIMIZERS}
    optimizers["Optimizer"] = Optimizer
    optimizers["get"] = _optimizer_get
    tree: dict[str, types.ModuleType] = {}
    for root in ("keras", "tensorflow.keras"):
        subs: dict[str, types.ModuleType] = {
            "layers": _Module(f"{root}.layers", layers, _no_layer),
            "models": _Module(
                f"{root}.models", {"Sequential": Sequential, "Model": Model}, _not_here
            ),
            "optimizers": _Module(f"{root}.optimizers", optimizers, _not_here),
            "datasets": _Module(f"{root}.datasets", {}, _not_here),
            **{name: _InertModule(f"{root}.{name}") for name in _INERT},
        }
        top = _Module(
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
    _check_optimizer(identifier)
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


@contextlib.contextmanager
def active(session: Session) -> Iterator[Session]:
    """Make ``session`` the one the fake Keras records into, for the ``with`` block."""
    token = _SESSION.set(session)
    try:
        yield session
    finally:
        _SESSION.reset(token)
