"""The Layer reference, generated from the rules: one entry per rule, one example per layer kind.

Each entry shows the rule's own docstring (its formula in symbols and what the
symbols mean), then examples: a layer built in Keras from the same config and
verified against it while the site is built (`explain(..., verify=True)`),
with its formula in symbols and in numbers, its weights as Keras names them
and the arithmetic of its output shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

from cnnexplain import Breakdown, explain, spec
from cnnexplain._formula import Term
from cnnexplain._rules import RULES
from cnnexplain._rules.protocol import fmt_shape
from cnnexplain._rules.registry import rule_doc

Shape = tuple[int | None, ...]


_SPEC_NAMES = {
    obj: name for name, obj in vars(spec).items() if name in spec.__all__
}


def spec_code(value: Any) -> str:
    """A spec layer (or argument) as the code that makes it: positional arguments first."""
    if isinstance(value, spec.Layer):
        kwargs = dict(value.kwargs)
        parts = []
        for key in value.positional:
            if key not in kwargs:
                break
            parts.append(spec_code(kwargs.pop(key)))
        parts += [f"{k}={spec_code(v)}" for k, v in kwargs.items()]
        if value.name:
            parts.append(f'name="{value.name}"')
        return f"spec.{_SPEC_NAMES[type(value)]}({', '.join(parts)})"
    if isinstance(value, list):
        return "[" + ", ".join(spec_code(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


class Example(NamedTuple):
    """A layer described with `cnnexplain.spec`, called on inputs of the given shapes."""

    layer: spec.Layer
    inputs: tuple[Shape, ...]
    spread: bool = (
        False  # called as layer(query, value) rather than layer([a, b])
    )
    text: str = ""  # the code to show, when repr would not read well (1 / 255)

    def breakdown(self) -> Breakdown:
        """Build the one-layer model in Keras and verify every figure."""
        tensors = [
            spec.Input(s, name=f"input_{i}") for i, s in enumerate(self.inputs)
        ]
        # A fresh layer each time: calling a spec layer again would share it.
        layer = type(self.layer)(
            name=self.layer.name,
            trainable=self.layer.trainable,
            **self.layer.kwargs,
        )
        if self.spread:
            out = layer(*tensors)
        else:
            out = layer(tensors[0] if len(tensors) == 1 else tensors)
        return spec.Model(tensors, out, name="example").explain(verify=True)

    def code(self) -> str:
        """The example as complete code: the import, the inputs, the layer, the model."""
        names = (
            ["x"]
            if len(self.inputs) == 1
            else ["a", "b", "c", "d"][: len(self.inputs)]
        )
        lines = ["from cnnexplain import spec", ""]
        lines += [
            f"{n} = spec.Input({s!r})"
            for n, s in zip(names, self.inputs, strict=True)
        ]
        lines.append(f"layer = {self.text or spec_code(self.layer)}")
        if len(names) == 1:
            inputs, call = "x", "layer(x)"
        elif self.spread:
            inputs, call = f"[{', '.join(names)}]", f"layer({', '.join(names)})"
        else:
            inputs = f"[{', '.join(names)}]"
            call = f"layer({inputs})"
        lines += [
            f"model = spec.Model({inputs}, {call})",
            "breakdown = model.explain()",
        ]
        return "\n".join(lines)


class KerasExample(NamedTuple):
    """A layer only Keras can build (a class of ``keras.applications``)."""

    build: Callable[[Any], Any]
    text: str

    def breakdown(self) -> Breakdown:
        """Build the model in Keras; `explain` verifies a Keras model by default."""
        import keras  # noqa: PLC0415

        return explain(self.build(keras))

    def code(self) -> str:
        """The example as code."""
        return self.text


def _layer_scale(keras: Any) -> Any:
    from keras.src.applications.convnext import LayerScale  # noqa: PLC0415

    x = keras.Input((7, 7, 96))
    return keras.Model(x, LayerScale(1e-6, 96, name="layer_scale")(x))


def _stochastic_depth(keras: Any) -> Any:
    from keras.src.applications.convnext import StochasticDepth  # noqa: PLC0415

    x = keras.Input((7, 7, 96))
    return keras.Model(x, StochasticDepth(0.1, name="drop_path")(x))


def _e(
    layer: spec.Layer, *inputs: Shape, spread: bool = False, text: str = ""
) -> Example:
    return Example(layer, inputs, spread, text)


EXAMPLES: dict[str, list[Example | KerasExample]] = {
    "Conv2D": [_e(spec.Conv2D(32, 3, name="conv"), (28, 28, 1))],
    "DepthwiseConv2D": [
        _e(spec.DepthwiseConv2D(3, depth_multiplier=2, name="dw"), (8, 8, 16))
    ],
    "Conv2DTranspose": [
        _e(spec.Conv2DTranspose(8, 3, strides=2, name="up"), (7, 7, 16)),
        _e(
            spec.Conv2DTranspose(
                8, 3, strides=2, padding="same", output_padding=1, name="up"
            ),
            (7, 7, 16),
        ),
    ],
    "Conv1DTranspose": [
        _e(spec.Conv1DTranspose(4, 5, strides=3, name="up"), (10, 2))
    ],
    "SeparableConv2D": [
        _e(spec.SeparableConv2D(32, 3, name="sep"), (8, 8, 16))
    ],
    "SeparableConv1D": [
        _e(spec.SeparableConv1D(8, 3, depth_multiplier=2, name="sep"), (20, 4))
    ],
    "Dense": [_e(spec.Dense(8, name="dense"), (16,))],
    "EinsumDense": [
        _e(
            spec.EinsumDense(
                "abc,cd->abd", (10, 64), bias_axes="d", name="proj"
            ),
            (10, 32),
        ),
        _e(
            spec.EinsumDense(
                "abc,cde->abde", (10, 4, 8), bias_axes="de", name="heads"
            ),
            (10, 32),
        ),
    ],
    "Embedding": [_e(spec.Embedding(1000, 64, name="embed"), (20,))],
    "PReLU": [
        _e(spec.PReLU(name="prelu"), (8, 8, 3)),
        _e(spec.PReLU(shared_axes=[1, 2], name="prelu"), (8, 8, 3)),
    ],
    "BatchNormalization": [_e(spec.BatchNormalization(name="bn"), (8, 8, 32))],
    "LayerNormalization": [_e(spec.LayerNormalization(name="ln"), (10, 64))],
    "RMSNormalization": [_e(spec.RMSNormalization(name="rms"), (10, 64))],
    "GroupNormalization": [
        _e(spec.GroupNormalization(groups=8, name="gn"), (8, 8, 32))
    ],
    "UnitNormalization": [_e(spec.UnitNormalization(name="unit"), (10, 64))],
    "Normalization": [_e(spec.Normalization(name="norm"), (32, 32, 3))],
    "SimpleRNN": [_e(spec.SimpleRNN(16, name="rnn"), (10, 8))],
    "LSTM": [_e(spec.LSTM(100, name="lstm"), (10, 28))],
    "GRU": [
        _e(spec.GRU(16, name="gru"), (10, 8)),
        _e(spec.GRU(16, reset_after=False, name="gru"), (10, 8)),
    ],
    "RNN": [
        _e(
            spec.RNN(
                spec.StackedRNNCells([spec.LSTMCell(8), spec.GRUCell(4)]),
                name="rnn",
            ),
            (10, 6),
        )
    ],
    "ConvLSTM2D": [_e(spec.ConvLSTM2D(8, 3, name="convlstm"), (5, 16, 16, 3))],
    "Bidirectional": [
        _e(spec.Bidirectional(spec.LSTM(16), name="bi"), (10, 8))
    ],
    "TimeDistributed": [
        _e(spec.TimeDistributed(spec.Dense(8), name="td"), (10, 16))
    ],
    "SpectralNormalization": [
        _e(spec.SpectralNormalization(spec.Dense(8), name="sn"), (16,))
    ],
    "MultiHeadAttention": [
        _e(
            spec.MultiHeadAttention(4, 16, name="mha"),
            (10, 64),
            (12, 32),
            spread=True,
        )
    ],
    "GroupedQueryAttention": [
        _e(
            spec.GroupQueryAttention(16, 4, 2, name="gqa"),
            (10, 64),
            (12, 64),
            spread=True,
        )
    ],
    "Attention": [
        _e(spec.Attention(use_scale=True, name="att"), (10, 16), (12, 16))
    ],
    "AdditiveAttention": [
        _e(spec.AdditiveAttention(name="att"), (10, 16), (12, 16))
    ],
    "Dot": [_e(spec.Dot(axes=(2, 2), name="dot"), (10, 16), (12, 16))],
    "Add": [_e(spec.Add(name="add"), (8, 8, 16), (8, 8, 16))],
    "Concatenate": [_e(spec.Concatenate(name="concat"), (8, 8, 16), (8, 8, 4))],
    "MaxPooling2D": [_e(spec.MaxPooling2D(2, name="pool"), (26, 26, 32))],
    "GlobalAveragePooling2D": [
        _e(spec.GlobalAveragePooling2D(name="gap"), (7, 7, 64))
    ],
    "AdaptiveAveragePooling2D": [
        _e(spec.AdaptiveAveragePooling2D(4, name="pool"), (13, 9, 8))
    ],
    "Flatten": [_e(spec.Flatten(name="flatten"), (13, 13, 32))],
    "Reshape": [_e(spec.Reshape((-1, 8), name="reshape"), (4, 4, 16))],
    "ZeroPadding2D": [_e(spec.ZeroPadding2D(1, name="pad"), (28, 28, 3))],
    "Cropping2D": [
        _e(spec.Cropping2D(((1, 2), (0, 1)), name="crop"), (28, 28, 3))
    ],
    "UpSampling2D": [_e(spec.UpSampling2D(2, name="up"), (7, 7, 16))],
    "Permute": [_e(spec.Permute((2, 1), name="permute"), (10, 16))],
    "RepeatVector": [_e(spec.RepeatVector(5, name="repeat"), (16,))],
    "Dropout": [_e(spec.Dropout(0.5, name="dropout"), (100,))],
    "Rescaling": [
        _e(
            spec.Rescaling(1 / 255, name="rescale"),
            (28, 28, 1),
            text='spec.Rescaling(1 / 255, name="rescale")',
        )
    ],
    "Resizing": [_e(spec.Resizing(224, 224, name="resize"), (256, 256, 3))],
    "RandomFlip": [_e(spec.RandomFlip(name="flip"), (32, 32, 3))],
    "LayerScale": [
        KerasExample(
            _layer_scale,
            "import keras\n"
            "from keras.src.applications.convnext import LayerScale\n\n"
            "x = keras.Input((7, 7, 96))\n"
            'model = keras.Model(x, LayerScale(1e-6, 96, name="layer_scale")(x))',
        )
    ],
    "StochasticDepth": [
        KerasExample(
            _stochastic_depth,
            "import keras\n"
            "from keras.src.applications.convnext import StochasticDepth\n\n"
            "x = keras.Input((7, 7, 96))\n"
            'model = keras.Model(x, StochasticDepth(0.1, name="drop_path")(x))',
        )
    ],
}
"""Examples by layer kind; every kind whose rule counts weights has one (a test checks)."""

SECTIONS: list[tuple[str, str]] = [
    ("conv", "Convolutions"),
    ("transpose", "Transposed convolutions"),
    ("separable", "Separable convolutions"),
    ("core", "Dense, Flatten, Reshape and shape-keeping layers"),
    ("einsum", "EinsumDense"),
    ("embedding", "Embedding"),
    ("activations", "Learned activations"),
    ("norm", "Batch normalization"),
    ("normalization_more", "Other normalizations"),
    ("preprocessing", "Preprocessing and augmentation"),
    ("recurrent", "Recurrent layers"),
    ("wrappers", "Wrappers"),
    ("attention", "Attention"),
    ("merge", "Merging layers"),
    ("dot", "Dot"),
    ("pooling", "Pooling"),
    ("reshaping", "Cropping, up-sampling, permuting"),
    ("applications", "Layers of keras.applications models"),
]
"""Rule modules in page order, with their section titles; modules not listed come last."""


GROUP_TITLES = {
    "identity": "Shape-keeping layers",
    "augmentation": "Random augmentation",
    "pooling": "Window pooling",
    "global_pooling": "Global pooling",
    "adaptive_pooling": "Adaptive pooling",
    "elementwise": "Element-wise merges",
}
"""Headings of rules that cover many kinds (their kinds are listed under the heading)."""


def rules_by_module() -> dict[str, list[Callable[..., Any]]]:
    """Each rule module's rule functions, in registration order, each once."""
    found: dict[str, list[Callable[..., Any]]] = {}
    for fn in dict.fromkeys(RULES.values()):
        module = fn.__module__.rsplit(".", 1)[-1]
        found.setdefault(module, []).append(fn)
    order = [m for m, _ in SECTIONS] + sorted(
        set(found) - {m for m, _ in SECTIONS}
    )
    return {m: found[m] for m in order if m in found}


