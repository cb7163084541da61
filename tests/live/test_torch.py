"""The torch adapter end to end: reference architectures, tied and shared parts, torchinfo."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch_models
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from torch_oracle import shapes

from cnnexplain import Breakdown, SpecError, VerificationError, explain, spec

_BUILT: dict[str, nn.Module] = {}


@pytest.fixture(scope="session")
def reference() -> Callable[[str], nn.Module]:
    """A reference architecture by name, built once per session on the meta device.

    Counting needs no weights' values: VGG-16's 138 M parameters cost no memory.
    """

    def get(name: str) -> nn.Module:
        if name not in _BUILT:
            with torch.device("meta"):
                _BUILT[name] = getattr(torch_models, name)()
        return _BUILT[name]

    return get


PUBLISHED = {
    "resnet18": 11_689_512,
    "resnet50": 25_557_032,
    "vgg16": 138_357_544,
    "mobilenet_v2": 3_504_872,
    "alexnet": 61_100_840,
}
"""torchvision's published parameter counts (its model weights tables)."""
BUILDERS = {
    "resnet18": "resnet18",
    "resnet50": "resnet50",
    "vgg16": "vgg16",
    "mobilenet_v2": "MobileNetV2",
    "alexnet": "AlexNet",
}


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_reference_architecture_totals(name: str, reference: Callable[[str], nn.Module]) -> None:
    model = reference(BUILDERS[name])
    b = explain(model, input_size=(1, 3, 224, 224))
    assert b.total == PUBLISHED[name] == sum(p.numel() for p in model.parameters())
    # every row's rule gives its MACs; those of the products are torch's own count's
    costs = b.costs()
    assert costs.unknown_macs == ()
    with FlopCounterMode(display=False) as counter:  # on the meta device: shapes only
        model(torch.zeros(1, 3, 224, 224, device="meta"))
    products = sum(r.macs or 0 for _, r in costs.walk() if r.kind in {"Conv2d", "Linear"})
    assert 2 * products == counter.get_total_flops()
    assert b.unexplained == []
    assert [r.name for r in b.rows] == [n for n, _ in model.named_children()]
    assert b.output_shapes == ((1, 1000),)


def test_resnet_rows_and_buffers(reference: Callable[[str], nn.Module]) -> None:
    b = explain(reference("resnet18"), input_size=(2, 3, 64, 64))
    rows = dict(b.walk())
    conv = rows["layer2/0/conv1"]
    assert (conv.kind, conv.params, conv.output_shape) == (
        "Conv2d",
        3 * 3 * 64 * 128,
        (2, 128, 8, 8),
    )
    assert conv.formula.symbols() == "k_h·k_w·in_channels·out_channels"
    bn = rows["layer2/0/bn1"]
    assert bn.params == 2 * 128
    assert [w.name for w in bn.buffers] == ["running_mean", "running_var", "num_batches_tracked"]
    assert "4·C" in bn.note
    assert rows["layer1/0/relu"].calls == 2
    assert rows["layer2/0/downsample/0"].params == 64 * 128


def test_torchinfo_agrees(reference: Callable[[str], nn.Module]) -> None:
    torchinfo = pytest.importorskip("torchinfo")
    for name, size in (("resnet18", 64), ("MobileNetV2", 64), ("AlexNet", 96), ("vgg16", 32)):
        model = reference(name)
        info = torchinfo.summary(model, input_size=(1, 3, size, size), verbose=0, device="meta")
        b = explain(model, input_size=(1, 3, size, size))
        assert b.total == info.total_params, name
        assert b.trainable == info.trainable_params, name


def test_tied_embedding_counted_once() -> None:
    model = torch_models.RNNModel()
    hidden = (torch.zeros(2, 20, 200), torch.zeros(2, 20, 200))
    b = explain(model, input_data=(torch.zeros(35, 20, dtype=torch.long), hidden))
    assert b.total == 7_332_078 == sum(p.numel() for p in model.parameters())
    decoder = dict(b.walk())["decoder"]
    assert decoder.params == 33278
    assert "encoder.weight" in decoder.note
    assert str(decoder.formula) == "bias: 33278"
    assert dict(b.walk())["rnn"].output_shape == [(35, 20, 200), (2, 20, 200), (2, 20, 200)]


