"""`explain_code`: Keras code run without TensorFlow, checked against Keras running the same code.

The oracle is real Keras executing the same source (with the two fixes Keras 3
needs for the posted code), and Keras's own messages for what it rejects.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import re
import sys
import warnings
from typing import Any

import pytest
from conftest import load_example

import cnnexplain
from cnnexplain import CodeError, explain_code
from cnnexplain._explain_code import keras_calls as calls
from cnnexplain._explain_code import keras_front as front

playground = load_example("playground")
POSTED = playground.posted_source()
CORRECTED = playground.corrected_source()
FIXES = (("lr=", "learning_rate="), ("metric=", "metrics="))


def _keras_build(keras: Any, source: str) -> Any:
    """Run ``source`` with the real Keras (a fresh session, so layers are named alike)."""
    keras.backend.clear_session()
    namespace: dict[str, Any] = {"__name__": "__main__"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras's input_shape warning, reported by us as a note
        exec(source, namespace)  # noqa: S102 - our own example code
    return namespace["model"]


def _rows(b: cnnexplain.Breakdown) -> list[tuple[str, str, int, object]]:
    return [(r.name, r.kind, r.params, r.output_shape) for r in b.rows]


@pytest.fixture(scope="module")
def posted() -> cnnexplain.CodeResult:
    return explain_code(POSTED)


@pytest.fixture(scope="module")
def corrected() -> cnnexplain.CodeResult:
    return explain_code(CORRECTED, running=[288, 540988, 541988])


def test_posted_code(posted: cnnexplain.CodeResult) -> None:
    b = posted.breakdown
    assert len(posted.models) == 1
    assert b.total == 4630
    assert b.output_shapes == ((None, 26, 26, 10),)
    lines = POSTED.splitlines()
    errors = [(n.line, n.message) for n in posted.errors]
    assert errors == [
        (lines.index("    opt = SGD(lr=0.01, momentum=0.9)") + 1,
         "ValueError: Argument(s) not recognized: {'lr': 0.01}"),
        (next(i for i, t in enumerate(lines) if "metric=" in t) + 1,
         "TypeError: Trainer.compile() got an unexpected keyword argument 'metric'"),
    ]  # fmt: skip
    warning = next(n for n in posted.notes if n.kind == "warning")
    assert "input_shape=(28,28,1)" in lines[warning.line - 1]


def test_posted_code_messages_are_keras_own(keras: Any, posted: cnnexplain.CodeResult) -> None:
    with pytest.raises(ValueError, match=r".*") as sgd:
        keras.optimizers.SGD(lr=0.01, momentum=0.9)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(TypeError) as compile_error:
        model.compile(optimizer="sgd", loss="categorical_crossentropy", metric=["accuracy"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        keras.layers.Conv2D(32, (3, 3), input_shape=(28, 28, 1))
    keras_messages = [
        f"{caught[0].category.__name__}: {caught[0].message}",
        f"ValueError: {sgd.value}",
        f"TypeError: {compile_error.value}",
    ]
    assert [n.message for n in posted.notes] == keras_messages


def test_posted_code_against_keras(keras: Any, posted: cnnexplain.CodeResult) -> None:
    source = POSTED
    for old, new in FIXES:
        source = source.replace(old, new)
    model = _keras_build(keras, source)
    assert model.count_params() == posted.breakdown.total
    assert tuple(model.output_shape) == posted.breakdown.output_shapes[0]
    assert _rows(cnnexplain.explain(model)) == _rows(posted.breakdown)


def test_corrected_code(keras: Any, corrected: cnnexplain.CodeResult) -> None:
    b = corrected.breakdown
    assert b.total == 542230
    assert b.formula.text() == "(3·3+1)·32 + (5408+1)·100 + (100+1)·10"
    assert corrected.errors == ()
    model = _keras_build(keras, CORRECTED)
    assert model.count_params() == b.total
    assert _rows(cnnexplain.explain(model)) == _rows(b)


def test_corrected_code_with_running_totals(corrected: cnnexplain.CodeResult) -> None:
    d = corrected.diagnosis
    assert d is not None
    assert d.gap == 242
    assert sum(f.amount for f in d.findings) == 242
    assert [(f.layer, f.kind.value, f.amount) for f in d.findings] == [
        ("conv", "missing_bias", 32),
        ("hidden", "missing_bias", 100),
        ("hidden", "arithmetic_slip", 100),
        ("output", "missing_bias", 10),
    ]
    html = corrected.to_html()
    assert "<math" in html
    assert "<mn>5408</mn>" in html
    assert "Together: 32 + 100 + 100 + 10 = 242." in html


FUNCTIONAL = """\
import keras
from keras import layers

