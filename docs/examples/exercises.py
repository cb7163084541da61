"""The Exercises page: each question is a small model, each answer its verified breakdown.

Every exercise is written with `cnnexplain.spec` (Keras's layer names and
arguments) and built in Keras while the site builds (``verify=True``), so the
numbers in a question and in its hidden answer come from the same model.
"""

import html
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from urllib.parse import quote

import cnnexplain
from cnnexplain import Breakdown, LayerRow, spec


@dataclass(frozen=True)
class Exercise:
    """A question about a model, and what the answer shows of its breakdown."""

    title: str
    model: Callable[[], spec.Model]
    question: Callable[[Breakdown], str]
    answer: Callable[[Breakdown], str]


def _row(b: Breakdown, name: str) -> LayerRow:
    return next(r for r in b.rows if r.name == name)


def _count(row: LayerRow) -> str:
    """``$(3 \\cdot 3 \\cdot 3 + 1) \\cdot 64 = 1{,}792$``."""
    total = f"{row.params:,}".replace(",", "{,}")
    return f"${row.formula.latex()} = {total}$"


def _steps(row: LayerRow) -> str:
    return "; ".join(f"`{s}`" for s in row.shape_steps)


def _shape(row: LayerRow) -> str:
    return f"`{row.output_shape}`"


def _seq(name: str, shape: tuple[int, ...], *layers: spec.Layer) -> spec.Model:
    return spec.Sequential([spec.Input(shape), *layers], name=name)


def colour_conv() -> spec.Model:
    """Conv2D 64×3×3 on a colour image."""
    return _seq("colour", (32, 32, 3), spec.Conv2D(64, 3, name="conv"))


def strided_conv() -> spec.Model:
    """The same convolution with a stride of 2."""
    return _seq(
        "strided", (32, 32, 3), spec.Conv2D(64, 3, strides=2, name="conv")
    )


def padded_conv() -> spec.Model:
    """ZeroPadding2D then a valid 5×5 convolution."""
    return _seq(
        "padded",
        (28, 28, 1),
        spec.ZeroPadding2D(2, name="pad"),
        spec.Conv2D(16, 5, name="conv"),
    )


def dilated_conv() -> spec.Model:
    """A dilated 3×3 convolution."""
    return _seq(
        "dilated", (28, 28, 8), spec.Conv2D(16, 3, dilation_rate=2, name="conv")
    )


def grouped_conv() -> spec.Model:
    """A grouped convolution without bias."""
    return _seq(
        "grouped",
        (16, 16, 16),
        spec.Conv2D(32, 3, groups=4, use_bias=False, name="conv"),
    )


def conv_bn() -> spec.Model:
    """Conv2D then BatchNormalization."""
    return _seq(
        "conv_bn",
        (32, 32, 3),
        spec.Conv2D(64, 3, padding="same", use_bias=False, name="conv"),
        spec.BatchNormalization(name="bn"),
    )


def flatten_dense() -> spec.Model:
    """Conv2D, MaxPooling2D, Flatten, Dense."""
    return _seq(
        "flatten_dense",
        (28, 28, 1),
        spec.Conv2D(16, 3, name="conv"),
        spec.MaxPooling2D(2, name="pool"),
        spec.Flatten(name="flatten"),
        spec.Dense(10, name="dense"),
    )


def shared_dense() -> spec.Model:
    """One Dense layer applied to two inputs."""
    left, right = (
        spec.Input((16,), name="left"),
        spec.Input((16,), name="right"),
    )
    shared = spec.Dense(8, name="shared")
    out = spec.Concatenate(name="concat")([shared(left), shared(right)])
    return spec.Model([left, right], out, name="siamese")


def _input(b: Breakdown) -> str:
    return "×".join(str(n) for n in b.input_shapes[0][1:])