def test_torchinfo_counts_tied_weights_twice() -> None:
    """torchinfo 1.8 (pinned) counts the tied embedding twice: the known bug cnnexplain avoids."""
    torchinfo = pytest.importorskip("torchinfo")
    model = torch_models.RNNModel()
    data = (torch.zeros(35, 20, dtype=torch.long), (torch.zeros(2, 20, 200),) * 2)
    info = torchinfo.summary(model, input_data=data, verbose=0)
    b = explain(model, input_data=data)
    assert b.total == 7_332_078
    assert info.total_params == b.total + 33278 * 200


def test_training_memory_with_a_torch_optimizer() -> None:
    model = nn.Sequential(nn.Linear(10, 5))
    costs = explain(model, input_size=(1, 10)).costs()
    adam = torch.optim.Adam(model.parameters(), amsgrad=True)
    assert costs.training_memory(adam).slots == 3
    sgd = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    assert costs.training_memory(sgd).slots == 1
    assert costs.training_bytes(torch.optim.NAdam(model.parameters())) == costs.training_bytes(
        "nadam"
    )


def test_buffers_in_the_json() -> None:
    b = explain(nn.Sequential(nn.BatchNorm1d(3)), input_size=(2, 3))
    (row,) = b.to_dict()["rows"]
    assert row["params"] == 6
    assert [buf["name"] for buf in row["buffers"]] == [
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]


def test_frozen_parameters_are_non_trainable() -> None:
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(4 * 26 * 26, 10))
    model[0].weight.requires_grad_(False)  # noqa: FBT003
    for p in model[2].parameters():
        p.requires_grad_(False)  # noqa: FBT003
    b = explain(model, input_size=(1, 1, 28, 28))
    assert (b.rows[0].trainable, b.rows[0].non_trainable) == (4, 36)
    assert "frozen" in b.rows[0].note
    assert b.trainable == 4
    assert b.non_trainable == 36 + 4 * 26 * 26 * 10 + 10


