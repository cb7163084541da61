"""The Exercises page in PyTorch: each exercise's model as ``torch.nn`` modules.

Each entry has the title of a Keras exercise (docs/examples/exercises.py), a
module with the input size it runs on, and the question and answer text read
from its breakdown, which `cnnexplain.explain` verifies against the module's
own ``numel()`` and recorded shapes while the site builds.
"""

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from cnnexplain import Breakdown, LayerRow, explain


@dataclass(frozen=True)
class TorchExercise:
    """The PyTorch version of one exercise."""

    title: str
    module: Callable[[], nn.Module]
    input_size: object
    question: Callable[[Breakdown], str]
    answer: Callable[[Breakdown], str]

    def breakdown(self) -> Breakdown:
        """The module's breakdown, verified; its total checked against ``numel()`` too.

        Raises:
            ValueError: if the total is not the sum of the parameters' ``numel()``.
        """
        module = self.module()
        b = explain(
            module, input_size=self.input_size
        )  # verify=True by default
        numel = sum(p.numel() for p in module.parameters())
        if b.total != numel:
            raise ValueError(f"{self.title}: {b.total} against numel() {numel}")
        return b


def _row(b: Breakdown, name: str) -> LayerRow:
    return next(r for r in b.rows if r.name == name)


def _count(row: LayerRow) -> str:
    total = f"{row.params:,}".replace(",", "{,}")
    return f"${row.formula.latex()} = {total}$"


def _steps(row: LayerRow) -> str:
    return "; ".join(f"`{s}`" for s in row.shape_steps)


def _shape(row: LayerRow) -> str:
    return f"`{row.output_shape}`"


def _input(b: Breakdown) -> str:
    return "×".join(str(n) for n in b.input_shapes[0][1:])


def _weights(row: LayerRow) -> str:
    return " and ".join(f"`{w.name}` {w.shape}" for w in row.weights)


def _seq(**modules: nn.Module) -> nn.Sequential:
    return nn.Sequential(OrderedDict(modules))


class Siamese(nn.Module):
    """One Linear layer applied to two inputs, the results concatenated."""

    def __init__(self) -> None:
        super().__init__()
        self.shared = nn.Linear(16, 8)

    def forward(self, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.shared(left), self.shared(right)], dim=1)


CHANNELS_FIRST = "(channels first, batch of one)"

