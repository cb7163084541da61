"""torch MACs against torch's own count: ``FlopCounterMode`` (2 FLOPs per MAC) and hand formulas.

The MACs come from the same family functions as Keras's (`cnnexplain._rules.families`);
torch's flop counter is an independent count of the products a forward runs
(convolutions, matrix products, attention), bias additions left out as ours.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from cnnexplain import explain


def counted_macs(module: nn.Module, *data: Any) -> int:
    """Half the FLOPs torch's flop counter sees in one forward."""
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        module(*data)
    flops = int(counter.get_total_flops())
    assert flops % 2 == 0
    return flops // 2


def x(*shape: int) -> torch.Tensor:
    return torch.zeros(shape)


PRODUCTS: list[tuple[str, Callable[[], nn.Module], tuple[tuple[int, ...], ...]]] = [
    ("conv1d dilated", lambda: nn.Conv1d(3, 5, 3, dilation=2, padding=1), ((1, 3, 12),)),
    ("conv2d grouped", lambda: nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2), ((1, 4, 9, 11),)),
    ("conv2d same", lambda: nn.Conv2d(3, 4, (2, 5), padding="same", bias=False), ((1, 3, 7, 8),)),
    ("conv2d depthwise", lambda: nn.Conv2d(4, 8, 3, groups=4), ((1, 4, 6, 6),)),
    ("conv3d", lambda: nn.Conv3d(2, 4, 2, stride=(1, 2, 2)), ((1, 2, 5, 6, 6),)),
    ("convT1d", lambda: nn.ConvTranspose1d(3, 2, 4, stride=3, output_padding=1), ((1, 3, 5),)),
    ("convT2d grouped", lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2), ((1, 4, 5, 6),)),
    ("convT3d", lambda: nn.ConvTranspose3d(2, 3, 2, padding=1), ((1, 2, 4, 4, 4),)),
    ("linear 2-D", lambda: nn.Linear(7, 5), ((1, 7),)),
    ("linear 4-D", lambda: nn.Linear(7, 5, bias=False), ((1, 2, 3, 7),)),
    ("rnn 2 layers", lambda: nn.RNN(4, 6, num_layers=2, nonlinearity="relu"), ((9, 1, 4),)),
    ("gru bidirectional", lambda: nn.GRU(4, 6, bidirectional=True, batch_first=True), ((1, 9, 4),)),
    ("gru cell", lambda: nn.GRUCell(4, 6), ((1, 4),)),
    ("lstm cell", lambda: nn.LSTMCell(4, 6), ((1, 4),)),
    ("rnn cell", lambda: nn.RNNCell(4, 6, bias=False), ((1, 4),)),
    ("mha", lambda: nn.MultiheadAttention(8, 2), ((5, 1, 8),) * 3),
    (
        "mha kdim vdim bias_kv",
        lambda: nn.MultiheadAttention(8, 2, kdim=4, vdim=6, add_bias_kv=True),
        ((5, 1, 8), (7, 1, 4), (7, 1, 6)),
    ),
    (
        "mha no bias",
        lambda: nn.MultiheadAttention(8, 4, bias=False, batch_first=True),
        ((1, 5, 8),) * 3,
    ),
]


@pytest.mark.parametrize(("name", "build", "shapes"), PRODUCTS, ids=[c[0] for c in PRODUCTS])
def test_products_match_torch_flop_counter(
    name: str, build: Callable[[], nn.Module], shapes: tuple[tuple[int, ...], ...]
) -> None:
    del name
    module = build()
    data = tuple(x(*s) for s in shapes)
    costs = explain(module, input_data=data if len(data) > 1 else data[0]).costs()
    assert costs.unknown_macs == ()
    assert costs.macs == counted_macs(module, *data)
    (row,) = costs.rows
    assert row.macs_formula is not None
    assert int(row.macs_formula) == row.macs


def test_transformer_layer_products_match_torch_flop_counter() -> None:
    # in training mode, torch runs the layer op by op (eval fuses it into one kernel)
    layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    data = x(1, 5, 8)
    costs = explain(layer, input_data=data).costs()
    products = {"MultiheadAttention", "Linear"}
    assert sum(r.macs or 0 for _, r in costs.walk() if r.kind in products) == counted_macs(
        layer.train(), data
    )
    assert costs.unknown_macs == ()


def test_lstm_hand_formula() -> None:
    # torch's flop counter does not see CPU's fused LSTM: count every weight entry once per step
    lstm = nn.LSTM(4, 6, num_layers=2, bidirectional=True, proj_size=3)
    steps = 9
    row = explain(lstm, input_size=(steps, 1, 4)).costs().rows[0]
    weights = [p.numel() for n, p in lstm.named_parameters() if n.startswith("weight")]
    assert row.macs == steps * sum(weights)


def test_bilinear_hand_formula() -> None:
    # the flop counter does not count torch's _trilinear either
    row = explain(nn.Bilinear(3, 4, 5), input_data=(x(1, 3), x(1, 4))).costs().rows[0]
    assert row.macs == 3 * 4 * 5


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_is_a_lookup_and_a_pooling(mode: str) -> None:
    bag = nn.EmbeddingBag(10, 4, mode=mode)
    costs = explain(bag, input_data=torch.zeros(2, 5, dtype=torch.long)).costs()
    assert costs.rows[0].macs == 0
    assert costs.unknown_macs == ()


def test_embedding_bag_per_sample_weights_scale_every_row() -> None:
    bag = nn.EmbeddingBag(10, 4, mode="sum")
    data = {"input": torch.zeros(2, 5, dtype=torch.long), "per_sample_weights": torch.ones(2, 5)}
    row = explain(bag, input_data=data).costs().rows[0]
    assert row.macs == 5 * 4  # per bag: each of its 5 rows scaled and accumulated
    offsets = (torch.zeros(9, dtype=torch.long), torch.tensor([0, 4]), torch.ones(9))
    ragged = explain(bag, input_data=offsets).costs()  # bags of different sizes
    assert ragged.rows[0].macs is None
    assert ragged.unknown_macs == (ragged.rows[0].name,)
