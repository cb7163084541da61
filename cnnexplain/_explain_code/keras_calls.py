"""The Keras 3 calls that run nothing in `explain_code`: their signatures, checks and notes.

``compile()``, ``fit()``, ``predict()``, ``summary()`` and the optimizers take
their arguments as Keras 3.15 does (tests/explain_code/test_code.py compares the signatures
with Keras's own); what Keras would reject or warn about is recorded, with
Keras's message and the user's line, as a `KerasNote` in the current `Session`.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from cnnexplain import _publish

if TYPE_CHECKING:
    from cnnexplain import spec

__all__ = [
    "COMPILE",
    "FILENAME",
    "FIT",
    "INPUT_SHAPE_WARNING",
    "LOSS_NAMES",
    "METRIC_NAMES",
    "NOT_COMPILED",
    "OPTIMIZERS",
    "PREDICT",
    "SUMMARY",
    "KerasNote",
    "Optimizer",
    "Session",
    "active",
    "check_call",
    "check_optimizer",
    "metrics_problem",
    "optimizer_class",
    "session",
    "training_problem",
    "user_line",
]

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
        fix: the change that makes Keras 3 accept the line, when it is known (an
            argument Keras 3 renamed), else empty.

    Examples:
        >>> from cnnexplain import KerasNote
        >>> print(KerasNote(6, "error", "ValueError: Argument(s) not recognized: {'lr': 0.01}"))
        Line 6: Keras 3 stops here: ValueError: Argument(s) not recognized: {'lr': 0.01}
        >>> print(KerasNote(6, "error", "ValueError: bad.", fix="write learning_rate=0.01"))
        Line 6: Keras 3 stops here: ValueError: bad. The fix: write learning_rate=0.01.
    """

    line: int
    kind: NoteKind
    message: str
    fix: str = ""

    def __str__(self) -> str:
        lead = {"error": "Keras 3 stops here", "warning": "Keras 3 warns", "info": "not run"}
        text = f"Line {self.line}: {lead[self.kind]}: {self.message}"
        if not self.fix:
            return text
        return f"{text}{' ' if text.endswith('.') else '. '}The fix: {self.fix}."

    def to_dict(self) -> dict[str, Any]:
        """The note as JSON-ready data (``fix`` only when one is known)."""
        out: dict[str, Any] = {"line": self.line, "kind": self.kind, "message": self.message}
        if self.fix:
            out["fix"] = self.fix
        return out


RENAMED = {
    "lr": "learning_rate",
    "metric": "metrics",
    "nb_epoch": "epochs",
    "output_dim": "units",
}
"""Arguments older Keras (or a typo learners often make) named differently, and Keras 3's name."""


def fix_for(message: str) -> str:
    """The fix for a Keras 3 message about a renamed argument, or an empty string.

    Examples:
        >>> fix_for("ValueError: Argument(s) not recognized: {'lr': 0.01}")
        'write learning_rate=0.01 (Keras 3 renamed lr to learning_rate)'
        >>> fix_for("TypeError: Model.compile() got an unexpected keyword argument 'metric'")
        "write metrics= (Keras's argument is plural: a list such as metrics=['accuracy'])"
    """
    fixes = []
    found = re.search(r"Argument\(s\) not recognized: \{(.*)\}$", message)
    if found:
        for name, value in re.findall(r"'(\w+)': ([^,]+)", found.group(1)):
            if name in RENAMED:
                fixes.append(
                    f"write {RENAMED[name]}={value} (Keras 3 renamed {name} to {RENAMED[name]})"
                )
    keyword = re.search(r"unexpected keyword argument '(\w+)'", message)
    if keyword and keyword.group(1) in RENAMED:
        name, new = keyword.group(1), RENAMED[keyword.group(1)]
        if new == "metrics":
            fixes.append(
                "write metrics= (Keras's argument is plural: a list such as metrics=['accuracy'])"
            )
        else:
            fixes.append(f"write {new}= (Keras 3's name for {name})")
    return "; ".join(fixes)


@dataclass
class Session:
    """One run of user code: the models it builds, what it prints, what Keras would say."""

    models: list[tuple[int, spec.Model]] = field(default_factory=list)
    notes: list[KerasNote] = field(default_factory=list)
    out: io.StringIO = field(default_factory=io.StringIO)

    def note(self, kind: NoteKind, message: str) -> None:
        self.notes.append(KerasNote(user_line(), kind, message, fix_for(message)))

    def write(self, text: str) -> None:
        self.out.write(text)


_SESSION: contextvars.ContextVar[Session] = contextvars.ContextVar("cnnexplain_code_session")


def session() -> Session:
    """The `Session` of the code being run."""
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