inputs = keras.Input(shape=(32, 32, 3), name="image")
a = layers.Conv2D(16, 3, padding="same", name="a")(inputs)
b = layers.Conv2D(16, 1, name="b")(inputs)
x = layers.Add(name="add")([a, b])
x = layers.GlobalAveragePooling2D(name="gap")(x)
x = layers.Dropout(0.2, name="drop")(x, training=False)
outputs = layers.Dense(10, activation="softmax", name="out")(x)
model = keras.Model(inputs=inputs, outputs=outputs, name="branchy")
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse", metrics=["mae"])
model.summary()
print(model.count_params())
"""


def test_functional_api(keras: Any) -> None:
    result = explain_code(FUNCTIONAL)
    b = result.breakdown
    assert result.notes == ()
    model = _keras_build(keras, FUNCTIONAL)
    assert b.total == model.count_params() == 682
    assert _rows(cnnexplain.explain(model)) == _rows(b)
    assert result.output.endswith(f"\n{b.total}\n")
    assert result.output.startswith('Model: "branchy"')


MERGING_FORMS = """\
import keras
from keras import layers

a = keras.Input(shape=(6, 4), name="a")
b = keras.Input(shape=(6, 4), name="b")
x = layers.Dense(4, name="da")(a)
y = layers.Dense(4, name="db")(b)
joined = layers.concatenate([x, y], axis=1, name="joined")
merged = [
    layers.add([x, y]),
    layers.subtract([x, y]),
    layers.multiply([x, y]),
    layers.average([x, y], name="mean"),
    layers.maximum([x, y]),
    layers.minimum([x, y]),
]
both = layers.concatenate([layers.concatenate(merged), x], 2)
scores = layers.dot([x, y], axes=2)
outputs = [layers.Dense(3, name="out")(both), layers.Dense(2, name="scored")(scores), joined]
model = keras.Model([a, b], outputs, name="merging")
"""


def test_merging_layers_functional_forms(keras: Any) -> None:
    """``keras.layers.concatenate([a, b], axis=1)`` is ``Concatenate(axis=1)([a, b])``..."""
    result = explain_code(MERGING_FORMS)
    model = _keras_build(keras, MERGING_FORMS)
    kinds = {r.kind for r in result.breakdown.rows}
    assert {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"} <= kinds
    assert {"Concatenate", "Dot"} <= kinds
    assert result.breakdown.total == model.count_params()
    # the same layers, names, counts and shapes (spec lists a functional model's
    # branches in another order than Keras)
    assert sorted(_rows(cnnexplain.explain(model))) == sorted(_rows(result.breakdown))
    assert result.breakdown.output_shapes == tuple(model.output_shape)


@pytest.mark.parametrize(
    "call", ["add([a, a], 1)", "concatenate([a, a], 0, 1)", "dot([a, a], 1, 0)"]
)
def test_merging_forms_take_keras_arguments(keras: Any, call: str) -> None:
    """A wrong call gets Keras's own TypeError (the signature is Keras 3's)."""
    a = keras.Input((3,))
    with pytest.raises(TypeError) as raised:
        eval(f"keras.layers.{call}", {"keras": keras, "a": a})  # noqa: S307 - our own calls
    source = f"import keras\na = keras.Input((3,))\nkeras.layers.{call}\n"
    with pytest.raises(CodeError) as err:
        explain_code(source)
    assert str(err.value) == f"Line 3: TypeError: {raised.value}."


TF_KERAS = """\
import tensorflow as tf
from tensorflow.keras.layers import Conv2D, MaxPool2D, Flatten, Dense
from tensorflow.keras import models

