"""Every torch rule against the real module over grids of arguments: numel() and real shapes."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import torch
from torch import nn
from torch_oracle import check_module

from cnnexplain import explain


def grid(**axes: list[Any]) -> list[dict[str, Any]]:
    keys = list(axes)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*axes.values())]


def ids(kwargs: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in kwargs.items())


def x(*shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.zeros(shape, dtype=dtype)


@pytest.mark.parametrize(
    "kwargs",
    grid(
        kernel_size=[1, (2, 5)],
        stride=[1, 2],
        padding=[1, (2, 0), "same", "valid"],
        dilation=[1, 2],
        groups=[1, 2],
        bias=[True, False],
    ),
    ids=ids,
)
def test_conv2d(kwargs: dict[str, Any]) -> None:
    if kwargs["padding"] == "same" and kwargs["stride"] != 1:
        pytest.skip("torch refuses padding='same' with strides")
    b = check_module(nn.Conv2d(4, 6, **kwargs), x(2, 4, 9, 11))
    k = kwargs["kernel_size"]
    kh, kw = (k, k) if isinstance(k, int) else k
    assert b.rows[0].params == (kh * kw * 4 // kwargs["groups"] + kwargs["bias"]) * 6
    assert b.rows[0].formula.symbols().endswith("·out_channels")


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_conv_nd_padding_modes(rank: int, padding_mode: Any) -> None:
    conv = [nn.Conv1d, nn.Conv2d, nn.Conv3d][rank - 1]
    check_module(conv(3, 5, 3, padding=1, padding_mode=padding_mode), x(1, 3, *([6] * rank)))


@pytest.mark.parametrize("unbatched", [False, True])
def test_conv_unbatched(unbatched: bool) -> None:
    shape = (3, 8, 8) if unbatched else (2, 3, 8, 8)
    check_module(nn.Conv2d(3, 4, 3, stride=2), x(*shape))


@pytest.mark.parametrize(
    "kwargs",
    grid(
        kernel_size=[1, 3, (2, 3)],
        stride=[1, 2],
        padding=[0, 1],
        output_padding=[0, 1],
        dilation=[1, 2],
        groups=[1, 2],
        bias=[True, False],
    ),
    ids=ids,
)
def test_conv_transpose2d(kwargs: dict[str, Any]) -> None:
    if kwargs["output_padding"] >= max(kwargs["stride"], kwargs["dilation"]):
        pytest.skip("torch refuses output_padding >= stride and dilation")
    check_module(nn.ConvTranspose2d(4, 6, **kwargs), x(1, 4, 5, 7))


@pytest.mark.parametrize("rank", [1, 3])
def test_conv_transpose_nd(rank: int) -> None:
    conv = [nn.ConvTranspose1d, None, nn.ConvTranspose3d][rank - 1]
    assert conv is not None
    check_module(conv(2, 3, 3, stride=2, output_padding=1), x(1, 2, *([4] * rank)))


@pytest.mark.parametrize("kwargs", grid(bias=[True, False], out_features=[1, 7]), ids=ids)
@pytest.mark.parametrize("shape", [(5,), (2, 5), (2, 3, 5), (2, 3, 4, 5)])
def test_linear_any_leading_dims(kwargs: dict[str, Any], shape: tuple[int, ...]) -> None:
    b = check_module(nn.Linear(5, **kwargs), x(*shape))
    assert b.rows[0].formula.symbols().startswith("(in_features") or not kwargs["bias"]


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear(bias: bool) -> None:
    check_module(nn.Bilinear(3, 4, 5, bias=bias), x(2, 3), x(2, 4))


@pytest.mark.parametrize(
    "module",
    [
        nn.Identity(),
        nn.ReLU(),
        nn.GELU(),
        nn.Softmax(dim=1),
        nn.LeakyReLU(0.1),
        nn.Dropout(0.3),
        nn.Dropout2d(),
        nn.AlphaDropout(),
        nn.Tanh(),
        nn.SiLU(),
        nn.Hardswish(),
        nn.PReLU(),
        nn.PReLU(8),
        nn.Flatten(),
        nn.Flatten(0, 2),
        nn.Unflatten(1, (2, 4)),
        nn.GLU(dim=1),
        nn.ZeroPad2d((1, 2, 3, 4)),
        nn.ReflectionPad2d(1),
        nn.ConstantPad1d(2, 0.5),
        nn.Upsample(scale_factor=2),
        nn.Upsample(size=(5, 7), mode="bilinear"),
        nn.Upsample(scale_factor=1.5, mode="nearest"),
        nn.PixelShuffle(2),
        nn.PixelUnshuffle(2),
        nn.ChannelShuffle(2),
    ],
    ids=repr,
)
def test_shape_only_modules(module: nn.Module) -> None:
    check_module(module, x(2, 8, 4, 6))


POOL_GRID = grid(kernel_size=[2, 3], stride=[None, 1, 2], padding=[0, 1], ceil_mode=[False, True])


@pytest.mark.parametrize("kwargs", POOL_GRID, ids=ids)
def test_max_and_avg_pool2d(kwargs: dict[str, Any]) -> None:
    check_module(nn.MaxPool2d(**kwargs), x(1, 3, 7, 8))
    check_module(nn.AvgPool2d(**kwargs), x(1, 3, 7, 8))


@pytest.mark.parametrize(
    "module",
    [
        nn.MaxPool1d(3, 2, dilation=2),
        nn.MaxPool3d(2),
        nn.MaxPool2d(2, return_indices=True),
        nn.AvgPool1d(3, 2, 1),
        nn.AvgPool3d((1, 2, 2)),
        nn.LPPool2d(2, 3, 2),
        nn.LPPool1d(2, 2),
        nn.AdaptiveAvgPool2d(1),
        nn.AdaptiveAvgPool2d((3, None)),
        nn.AdaptiveMaxPool1d(4),
        nn.AdaptiveMaxPool3d((1, 2, 3), return_indices=True),
        nn.AdaptiveAvgPool3d(2),
        nn.FractionalMaxPool2d(2, output_size=(3, 4)),
        nn.FractionalMaxPool2d(2, output_ratio=0.5),
    ],
    ids=repr,
)
def test_other_pools(module: nn.Module) -> None:
    rank = int(type(module).__name__[-2])
    check_module(module, x(2, 3, *([8] * rank)))


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("track", [True, False])
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_batch_norm(rank: int, affine: bool, track: bool) -> None:
    module = [nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d][rank - 1](
        4, affine=affine, track_running_stats=track
    )
    b = check_module(module, x(2, 4, *([3] * rank)))
    row = b.rows[0]
    assert row.params == (8 if affine else 0)
    assert {w.name for w in row.buffers} == {n for n, _ in module.named_buffers()}
    if track:
        assert "Keras's BatchNormalization counts 4·C" in row.note


@pytest.mark.parametrize(
    ("module", "shape"),
    [
        (nn.InstanceNorm1d(4), (2, 4, 5)),
        (nn.InstanceNorm2d(4, affine=True), (2, 4, 5, 5)),
        (nn.InstanceNorm3d(4, affine=True, track_running_stats=True), (2, 4, 3, 3, 3)),
        (nn.LayerNorm(6), (2, 3, 6)),
        (nn.LayerNorm((3, 6)), (2, 3, 6)),
        (nn.LayerNorm(6, elementwise_affine=False), (2, 6)),
        (nn.LayerNorm(6, bias=False), (2, 6)),
        (nn.RMSNorm(6), (2, 6)),
        (nn.GroupNorm(2, 4), (2, 4, 5, 5)),
        (nn.GroupNorm(2, 4, affine=False), (2, 4, 5)),
        (nn.LocalResponseNorm(3), (2, 4, 5, 5)),
    ],
    ids=repr,
)
def test_other_norms(module: nn.Module, shape: tuple[int, ...]) -> None:
    check_module(module, x(*shape))


@pytest.mark.parametrize("padding_idx", [None, 0])
def test_embedding(padding_idx: int | None) -> None:
    b = check_module(nn.Embedding(50, 8, padding_idx=padding_idx), x(2, 7, dtype=torch.long))
    assert ("padding_idx" in b.rows[0].note) == (padding_idx is not None)


@pytest.mark.parametrize("mode", ["mean", "sum", "max"])
def test_embedding_bag(mode: str) -> None:
    check_module(nn.EmbeddingBag(50, 8, mode=mode), x(3, 4, dtype=torch.long))
    offsets = torch.tensor([0, 2, 5])
    check_module(nn.EmbeddingBag(50, 8, mode=mode), x(9, dtype=torch.long), offsets)


RNN_GRID = grid(
    num_layers=[1, 3], bidirectional=[False, True], batch_first=[False, True], bias=[True, False]
)


@pytest.mark.parametrize("kind", [nn.RNN, nn.LSTM, nn.GRU])
@pytest.mark.parametrize("kwargs", RNN_GRID, ids=ids)
def test_recurrent(kind: type[nn.Module], kwargs: dict[str, Any]) -> None:
    check_module(kind(5, 7, **kwargs), x(4, 6, 5))


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("kwargs", grid(num_layers=[1, 2], bidirectional=[False, True]), ids=ids)
def test_lstm_proj_size(kwargs: dict[str, Any]) -> None:
    check_module(nn.LSTM(5, 7, proj_size=3, **kwargs), x(4, 2, 5))


def test_lstm_formula_two_biases() -> None:
    b = check_module(nn.LSTM(10, 20), x(3, 1, 10))
    assert b.rows[0].params == 4 * (20 * (10 + 20) + 2 * 20)
    assert b.rows[0].formula.symbols() == ("4·(hidden_size·(input_size+hidden_size)+2·hidden_size)")


def test_recurrent_unbatched_and_hidden() -> None:
    check_module(nn.GRU(5, 7, num_layers=2), x(6, 5))
    check_module(nn.LSTM(5, 7, num_layers=2), x(6, 3, 5), (x(2, 3, 7), x(2, 3, 7)))


@pytest.mark.parametrize("kind", [nn.RNNCell, nn.LSTMCell, nn.GRUCell])
@pytest.mark.parametrize("bias", [True, False])
def test_cells(kind: type[nn.Module], bias: bool) -> None:
    check_module(kind(5, 7, bias=bias), x(3, 5))


@pytest.mark.parametrize(
    "kwargs",
    grid(
        bias=[True, False],
        add_bias_kv=[False, True],
        kdim=[None, 6],
        batch_first=[False, True],
    ),
    ids=ids,
)
def test_multihead_attention(kwargs: dict[str, Any]) -> None:
    e = 8
    kdim = kwargs.pop("kdim")
    module = nn.MultiheadAttention(e, 2, kdim=kdim, vdim=kdim, **kwargs)
    k = kdim or e
    if kwargs["batch_first"]:
        check_module(module, x(3, 4, e), x(3, 5, k), x(3, 5, k))
    else:
        check_module(module, x(4, 3, e), x(5, 3, k), x(5, 3, k))


def test_multihead_attention_need_weights_false() -> None:
    module = nn.MultiheadAttention(8, 2, batch_first=True)
    b = explain(
        module,
        input_data={
            "query": x(2, 4, 8),
            "key": x(2, 4, 8),
            "value": x(2, 4, 8),
            "need_weights": False,
        },
    )
    assert b.rows[0].output_shape == (2, 4, 8)


def test_max_unpool_and_unfold() -> None:
    pool = nn.MaxPool2d(2, return_indices=True)
    values, indices = pool(x(1, 3, 8, 8))
    check_module(nn.MaxUnpool2d(2), values, indices)
    b = explain(nn.MaxUnpool2d(2), input_data=(values, indices, (1, 3, 9, 9)))
    assert b.rows[0].output_shape == (1, 3, 9, 9)
    check_module(nn.Unfold(3, padding=1, stride=2), x(2, 3, 8, 9))


@pytest.mark.parametrize("module", [nn.CosineSimilarity(), nn.PairwiseDistance(keepdim=True)])
def test_distances(module: nn.Module) -> None:
    check_module(module, x(4, 6), x(4, 6))