def kinds_of(fn: Callable[..., Any]) -> list[str]:
    """The layer kinds a rule function covers."""
    return [kind for kind, rule in RULES.items() if rule is fn]


_FORMULA_TOKEN = re.compile(
    r"\s*(?:([A-Za-z]+(?:_[A-Za-z]+)?)|(\d+)|([·+−\-/()⌊⌋⌈⌉]))"
)
_LATEX_OPERATORS = {"·": r"\cdot", "−": "-", "⌊": r"\lfloor", "⌋": r"\rfloor"}
_LATEX_OPERATORS |= {"⌈": r"\lceil", "⌉": r"\rceil"}


def formula_latex(text: str) -> str | None:
    r"""A rule docstring's formula in symbols as LaTeX, or None if it is not one.

    Symbols are written as `Formula.latex(symbols=True)` writes them.

    Examples:
        >>> formula_latex("(k_h·k_w·C_in/g+1)·F")
        '(k_{h} \\cdot k_{w} \\cdot C_{\\mathrm{in}} / g + 1) \\cdot F'
        >>> formula_latex("⌊k_eff/2⌋")
        '\\lfloor k_{\\mathrm{eff}} / 2\\rfloor'
        >>> formula_latex("units"), formula_latex("C_in"), formula_latex("4")
        (None, 'C_{\\mathrm{in}}', None)
    """
    parts, i, previous_name = [], 0, False
    while i < len(text):
        match = _FORMULA_TOKEN.match(text, i)
        if not match or match.end() == i:
            return None
        name, number, operator = match.groups()
        if name and previous_name:
            return (
                None  # two words in a row: prose (``count of the wrapped RNN``)
            )
        previous_name = bool(name)
        if name:
            parts.append(Term(0, name).latex(symbols=True))
        elif number:
            parts.append(number)
        else:
            parts.append(_LATEX_OPERATORS.get(operator, operator))
        i = match.end()
    symbol = (
        len(parts) == 1
        and text[:1].isalpha()
        and ("_" in text or len(text) == 1)
    )
    if not symbol and not any(p in text for p in "·+−/⌊⌈"):
        return None  # an argument name (``units``) or a number stays code
    latex = " ".join(parts)
    latex = latex.replace(
        "( ", "("
    )  # a control word (\lfloor) keeps its space: \lfloor k
    for closing in (")", r"\rfloor", r"\rceil"):
        latex = latex.replace(f" {closing}", closing)
    return latex


