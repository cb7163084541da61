"""The question's model and four smaller variants, as the thread's advice suggests.

Every variant keeps the question's input (28×28×1) and its two Dense layers
(100 then 10 units); only the part before the first Dense layer changes, because
that part decides how many inputs the first Dense layer sees.
"""

from collections.abc import Callable
from dataclasses import dataclass

import keras
from keras import layers

import cnnexplain


@dataclass(frozen=True)
class Variant:
    """One model of the comparison: a short key, a title and how to build it."""

    key: str
    title: str
    build: Callable[[], keras.Model]


def _head(name: str, *body: keras.Layer) -> keras.Model:
    """Input, then ``body``, then the question's Dense 100 → Dense 10."""
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            *body,
            layers.Dense(100, activation="relu", name="hidden"),
            layers.Dense(10, activation="softmax", name="output"),
        ],
        name=name,
    )


def asked() -> keras.Model:
    """The question's model: one 3×3 convolution, one pooling, Flatten."""
    return _head(
        "asked",
        layers.Conv2D(32, (3, 3), activation="relu", name="conv"),
        layers.MaxPooling2D((2, 2), name="pool"),
        layers.Flatten(name="flatten"),
    )


def one_more_pair() -> keras.Model:
    """A second Conv2D + MaxPooling2D pair, as the first commenter suggests."""
    return _head(
        "one_more_pair",
        layers.Conv2D(32, (3, 3), activation="relu", name="conv"),
        layers.MaxPooling2D((2, 2), name="pool"),
        layers.Conv2D(32, (3, 3), activation="relu", name="conv_2"),
        layers.MaxPooling2D((2, 2), name="pool_2"),
        layers.Flatten(name="flatten"),
    )


def answer_example() -> keras.Model:
    """The answer's example: 5×5 convolutions with 8 then 16 filters, each pooled 2×2."""
    return _head(
        "answer_example",
        layers.Conv2D(8, (5, 5), activation="relu", name="conv"),
        layers.MaxPooling2D((2, 2), name="pool"),
        layers.Conv2D(16, (5, 5), activation="relu", name="conv_2"),
        layers.MaxPooling2D((2, 2), name="pool_2"),
        layers.Flatten(name="flatten"),
    )


def strided() -> keras.Model:
    """The question's model with a stride of 2 in the convolution."""
    return _head(
        "strided",
        layers.Conv2D(32, (3, 3), strides=2, activation="relu", name="conv"),
        layers.MaxPooling2D((2, 2), name="pool"),
        layers.Flatten(name="flatten"),
    )


def global_pooling() -> keras.Model:
    """The question's model with GlobalAveragePooling2D in place of Flatten."""
    return _head(
        "global_pooling",
        layers.Conv2D(32, (3, 3), activation="relu", name="conv"),
        layers.MaxPooling2D((2, 2), name="pool"),
        layers.GlobalAveragePooling2D(name="gap"),
    )


VARIANTS = (
    Variant("asked", "As asked", asked),
    Variant("one_more_pair", "One more conv + pool pair", one_more_pair),
    Variant("answer_example", "5×5 convs, 8 then 16 filters", answer_example),
    Variant("strided", "Stride 2", strided),
    Variant("global_pooling", "Global average pooling", global_pooling),
)


def describe(breakdown: cnnexplain.Breakdown, *, baseline: int) -> str:
    """Markdown for one variant: its layers, what reaches the first Dense layer, its count."""
    from examples.compare import count_latex, display_math  # noqa: PLC0415
    from examples.costs_chart import percent  # noqa: PLC0415

    first_dense = next(
        i for i, row in enumerate(breakdown.rows) if row.kind == "Dense"
    )
    before = breakdown.rows[first_dense - 1]
    dense = breakdown.rows[first_dense]
    path = " → ".join(f"`{row.name}`" for row in breakdown.rows)
    step = f" (`{before.shape_steps[0]}`)" if before.kind == "Flatten" else ""
    lines = [
        f"Layers: {path}.",
        "",
        (
            f"The first dense layer receives `{before.output_shape}` from `{before.name}`{step}, "
            f"so it holds {dense.params:,} parameters, {percent(dense.params, breakdown.total)} of the model."
        ),
        display_math(
            f"{breakdown.formula.latex()} = {count_latex(breakdown.total)}"
        ),
        f"That is {percent(breakdown.total, baseline)} of the question's model.",
        "",
        "",
        '<figure class="model-drawing" style="overflow-x: auto">',
        breakdown.to_svg(id_prefix=f"variant-{breakdown.name}").rstrip("\n"),
        "</figure>",
        "",
        '??? note "The full breakdown"',
        "",
        *("    " + line for line in breakdown.to_markdown().splitlines()),
    ]
    return "\n".join(lines)