model = models.Sequential(name="tfk")
model.add(tf.keras.Input((28, 28, 1)))
model.add(Conv2D(8, (3, 3), activation=tf.nn.relu))
model.add(MaxPool2D())
model.add(Flatten())
model.add(Dense(10, kernel_regularizer=tf.keras.regularizers.l2(0.01)))
model.compile(optimizer="adam", loss=tf.keras.losses.CategoricalCrossentropy())
history = model.fit(epochs=3, batch_size=32)
"""


def test_tensorflow_keras_imports(keras: Any) -> None:
    result = explain_code(TF_KERAS)
    model = _keras_build(
        keras, TF_KERAS.replace("history = model.fit(epochs=3, batch_size=32)", "")
    )
    assert result.breakdown.total == model.count_params() == 13610
    assert [(n.line, n.kind) for n in result.notes] == [(12, "info")]


def test_real_modules_untouched() -> None:
    before = {name: sys.modules.get(name) for name in ("keras", "tensorflow", "keras.layers")}
    explain_code(TF_KERAS)
    assert {name: sys.modules.get(name) for name in before} == before


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        (
            (
                "import keras\nmodel = keras.Sequential([\n    keras.Input((4,)),\n"
                "    keras.layers.Dense(2,\n]))\n"
            ),
            5,
            (
                "Line 5: the code is not valid Python: closing parenthesis ']' does not match "
                "opening parenthesis '('"
            ),
        ),
        (
            "from keras.models import Sequential\nfrom keras.layers import Dense, Conv2d\n",
            2,
            (
                "Line 2: keras.layers has no layer 'Conv2d' that cnnexplain can model; "
                "did you mean Conv2D?"
            ),
        ),
        (
            (
                "import keras\nm = keras.Sequential()\nm.add(keras.layers.Dense(4, input_dim=3))\n"
                "m.add(keras.layers.Lambda(lambda x: x))\n"
            ),
            4,
            (
                "Line 4: keras.layers has no layer 'Lambda' that cnnexplain can model; "
                "the Layer reference lists the layers it knows."
            ),
        ),
        (
            "import keras\nm = keras.Sequential()\nm.add(keras.layers.Conv2D(8, kernel=3))\n",
            3,
            "Line 3: Layer 'conv2d' (Conv2D): unknown argument 'kernel'",
        ),
        (
            "import keras\nm = keras.Sequential([keras.layers.Dense(4)])\nm.summary()\n",
            3,
            "Line 3: Model 'sequential' (Sequential) has no input shape",
        ),
        (
            "import keras\n\nm = keras.Sequential([keras.layers.Dense(4)])\n",
            3,
            "Line 3: Model 'sequential' (Sequential) has no input shape",
        ),
        (
            (
                "import keras\nh = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])"
                ".fit()\nprint(h.history)\n"
            ),
            3,
            (
                "Line 3: fit() ran nothing here (cnnexplain counts parameters without training), "
                "so its result has no 'history' to read."
            ),
        ),
    ],
    ids=["syntax", "unknown-layer", "unmodeled-layer", "spec-error", "no-input", "built", "fit"],
)
def test_errors_name_the_line(source: str, line: int, message: str) -> None:
    with pytest.raises(CodeError) as err:
        explain_code(source)
    assert err.value.line == line
    assert str(err.value).startswith(message)
    assert err.value.code == source.splitlines()[line - 1].strip()


def test_no_model_built() -> None:
    posted_only = POSTED.replace(playground.CALL, "\n")
    with pytest.raises(CodeError, match=r"defines define_model\(\) but never calls it"):
        explain_code(posted_only)


def test_signatures_match_keras(keras: Any) -> None:
    def params(fn: Any) -> list[str]:
        return [p for p in inspect.signature(fn).parameters if p not in ("self", "kwargs")]

    assert params(keras.Model.compile) == list(calls.COMPILE)
    assert params(keras.Model.fit) == list(calls.FIT)
    assert params(keras.Model.predict) == list(calls.PREDICT)
    assert params(keras.Model.summary) == list(calls.SUMMARY)
    for name, own in calls.OPTIMIZERS.items():
        assert params(getattr(keras.optimizers, name))[: len(own)] == list(own), name
    for name in front.layer_names():
        assert hasattr(keras.layers, name), name


def test_optimizer_strings_and_decay() -> None:
    source = (
        "import keras\nm = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])\n"
        "m.compile(optimizer='adamm', loss='mse')\nkeras.optimizers.SGD(0.1, decay=1e-6)\n"
    )
    assert [(n.line, n.kind, n.message) for n in explain_code(source).notes] == [
        (3, "error", "ValueError: Could not interpret optimizer identifier: adamm"),
        (4, "warning", "UserWarning: Argument `decay` is no longer supported and will be ignored."),
    ]


def test_mathml_reads_as_the_text_formula(
    posted: cnnexplain.CodeResult, corrected: cnnexplain.CodeResult
) -> None:
    """Stripped of its tags, the MathML is the compact text formula (spaces aside)."""
    formulas: list[cnnexplain.Formula] = [b.formula for r in (posted, corrected) for b in r.models]
    formulas += [row.formula for r in (posted, corrected) for row in r.breakdown.rows]
    for f in formulas:
        assert re.sub(r"<[^>]+>", "", f.mathml(compact=True)) == f.text(compact=True).replace(
            " ", ""
        )


def test_loss_and_metric_names_are_keras_own(keras: Any) -> None:
    assert set(keras.src.losses.ALL_OBJECTS_DICT) == calls.LOSS_NAMES
    assert set(keras.src.metrics.ALL_OBJECTS_DICT) == calls.METRIC_NAMES


TRAINING = "import keras\nmodel = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])\n"
DATA = "x, y = keras.ops.zeros((2, 3)), keras.ops.zeros((2, 2))\n"


@pytest.mark.parametrize(
    ("calls_made", "line"),
    [
        ("model.fit(x, y, verbose=0)\n", 4),
        ("model.compile(loss='msee', metrics=['acuracy'])\nmodel.fit(x, y, verbose=0)\n", 5),
        ("model.compile(loss='mse', metrics=['acuracy'])\nmodel.evaluate(x, y, verbose=0)\n", 5),
        (
            (
                "model.compile(loss=['mse'], metrics=[['acc', 'auc', 'acuracy']])\n"
                "model.fit(x, y, verbose=0)\n"
            ),
            5,
        ),
        ("model.compile(loss='mse', metrics='accuracy')\n", 4),
    ],
    ids=["no-compile", "loss", "metric-evaluate", "nested", "metrics-string"],
)
def test_what_keras_says_when_training_starts(keras: Any, calls_made: str, line: int) -> None:
    """Unknown loss or metric names pass compile() and stop fit(): the note is Keras's message."""
    source = TRAINING + DATA + calls_made
    keras.backend.clear_session()
    with pytest.raises(Exception) as real:  # noqa: PT011 - whatever Keras raises, we compare
        exec(source, {"__name__": "__main__"})  # noqa: S102 - our own example code
    errors = [n for n in explain_code(source).notes if n.kind == "error"]
    assert [(n.line, n.message) for n in errors][:1] == [
        (line, f"{type(real.value).__name__}: {real.value}")
    ]