def _markdown(doc: str) -> str:
    """A docstring as Markdown: a formula in ``code`` becomes math, other code `code`."""

    def span(match: re.Match[str]) -> str:
        latex = formula_latex(match[1])
        return f"${latex}$" if latex else f"`{match[1]}`"

    return re.sub(r"``(.+?)``", span, doc)


def _shape(shape: Any) -> str:
    if isinstance(shape, list):
        return ", ".join(_shape(s) for s in shape)
    return fmt_shape(tuple(shape))


def example_markdown(example: Example | KerasExample) -> str:
    """One verified example: the code, the formula, the weights, the shape arithmetic."""
    b = example.breakdown()
    lines = [f"```python\n{example.code()}\n```", ""]
    for row in b.rows:
        f = row.formula
        count = f"**{row.params:,}**"
        if row.params:
            # Display math: a long formula scrolls in its own box, not the page.
            lines += ["$$", f.latex(symbols=True), "$$", ""]
            if f.text() != str(
                row.params
            ):  # a count that is one number is said once
                count = f"`{f.text()}` = {count}"
            if row.non_trainable:
                count += f" ({row.trainable:,} trainable, {row.non_trainable:,} non-trainable)"
        weights = (
            " · ".join(f"`{w.name}` {_shape(w.shape)}" for w in row.weights)
            or "none"
        )
        prefix = f"`{row.name}`: " if len(b.rows) > 1 else ""
        lines.append(f"- {prefix}**Parameters**: {count}")
        lines.append(f"- **Weights**: {weights}")
        lines.append(f"- **Output shape**: `{_shape(row.output_shape)}`")
        lines.extend(f"    - {step}" for step in row.shape_steps)
        if row.note:
            lines.append(f"- **Note**: {row.note}")
    return "\n".join(lines)


