"""torch MACs on one basis: modules called several times, unknown parts, sequence-first RNNs.

The oracle is torch's own count: ``FlopCounterMode`` on a meta copy of the module
(where it also sees the LSTM kernel the CPU fuses), FLOPs / 2 / batch for MACs per
example. torchinfo's ``total_mult_adds`` (per batch, bias additions included) is
the oracle of ``costs(batch_size=..., include_bias=True)``.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
import torch
import torchinfo
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from cnnexplain import SpecError, explain


def flop_counter_macs(module: nn.Module, *data: torch.Tensor) -> int:
    """Half the FLOPs torch counts in one forward of a meta copy, for the whole batch."""
    meta = copy.deepcopy(module).to("meta")
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        meta(*(d.to("meta") for d in data))
    flops = int(counter.get_total_flops())
    assert flops % 2 == 0
    return flops // 2


class TwiceThrough(nn.Module):
    """One Sequential called twice on its own output."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 4, bias=False), nn.ReLU(), nn.Linear(4, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = self.body(self.body(x))
        return result


class Nested(nn.Module):
    """Calls a child Sequential whole, then layer by layer, inside a module called twice."""

    def __init__(self) -> None:
        super().__init__()
        self.pair = nn.Sequential(nn.Linear(6, 6), nn.Linear(6, 6))
        self.middle = nn.Linear(6, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.middle(self.pair(x))
        for layer in self.pair:
            x = layer(x)
        return x


class Outer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = Nested()
        self.head = nn.Linear(6, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = self.head(self.inner(self.inner(x)))
        return result


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize(("build", "features"), [(TwiceThrough, 4), (Outer, 6)])
def test_a_module_called_twice_counts_its_children_once(
    build: type[nn.Module], features: int, batch: int
) -> None:
    module = build()
    data = torch.zeros(batch, features)
    costs = explain(module, input_data=data).costs()
    assert costs.macs * batch == flop_counter_macs(module, data)
    for _, row in costs.walk():  # every container is the sum of its children, once
        if row.children:
            assert row.macs == sum(c.macs or 0 for c in row.children)


class WithUnused(nn.Module):
    """A MaxPool never called, beside and inside the containers that run."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 4, 3), nn.MaxPool2d(2))
        self.spare = nn.MaxPool2d(2)
        self.head = nn.Linear(4 * 6 * 6, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = self.head(self.features[0](x).flatten(1))
        return result


def test_an_unknown_row_leaves_its_container_at_least_the_known_sum() -> None:
    module = WithUnused()
    data = torch.zeros(2, 3, 8, 8)
    costs = explain(module, input_data=data).costs()
    assert costs.unknown_macs == ("features/1", "spare")
    assert costs.macs * 2 == flop_counter_macs(module, data)
    assert not costs.macs_complete
    features = costs.rows[0]
    assert features.macs == features.children[0].macs
    assert not features.macs_complete
    assert features.children[0].macs_complete
    text = costs.to_text()
    assert f"≥ {features.macs:,}" in text
    assert f"at least {costs.macs:,}" in text


class SequenceFirst(nn.Module):
    """Embedding, a sequence-first LSTM (its batch is axis 1), a Linear on every position."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(30, 8)
        self.lstm = nn.LSTM(8, 12, num_layers=2)
        self.head = nn.Linear(12, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.embed(x))
        result: torch.Tensor = self.head(out)
        return result


@pytest.mark.parametrize("shape", [(1, 40), (3, 40), (5, 2)])
def test_a_sequence_first_lstm_is_counted_on_the_model_batch(shape: tuple[int, int]) -> None:
    module = SequenceFirst()
    data = torch.zeros(shape, dtype=torch.long)
    costs = explain(module, input_data=data).costs()
    assert costs.macs * shape[0] == flop_counter_macs(module, data)


@pytest.mark.parametrize(("batch_first", "shape"), [(False, (9, 4, 5)), (True, (4, 9, 5))])
def test_a_recurrent_module_alone_is_counted_per_sequence(
    *, batch_first: bool, shape: tuple[int, ...]
) -> None:
    gru = nn.GRU(5, 7, batch_first=batch_first)
    costs = explain(gru, input_size=shape).costs()
    assert costs.macs * 4 == flop_counter_macs(gru, torch.zeros(shape))


def test_batch_size_scales_the_count_per_example() -> None:
    module = SequenceFirst()
    data = torch.zeros(3, 10, dtype=torch.long)
    b = explain(module, input_data=data)
    assert b.costs(batch_size=3).macs == flop_counter_macs(module, data)
    assert b.costs(batch_size=7).macs == 7 * b.costs().macs
    assert "MACs per batch of 7" in b.costs(batch_size=7).to_text()


class Convs(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.grouped = nn.Conv2d(8, 4, 3, stride=2, groups=2)
        self.head = nn.Linear(4 * 7 * 7, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = self.head(self.grouped(torch.relu(self.conv(x))).flatten(1))
        return result


TORCHINFO_AGREES: list[tuple[str, Any, tuple[int, ...]]] = [
    ("conv", Convs, (2, 3, 16, 16)),
    ("linear", lambda: nn.Sequential(nn.Linear(7, 5), nn.Tanh(), nn.Linear(5, 3)), (4, 7)),
    ("linear no bias", lambda: nn.Linear(7, 5, bias=False), (3, 7)),
    ("lstm batch-first", lambda: nn.LSTM(4, 6, num_layers=2, batch_first=True), (3, 9, 4)),
    ("gru bidirectional", lambda: nn.GRU(4, 6, batch_first=True, bidirectional=True), (2, 5, 4)),
    ("rnn projection-free", lambda: nn.RNN(3, 5, batch_first=True, bias=False), (2, 6, 3)),
]


@pytest.mark.parametrize(
    ("name", "build", "size"), TORCHINFO_AGREES, ids=[c[0] for c in TORCHINFO_AGREES]
)
def test_per_batch_with_bias_is_torchinfos_mult_adds(
    name: str, build: Any, size: tuple[int, ...]
) -> None:
    del name
    module = build()
    stats = torchinfo.summary(module, input_size=size, verbose=0)
    costs = explain(module, input_size=size).costs(batch_size=size[0], include_bias=True)
    assert costs.unknown_macs == ()
    assert costs.macs == stats.total_mult_adds
    products = explain(module, input_size=size).costs(batch_size=size[0]).macs
    has_bias = any("bias" in n for n, _ in module.named_parameters())
    assert (costs.macs > products) if has_bias else (costs.macs == products)


def test_bias_additions_of_attention_are_one_per_projected_element() -> None:
    mha = nn.MultiheadAttention(8, 2, kdim=4, vdim=6, batch_first=True)
    data = (torch.zeros(1, 5, 8), torch.zeros(1, 7, 4), torch.zeros(1, 7, 6))
    b = explain(mha, input_data=data)
    added = b.costs(include_bias=True).macs - b.costs().macs
    assert added == 8 * (5 + 7 + 7) + 8 * 5  # q, k, v projections, then out_proj on q's length


def test_bias_additions_are_none_for_a_norm() -> None:
    b = explain(nn.BatchNorm2d(4), input_size=(2, 4, 3, 3))
    assert b.costs(include_bias=True).macs == b.costs().macs  # a·x + b is one MAC already


@pytest.mark.parametrize("value", [0, -2, 1.5, True, "32"])
def test_batch_size_must_be_a_positive_integer(value: object) -> None:
    b = explain(nn.Linear(2, 2), input_size=(1, 2))
    with pytest.raises(SpecError, match=r"batch_size must be a positive integer"):
        b.costs(batch_size=value)  # type: ignore[arg-type]


def test_include_bias_must_be_a_boolean() -> None:
    b = explain(nn.Linear(2, 2), input_size=(1, 2))
    with pytest.raises(SpecError, match=r"include_bias must be True or False"):
        b.costs(include_bias="yes")  # type: ignore[arg-type]


def test_keras_costs_take_the_same_options() -> None:
    from cnnexplain import spec

    model = spec.Sequential(
        [
            spec.Input((12, 12, 1)),
            spec.Conv2D(4, 3, name="conv"),
            spec.Flatten(name="flat"),
            spec.Dense(5, name="dense"),
            spec.Dense(3, use_bias=False, name="plain"),
        ]
    )
    b = explain(model)
    outputs = {r.name: r.output_shape for r in b.rows}
    conv, dense = outputs["conv"], outputs["dense"]
    assert isinstance(conv, tuple)
    assert isinstance(dense, tuple)
    biased = 0
    for shape in (conv, dense):  # one addition per output element
        for d in shape[1:]:
            assert d is not None
        biased += math.prod(d or 0 for d in shape[1:])
    assert b.costs(include_bias=True).macs == b.costs().macs + biased
    assert b.costs(batch_size=32, include_bias=True).macs == 32 * (b.costs().macs + biased)


class Packed(nn.Module):
    """A bidirectional LSTM over sequences of different lengths, packed."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(4, 6, num_layers=2, batch_first=True, bidirectional=True)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = nn.utils.rnn.pack_padded_sequence(
            x, lengths, batch_first=True, enforce_sorted=False
        )
        out, _ = self.lstm(packed)
        result: torch.Tensor = out.data
        return result


def test_a_packed_sequence_is_counted_on_its_real_steps() -> None:
    # torch's flop counter cannot run packing on meta nor see the CPU's fused LSTM: every
    # weight entry of every layer and direction is used once per real step
    model = Packed()
    lengths = torch.tensor([5, 3, 1])
    b = explain(model, input_data=(torch.zeros(3, 5, 4), lengths))
    steps = int(lengths.sum())
    weights = sum(p.numel() for n, p in model.lstm.named_parameters() if n.startswith("weight"))
    biases = sum(p.numel() for n, p in model.lstm.named_parameters() if n.startswith("bias"))
    assert b.costs(batch_size=3).macs == steps * weights
    assert b.costs(batch_size=3, include_bias=True).macs == steps * (weights + biases)
    stats = torchinfo.summary(model, input_data=[torch.zeros(3, 5, 4), lengths], verbose=0)
    assert stats.total_mult_adds == 2 * 6 * b.total_mult_adds  # torchinfo: × 2 directions·hidden
