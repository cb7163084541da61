"""The PyTorch half of the Layer reference and the formula sheet, generated from the torch rules.

One entry per rule of ``cnnexplain._rules.torch`` (its registry, ``TORCH_RULES``):
the rule's docstring, then examples. Each example is the code of one module
(the text shown is the text run), explained on the input size it gives and
verified while the site builds: every row against the module's parameters'
``numel()`` and the output shapes PyTorch records, the total against
``sum(p.numel() for p in module.parameters())`` again here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

import torch
from torch import nn

from cnnexplain import Breakdown, explain
from cnnexplain._rules.registry import TORCH_RULES

_FORMULA_CODE = "``"
LONG_FORMULA = (
    40  # characters: wider than a phone's line once set with argument names
)


class TorchExample(NamedTuple):
    """A ``torch.nn`` module, as the code that makes it, and the input it runs on."""

    code: str  # an expression in ``nn``: ``nn.Conv2d(1, 32, 3)``
    input_size: Any  # batch included, or a list of sizes for several inputs
    dtypes: tuple[
        str, ...
    ] = ()  # torch dtype names, one per input, if not the default

    def module(self) -> nn.Module:
        """The module the code makes (the code is the page's own text)."""
        module: nn.Module = eval(self.code, {"nn": nn})  # noqa: S307 - our own text
        return module

    def breakdown(self) -> Breakdown:
        """Explain the module, verified (the default), and check its total once more.

        Raises:
            ValueError: if the total is not the parameters' ``numel()`` sum.
        """
        module = self.module()
        dtypes = (
            [getattr(torch, d) for d in self.dtypes] if self.dtypes else None
        )
        b = explain(module, input_size=self.input_size, dtypes=dtypes)
        numel = sum(p.numel() for p in module.parameters())
        if b.total != numel:
            raise ValueError(f"{self.code}: {b.total} against numel() {numel}")
        return b

    def full_code(self) -> str:
        """The example as complete code: the imports, the module, the explain call."""
        call = f"module, input_size={self.input_size!r}"
        if self.dtypes:
            kinds = ", ".join(f"torch.{d}" for d in self.dtypes)
            return (
                "import torch\nfrom torch import nn\n\nimport cnnexplain\n\n"
                f"module = {self.code}\nbreakdown = cnnexplain.explain(\n"
                f"    {call},\n    dtypes=[{kinds}],\n)"
            )
        return (
            "from torch import nn\n\nimport cnnexplain\n\n"
            f"module = {self.code}\nbreakdown = cnnexplain.explain({call})"
        )


def _t(code: str, *input_size: Any) -> TorchExample:
    size = input_size[0] if len(input_size) == 1 else list(input_size)
    return TorchExample(code, size)


TORCH_EXAMPLES: dict[str, list[TorchExample]] = {
    "Conv2d": [
        _t("nn.Conv2d(1, 32, 3)", (1, 1, 28, 28)),
        _t(
            "nn.Conv2d(16, 32, 3, stride=2, padding=1, groups=4)", (1, 16, 8, 8)
        ),
    ],
    "Conv1d": [_t("nn.Conv1d(4, 8, 5, dilation=2)", (1, 4, 20))],
    "Conv3d": [_t("nn.Conv3d(3, 8, 3, bias=False)", (1, 3, 8, 16, 16))],
    "ConvTranspose2d": [
        _t("nn.ConvTranspose2d(16, 8, 3, stride=2)", (1, 16, 7, 7)),
        _t(
            "nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)",
            (1, 16, 7, 7),
        ),
    ],
    "ConvTranspose1d": [
        _t("nn.ConvTranspose1d(2, 4, 5, stride=3)", (1, 2, 10))
    ],
    "MaxPool2d": [
        _t("nn.MaxPool2d(2)", (1, 32, 26, 26)),
        _t("nn.MaxPool2d(3, stride=2, ceil_mode=True)", (1, 8, 14, 14)),
    ],
    "AvgPool2d": [_t("nn.AvgPool2d(3, stride=2, padding=1)", (1, 8, 14, 14))],
    "AdaptiveAvgPool2d": [_t("nn.AdaptiveAvgPool2d((1, 1))", (1, 64, 7, 7))],
    "FractionalMaxPool2d": [
        _t("nn.FractionalMaxPool2d(2, output_ratio=0.5)", (1, 4, 10, 10))
    ],
    "MaxUnpool2d": [
        TorchExample(
            "nn.MaxUnpool2d(2)",  # the values, then where each one came from
            [(1, 4, 5, 5), (1, 4, 5, 5)],
            ("float32", "long"),
        )
    ],
    "Fold": [_t("nn.Fold(output_size=(4, 4), kernel_size=2)", (1, 8, 9))],
    "MSELoss": [_t("nn.MSELoss()", (1, 10), (1, 10))],
    "AdaptiveLogSoftmaxWithLoss": [
        TorchExample(
            "nn.AdaptiveLogSoftmaxWithLoss(64, 1000, cutoffs=[100, 500])",
            [(4, 64), (4,)],  # four vectors and their class indices
            ("float32", "long"),
        )
    ],
    "LinearCrossEntropyLoss": [
        TorchExample(
            "nn.LinearCrossEntropyLoss(64, 1000)",
            [(4, 64), (4,)],  # four vectors and their class indices
            ("float32", "long"),
        )
    ],
    "Unfold": [_t("nn.Unfold(3)", (1, 2, 5, 5))],
    "ReLU": [_t("nn.ReLU()", (1, 100))],
    "Dropout": [_t("nn.Dropout(0.5)", (1, 100))],
    "Linear": [
        _t("nn.Linear(5408, 100)", (1, 5408)),
        _t("nn.Linear(64, 32)", (1, 10, 64)),
    ],
    "Bilinear": [_t("nn.Bilinear(8, 6, 4)", (1, 8), (1, 6))],
    "PReLU": [
        _t("nn.PReLU()", (1, 3, 8, 8)),
        _t("nn.PReLU(num_parameters=3)", (1, 3, 8, 8)),
    ],
    "Flatten": [_t("nn.Flatten()", (1, 32, 13, 13))],
    "Unflatten": [_t("nn.Unflatten(1, (4, 4))", (1, 16))],
    "GLU": [_t("nn.GLU()", (1, 16))],
    "ZeroPad2d": [_t("nn.ZeroPad2d((0, 1, 0, 1))", (1, 1, 28, 28))],
    "Upsample": [_t("nn.Upsample(scale_factor=2)", (1, 16, 7, 7))],
    "PixelShuffle": [_t("nn.PixelShuffle(2)", (1, 16, 7, 7))],
    "ChannelShuffle": [_t("nn.ChannelShuffle(2)", (1, 8, 4, 4))],
    "CosineSimilarity": [_t("nn.CosineSimilarity()", (1, 16), (1, 16))],
    "Embedding": [
        _t("nn.Embedding(1000, 64)", (1, 20)),
        _t("nn.Embedding(1000, 64, padding_idx=0)", (1, 20)),
    ],
    "EmbeddingBag": [_t("nn.EmbeddingBag(1000, 64)", (2, 20))],
    "BatchNorm2d": [_t("nn.BatchNorm2d(32)", (1, 32, 8, 8))],
    "InstanceNorm2d": [
        _t("nn.InstanceNorm2d(32)", (1, 32, 8, 8)),
        _t("nn.InstanceNorm2d(32, affine=True)", (1, 32, 8, 8)),
    ],
    "LayerNorm": [_t("nn.LayerNorm(64)", (1, 10, 64))],
    "RMSNorm": [_t("nn.RMSNorm(64)", (1, 10, 64))],
    "GroupNorm": [_t("nn.GroupNorm(8, 32)", (1, 32, 8, 8))],
    "LocalResponseNorm": [_t("nn.LocalResponseNorm(5)", (1, 16, 8, 8))],
    "LSTM": [
        _t("nn.LSTM(28, 100, batch_first=True)", (1, 10, 28)),
        _t(
            "nn.LSTM(8, 16, bidirectional=True, batch_first=True)",
            (1, 10, 8),
        ),
    ],
    "GRU": [_t("nn.GRU(8, 16, batch_first=True)", (1, 10, 8))],
    "RNN": [_t("nn.RNN(8, 16, batch_first=True)", (1, 10, 8))],
    "LSTMCell": [_t("nn.LSTMCell(8, 16)", (1, 8))],
    "MultiheadAttention": [
        _t(
            "nn.MultiheadAttention(64, 4, batch_first=True)",
            (1, 10, 64),
            (1, 10, 64),
            (1, 10, 64),
        ),
        _t(
            "nn.MultiheadAttention(64, 4, kdim=32, vdim=32, batch_first=True)",
            (1, 10, 64),
            (1, 12, 32),
            (1, 12, 32),
        ),
    ],
}
"""Examples by ``torch.nn`` class; every rule has one for at least one of its classes."""

SECTIONS: list[tuple[str, str]] = [
    ("conv", "Convolutions and pooling"),
    ("core", "Linear, activations, shape layers"),
    ("embedding", "Embedding"),
    ("norm", "Normalization"),
    ("recurrent", "Recurrent layers"),
    ("attention", "Attention"),
    ("fold", "Folding windows back"),
    ("adaptive", "Adaptive softmax"),
    ("loss", "Losses"),
]
"""Torch rule modules in page order, with their section titles."""

GROUP_TITLES = {
    "identity": "Activations, dropout, Identity",
    "pool": "Window pooling",
    "adaptive_pool": "Adaptive pooling",
    "padding": "Padding",
    "loss": "Losses without parameters",
}
"""Headings of rules that cover many classes (their classes are listed under it)."""


def rules_by_module() -> dict[str, list[Callable[..., Any]]]:
    """Each torch rule module's rule functions, in registration order, each once."""
    found: dict[str, list[Callable[..., Any]]] = {}
    for fn in dict.fromkeys(TORCH_RULES.values()):
        found.setdefault(fn.__module__.rsplit(".", 1)[-1], []).append(fn)
    order = [m for m, _ in SECTIONS] + sorted(
        set(found) - {m for m, _ in SECTIONS}
    )
    return {m: found[m] for m in order if m in found}


def kinds_of(fn: Callable[..., Any]) -> list[str]:
    """The ``torch.nn`` classes a rule function covers."""
    return [kind for kind, rule in TORCH_RULES.items() if rule is fn]


def torch_rule_doc(fn: Callable[..., Any]) -> str:
    """The rule's docstring, its ``formula`` spans as math, other code as ``code``."""
    from examples.layers import formula_latex  # noqa: PLC0415 - docs/ is on the build's path

    doc = inspect.cleandoc(fn.__doc__ or "")
    parts = doc.split(_FORMULA_CODE)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            latex = formula_latex(part)
            if not latex:
                out.append(f"`{part}`")
            elif (
                len(part) > LONG_FORMULA
            ):  # a line of its own: wraps, or scrolls
                out.append(f"\n\n$$\n{latex}\n$$\n\n")
            else:
                out.append(f"${latex}$")
        elif out and out[-1].endswith(
            "$$\n\n"
        ):  # the sentence goes on below it
            rest = part.lstrip(";:,. ")
            out.append(rest[:1].upper() + rest[1:])
        else:
            out.append(part)
    return "".join(out)


def _shape(shape: Any) -> str:
    if isinstance(shape, list):
        return ", ".join(_shape(s) for s in shape)
    return str(tuple(shape))


def example_markdown(example: TorchExample) -> str:
    """One verified example: the code, the formula, the tensors, the buffers, the shape."""
    b = example.breakdown()
    lines = [f"```python\n{example.full_code()}\n```", ""]
    for row in b.rows:
        f = row.formula
        count = f"**{row.params:,}**"
        if row.params:
            lines += ["$$", f.latex(symbols=True), "$$", ""]
            if f.text() != str(row.params):
                count = f"`{f.text()}` = {count}"
        weights = " · ".join(
            f"`{w.name}` {_shape(w.shape)}" for w in row.weights
        )
        lines.append(f"- **Parameters**: {count}")
        lines.append(f"- **Tensors**: {weights or 'none'}")
        if row.buffers:
            buffers = " · ".join(
                f"`{w.name}` {_shape(w.shape)}" for w in row.buffers
            )
            lines.append(f"- **Buffers** (never counted): {buffers}")
        lines.append(f"- **Output shape**: `{_shape(row.output_shape)}`")
        lines.extend(f"    - {step}" for step in row.shape_steps)
    return "\n".join(lines)


def entry_markdown(fn: Callable[..., Any]) -> str:
    """One torch rule: its classes, its docstring, a verified example of each class that has one."""
    kinds = kinds_of(fn)
    title = GROUP_TITLES.get(fn.__name__) or " · ".join(kinds)
    parts = [f"### {title}", "", torch_rule_doc(fn), ""]
    if fn.__name__ in GROUP_TITLES or len(kinds) > 3:  # noqa: PLR2004
        parts += ["Modules: " + ", ".join(f"`{k}`" for k in kinds) + ".", ""]
    for kind in kinds:
        for example in TORCH_EXAMPLES.get(kind, []):
            parts += [example_markdown(example), ""]
    return "\n".join(parts)


def page_markdown() -> str:
    """The whole PyTorch reference: one section per torch rule module."""
    titles = dict(SECTIONS)
    return "\n\n".join(
        f"## {titles.get(m, m)}\n\n"
        + "\n".join(entry_markdown(fn) for fn in fns)
        for m, fns in rules_by_module().items()
    )


def rules_without_example() -> list[list[str]]:
    """The classes of each torch rule none of whose classes has an example."""
    every = [kinds_of(fn) for fn in dict.fromkeys(TORCH_RULES.values())]
    return [
        kinds for kinds in every if not any(k in TORCH_EXAMPLES for k in kinds)
    ]


_VERIFIED: dict[int, Breakdown] = {}


def verified(example: TorchExample) -> Breakdown:
    """The example's breakdown, verified once per build."""
    if id(example) not in _VERIFIED:
        _VERIFIED[id(example)] = example.breakdown()
    return _VERIFIED[id(example)]


def sheet_markdown() -> str:
    """The PyTorch formula sheet: one entry per class with parameters, each with a live example.

    Each entry: the class and an example module (explained and verified), then
    one display formula, the rule's formula in symbols, in numbers, and the
    count (the example's `Formula`, as for the Keras sheet). PyTorch's symbols
    are its argument names, too long for a table cell on a phone: each formula
    gets a line of its own, which wraps at its ``=`` and ``+``.
    """
    parts = []
    for fns in rules_by_module().values():
        for fn in fns:
            for kind in kinds_of(fn):
                for example in TORCH_EXAMPLES.get(kind, [])[:1]:
                    row = verified(example).rows[0]
                    if not row.params:
                        continue
                    count = f"{row.params:,}".replace(",", "{,}")
                    numbers = row.formula.latex()
                    if numbers != str(row.params):
                        count = f"{numbers} = {count}"
                    buffers = ", ".join(f"`{w.name}`" for w in row.buffers)
                    parts += [
                        f"**{kind}**: `{example.code.removeprefix('nn.')}` on "
                        f"`{_shape(example.input_size)}`"
                        + (
                            f"; buffers, never counted: {buffers}"
                            if buffers
                            else ""
                        ),
                        "",
                        "$$",
                        f"{row.formula.latex(symbols=True)} = {count}",
                        "$$",
                        "",
                    ]
    return "\n".join(parts)


def no_parameter_kinds() -> list[str]:
    """The ``torch.nn`` classes whose rule never counts a parameter."""
    kinds = []
    for fns in rules_by_module().values():
        for fn in fns:
            if inspect.cleandoc(fn.__doc__ or "").startswith("No parameters"):
                kinds += kinds_of(fn)
    return kinds


def _one(example: TorchExample) -> Any:
    return verified(example).rows[0]


def pitfall_batch_norm() -> str:
    """BatchNorm2d: 2·C parameters; the running statistics are buffers."""
    example = TORCH_EXAMPLES["BatchNorm2d"][0]
    row = _one(example)
    buffers = ", ".join(f"`{w.name}`" for w in row.buffers)
    return (
        f"On {row.output_shape[1]} channels, `BatchNorm2d` holds **{row.params:,}** "
        f"parameters, `{row.formula}`, all trainable (`weight` is γ, `bias` is β). The "
        f"statistics, {buffers}, are buffers: saved in the `state_dict`, updated "
        "during training, never counted by `parameters()`. The same layer in Keras "
        "counts twice as many (see [Keras and PyTorch count differently]"
        # A live block's markdown is not MkDocs's: its links are URLs, not .md files.
        "(../frameworks/#batchnorm-the-running-statistics-are-buffers)).\n\n"
        + example_markdown(example)
    )


def pitfall_recurrent() -> str:
    """LSTM and GRU: two bias vectors per gate."""
    lstm, gru = TORCH_EXAMPLES["LSTM"][0], TORCH_EXAMPLES["GRU"][0]
    row = _one(lstm)
    module = lstm.module()
    biases = [name for name, _ in module.named_parameters() if "bias" in name]
    return (
        f"PyTorch's `LSTM` keeps two bias vectors, {', '.join(f'`{b}`' for b in biases)}, "
        f"of `4·hidden_size` values each: **{row.params:,}** parameters, `{row.formula}`. "
        "Keras's `LSTM` has one, `4·hidden_size` fewer. PyTorch's `GRU` has two "
        "as well, which is what Keras's default `reset_after=True` has: the two GRUs "
        "agree.\n\n" + example_markdown(lstm) + "\n\n" + example_markdown(gru)
    )


def pitfall_linear_3d() -> str:
    """Linear on a 3-D input acts on the last axis only."""
    example = TORCH_EXAMPLES["Linear"][1]
    row = _one(example)
    _, steps, _ = example.input_size
    return (
        f"`{example.code}` on a `{example.input_size}` input applies the same "
        f"`weight` at each of the {steps} positions: **{row.params:,}** parameters, "
        f"`{row.formula}`, whatever the length, and the output is "
        f"`{row.output_shape}`.\n\n" + example_markdown(example)
    )


TORCH_PITFALLS: dict[str, Callable[[], str]] = {
    "batch_norm": pitfall_batch_norm,
    "recurrent": pitfall_recurrent,
    "linear_3d": pitfall_linear_3d,
}
