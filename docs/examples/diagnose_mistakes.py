"""The page "Common counting mistakes": one small Keras model and one wrong hand count per mistake.

Each case is a function returning a `Case`: a Keras model (every layer named) and a
hand count written the way a learner would, as arithmetic. `show` prints the case's
own source, the diagnosis and the right formula; it raises if the diagnosis is not
the mistake the section is about, which stops the site build.
``tests/test_diagnose.py`` runs every case through the same functions (it loads this
file by path, outside ``sys.modules``, so there is no ``from __future__ import annotations``:
`dataclass` would look the module up to read string annotations).
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import keras
from keras import layers

import cnnexplain
from cnnexplain import Diagnosis, FindingKind


@dataclass(frozen=True)
class Case:
    """A model, a hand count (running totals or per-layer counts) and the mistake in it."""

    kind: FindingKind
    model: keras.Model
    running: tuple[int, ...] | None = None
    per_layer: tuple[int, ...] | None = None

    def diagnose(self) -> Diagnosis:
        """The diagnosis of the hand count (the model is verified against Keras)."""
        return cnnexplain.diagnose(
            self.model, running=self.running, per_layer=self.per_layer
        )


def small_cnn(name: str, *, filters: int = 8, channels: int = 1) -> keras.Model:
    """Conv2D 3×3 → MaxPooling2D 2×2 → Flatten → Dense 10, on 28×28 images."""
    return keras.Sequential(
        [
            keras.Input((28, 28, channels)),
            layers.Conv2D(filters, 3, name="conv"),
            layers.MaxPooling2D(2, name="pool"),
            layers.Flatten(name="flatten"),
            layers.Dense(10, name="dense"),
        ],
        name=name,
    )


def mlp(name: str) -> keras.Model:
    """Dense 128 → Dense 10 on flattened 28×28 images."""
    return keras.Sequential(
        [
            keras.Input((784,)),
            layers.Dense(128, name="hidden"),
            layers.Dense(10, name="output"),
        ],
        name=name,
    )


def missing_bias() -> Case:
    """Every layer counted as its weights alone."""
    return Case(
        FindingKind.MISSING_BIAS,
        small_cnn("no_bias"),
        per_layer=(
            3 * 3 * 1 * 8,  # conv: k_h·k_w·C_in·F
            13 * 13 * 8 * 10,  # dense: n_in·units
        ),
    )


def forgotten_input_channels() -> Case:
    """Each filter counted as one 3×3 window, as if the input had one channel."""
    model = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            layers.Conv2D(16, 3, name="conv1"),
            layers.Conv2D(32, 3, name="conv2"),
            layers.GlobalAveragePooling2D(name="gap"),
            layers.Dense(10, name="dense"),
        ],
        name="two_convs",
    )
    return Case(
        FindingKind.FORGOTTEN_INPUT_CHANNELS,
        model,
        per_layer=(
            (3 * 3 + 1) * 16,  # conv1: the 3 colour channels forgotten
            (3 * 3 + 1)
            * 32,  # conv2: the 16 channels coming from conv1 forgotten
            (32 + 1) * 10,  # dense
        ),
    )


def wrong_flatten_size() -> Case:
    """The dense layer counted with the convolution's output size, before pooling."""
    return Case(
        FindingKind.WRONG_FLATTEN_SIZE,
        small_cnn("flatten_size"),
        per_layer=(
            (3 * 3 * 1 + 1) * 8,  # conv
            (26 * 26 * 8 + 1)
            * 10,  # dense: 26×26×8 is what the pooling receives
        ),
    )


def zero_parameter_layer_counted() -> Case:
    """A number for every layer, the pooling window counted as if it were weights."""
    return Case(
        FindingKind.ZERO_PARAMETER_LAYER_COUNTED,
        small_cnn("pool_weights"),
        per_layer=(
            (3 * 3 * 1 + 1) * 8,  # conv
            2 * 2 * 8,  # pool: a 2×2 window per channel
            0,  # flatten
            (13 * 13 * 8 + 1) * 10,  # dense
        ),
    )