class WithOwnParameters(nn.Module):
    """A custom module with its own nn.Parameters beside a child (a ViT-like stem)."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(16, 128)
        self.pos_emb = nn.Parameter(torch.zeros(64, 128))
        self.cls = nn.Parameter(torch.zeros(1, 1, 128))
        self.register_buffer("mask", torch.ones(64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.proj(x) + self.pos_emb
        return out


def test_root_parameters_get_their_own_row() -> None:
    b = explain(WithOwnParameters(), input_size=(2, 64, 16))
    assert [r.name for r in b.rows] == ["proj", "(parameters)"]
    own = b.rows[1]
    assert str(own.formula) == "pos_emb: 64·128+cls: 1·1·128"
    assert own.params == 64 * 128 + 128
    line = next(x for x in b.to_text().splitlines() if x.startswith("(parameters)"))
    assert line.split()[2] == "—"  # held weights have no output shape of their own, not "?"
    assert b.total == (16 + 1) * 128 + 64 * 128 + 128
    assert b.costs().param_bytes == 4 * b.total
    assert b.costs().unknown_bytes == ()


def test_nested_custom_module_parameters() -> None:
    model = nn.Sequential(WithOwnParameters(), nn.ReLU())
    b = explain(model, input_size=(2, 64, 16))
    rows = dict(b.walk())
    assert rows["0"].kind == "WithOwnParameters"
    assert "custom module" in rows["0"].note
    assert rows["0/(parameters)"].params == 64 * 128 + 128
    assert "proj (Linear)" in b.to_text(expand=True)


def test_module_shared_by_two_parents() -> None:
    shared = nn.Linear(8, 8)
    model = nn.Sequential(nn.Sequential(shared, nn.ReLU()), nn.Sequential(shared))
    b = explain(model, input_size=(1, 8))
    rows = dict(b.walk())
    assert rows["0/0"].params == 72
    assert rows["0/0"].calls == 2
    assert rows["1/0"].params == 0
    assert "same module as 0.0" in rows["1/0"].note
    assert b.total == 72
    assert type(shared.weight) is nn.Parameter  # the user's module is left untouched
    assert shared.weight.device.type == "cpu"


def test_float64_model_costs() -> None:
    model = nn.Sequential(nn.Linear(10, 5), nn.ReLU()).double()
    costs = explain(model, input_size=(1, 10)).costs()
    assert costs.param_bytes == 55 * 8
    assert costs.activation_bytes == 2 * 5 * 8
    assert costs.macs == 50


def test_costs_match_the_keras_spec_of_the_same_model() -> None:
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(5408, 100), nn.Linear(100, 10)
    )
    torch_costs = explain(model, input_size=(1, 1, 28, 28)).costs()
    keras_spec = spec.Sequential(
        [
            spec.Input((28, 28, 1)),
            spec.Conv2D(32, 3, name="c"),
            spec.MaxPooling2D(2, name="p"),
            spec.Flatten(name="f"),
            spec.Dense(100, name="d1"),
            spec.Dense(10, name="d2"),
        ]
    )
    keras_costs = explain(keras_spec).costs()
    assert torch_costs.macs == keras_costs.macs == 736_488
    assert torch_costs.param_bytes == keras_costs.param_bytes
    assert torch_costs.training_bytes("adam") == keras_costs.training_bytes("adam")
    assert torch_costs.rows[0].macs_formula is not None
    assert (
        torch_costs.rows[0].macs_formula.symbols() == "H_out·W_out·k_h·k_w·in_channels·out_channels"
    )


class OverridesTrain(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def train(self, mode: bool = True) -> OverridesTrain:  # noqa: ARG002
        raise RuntimeError("no training here")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.fc(x)
        return out


class Sparse(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(6, 3))
        self.out = nn.Linear(3, 2)

    def forward(self, x: torch.Tensor, options: dict[str, Any]) -> torch.Tensor:
        y = torch.sparse.mm(x, self.weight) * options["scale"]
        out: torch.Tensor = self.out(y)
        return out


def test_overridden_train_sparse_input_and_non_tensor_arguments() -> None:
    assert explain(OverridesTrain(), input_size=(3, 4)).total == 10
    sparse = torch.eye(6)[:4].to_sparse()
    b = explain(Sparse(), input_data=(sparse, {"scale": 2.0}))
    assert b.total == 18 + 8
    assert dict(b.walk())["out"].output_shape == (4, 2)


def test_many_time_steps() -> None:
    model = nn.Sequential(nn.Embedding(100, 16), nn.LSTM(16, 32, num_layers=2, batch_first=True))
    b = explain(model, input_size=(2, 500))
    assert b.rows[1].output_shape == [(2, 500, 32), (2, 2, 32), (2, 2, 32)]
    assert b.costs().rows[1].macs == 500 * 4 * 32 * (16 + 32) + 500 * 4 * 32 * (32 + 32)


class Sequence(nn.Module):
    """pytorch/examples time_sequence_prediction: two LSTMCells looped over every step, float64."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm1 = nn.LSTMCell(1, 51)
        self.lstm2 = nn.LSTMCell(51, 51)
        self.linear = nn.Linear(51, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = c = h2 = c2 = torch.zeros(x.size(0), 51, dtype=torch.double, device=x.device)
        outputs = []
        for step in torch.split(x, 1, dim=1):
            h, c = self.lstm1(step, (h, c))
            h2, c2 = self.lstm2(h, (h2, c2))
            outputs.append(self.linear(h2))
        return torch.cat(outputs, dim=1)


def test_cells_looped_over_a_thousand_steps() -> None:
    model = Sequence().double()
    b = explain(model, input_size=(97, 999))
    assert [r.calls for r in b.rows] == [999, 999, 999]
    assert b.total == 4 * (51 * (1 + 51) + 2 * 51) + 4 * (51 * (51 + 51) + 2 * 51) + 52
    costs = b.costs()
    assert costs.param_bytes == b.total * 8
    assert costs.rows[0].macs == 999 * 4 * 51 * (1 + 51)


def test_transformer_broken_into_rule_explained_children() -> None:
    model = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(32, 4, dim_feedforward=64, batch_first=True),
        2,
        enable_nested_tensor=False,
    )
    b = explain(model, input_size=(2, 10, 32))
    assert b.total == sum(p.numel() for p in model.parameters())
    assert b.unexplained == []
    kinds = {row.kind for _, row in b.walk()}
    assert {"MultiheadAttention", "Linear", "LayerNorm", "TransformerEncoderLayer"} <= kinds
    full = nn.Transformer(32, 4, 1, 1, 64, batch_first=True)
    b = explain(full, input_data=(torch.zeros(2, 7, 32), torch.zeros(2, 5, 32)))
    assert b.total == sum(p.numel() for p in full.parameters())
    assert b.unexplained == []