EXERCISES = [
    Exercise(
        "A convolution on a colour image",
        colour_conv,
        lambda b: (
            f"A `Conv2D` with {_row(b, 'conv').output_shape[-1]} filters of 3×3 reads "
            f"a {_input(b)} image. How many parameters does it have?"
        ),
        lambda b: (
            f"{_count(_row(b, 'conv'))}: each filter spans all three colour channels "
            "($k_h \\cdot k_w \\cdot C_{\\mathrm{in}}$ weights) and has one bias."
        ),
    ),
    Exercise(
        "A stride that does not divide",
        strided_conv,
        lambda b: (
            f'The same layer with `strides=2` (and the default `padding="valid"`) on '
            f"the {_input(b)} image: what is its output shape, and does its count change?"
        ),
        lambda b: (
            f"{_shape(_row(b, 'conv'))}: {_steps(_row(b, 'conv'))}. The quotient is not "
            "a whole number, and Keras rounds it down: the last column and row that "
            "no whole window reaches are dropped. The count is unchanged, "
            f"{_count(_row(b, 'conv'))}: strides move the filter, they add no weight."
        ),
    ),
    Exercise(
        "Explicit padding: (W − F + 2P)/S + 1",
        padded_conv,
        lambda b: (
            f"`ZeroPadding2D({_row(b, 'pad').output_shape[1] - b.input_shapes[0][1] >> 1})`"
            f" then `Conv2D({_row(b, 'conv').output_shape[-1]}, 5)` on a {_input(b)} "
            "image. What are the output shape and the count?"
        ),
        lambda b: (
            f"The padding gives {_shape(_row(b, 'pad'))} ({_steps(_row(b, 'pad'))}), the "
            f"convolution {_shape(_row(b, 'conv'))} ({_steps(_row(b, 'conv'))}): the "
            "classic $(W - F + 2P)/S + 1$ keeps the size. Parameters: "
            f"{_count(_row(b, 'conv'))}; padding has none."
        ),
    ),
    Exercise(
        "Dilation",
        dilated_conv,
        lambda b: (
            f"`Conv2D({_row(b, 'conv').output_shape[-1]}, 3, dilation_rate=2)` on a "
            f"{_input(b)} input. Output shape? Parameters?"
        ),
        lambda b: (
            f"{_shape(_row(b, 'conv'))} ({_steps(_row(b, 'conv'))}): the dilated window "
            "spans $d \\cdot (k - 1) + 1$ pixels, so the output shrinks more. "
            f"The count does not change with dilation: {_count(_row(b, 'conv'))}."
        ),
    ),
    Exercise(
        "Groups, without bias",
        grouped_conv,
        lambda b: (
            f"`Conv2D({_row(b, 'conv').output_shape[-1]}, 3, groups=4, use_bias=False)` "
            f"on a {_input(b)} input. How many parameters?"
        ),
        lambda b: (
            f"{_count(_row(b, 'conv'))}: each filter sees $C_{{\\mathrm{{in}}}}/g$ "
            "channels, and there is no bias."
        ),
    ),
    Exercise(
        "BatchNormalization",
        conv_bn,
        lambda b: (
            f"`BatchNormalization` after a convolution with "
            f"{_row(b, 'conv').output_shape[-1]} filters. How many parameters, and how "
            "many of them are trainable?"
        ),
        lambda b: (
            f"{_count(_row(b, 'bn'))}: `gamma`, `beta`, `moving_mean` and "
            f"`moving_variance`, one per channel. {_row(b, 'bn').trainable:,} are "
            f"trainable; the {_row(b, 'bn').non_trainable:,} statistics are updated "
            "by averaging, not by gradients."
        ),
    ),
    Exercise(
        "The flatten size",
        flatten_dense,
        lambda b: (
            f"`Conv2D({_row(b, 'conv').output_shape[-1]}, 3)`, `MaxPooling2D(2)`, "
            f"`Flatten` and `Dense(10)` on a {_input(b)} image. How many inputs does "
            "the dense layer get, and how many parameters does it hold?"
        ),
        lambda b: (
            f"The convolution gives {_shape(_row(b, 'conv'))}, the pooling "
            f"{_shape(_row(b, 'pool'))}, and `Flatten` "
            f"{_steps(_row(b, 'flatten'))}. The dense layer: "
            f"{_count(_row(b, 'dense'))}."
        ),
    ),
    Exercise(
        "A shared layer",
        shared_dense,
        lambda _: (
            "One `Dense(8)` is applied to two inputs of 16 values each, and the two "
            "results are concatenated. How many parameters does the model have?"
        ),
        lambda b: (
            f"**{b.total:,}**, {_count(_row(b, 'shared'))}: the layer is called "
            f"{_row(b, 'shared').calls} times but holds one set of weights, counted once."
        ),
    ),
]


