"""Models to compare with the question's model, and the table that compares their costs.

LeNet-5 is written as a framework-free spec (LeCun et al., 1998: two 5×5
convolutions with average pooling, then 120, 84 and 10 units). The others are
built from ``keras.applications`` with ``weights=None`` (nothing is downloaded)
at their default 224×224×3 input.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cnnexplain
from cnnexplain import spec

BATCH = 32
OPTIMIZER = "adam"
MIB = 1024**2
MILLION = 1_000_000


def lenet5() -> spec.Model:
    """LeNet-5's layer sizes on a 32×32 grey image (tanh, average pooling)."""
    return spec.Sequential(
        [
            spec.Input((32, 32, 1)),
            spec.Conv2D(6, (5, 5), activation="tanh", name="c1"),
            spec.AveragePooling2D((2, 2), name="s2"),
            spec.Conv2D(16, (5, 5), activation="tanh", name="c3"),
            spec.AveragePooling2D((2, 2), name="s4"),
            spec.Flatten(name="flatten"),
            spec.Dense(120, activation="tanh", name="c5"),
            spec.Dense(84, activation="tanh", name="f6"),
            spec.Dense(10, activation="softmax", name="output"),
        ],
        name="lenet5",
    )


def application(name: str) -> Callable[[], Any]:
    """A builder of ``keras.applications.<name>(weights=None)``."""

    def build() -> Any:
        import keras  # noqa: PLC0415

        return getattr(keras.applications, name)(weights=None)

    return build


@dataclass(frozen=True)
class Entry:
    """One model of the comparison: its costs and what they sum to."""

    label: str
    input_shape: str
    params: int
    costs: cnnexplain.Costs

    @property
    def training(self) -> cnnexplain.TrainingMemory:
        """Memory to train it with Adam on batches of `BATCH` examples."""
        return self.costs.training_memory(OPTIMIZER, batch_size=BATCH)


def entry(label: str, model: Any) -> Entry:
    """Explain ``model`` (verified against Keras when it is a Keras model) and cost it."""
    breakdown = cnnexplain.explain(model)
    shape = "×".join(str(d) for d in breakdown.input_shapes[0][1:])
    return Entry(label, shape, breakdown.total, breakdown.costs())


def _mib(n: int) -> str:
    return f"{n / MIB:,.1f} MiB" if n >= MIB else f"{n / 1024:,.1f} KiB"


def _millions(n: int) -> str:
    return f"{n / 1e6:,.1f} M" if n >= MILLION / 10 else f"{n / 1e6:,.2f} M"


def table(entries: list[Entry], *, reference: Entry) -> str:
    """A Markdown table: parameters, memory, MACs and training memory of each model."""
    header = (
        "| Model | Parameters | × the question's | Input | Weights (float32) | MACs per image "
        f"| Activations per image | Training ({OPTIMIZER}, batch {BATCH}) |"
    )
    out = [header, "|---|---:|---:|---|---:|---:|---:|---:|"]
    for e in entries:
        ratio = e.params / reference.params
        out.append(
            f"| {e.label} | {e.params:,} | {ratio:,.2f} | {e.input_shape} "
            f"| {_mib(e.costs.param_bytes)} | {_millions(e.costs.macs)} "
            f"| {_mib(e.costs.activation_bytes)} | {_mib(e.training.total)} |"
        )
    return "\n".join(out)