def entry_markdown(fn: Callable[..., Any]) -> str:
    """One rule: its kinds, its docstring, and a verified example of each kind that has one."""
    kinds = kinds_of(fn)
    title = GROUP_TITLES.get(fn.__name__) or " · ".join(kinds)
    doc = _markdown(rule_doc(kinds[0]))
    parts = [f"### {title}", "", doc, ""]
    if fn.__name__ in GROUP_TITLES:
        parts += ["Layers: " + ", ".join(f"`{k}`" for k in kinds) + ".", ""]
    for kind in kinds:
        for example in EXAMPLES.get(kind, []):
            parts += [example_markdown(example), ""]
    return "\n".join(parts)


def section_markdown(module: str) -> str:
    """Every rule of one module, as Markdown."""
    return "\n".join(entry_markdown(fn) for fn in rules_by_module()[module])


def sections() -> list[tuple[str, str]]:
    """The (module, title) of each section, as the page shows them."""
    titles = dict(SECTIONS)
    return [(m, titles.get(m, m)) for m in rules_by_module()]


def page_markdown() -> str:
    """The whole reference: one section per rule module."""
    return "\n\n".join(
        f"## {title}\n\n{section_markdown(m)}" for m, title in sections()
    )


def rules_without_example() -> list[list[str]]:
    """The kinds of each rule none of whose kinds has an example (should be empty)."""
    every = [kinds_of(fn) for fn in dict.fromkeys(RULES.values())]
    return [kinds for kinds in every if not any(k in EXAMPLES for k in kinds)]


