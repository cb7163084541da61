"""The formula sheet's PyTorch tables: where the two frameworks count apart, and output shapes.

Each Keras layer is described with `cnnexplain.spec` and built in Keras
(``verify=True``); each torch module is explained and verified against its
``numel()`` and recorded shapes. A table raises if the frameworks agree where
the page says they differ, or differ where it says they agree.
"""

from torch import nn

from cnnexplain import Breakdown, explain, spec


def _keras(layer: spec.Layer, shape: tuple[int, ...]) -> Breakdown:
    return spec.Sequential([spec.Input(shape), layer], name="sheet").explain(
        verify=True
    )


CONTRASTS = [
    # (Keras layer, its input, torch module, its input, counts differ?)
    (
        spec.BatchNormalization,
        (8, 8, 32),
        lambda: nn.BatchNorm2d(32),
        (1, 32, 8, 8),
        True,
    ),
    (
        lambda: spec.LSTM(100),
        (10, 28),
        lambda: nn.LSTM(28, 100, batch_first=True),
        (1, 10, 28),
        True,
    ),
    (
        lambda: spec.GRU(16),
        (10, 8),
        lambda: nn.GRU(8, 16, batch_first=True),
        (1, 10, 8),
        False,
    ),
    (
        lambda: spec.GRU(16, reset_after=False),
        (10, 8),
        lambda: nn.GRU(8, 16, batch_first=True),
        (1, 10, 8),
        True,
    ),
]


def _grouped(count: int) -> str:
    return f"{count:,}".replace(",", "{,}")


def contrast_table() -> str:
    """Keras's and PyTorch's formula and count for the layers whose conventions differ.

    Raises:
        ValueError: if a pair's counts agree where they should differ, or the reverse.
    """
    lines = []
    for keras_layer, keras_shape, torch_module, torch_size, differ in CONTRASTS:
        k = _keras(keras_layer(), keras_shape).rows[0]
        t = explain(torch_module(), input_size=torch_size).rows[0]
        if (k.params != t.params) != differ:
            raise ValueError(
                f"{k.kind} and {t.kind}: {k.params} and {t.params}"
            )
        option = (
            " with `reset_after=False`" if k.kind == "GRU" and differ else ""
        )
        frozen = (
            f" ({k.non_trainable:,} of them non-trainable)"
            if k.non_trainable
            else ""
        )
        buffers = ", ".join(f"`{w.name}`" for w in t.buffers)
        verdict = "differ" if differ else "agree"
        lines += [
            (
                f"**Keras's `{k.kind}`{option}** on `{keras_shape}` and **PyTorch's "
                f"`{t.kind}`** on `{torch_size}` {verdict}. Keras{frozen}:"
            ),
            "",
            "$$",
            f"{k.formula.latex(symbols=True)} = {_grouped(k.params)}",
            "$$",
            "",
            "PyTorch"
            + (f" (buffers, never counted: {buffers})" if buffers else "")
            + ":",
            "",
            "$$",
            f"{t.formula.latex(symbols=True)} = {_grouped(t.params)}",
            "$$",
            "",
        ]
    return "\n".join(lines)


SHAPE_MODULES = [
    "nn.Conv2d(1, 8, 3)",
    "nn.Conv2d(1, 8, 3, padding=1)",
    'nn.Conv2d(1, 8, 3, padding="same")',
    "nn.Conv2d(1, 8, 3, stride=2)",
    "nn.Conv2d(1, 8, 3, dilation=2)",
    "nn.MaxPool2d(3, stride=2, ceil_mode=True)",
]


def torch_shape_table(size: tuple[int, ...] = (1, 1, 28, 28)) -> str:
    """Each module's output shape and its height arithmetic, checked against PyTorch."""
    lines = ["| Module | Output shape | Arithmetic (H) |", "|---|---|---|"]
    for code in SHAPE_MODULES:
        module = eval(code, {"nn": nn})  # noqa: S307 - our own text, shown as is
        row = explain(module, input_size=size).rows[
            0
        ]  # verified: shapes recorded
        lines.append(
            f"| `{code.removeprefix('nn.')}` on `{size}` | `{row.output_shape}` "
            f"| `{row.shape_steps[0].removeprefix('H: ')}` |"
        )
    return "Checked against PyTorch:\n\n" + "\n".join(lines)