class Containers(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(8, 8) for _ in range(3)])
        self.heads = nn.ModuleDict({"a": nn.Linear(8, 2), "b": nn.Linear(8, 3)})
        self.unused = nn.Linear(8, 100)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for block in self.blocks:
            x = block(x)
        return self.heads["a"](x), self.heads["b"](x)


def test_module_list_dict_and_unused_module() -> None:
    b = explain(Containers(), input_size=(1, 8))
    rows = dict(b.walk())
    assert rows["blocks"].params == 3 * 72
    assert rows["heads/b"].output_shape == (1, 3)
    assert rows["unused"].params == 900
    assert "not called on this input" in rows["unused"].note
    assert rows["unused"].explained
    assert rows["unused"].formula.symbols() == "(in_features+1)·out_features"
    assert rows["unused"].output_shape == ()
    assert b.total == 3 * 72 + 18 + 27 + 900


def test_verify_names_the_module_path() -> None:
    model = nn.Sequential(nn.Linear(4, 3), nn.Sequential(nn.Linear(3, 2)))
    b = explain(model, input_size=(1, 4), verify=False)
    model.get_submodule("1.0").bias = nn.Parameter(torch.zeros(5))
    with pytest.raises(VerificationError, match=r"Layer '1\.0'.*PyTorch reports 11"):
        b.verify()


def test_bad_inputs_are_one_sentence() -> None:
    model = nn.Sequential(nn.Linear(4, 3))
    with pytest.raises(SpecError, match=r"fails on the given input in its submodule '0' \(Linear"):
        explain(model, input_size=(1, 5))
    with pytest.raises(SpecError, match="positive integers"):
        explain(model, input_size=(1, 0))
    keras_spec = spec.Sequential([spec.Input((4,)), spec.Dense(2, name="d")])
    with pytest.raises(SpecError, match="are for torch modules"):
        explain(keras_spec, input_size=(1, 4))


CONV = st.tuples(
    st.integers(1, 6),  # out_channels
    st.integers(1, 3),  # kernel
    st.integers(1, 2),  # stride
    st.integers(0, 1),  # padding
    st.booleans(),  # batch norm
    st.booleans(),  # pool
)


@settings(derandomize=True, max_examples=12, deadline=None)
@given(st.lists(CONV, min_size=1, max_size=4), st.integers(1, 3), st.integers(8, 20))
def test_random_cnns(
    layers: list[tuple[int, int, int, int, bool, bool]], c_in: int, size: int
) -> None:
    modules: list[nn.Module] = []
    channels, n = c_in, size
    for out, k, s, p, bn, pool in layers:
        if (n + 2 * p - k) // s + 1 < 2:
            break
        modules += [nn.Conv2d(channels, out, k, s, p), nn.ReLU()]
        n = (n + 2 * p - k) // s + 1
        if bn:
            modules.append(nn.BatchNorm2d(out))
        if pool and n >= 2:
            modules.append(nn.MaxPool2d(2))
            n //= 2
        channels = out
    model = nn.Sequential(*modules, nn.Flatten())
    x = torch.zeros(2, c_in, size, size)
    _check(model, x)


@settings(derandomize=True, max_examples=12, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 40), st.booleans()), min_size=1, max_size=5),
    st.integers(1, 30),
)
def test_random_mlps(layers: list[tuple[int, bool]], n_in: int) -> None:
    modules: list[nn.Module] = []
    width = n_in
    for units, bias in layers:
        modules += [nn.Linear(width, units, bias=bias), nn.Tanh()]
        width = units
    _check(nn.Sequential(*modules), torch.zeros(3, n_in))