def _one(example: Example) -> tuple[Breakdown, Any]:
    b = example.breakdown()
    return b, b.rows[0]


def pitfall_batch_norm() -> str:
    """BatchNormalization: 4·C parameters, of which 2·C are never trained."""
    example = _e(spec.BatchNormalization(name="bn"), (8, 8, 32))
    _, row = _one(example)
    return (
        f"On {row.output_shape[-1]} channels it holds **{row.params:,}** parameters, "
        f"`{row.formula}`: **{row.trainable:,}** trainable (`gamma` and `beta`) and "
        f"**{row.non_trainable:,}** non-trainable (`moving_mean` and `moving_variance`, "
        "updated by averaging during training, not by gradients). Keras's *Trainable "
        "params* leaves the statistics out; its *Total params* counts them.\n\n"
        + example_markdown(example)
    )


def pitfall_gru() -> str:
    """GRU: reset_after doubles the biases."""
    after = _e(spec.GRU(16, name="gru"), (10, 8))
    before = _e(spec.GRU(16, reset_after=False, name="gru"), (10, 8))
    _, a = _one(after)
    _, b = _one(before)
    gap = a.params - b.params
    lstm_units, lstm_inputs = 16, 8
    _, lstm = _one(_e(spec.LSTM(lstm_units, name="lstm"), (10, lstm_inputs)))
    return (
        f"With `reset_after=True` (the Keras default) this GRU has **{a.params:,}** "
        f"parameters, with `reset_after=False` **{b.params:,}**: {gap:,} more, "
        f"`3·n` = `3·{gap // 3}`, one extra bias vector per gate, because the reset gate "
        "is applied after the recurrent kernel, which then needs its own bias. The bias "
        "weight is `(2, 3·n)` instead of `(3·n,)`. Keras 2 before TensorFlow 2 "
        "defaulted to `reset_after=False`, so older formulas give the smaller count.\n\n"
        "PyTorch's `GRU` keeps two bias vectors per gate, `b_ih` and `b_hh`, so it matches "
        "Keras's default `reset_after=True`. It is PyTorch's `LSTM` that differs: with "
        "$n$ units (`hidden_size`) and $m$ input features (`input_size`), its two bias "
        "vectors give $4 \\cdot (n \\cdot (m + n) + 2n)$ parameters, where Keras's `LSTM` "
        f"has one bias vector and $4 \\cdot (n \\cdot (m + n) + n)$: {lstm.params:,} for "
        f"`LSTM({lstm_units})` on {lstm_inputs} features (verified against Keras), "
        f"{4 * lstm_units:,} fewer than PyTorch.\n\n"
        + example_markdown(after)
        + "\n\n"
        + example_markdown(before)
    )