TORCH_EXERCISES = [
    TorchExercise(
        "A convolution on a colour image",
        lambda: _seq(conv=nn.Conv2d(3, 64, 3)),
        (1, 3, 32, 32),
        lambda b: (
            f"An `nn.Conv2d(3, {_row(b, 'conv').output_shape[1]}, 3)` reads a "
            f"{_input(b)} image {CHANNELS_FIRST}. How many parameters does it have?"
        ),
        lambda b: (
            f"{_count(_row(b, 'conv'))}: each of the `out_channels` filters spans "
            "all `in_channels` colour channels and has one bias; the tensors are "
            f"{_weights(_row(b, 'conv'))}."
        ),
    ),
    TorchExercise(
        "A stride that does not divide",
        lambda: _seq(conv=nn.Conv2d(3, 64, 3, stride=2)),
        (1, 3, 32, 32),
        lambda b: (
            "The same module with `stride=2` (and the default `padding=0`) on the "
            f"{_input(b)} image: what is its output shape, and does its count change?"
        ),
        lambda b: (
            f"{_shape(_row(b, 'conv'))}: {_steps(_row(b, 'conv'))}. PyTorch rounds "
            "down as Keras does, and puts the channels first. The count is "
            f"unchanged, {_count(_row(b, 'conv'))}."
        ),
    ),
    TorchExercise(
        "Explicit padding: (W − F + 2P)/S + 1",
        lambda: _seq(conv=nn.Conv2d(1, 16, 5, padding=2)),
        (1, 1, 28, 28),
        lambda b: (
            f"`nn.Conv2d(1, {_row(b, 'conv').output_shape[1]}, 5, padding=2)` on a "
            f"{_input(b)} image. What are the output shape and the count?"
        ),
        lambda b: (
            f"{_shape(_row(b, 'conv'))} ({_steps(_row(b, 'conv'))}): `padding=2` "
            "is the $P$ of $(W - F + 2P)/S + 1$, no padding layer needed. "
            f"Parameters: {_count(_row(b, 'conv'))}."
        ),
    ),
    TorchExercise(
        "Dilation",
        lambda: _seq(conv=nn.Conv2d(8, 16, 3, dilation=2)),
        (1, 8, 28, 28),
        lambda b: (
            f"`nn.Conv2d(8, {_row(b, 'conv').output_shape[1]}, 3, dilation=2)` on "
            f"a {_input(b)} input. Output shape? Parameters?"
        ),
        lambda b: (
            f"{_shape(_row(b, 'conv'))} ({_steps(_row(b, 'conv'))}). "
            f"The count does not change with dilation: {_count(_row(b, 'conv'))}."
        ),
    ),
    TorchExercise(
        "Groups, without bias",
        lambda: _seq(conv=nn.Conv2d(16, 32, 3, groups=4, bias=False)),
        (1, 16, 16, 16),
        lambda b: (
            f"`nn.Conv2d(16, {_row(b, 'conv').output_shape[1]}, 3, groups=4, "
            f"bias=False)` on a {_input(b)} input. How many parameters?"
        ),
        lambda b: (
            f"{_count(_row(b, 'conv'))}: its one tensor, {_weights(_row(b, 'conv'))}, "
            "holds `in_channels/groups` input channels per filter."
        ),
    ),
    TorchExercise(
        "BatchNormalization",
        lambda: _seq(
            conv=nn.Conv2d(3, 64, 3, padding=1, bias=False),
            bn=nn.BatchNorm2d(64),
        ),
        (1, 3, 32, 32),
        lambda b: (
            f"`nn.BatchNorm2d({_row(b, 'bn').output_shape[1]})` after a convolution "
            f"with {_row(b, 'conv').output_shape[1]} output channels. How many "
            "parameters, and how many of them are trainable?"
        ),
        lambda b: (
            f"{_count(_row(b, 'bn'))}, all {_row(b, 'bn').trainable:,} trainable: "
            f"{_weights(_row(b, 'bn'))}. The running statistics, "
            + ", ".join(f"`{w.name}`" for w in _row(b, "bn").buffers)
            + ", are buffers: saved with the module, never counted "
            "(Keras counts its two moving statistics as non-trainable weights)."
        ),
    ),
    TorchExercise(
        "The flatten size",
        lambda: _seq(
            conv=nn.Conv2d(1, 16, 3),
            pool=nn.MaxPool2d(2),
            flatten=nn.Flatten(),
            dense=nn.Linear(16 * 13 * 13, 10),
        ),
        (1, 1, 28, 28),
        lambda b: (
            f"`nn.Conv2d(1, {_row(b, 'conv').output_shape[1]}, 3)`, `nn.MaxPool2d(2)`, "
            "`nn.Flatten()` and `nn.Linear(in_features, 10)` on a "
            f"{_input(b)} image. What must `in_features` be, and how many "
            "parameters does the `Linear` hold?"
        ),
        lambda b: (
            f"The convolution gives {_shape(_row(b, 'conv'))}, the pooling "
            f"{_shape(_row(b, 'pool'))}, and `Flatten` "
            f"{_steps(_row(b, 'flatten'))}: that is `in_features`. The `Linear`: "
            f"{_count(_row(b, 'dense'))}."
        ),
    ),
    TorchExercise(
        "A shared layer",
        Siamese,
        [(1, 16), (1, 16)],
        lambda _: (
            "A module's `forward` calls one `nn.Linear(16, 8)` on two inputs of 16 "
            "values each and concatenates the results. How many parameters does "
            "`parameters()` yield?"
        ),
        lambda b: (
            f"**{b.total:,}**, {_count(_row(b, 'shared'))}: the module is called "
            f"{_row(b, 'shared').calls} times but holds one `weight` and one `bias`."
        ),
    ),
]
"""One PyTorch exercise per Keras exercise, in the same order (a test checks)."""