def _check(model: nn.Module, x: torch.Tensor) -> Breakdown:
    b = explain(model, input_data=x)
    assert b.total == sum(p.numel() for p in model.parameters())
    with torch.no_grad():
        assert [b.rows[-1].output_shape] == shapes(model(x))
    for row, module in zip(b.rows, model.children(), strict=True):
        assert row.params == sum(p.numel() for p in module.parameters())
        assert row.explained
    return b


def test_import_cnnexplain_loads_no_framework() -> None:
    code = (
        "import sys, cnnexplain; "
        "print(sorted(m for m in ('torch', 'tensorflow', 'keras') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("layers", "size", "where"),
    [
        (
            lambda: [nn.Conv2d(1, 32, 3), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(5400, 100)],
            (1, 1, 28, 28),
            (
                "in its submodule '3' (Linear), given (1, 5408): in_features=5400, but the "
                "last axis of its input is 5408, so"
            ),
        ),
        (
            lambda: [nn.Conv2d(3, 8, 3)],
            (1, 1, 28, 28),
            (
                "in its submodule '0' (Conv2d), given (1, 1, 28, 28): in_channels=3, but axis 1 of "
                "its input is 1, so"
            ),
        ),
        (
            lambda: [nn.Conv2d(1, 8, 3), nn.BatchNorm2d(16)],
            (1, 1, 28, 28),
            (
                "in its submodule '1' (BatchNorm2d), given (1, 8, 26, 26): num_features=16, but "
                "axis 1 of its input is 8, so"
            ),
        ),
        (
            lambda: [nn.Conv2d(1, 8, 3), nn.Linear(5408, 10)],  # the Flatten forgotten
            (1, 1, 28, 28),
            (
                "in its submodule '1' (Linear), given (1, 8, 26, 26): in_features=5408, but "
                "the last axis of its input is 26, so"
            ),
        ),
    ],
    ids=["linear-mis-sized", "conv-channels", "batchnorm-features", "no-flatten"],
)
def test_a_failing_forward_names_the_submodule(
    layers: Callable[[], list[nn.Module]], size: tuple[int, ...], where: str
) -> None:
    """The learner's slip named where it is: the submodule, what it got, what it expected."""
    module = nn.Sequential(*layers())
    with pytest.raises(SpecError) as err:
        explain(module, input_size=size)
    with pytest.raises(RuntimeError) as real:
        module(torch.zeros(size))
    message = str(err.value)
    assert message.startswith(f"The Sequential module fails on the given input {where}")
    assert f"RuntimeError: {real.value}" in message


def test_same_shape_modules_keep_torch_checks_and_overrides() -> None:
    """BatchNorm's meta kernel is skipped (its output has its input's shape), never its checks."""
    wrong_rank = nn.Sequential(nn.Flatten(), nn.BatchNorm2d(16))
    with pytest.raises(ValueError, match="expected 4D input") as real:
        wrong_rank(torch.zeros(1, 4, 2, 2))
    with pytest.raises(SpecError) as err:
        explain(wrong_rank, input_size=(1, 4, 2, 2))
    assert f"ValueError: {real.value}" in str(err.value)

    class Halves(nn.BatchNorm2d):  # its own forward: run as written, not taken as same-shape
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return super().forward(x)[:, : self.num_features // 2]

    model = nn.Sequential(nn.Conv2d(1, 8, 3), Halves(8), nn.ReLU())
    rows = explain(model, input_size=(2, 1, 10, 10)).rows
    assert [r.output_shape for r in rows] == [(2, 8, 8, 8), (2, 4, 8, 8), (2, 4, 8, 8)]
    assert rows[1].output_shape == tuple(model[:2](torch.zeros(2, 1, 10, 10)).shape)


class Remembers(nn.Module):
    """A forward that changes its module: a list it appends to, an attribute it sets."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, ...]] = []
        self.mask: torch.Tensor | None = None
        self.fc = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(tuple(x.shape))
        self.mask = torch.ones_like(x)
        out: torch.Tensor = self.fc(x * self.mask)
        return out


def test_the_run_changes_a_copy_never_the_module() -> None:
    module = Remembers()
    hooks = len(module.fc._forward_hooks)
    assert explain(module, input_size=(3, 4)).total == 10
    assert module.seen == []
    assert module.mask is None
    assert len(module.fc._forward_hooks) == hooks
    assert module.fc.weight.device.type == "cpu"