def test_known_names_train_silently() -> None:
    source = (
        TRAINING
        + DATA
        + (
            "model.compile(optimizer='adam', loss='categorical_crossentropy', "
            "metrics=['accuracy', 'ACC', keras.metrics.AUC()])\nmodel.fit(x, y)\n"
        )
    )
    assert [(n.line, n.kind) for n in explain_code(source).notes] == [(5, "info")]


LAYERS = """\
import keras
from keras import layers

model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(8, 3, name="conv"),
                          layers.MaxPooling2D(name="pool"), layers.Flatten(name="flat"),
                          layers.Dense(10, name="out")])
for layer in model.layers:
    print(layer.name, layer.count_params(), layer.output.shape, layer.input.shape,
          [tuple(w.shape) for w in layer.weights], layer.trainable)
print(model.get_layer("conv").count_params(), model.get_layer(index=3).name)
inputs = keras.Input((4,), name="x")
f = keras.Model(inputs, layers.Dense(2, name="d")(layers.Dense(3, name="h")(inputs)))
print([(x.name, x.count_params(), x.output.shape) for x in f.layers])
"""


def test_model_layers_read_as_in_keras(keras: Any) -> None:
    """``model.layers`` (a Sequential's without its InputLayer) prints what Keras prints."""
    keras.backend.clear_session()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(LAYERS, {"__name__": "__main__"})  # noqa: S102 - our own example code
    assert explain_code(LAYERS).output == out.getvalue()


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        (
            "model.layers[0].output_shape",
            (
                "AttributeError: 'Conv2D' object has no attribute 'output_shape' (Keras 3 "
                "removed it: read layer.output.shape)"
            ),
        ),
        ("model.get_layer('nope')", "ValueError: No such layer: nope. Existing layers are: "),
        ("model.get_layer(index=9)", "ValueError: Was asked to retrieve layer at index 9 but "),
        ("model.layers[0].kernel", "layer 'conv' (Conv2D) has no 'kernel' here: "),
    ],
)
def test_model_layers_errors(keras: Any, tail: str, message: str) -> None:
    source = LAYERS.split("for layer", maxsplit=1)[0] + tail + "\n"
    with pytest.raises(CodeError) as err:
        explain_code(source)
    assert err.value.line == 7
    assert str(err.value).startswith(f"Line 7: {message}")
    if not message.startswith("layer "):  # Keras's own error, word for word
        keras.backend.clear_session()
        with pytest.raises(Exception) as real:  # noqa: PT011 - compared below
            exec(source, {"__name__": "__main__"})  # noqa: S102 - our own example code
        assert message.startswith(f"{type(real.value).__name__}: {real.value}"[:40])
