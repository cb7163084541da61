"""Counts from structure: torch modules explained with no input, uncalled, tied, subclassed.

Parameters follow from a module's arguments and registered tensors; a forward
pass only adds shapes and MACs. torch's ``numel()`` is the oracle.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

from cnnexplain import SpecError, explain
from cnnexplain._live.torch_run import CPU_LIMIT


def _numel(module: nn.Module) -> tuple[int, int]:
    params = list(module.parameters())
    return sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)


class NoForward(nn.Module):
    """pytorch/examples' forward-forward Net: layers, no forward(), its own train()."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(784, 500), nn.Linear(500, 500)])
        self.extra = nn.ParameterList([nn.Parameter(torch.zeros(3, 4))])

    def train(self, mode: bool = True) -> NoForward:  # noqa: ARG002 - its own training loop
        return self


KINDS: dict[str, Callable[[], nn.Module]] = {
    "Conv2d": lambda: nn.Conv2d(3, 8, (3, 5), groups=1, bias=False),
    "ConvTranspose1d": lambda: nn.ConvTranspose1d(4, 6, 3, groups=2),
    "Linear": lambda: nn.Linear(7, 5),
    "Bilinear": lambda: nn.Bilinear(2, 3, 4),
    "Embedding": lambda: nn.Embedding(100, 16, padding_idx=0),
    "EmbeddingBag": lambda: nn.EmbeddingBag(50, 8),
    "BatchNorm1d": lambda: nn.BatchNorm1d(6),
    "InstanceNorm2d": lambda: nn.InstanceNorm2d(6, affine=True),
    "LayerNorm": lambda: nn.LayerNorm((4, 5)),
    "RMSNorm": lambda: nn.RMSNorm(12),
    "GroupNorm": lambda: nn.GroupNorm(2, 6),
    "LSTM": lambda: nn.LSTM(5, 7, num_layers=2, bidirectional=True, proj_size=3),
    "GRUCell": lambda: nn.GRUCell(4, 6),
    "MultiheadAttention": lambda: nn.MultiheadAttention(8, 2, kdim=5, vdim=3, add_bias_kv=True),
    "PReLU": lambda: nn.PReLU(6),
    "AdaptiveLogSoftmaxWithLoss": lambda: nn.AdaptiveLogSoftmaxWithLoss(16, 30, [10, 20]),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_ruled_kind_is_counted_from_its_arguments_without_input(kind: str) -> None:
    module = KINDS[kind]()
    b = explain(module)
    (row,) = b.rows
    assert (b.total, b.trainable) == _numel(module)
    assert row.explained
    assert row.formula.symbols() != row.formula.text()  # argument names, not a shape product
    assert b.from_shapes == 0
    assert row.output_shape == ()
    assert row.macs is None
    assert "a sample input" in b.note
    assert "output shapes and MACs are unknown" in " ".join(b.to_text().split())


def test_no_input_gives_the_same_counts_and_formulas_as_an_input() -> None:
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 6 * 6, 10)
    )
    without = explain(model)
    with_input = explain(model, input_size=(2, 3, 8, 8))
    assert [r.formula.text() for r in without.rows] == [r.formula.text() for r in with_input.rows]
    assert without.total == with_input.total == _numel(model)[0]
    assert [r.output_shape for r in without.rows] == [()] * 5
    assert with_input.rows[-1].output_shape == (2, 10)
    assert with_input.note == ""
    costs = without.costs()  # nothing ran: no MACs, no activation sizes, parameter bytes known
    assert all(r.macs is None and r.activation_bytes is None for r in costs.rows)
    assert [r.param_bytes for r in costs.rows] == [r.param_bytes for r in with_input.costs().rows]


def test_a_module_without_forward_is_explained_with_or_without_input() -> None:
    module = NoForward()
    for b in (explain(module), explain(module, input_size=(1, 784))):
        assert (b.total, b.trainable) == _numel(module)
        assert b.unexplained == []
        assert [r.formula.text() for r in b.rows[0].children] == ["(784+1)·500", "(500+1)·500"]
    assert "NoForward defines no forward(), so the input was not run" in b.note


def test_lazy_parameters_without_input_are_one_sentence() -> None:
    with pytest.raises(SpecError) as err:
        explain(nn.Sequential(nn.Conv2d(1, 4, 3), nn.LazyLinear(10)))
    message = str(err.value)
    assert "'1' (LazyLinear)" in message
    assert "give input_size=" in message
    assert message.count(". ") == 0