def pitfall_dense_3d() -> str:
    """Dense on a 3-D input acts on the last axis only."""
    dense = _e(spec.Dense(8, name="dense"), (10, 16))
    _, row = _one(dense)
    flat = spec.Sequential(
        [
            spec.Input((10, 16)),
            spec.Flatten(name="flatten"),
            spec.Dense(8, name="dense"),
        ]
    ).explain(verify=True)
    steps, features = dense.inputs[0]
    return (
        f"`Dense(8)` on a `{_shape((None, steps, features))}` input does not see "
        f"{steps}·{features} values: it applies the same `{features}×8` kernel at each of "
        f"the {steps} steps, so it has **{row.params:,}** parameters, `{row.formula}`, and "
        f"outputs `{_shape(row.output_shape)}`. To mix the steps, flatten first: "
        f"`Flatten` then `Dense(8)` has **{flat.total:,}** parameters, "
        f"`{flat.formula}`.\n\n" + example_markdown(dense)
    )


def pitfall_depthwise_separable() -> str:
    """DepthwiseConv2D, SeparableConv2D and Conv2D on the same input."""
    shape = (8, 8, 16)
    examples = [
        _e(spec.DepthwiseConv2D(3, name="depthwise"), shape),
        _e(spec.SeparableConv2D(32, 3, name="separable"), shape),
        _e(spec.Conv2D(32, 3, name="conv"), shape),
    ]
    lines = [
        "| Layer | Parameters | Formula | Output shape |",
        "| --- | ---: | --- | --- |",
    ]
    for example in examples:
        _, row = _one(example)
        code = spec_code(example.layer).removeprefix("spec.")
        code = code.replace(f', name="{example.layer.name}"', "")
        lines.append(
            f"| `{code}` | {row.params:,} | "
            f"${row.formula.latex(symbols=True)}$ | `{_shape(row.output_shape)}` |"
        )
    return (
        f"On a `{_shape((None, *shape))}` input (verified against Keras):\n\n"
        + "\n".join(lines)
        + "\n\nA depthwise convolution filters each input channel on its own and keeps "
        "the channel count (times `depth_multiplier`); it has a bias per output channel. "
        "A separable convolution is that depthwise step followed by a 1×1 convolution to "
        "`F` filters, with a single bias, on the pointwise step: no depthwise bias."
    )