def check_call(
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


# Keras 3.15's signatures (tests/explain_code/test_code.py compares them with Keras's own).
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
        problem = check_call(f"{type(self).__name__}.__init__", names, args, {})
        if problem:
            session().note("error", problem)
        unknown = {}
        for key, value in kwargs.items():
            if key in names:
                given[key] = value
            elif key == "decay":
                if value is not None:
                    session().note(
                        "warning",
                        "UserWarning: Argument `decay` is no longer supported and will be ignored.",
                    )
            else:
                unknown[key] = value
        if unknown:
            session().note("error", f"ValueError: Argument(s) not recognized: {unknown}")
        self.config = given

    def __repr__(self) -> str:
        return f"<{type(self).__name__} optimizer (not run)>"


def optimizer_class(name: str) -> type[Optimizer]:
    return type(name, (Optimizer,), {"params": OPTIMIZERS[name], "__module__": "keras.optimizers"})


def check_optimizer(identifier: Any) -> None:
    if isinstance(identifier, str) and identifier.lower() not in _OPTIMIZER_NAMES:
        session().note(
            "error", f"ValueError: Could not interpret optimizer identifier: {identifier}"
        )


# The names keras.losses.get() and keras.metrics.get() read (Keras 3.15's
# ALL_OBJECTS_DICT; tests/explain_code/test_code.py compares them with the installed Keras).
LOSS_NAMES = frozenset(
    """
    BCE BinaryCrossentropy BinaryFocalCrossentropy CTC CategoricalCrossentropy
    CategoricalFocalCrossentropy CategoricalHinge Circle CosineSimilarity Dice Hinge
    Huber KLD KLDivergence LogCosh Loss LossFunctionWrapper MAE MAPE MSE MSLE
    MeanAbsoluteError MeanAbsolutePercentageError MeanSquaredError
    MeanSquaredLogarithmicError Poisson SparseCategoricalCrossentropy SquaredHinge
    Tversky bce binary_crossentropy binary_focal_crossentropy categorical_crossentropy
    categorical_focal_crossentropy categorical_hinge circle cosine_similarity ctc dice
    hinge huber kl_divergence kld log_cosh mae mape mean_absolute_error
    mean_absolute_percentage_error mean_squared_error mean_squared_logarithmic_error mse
    msle poisson sparse_categorical_crossentropy squared_hinge tversky
    """.split()  # noqa: SIM905 - the names as Keras lists them, one word each
)
METRIC_NAMES = frozenset(
    """
    AUC Accuracy BCE BinaryAccuracy BinaryCrossentropy BinaryIoU CategoricalAccuracy
    CategoricalCrossentropy CategoricalHinge ConcordanceCorrelation CosineSimilarity
    F1Score FBetaScore FalseNegatives FalsePositives Hinge IoU KLDivergence LogCoshError
    MAE MAPE MSE MSLE Mean MeanAbsoluteError MeanAbsolutePercentageError MeanIoU
    MeanMetricWrapper MeanSquaredError MeanSquaredLogarithmicError Metric OneHotIoU
    OneHotMeanIoU PearsonCorrelation Poisson Precision PrecisionAtRecall R2Score Recall
    RecallAtPrecision RootMeanSquaredError SensitivityAtSpecificity
    SparseCategoricalAccuracy SparseCategoricalCrossentropy
    SparseTopKCategoricalAccuracy SpecificityAtSensitivity SquaredHinge Sum
    TopKCategoricalAccuracy TrueNegatives TruePositives accuracy auc bce binary_accuracy
    binary_crossentropy binary_io_u categorical_accuracy categorical_crossentropy
    categorical_hinge concordance_correlation cosine_similarity f1_score f_beta_score
    false_negatives false_positives hinge io_u kl_divergence log_cosh_error mae mape
    mean mean_absolute_error mean_absolute_percentage_error mean_io_u
    mean_metric_wrapper mean_squared_error mean_squared_logarithmic_error metric mse
    msle one_hot_io_u one_hot_mean_io_u pearson_correlation poisson precision
    precision_at_recall r2_score recall recall_at_precision root_mean_squared_error
    sensitivity_at_specificity sparse_categorical_accuracy
    sparse_categorical_crossentropy sparse_top_k_categorical_accuracy
    specificity_at_sensitivity squared_hinge sum top_k_categorical_accuracy
    true_negatives true_positives
    """.split()  # noqa: SIM905 - the names as Keras lists them, one word each
)
NOT_COMPILED = "ValueError: You must call `compile()` before using the model."


def _strings(value: Any) -> Iterator[str]:
    """The string identifiers in a loss or metrics argument (a name, list, tuple or dict)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def metrics_problem(metrics: Any) -> str | None:
    """What Keras 3's ``compile()`` says of a ``metrics`` argument it refuses, or None."""
    if metrics is None or isinstance(metrics, list | tuple | dict):
        return None
    return (
        "ValueError: Expected `metrics` argument to be a list, tuple, or dict. "
        f"Received instead: metrics={metrics} of type {type(metrics)}"
    )


def training_problem(compiled: Mapping[str, Any] | None) -> str | None:
    """What Keras 3's ``fit()``/``evaluate()`` say first of the compile arguments, or None.

    Keras reads the loss and metric names only when training starts: an unknown
    one passes ``compile()`` and stops ``fit()``.

    Examples:
        >>> training_problem({"loss": "categorical_crossentropy", "metrics": ["acc"]}) is None
        True
        >>> training_problem({"loss": "msee", "metrics": ["acuracy"]})
        'ValueError: Could not interpret loss identifier: msee'
        >>> training_problem({"loss": "mse", "metrics": {"out": ["acuracy"]}})
        'ValueError: Could not interpret metric identifier: acuracy'
        >>> training_problem(None)
        'ValueError: You must call `compile()` before using the model.'
    """
    if compiled is None:
        return NOT_COMPILED
    for name in _strings(compiled.get("loss")):
        if name not in LOSS_NAMES and name not in ("crossentropy", "ce"):
            return f"ValueError: Could not interpret loss identifier: {name}"
    for name in _strings(compiled.get("metrics")):
        if name not in METRIC_NAMES and name.lower() not in ("accuracy", "acc"):
            return f"ValueError: Could not interpret metric identifier: {name}"
    return None


INPUT_SHAPE_WARNING = (
    "UserWarning: Do not pass an `input_shape`/`input_dim` argument to a layer. When using "
    "Sequential models, prefer using an `Input(shape)` object as the first layer in the "
    "model instead."
)


@contextlib.contextmanager
def active(session: Session) -> Iterator[Session]:
    """Make ``session`` the one the fake Keras records into, for the ``with`` block."""
    token = _SESSION.set(session)
    try:
        yield session
    finally:
        _SESSION.reset(token)


_publish(globals())