class Branches(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Linear(6, 6)
        self.text = nn.MultiheadAttention(6, 2)  # a branch this input never takes
        self.norm = nn.LayerNorm(6)
        self.pool = nn.MaxPool1d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.body(x)
        return out


def test_a_module_the_forward_never_calls_is_explained_and_marked() -> None:
    b = explain(Branches(), input_size=(2, 6))
    rows = dict(b.walk())
    assert b.unexplained == []
    assert (b.total, b.trainable) == _numel(Branches())
    for name in ("text", "norm", "pool"):
        assert "not called on this input" in rows[name].note, name
        assert rows[name].output_shape == ()
    assert rows["text"].formula.symbols().startswith("3·embed_dim·embed_dim")
    assert rows["body"].output_shape == (2, 6)


class Tied(nn.Module):
    """T5's pattern: a shared table registered first, never called; two modules use it."""

    def __init__(self) -> None:
        super().__init__()
        self.shared = nn.Embedding(10, 4)
        self.encoder = nn.Embedding(10, 4)
        self.head = nn.Linear(4, 10, bias=False)
        self.encoder.weight = self.shared.weight
        self.head.weight = self.shared.weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.head(self.encoder(x))
        return out


def test_a_tied_weight_is_credited_where_the_forward_first_uses_it() -> None:
    b = explain(Tied(), input_size=(1, 3), dtypes=[torch.long])
    rows = dict(b.walk())
    assert [rows[n].params for n in ("shared", "encoder", "head")] == [0, 40, 0]
    assert rows["encoder"].formula.symbols() == "num_embeddings·embedding_dim"
    assert "same tensor as encoder.weight" in rows["shared"].note
    assert "same tensor as encoder.weight" in rows["head"].note
    assert b.total == _numel(Tied())[0]
    unrun = dict(explain(Tied()).walk())  # no forward to follow: registration order
    assert [unrun[n].params for n in ("shared", "encoder", "head")] == [40, 0, 0]


class Item(nn.Module):
    """A forward the meta device can't run (``Tensor.item()``), though the input is right."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.out = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.fc(x)
        scale = 2.0 if y.sum().item() > 0 else 1.0
        out: torch.Tensor = self.out(y) * scale
        return out


def test_a_meta_failure_runs_small_inputs_on_the_cpu_and_says_so() -> None:
    b = explain(Item(), input_size=(3, 4))
    assert [r.output_shape for r in b.rows] == [(3, 4), (3, 2)]
    assert "could not run on the meta device" in b.note
    assert "Tensor.item()" in b.note
    assert "so it ran on the CPU; its input made as 12 zeros" in b.note


def test_a_meta_failure_on_a_large_input_gives_counts_and_names_why() -> None:
    size = (CPU_LIMIT // 16 + 1, 4)  # float32: just over the limit
    b = explain(Item(), input_size=size)
    assert b.total == _numel(Item())[0]
    assert b.unexplained == []
    assert [r.output_shape for r in b.rows] == [(), ()]
    assert "too large to materialise on the CPU" in b.note
    assert "Tensor.item()" in b.note


def test_a_wrong_input_is_still_the_users_sentence_even_when_large() -> None:
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(5, 2))
    with pytest.raises(SpecError, match=r"submodule '1' \(Linear\).*in_features=5, but the last"):
        explain(model, input_size=(CPU_LIMIT, 4))


def test_a_huge_input_is_never_materialised() -> None:
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
    b = explain(model, input_size=(1, 1, 10**6, 10**6))
    assert b.rows[0].output_shape == (1, 2, 10**6 - 2, 10**6 - 2)
    assert b.total == 20


class DepthwiseConv(nn.Conv2d):
    """EfficientNet's pattern: a Conv2d subclass with its own constructor."""

    def __init__(self, channels: int) -> None:
        super().__init__(channels, channels, 3, padding=1, groups=channels, bias=False)


class ChannelsFirstNorm(nn.LayerNorm):
    """ConvNeXt's pattern: a LayerNorm subclass with its own forward over channels."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return out


class Gated(nn.Linear):
    """A Linear subclass with a parameter of its own: not a Linear's count."""

    def __init__(self) -> None:
        super().__init__(4, 4)
        self.gate = nn.Parameter(torch.zeros(4))


def test_subclasses_use_the_nearest_ruled_ancestors_rule() -> None:
    model = nn.Sequential(DepthwiseConv(8), ChannelsFirstNorm(8), Gated())
    b = explain(model, input_size=(1, 8, 4, 4), verify=False)
    rows = b.rows
    assert [r.kind for r in rows] == ["DepthwiseConv", "ChannelsFirstNorm", "Gated"]
    assert rows[0].formula.symbols() == "k_h·k_w·(in_channels/groups)·out_channels"
    assert "a subclass of torch.nn.Conv2d" in rows[0].note
    assert rows[0].output_shape == (1, 8, 4, 4)
    assert rows[1].formula.symbols() == "2·normalized_shape"
    assert rows[1].output_shape == (1, 8, 4, 4)  # recorded: its forward is its own
    assert "its own forward()" in rows[1].note
    assert "a subclass" not in rows[2].note  # a parameter Linear lacks: counted by its parts
    model = nn.Sequential(DepthwiseConv(8), ChannelsFirstNorm(8))
    assert explain(model, input_size=(1, 8, 4, 4)).total == _numel(model)[0]
    assert explain(model).from_shapes == 0


class LayerScale(nn.Module):
    """A learned scale per channel (ConvNeXt, CaiT): one vector over the feature axis."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim
        self.gamma = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma


class TransposedDense(nn.Module):
    """GPT-2's Conv1D pattern: a dense weight stored (in, out)."""

    def __init__(self, nf: int, nx: int) -> None:
        super().__init__()
        self.nf, self.nx = nf, nx
        self.weight = nn.Parameter(torch.zeros(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.weight + self.bias


class WindowAttention(nn.Module):
    """Swin's pattern: a relative position bias table beside its projections."""

    def __init__(self, dim: int, window_size: tuple[int, int], num_heads: int) -> None:
        super().__init__()
        self.window_size, self.num_heads = window_size, num_heads
        self.table = nn.Parameter(
            torch.zeros((2 * window_size[0] - 1) * (2 * window_size[1] - 1), num_heads)
        )
        self.qkv = nn.Linear(dim, 3 * dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.qkv(x) + self.table.sum()
        return out


class Blocks(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden_size = 16
        self.scale = LayerScale(16)
        self.dense = TransposedDense(48, 16)
        self.attn = WindowAttention(16, (3, 4), 2)
        self.wn = nn.utils.parametrizations.weight_norm(nn.Conv1d(48, 8, 3))
        self.old_wn = nn.utils.weight_norm(nn.Linear(8, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.dense(self.scale(x)) + self.attn(x)
        z = self.wn(y.transpose(1, 2)).transpose(1, 2)
        out: torch.Tensor = self.old_wn(z)
        return out


@pytest.mark.filterwarnings("ignore:.*torch.nn.utils.weight_norm.*:FutureWarning")
def test_blocks_are_recognised_from_their_weights_in_their_own_sizes() -> None:
    model = Blocks()
    for kwargs in ({}, {"input_size": (2, 5, 16)}):
        b = explain(model, **kwargs)  # type: ignore[arg-type]
        rows = dict(b.walk())
        assert (b.total, b.trainable) == _numel(model)
        assert b.unexplained == []
        assert b.from_shapes == 0
        assert rows["scale"].formula.symbols() == "dim"
        assert "one vector over the feature axis" in rows["scale"].note
        assert rows["dense"].formula.symbols() == "(nx+1)·nf"
        assert "stored (in, out)" in rows["dense"].note
        table = rows["attn/(parameters)"].formula.symbols()
        assert table == "table: (2·window_size[0]−1)·(2·window_size[1]−1)·num_heads"
        assert rows["wn"].formula.text() == ("(3·48+1)·8+parametrizations.weight.original0: 8·1·1")
        assert "weight norm" in rows["wn"].note
        assert "weight_g" in rows["old_wn"].note
    assert rows["dense"].output_shape == (2, 5, 48)
    assert rows["dense"].macs is not None


def test_a_weight_no_size_names_is_counted_from_its_shape_and_reported() -> None:
    class Odd(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.blob = nn.Parameter(torch.zeros(7, 11))

    b = explain(Odd())
    assert b.from_shapes == 77 == b.total
    assert "Counted from weight shapes only: 77" in b.to_text()
