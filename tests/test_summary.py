"""`cnnexplain.summary`: torchinfo's call, each argument, and its totals against torchinfo.

torchinfo 1.8.0 is the oracle for what a call means (its input shapes, which rows it
prints, its ``total_mult_adds``); torch's ``numel()`` for the counts.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import torch
import torch_models
import torchinfo
from torch import nn

from cnnexplain import Breakdown, SpecError, summary


class Net(nn.Module):
    """A small CNN with a nested Sequential."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.block = nn.Sequential(nn.Conv2d(6, 8, 3, groups=2), nn.BatchNorm2d(8), nn.ReLU())
        self.fc = nn.Linear(8 * 22 * 22, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = self.fc(self.block(self.conv1(x)).flatten(1))
        return result


def numel(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def quiet(model: nn.Module, *args: Any, **kwargs: Any) -> Breakdown:
    return summary(model, *args, **{"verbose": 0, **kwargs})


def test_input_size_is_positional_and_totals_are_numel() -> None:
    model = Net()
    stats = quiet(model, (2, 1, 28, 28))
    theirs = torchinfo.summary(model, (2, 1, 28, 28), verbose=0)
    assert stats.total_params == numel(model) == theirs.total_params
    assert stats.trainable_params == theirs.trainable_params
    assert stats.input_size == [[2, 1, 28, 28]]


class Biased(nn.Module):
    """Two Linear layers and a batch-first LSTM: models on which torchinfo counts right."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Linear(3, 8)
        self.lstm = nn.LSTM(8, 6, num_layers=2, batch_first=True)
        self.head = nn.Linear(6, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.embed(x))
        result: torch.Tensor = self.head(out[:, -1])
        return result


@pytest.mark.parametrize(
    ("build", "size"),
    [
        (
            lambda: nn.Sequential(nn.Conv2d(3, 8, 3, stride=2), nn.ReLU(), nn.Conv2d(8, 4, 1)),
            (3, 3, 9, 9),
        ),
        (lambda: nn.Sequential(nn.Linear(5, 7), nn.Linear(7, 2, bias=False)), (4, 5)),
        (lambda: nn.GRU(4, 6, batch_first=True, bidirectional=True), (3, 7, 4)),
        (lambda: nn.LSTM(8, 6, num_layers=2, batch_first=True), (2, 5, 8)),
        (torch_models.resnet18, (2, 3, 64, 64)),
    ],
    ids=["conv", "linear", "gru batch-first", "lstm batch-first", "resnet18"],
)
def test_total_mult_adds_is_torchinfos(build: Any, size: tuple[int, ...]) -> None:
    model = build()
    stats = quiet(model, size)
    theirs = torchinfo.summary(model, size, verbose=0)
    assert stats.total_params == numel(model) == theirs.total_params
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    # torchinfo counts a BatchNorm as 2·C per batch; cnnexplain one MAC per element (a·x+b)
    norm_rows = [r for r in stats.summary_list if r.class_name == "BatchNorm2d"]
    ours_without = stats.total_mult_adds - sum(r.macs or 0 for r in norm_rows)
    theirs_without = theirs.total_mult_adds - sum(
        layer.macs for layer in theirs.summary_list if layer.class_name == "BatchNorm2d"
    )
    assert ours_without == theirs_without
    assert bool(norms) == bool(norm_rows)


def test_input_data_and_forward_kwargs() -> None:
    class Scaled(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 3)
            self.again = nn.Linear(3, 3)

        def forward(self, x: torch.Tensor, *, twice: bool = False) -> torch.Tensor:
            out: torch.Tensor = self.fc(x)
            return self.again(self.again(out)) if twice else out

    model = Scaled()
    data = torch.zeros(2, 4)
    once = quiet(model, input_data=data)
    twice = quiet(model, input_data=[data], twice=True)
    by_name = quiet(model, input_data={"x": data}, twice=True)
    again = {r.var_name: r for r in twice.summary_list}["again"]
    assert again.calls == 2  # the keyword reached forward
    assert {r.var_name: r for r in once.summary_list}["again"].macs is None  # never called
    assert by_name.total_mult_adds == twice.total_mult_adds
    theirs = torchinfo.summary(model, input_data=[data], twice=True, verbose=0)
    assert twice.total_mult_adds == theirs.total_mult_adds


def test_batch_dim_inserts_a_batch_of_one() -> None:
    model = Net()
    stats = quiet(model, (1, 28, 28), batch_dim=0)
    theirs = torchinfo.summary(model, (1, 28, 28), batch_dim=0, verbose=0)
    assert stats.input_size == [[1, 1, 28, 28]]
    assert stats.summary_list[-1].output_size == theirs.summary_list[-1].output_size
    with pytest.raises(SpecError, match=r"batch_dim=7 is not a position"):
        quiet(model, (1, 28, 28), batch_dim=7)


def test_cache_forward_pass_reuses_the_result() -> None:
    model = Net()
    first = quiet(model, (1, 1, 28, 28), cache_forward_pass=True)
    assert quiet(model, (1, 1, 28, 28), cache_forward_pass=True) is first
    assert quiet(model, (1, 1, 28, 28)) is not first
    assert quiet(model, (2, 1, 28, 28), cache_forward_pass=True) is not first
    data = quiet(model, input_data=torch.zeros(1, 1, 28, 28), cache_forward_pass=True)
    same_shape = quiet(model, input_data=torch.ones(1, 1, 28, 28), cache_forward_pass=True)
    assert same_shape is data  # the pass depends on shapes and dtypes, not values
    with pytest.raises(SpecError, match=r"cache_forward_pass must be True or False"):
        quiet(model, (1, 1, 28, 28), cache_forward_pass="yes")  # noqa: S106 - not a password


def header(out: str) -> str:
    return out.splitlines()[1]


def test_col_names_choose_torchinfos_columns_and_refuse_others(
    capsys: pytest.CaptureFixture[str],
) -> None:
    model = Net()
    summary(model, (1, 1, 28, 28), col_names=("kernel_size", "groups", "mult_adds", "trainable"))
    titles = header(capsys.readouterr().out).split()
    assert titles[-6:] == ["Kernel", "Shape", "Groups", "Mult-Adds", "Trainable", "Formula"]
    with pytest.raises(SpecError, match=r"col_names takes names among .*'shape' is not one"):
        summary(model, (1, 1, 28, 28), col_names=("shape",))
    summary(model, (1, 1, 28, 28), col_names=("input_size", "params_percent"))
    lines = capsys.readouterr().out.splitlines()
    fc = next(line for line in lines if "Linear" in line)
    assert "[1, 3872]" in fc
    assert f"{model.fc.weight.numel() + 10:,}" not in fc  # num_params not asked for
    assert f"{(3872 * 10 + 10) / numel(model):.2%}" in fc


def test_col_width_sets_each_column(capsys: pytest.CaptureFixture[str]) -> None:
    model = Net()
    summary(model, (1, 1, 28, 28), col_width=12)
    narrow = header(capsys.readouterr().out)
    summary(model, (1, 1, 28, 28), col_width=30)
    wide = header(capsys.readouterr().out)
    assert wide.index("Param #") - narrow.index("Param #") == 30 - 12
    with pytest.raises(SpecError, match=r"col_width must be an integer of at least 1"):
        summary(model, (1, 1, 28, 28), col_width=0)


def test_depth_hides_deeper_rows_and_sums_them(capsys: pytest.CaptureFixture[str]) -> None:
    model = Net()
    summary(model, (1, 1, 28, 28), depth=1)
    shallow = capsys.readouterr().out
    summary(model, (1, 1, 28, 28), depth=2)
    deep = capsys.readouterr().out
    assert "BatchNorm2d" not in shallow
    assert "BatchNorm2d" in deep
    block = sum(p.numel() for p in model.block.parameters())
    block_line = next(line for line in shallow.splitlines() if "Sequential: 1-2" in line)
    assert f" {block:,} " in block_line
    with pytest.raises(SpecError, match=r"depth must be an integer of at least 0"):
        summary(model, (1, 1, 28, 28), depth=-1)


def test_device_is_checked_and_the_module_stays_put() -> None:
    model = Net()
    stats = quiet(model, (1, 1, 28, 28), device="cpu")
    assert stats.total_params == numel(model)
    assert all(p.device.type == "cpu" for p in model.parameters())
    with pytest.raises(SpecError, match=r"device must name a torch device"):
        quiet(model, (1, 1, 28, 28), device="gpu")


@pytest.mark.parametrize("kind", [torch.long, torch.LongTensor])
def test_dtypes_take_dtypes_and_tensor_types(kind: Any) -> None:
    model = nn.Sequential(nn.Embedding(20, 4), nn.Flatten(), nn.Linear(4 * 6, 2))
    stats = quiet(model, (3, 6), dtypes=[kind])
    theirs = torchinfo.summary(model, (3, 6), dtypes=[torch.long], verbose=0)
    assert stats.total_params == theirs.total_params
    linear = [(r.output_size, r.macs) for r in stats.summary_list if r.class_name == "Linear"]
    assert linear == [
        (r.output_size, r.macs) for r in theirs.summary_list if r.class_name == "Linear"
    ]
    embedding = next(r for r in stats.summary_list if r.class_name == "Embedding")
    assert embedding.macs == 0  # a lookup: torchinfo counts its table once per example
    with pytest.raises(SpecError, match=r"dtypes takes a torch dtype"):
        quiet(model, (3, 6), dtypes=["long"])


class Aux(nn.Module):
    """Runs an auxiliary head only in training, as Inception does."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 4), nn.Dropout(), nn.Linear(4, 4))
        self.aux = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.body(x)
        return torch.cat([out, self.aux(out)], 1) if self.training else out


def test_mode_runs_train_or_eval_and_restores_each_flag() -> None:
    model = Aux()
    model.train()
    model.body[1].eval()  # a mixed state torchinfo would flatten
    flags = [m.training for m in model.modules()]
    train = quiet(model, (1, 4), mode="train")
    evaluated = quiet(model, (1, 4))  # eval by default, as torchinfo
    assert train.output_shapes == ((1, 6),)
    assert evaluated.output_shapes == ((1, 4),)
    assert [m.training for m in model.modules()] == flags
    with pytest.raises(SpecError, match=r"mode takes names among 'train', 'eval'"):
        quiet(model, (1, 4), mode="test")


class Shared(nn.Module):
    """One Linear held by two Sequentials (torchinfo lists its second place as recursive)."""

    def __init__(self) -> None:
        super().__init__()
        shared = nn.Linear(3, 3)
        self.encode = nn.Sequential(shared, nn.ReLU())
        self.decode = nn.Sequential(shared)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = self.decode(self.encode(x))
        return result


def test_row_settings(capsys: pytest.CaptureFixture[str]) -> None:
    model = Net()
    summary(model, (1, 1, 28, 28), row_settings=("var_names", "ascii_only"))
    out = capsys.readouterr().out
    assert "Layer (type (var_name))" in out
    assert "Conv2d (conv1)" in out
    assert not re.search("[├└│]", out)
    summary(model, (1, 1, 28, 28))
    assert "├─Conv2d: 1-1" in capsys.readouterr().out
    summary(Shared(), (1, 3))
    shown = capsys.readouterr().out
    assert "└─Linear: 2-1 ×2" in shown  # one row per module, with its number of calls
    assert "└─Linear: 2-3" in shown
    assert "(recursive)" in shown
    summary(Shared(), (1, 3), row_settings=("depth", "hide_recursive_layers"))
    hidden = capsys.readouterr().out
    assert "(recursive)" not in hidden
    assert "└─Linear: 2-3" not in hidden
    with pytest.raises(SpecError, match=r"row_settings takes names among"):
        summary(model, (1, 1, 28, 28), row_settings=("indent",))


def test_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    model = Net()
    summary(model, (1, 1, 28, 28), verbose=0)
    assert capsys.readouterr().out == ""
    summary(model, (1, 1, 28, 28))
    default = capsys.readouterr().out
    assert f"Total params: {numel(model):,}" in default
    assert "weight" not in default
    summary(model, (1, 1, 28, 28), verbose=2)
    detailed = capsys.readouterr().out
    assert f"└─{model.conv1.weight.numel():,}" in detailed
    with pytest.raises(SpecError, match=r"verbose must be 0"):
        summary(model, (1, 1, 28, 28), verbose=3)


def test_summary_list_has_torchinfos_rows() -> None:
    model = Net()
    ours = quiet(model, (2, 1, 28, 28)).summary_list
    theirs = torchinfo.summary(model, (2, 1, 28, 28), verbose=0).summary_list
    assert [(r.class_name, r.depth, r.output_size, r.num_params) for r in ours] == [
        (r.class_name, r.depth, r.output_size, r.num_params) for r in theirs
    ]
    assert [r.kernel_size for r in ours] == [r.kernel_size for r in theirs]


def test_tied_weights_count_once_where_torchinfo_counts_twice() -> None:
    class Tied(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(50, 8)
            self.out = nn.Linear(8, 50, bias=False)
            self.out.weight = self.embed.weight

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            result: torch.Tensor = self.out(self.embed(x))
            return result

    model = Tied()
    stats = quiet(model, (1, 5), dtypes=[torch.long])
    theirs = torchinfo.summary(model, (1, 5), dtypes=[torch.long], verbose=0)
    assert stats.total_params == numel(model)
    assert theirs.total_params == numel(model) + model.out.weight.numel()


def test_a_keras_model_is_refused_in_one_sentence() -> None:
    with pytest.raises(SpecError, match=r"summary\(\) takes a torch.nn.Module"):
        summary("model.keras")


class TwoInputs(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(3, 4)
        self.b = nn.Linear(5, 4)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = self.a(x) + self.b(y)
        return result


CALL_FORMS: list[tuple[str, Any]] = [
    ("sizes", lambda s: s(TwoInputs(), [(1, 3), (1, 5)], verbose=0)),
    ("torch.Size", lambda s: s(TwoInputs(), [torch.Size([2, 3]), torch.Size([2, 5])], verbose=0)),
    ("tensors", lambda s: s(TwoInputs(), input_data=[torch.zeros(1, 3), torch.zeros(1, 5)])),
    ("dict", lambda s: s(TwoInputs(), input_data={"x": torch.zeros(3, 3), "y": torch.zeros(3, 5)})),
    ("kwargs", lambda s: s(TwoInputs(), input_data=[torch.zeros(1, 3)], y=torch.zeros(1, 5))),
    ("list size", lambda s: s(nn.Conv2d(3, 4, 3), input_size=[2, 3, 8, 8], dtypes=[torch.float])),
    ("device", lambda s: s(nn.Conv2d(3, 4, 3), (1, 3, 8, 8), device=torch.device("cpu"))),
    ("batch_dim", lambda s: s(nn.Linear(3, 4), (3,), batch_dim=0)),
]


@pytest.mark.parametrize(("name", "call"), CALL_FORMS, ids=[c[0] for c in CALL_FORMS])
def test_torchinfos_call_forms_give_torchinfos_totals(
    name: str, call: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    del name
    theirs = call(torchinfo.summary)
    ours = call(summary)
    capsys.readouterr()
    assert ours.total_params == theirs.total_params
    assert ours.total_mult_adds == theirs.total_mult_adds