def pitfall_shared() -> str:
    """A layer called twice counts once."""
    left, right = (
        spec.Input((16,), name="left"),
        spec.Input((16,), name="right"),
    )
    shared = spec.Dense(8, name="shared")
    merged = spec.Concatenate(name="concat")([shared(left), shared(right)])
    b = spec.Model([left, right], merged, name="siamese").explain(verify=True)
    row = b.rows[0]
    return (
        f"`{row.name}` is called {row.calls} times, on two inputs, but holds one set of "
        f"weights: **{row.params:,}** parameters, `{row.formula}`, counted once. The "
        f"model's total is **{b.total:,}**, as Keras's `count_params()` says; adding each "
        f"call would give {row.calls * row.params:,}. The row's note: *{row.note}*."
    )


PITFALLS: dict[str, Callable[[], str]] = {
    "batch_norm": pitfall_batch_norm,
    "gru": pitfall_gru,
    "dense_3d": pitfall_dense_3d,
    "depthwise_separable": pitfall_depthwise_separable,
    "shared": pitfall_shared,
}


_VERIFIED: dict[int, Breakdown] = {}


def verified(example: Example | KerasExample) -> Breakdown:
    """The example's breakdown, verified against Keras once per build."""
    key = id(example)
    if key not in _VERIFIED:
        _VERIFIED[key] = example.breakdown()
    return _VERIFIED[key]


def _call(example: Example | KerasExample) -> str:
    """A short call for a table cell: ``Conv2D(32, 3)``, without ``spec.`` or the name."""
    if isinstance(example, KerasExample):
        line = example.text.splitlines()[-1]
        return (
            line.split("(x, ", 1)[1].rsplit(")(x)", 1)[0].split(", name=")[0]
            + ")"
        )
    code = spec_code(example.layer).removeprefix("spec.")
    code = code.replace(f', name="{example.layer.name}"', "")
    return code.replace(f'(name="{example.layer.name}")', "()")


def sheet_markdown() -> str:
    """The formula sheet: one line per layer kind that has weights, each with a live example.

    Each line: the kind and an example (built in Keras and verified), its
    formula in symbols and in numbers with the count (the example's `Formula`,
    so both come from the rule).
    """
    lines = [
        "| Layer, with an example | Parameters, in symbols | In numbers |",
        "|---|---|---|",
    ]
    for fns in rules_by_module().values():
        for fn in fns:
            for kind in kinds_of(fn):
                if not EXAMPLES.get(kind):
                    continue
                example = EXAMPLES[kind][0]
                b = verified(example)
                row = b.rows[0]
                if not row.params:
                    continue
                shape = _shape(b.input_shapes[0][1:])
                count = f"{row.params:,}".replace(",", "{,}")
                numbers = row.formula.latex()
                if numbers != str(row.params):  # never "64 = 64"
                    count = f"{numbers} = {count}"
                lines.append(
                    f"| **{kind}**: `{_call(example)}` on `{shape}` | "
                    f"${row.formula.latex(symbols=True)}$ | ${count}$ |"
                )
    return "\n".join(lines)


def no_parameter_kinds() -> list[str]:
    """The layer kinds whose rule never counts a weight."""
    kinds = []
    for fns in rules_by_module().values():
        for fn in fns:
            if rule_doc(kinds_of(fn)[0]).startswith(("No parameters", "``0``")):
                kinds += kinds_of(fn)
    return kinds