def _playground() -> ModuleType:
    """``docs/examples/playground.py``, loaded by path (the tests load this file so too)."""
    path = Path(__file__).with_name("playground.py")
    module_spec = importlib.util.spec_from_file_location(
        "docs_examples_playground", path
    )
    if (
        module_spec is None or module_spec.loader is None
    ):  # pragma: no cover - our own file
        raise ImportError(path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def playground_code(exercise: Exercise) -> str:
    """The exercise's model as Keras code for the playground, checked to build the same model.

    Raises:
        ValueError: if the code, run by `cnnexplain.explain_code`, does not give
            the model's layers and counts.
    """
    model = exercise.model()
    source: str = _playground().spec_source(model)
    built = cnnexplain.explain_code(source).breakdown
    if [(r.name, r.params) for r in built.rows] != [
        (r.name, r.params) for r in model.explain().rows
    ]:
        raise ValueError(
            f"the playground code for {exercise.title!r} differs:\n{source}"
        )
    return source


def check_form(number: int, code: str) -> str:
    """A count field and a Check button that open the playground with ``code`` and the count.

    docs/assets/exercises.js reads the form: on Check, it opens
    ``../playground/#code=...&counts=...``, which runs the code and diagnoses
    the count (the playground's link contract).
    """
    field = f"exercise-{number}-count"
    return (
        f'<form class="exercise-check" action="../playground/" '
        f'data-code="{html.escape(quote(code, safe=""))}">'
        f'<label for="{field}">Your count</label> '
        f'<input id="{field}" name="counts" type="text" inputmode="numeric" '
        'autocomplete="off" spellcheck="false" placeholder="e.g. 100 or 100, 250" required> '
        '<button type="submit" class="md-button">Check</button></form>'
    )


def _tab(label: str, question: str, answer: str, form: str = "") -> list[str]:
    """One content tab: the question, then its answer in a collapsed block.

    The answer sits inside the tab, not the tabs inside the answer: Material
    links tabs by their label's rendered text, and a closed block renders none,
    so tabs inside it would not follow a reader's Keras or PyTorch choice.
    """
    return [
        f'=== "{label}"',
        "",
        f"    {question}",
        "",
        *([f"    {form}", ""] if form else []),
        '    ??? success "Answer"',
        "",
        f"        {answer}",
        "",
    ]


def page_markdown() -> str:
    """Every exercise in a Keras and a PyTorch tab: the question, the answer collapsed.

    Raises:
        ValueError: if the PyTorch exercises are not the Keras ones, in order.
    """
    from examples.exercises_torch import TORCH_EXERCISES  # noqa: PLC0415

    titles = [e.title for e in EXERCISES]
    if [e.title for e in TORCH_EXERCISES] != titles:
        raise ValueError(f"the PyTorch exercises must be {titles}")
    parts = []
    for i, (exercise, torch_exercise) in enumerate(
        zip(EXERCISES, TORCH_EXERCISES, strict=True), start=1
    ):
        b = exercise.model().explain(verify=True)
        tb = torch_exercise.breakdown()  # verified against numel()
        parts += [f"## {i}. {exercise.title}", ""]
        form = check_form(i, playground_code(exercise))
        parts += _tab("Keras", exercise.question(b), exercise.answer(b), form)
        parts += _tab(
            "PyTorch", torch_exercise.question(tb), torch_exercise.answer(tb)
        )
    parts.append('<script src="../assets/exercises.js"></script>')
    return "\n".join(parts)