def batchnorm_statistics() -> Case:
    """BatchNormalization counted as its scale and shift only."""
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(16, 3, name="conv"),
            layers.BatchNormalization(name="bn"),
            layers.GlobalAveragePooling2D(name="gap"),
            layers.Dense(10, name="dense"),
        ],
        name="with_bn",
    )
    return Case(
        FindingKind.BATCHNORM_STATISTICS,
        model,
        per_layer=(
            (3 * 3 * 1 + 1) * 16,  # conv
            2 * 16,  # bn: gamma and beta, one of each per channel
            (16 + 1) * 10,  # dense
        ),
    )


def skipped_layer() -> Case:
    """Running totals that do not move at a BatchNormalization layer."""
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(16, 3, name="conv"),
            layers.BatchNormalization(name="bn"),
            layers.GlobalAveragePooling2D(name="gap"),
            layers.Dense(10, name="dense"),
        ],
        name="bn_skipped",
    )
    conv = (3 * 3 * 1 + 1) * 16
    return Case(
        FindingKind.SKIPPED_LAYER,
        model,
        running=(
            conv,  # after conv
            conv,  # after bn: "normalization has no weights"
            conv + (16 + 1) * 10,  # after dense
        ),
    )


def digit_typo() -> Case:
    """Right arithmetic, one figure copied with two digits swapped."""
    return Case(
        FindingKind.DIGIT_TYPO,
        mlp("typo"),
        per_layer=(
            100840,  # hidden: (784 + 1) * 128, copied with two digits swapped
            (128 + 1) * 10,  # output
        ),
    )


def arithmetic_slip() -> Case:
    """Right figures per layer, one addition in the running total off by a digit."""
    return Case(
        FindingKind.ARITHMETIC_SLIP,
        mlp("slip"),
        running=(
            (784 + 1) * 128,  # after hidden
            101670,  # after output: the previous total plus (128 + 1) * 10, added by hand
        ),
    )


def unexplained() -> Case:
    """A mistake `diagnose` has no name for: sizes added instead of multiplied."""
    return Case(
        FindingKind.UNEXPLAINED,
        mlp("added"),
        per_layer=(
            784 + 128 + 1,  # hidden: n_in + units + 1
            (128 + 1) * 10,  # output
        ),
    )


CASES: dict[str, Callable[[], Case]] = {
    "missing_bias": missing_bias,
    "forgotten_input_channels": forgotten_input_channels,
    "wrong_flatten_size": wrong_flatten_size,
    "zero_parameter_layer_counted": zero_parameter_layer_counted,
    "batchnorm_statistics": batchnorm_statistics,
    "skipped_layer": skipped_layer,
    "digit_typo": digit_typo,
    "arithmetic_slip": arithmetic_slip,
    "unexplained": unexplained,
}


def count_latex(n: int) -> str:
    """``542230`` as LaTeX with thousands separators (``542{,}230``)."""
    return f"{n:,}".replace(",", "{,}")


def check(case: Case, d: Diagnosis) -> None:
    """Raise unless the diagnosis finds exactly the case's mistake and adds up to the gap.

    Raises:
        ValueError: naming the case and what was found instead.
    """
    kinds = {f.kind for f in d.findings}
    if kinds != {case.kind} or sum(f.amount for f in d.findings) != d.gap:
        raise ValueError(
            f"expected {case.kind.value}, found {sorted(kinds)}:\n{d}"
        )


def show(name: str) -> str:
    """The case's code, the hand count against Keras, the diagnosis and the right formula."""
    make = CASES[name]
    case = make()
    d = case.diagnose()
    check(case, d)
    b = d.breakdown
    given = "running" if case.running is not None else "per_layer"
    return "\n".join(
        [
            "```python",
            inspect.getsource(make).rstrip(),
            "```",
            "",
            f"The hand count: `{given}={list(d.given)}`. Model `{b.name}`, verified against Keras:",
            "",
            b.to_markdown(),
            "",
            d.to_markdown(),
            "The right count:",
            "",
            "$$",
            f"{b.formula.latex()} = {count_latex(b.total)}",
            "$$",
            "",
        ]
    )
