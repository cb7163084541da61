"""Every public torch.nn module class: a rule, or an explicit reason; lazy modules; losses, Fold.

Each new rule is checked against torch as oracle (``check_module``: the row's
count equals ``numel()``, its weights' names and shapes torch's, its output
shapes a real CPU forward's).
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
import torch
from torch import nn
from torch_oracle import check_module

from cnnexplain import SpecError, explain
from cnnexplain._rules.registry import TORCH_RULES

BROKEN_DOWN = {
    # Containers: each row is the sum of its members' rows.
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "ParameterList",
    "ParameterDict",
    # Composites of ruled modules, broken down into their children as a custom module is.
    "Transformer",
    "TransformerEncoder",
    "TransformerDecoder",
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
}
"""torch.nn classes explained by their children rather than a rule of their own."""
REFUSED = {
    # The base of every module; a custom module is broken down into children and own parameters.
    "Module": "defines no forward()",
    # Deprecated alias kept by torch for old code; it has no forward either.
    "Container": "defines no forward()",
    # Abstract bases: the concrete RNN/LSTM/GRU and their cells have rules.
    "RNNBase": "it is the base class of GRU, LSTM, RNN",
    "RNNCellBase": "it is the base class of GRUCell, LSTMCell, RNNCell",
}
"""torch.nn classes refused, each with the start of its one-sentence reason."""


def _public_module_classes() -> list[str]:
    return sorted(
        name
        for name, obj in vars(nn.modules).items()
        if inspect.isclass(obj) and issubclass(obj, nn.Module) and not name.startswith("_")
    )


def test_every_torch_nn_module_has_a_rule_or_a_reason() -> None:
    missing = []
    for name in _public_module_classes():
        cls = getattr(nn.modules, name)
        becomes = getattr(cls, "cls_to_become", None)
        if name.startswith("Lazy"):  # materialised first, then its cls_to_become's rule
            assert becomes is not None, name
            assert becomes.__name__ in TORCH_RULES, name
        elif name not in TORCH_RULES and name not in BROKEN_DOWN and name not in REFUSED:
            missing.append(name)
    assert missing == []
    assert not (set(REFUSED) | BROKEN_DOWN) & set(TORCH_RULES)


@pytest.mark.filterwarnings("ignore::FutureWarning")  # nn.Container is deprecated
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_classes_say_why_in_one_sentence(name: str) -> None:
    cls = getattr(nn, name)
    module = {
        "RNNBase": lambda: nn.RNNBase("LSTM", 4, 6),
        "RNNCellBase": lambda: nn.RNNCellBase(4, 6, bias=True, num_chunks=4),
    }.get(name, cls)()
    b = explain(module, input_size=(2, 4))  # counted from its arguments, nothing run
    assert b.total == sum(p.numel() for p in module.parameters())
    assert b.note.startswith(f"torch.nn.{name} defines no forward(), so the input was not run")
    assert REFUSED[name] in b.note
    assert b.note.count(". ") == 0, b.note


def _f(*shape: int) -> torch.Tensor:
    return torch.rand(shape)


def _i(high: int, *shape: int) -> torch.Tensor:
    return torch.randint(0, high, shape)


LOSS_INPUTS: dict[str, Any] = {
    "L1Loss": lambda: (_f(3, 4), _f(3, 4)),
    "MSELoss": lambda: (_f(3, 4), _f(3, 4)),
    "BCELoss": lambda: (_f(3, 4), _f(3, 4)),
    "BCEWithLogitsLoss": lambda: (_f(3, 4), _f(3, 4)),
    "HuberLoss": lambda: (_f(3, 4), _f(3, 4)),
    "SmoothL1Loss": lambda: (_f(3, 4), _f(3, 4)),
    "KLDivLoss": lambda: (_f(3, 4), _f(3, 4)),
    "PoissonNLLLoss": lambda: (_f(3, 4), _f(3, 4)),
    "SoftMarginLoss": lambda: (_f(3, 4), _f(3, 4)),
    "HingeEmbeddingLoss": lambda: (_f(3, 4), _f(3, 4)),
    "GaussianNLLLoss": lambda: (_f(3, 4), _f(3, 4), _f(3, 4) + 0.1),
    "MarginRankingLoss": lambda: (_f(5), _f(5), torch.ones(5)),
    "CrossEntropyLoss": lambda: (_f(3, 5, 2), _i(5, 3, 2)),
    "NLLLoss": lambda: (_f(3, 5), _i(5, 3)),
    "CosineEmbeddingLoss": lambda: (_f(3, 4), _f(3, 4), torch.ones(3)),
    "MultiLabelMarginLoss": lambda: (_f(3, 4), _i(4, 3, 4)),
    "MultiLabelSoftMarginLoss": lambda: (_f(3, 4), _f(3, 4)),
    "MultiMarginLoss": lambda: (_f(3, 4), _i(4, 3)),
    "TripletMarginLoss": lambda: (_f(3, 4), _f(3, 4), _f(3, 4)),
    "TripletMarginWithDistanceLoss": lambda: (_f(3, 4), _f(3, 4), _f(3, 4)),
    "CTCLoss": lambda: (
        _f(6, 2, 4).log_softmax(2),
        _i(3, 2, 3) + 1,
        torch.tensor([6, 6]),
        torch.tensor([3, 2]),
    ),
}


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")  # KLDivLoss's
@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("name", sorted(LOSS_INPUTS))
def test_loss_modules(name: str, reduction: str) -> None:
    torch.manual_seed(0)
    b = check_module(getattr(nn, name)(reduction=reduction), *LOSS_INPUTS[name]())
    assert b.total == 0
    assert f"reduction='{reduction}'" in b.rows[0].shape_steps[0]


def test_nll_loss_2d_and_kl_batchmean() -> None:
    with pytest.warns(FutureWarning):
        module = nn.NLLLoss2d(reduction="none")
    check_module(module, _f(2, 5, 3, 3), _i(5, 2, 3, 3))
    check_module(nn.KLDivLoss(reduction="batchmean"), _f(3, 4), _f(3, 4))


@pytest.mark.parametrize(
    ("module", "inputs"),
    [
        (nn.LinearCrossEntropyLoss(8, 5), (_f(3, 8), _i(5, 3))),
        (nn.LinearCrossEntropyLoss(8, 5, bias=True, reduction="none"), (_f(3, 8), _i(5, 3))),
        (
            nn.LinearCrossEntropyLoss(8, 5, out_features=(4,), bias=True, reduction="none"),
            (_f(3, 8), _i(5, 3, 4)),
        ),
    ],
)
def test_linear_cross_entropy_loss(module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
    b = check_module(module, *inputs)
    assert b.rows[0].weights[0].name == "linear.weight"
    macs = b.rows[0].macs
    assert macs is not None
    assert int(macs) == module.get_parameter("linear.weight").numel()  # per example


@pytest.mark.parametrize(
    ("kwargs", "head_bias"),
    [({"cutoffs": [5, 10], "div_value": 2.0}, False), ({"cutoffs": [4, 12]}, True)],
)
def test_adaptive_log_softmax(kwargs: dict[str, Any], *, head_bias: bool) -> None:
    module = nn.AdaptiveLogSoftmaxWithLoss(16, 20, head_bias=head_bias, **kwargs)
    b = check_module(module, _f(4, 16), torch.tensor([0, 7, 15, 19]))
    assert "MACs unknown" in b.rows[0].note
    assert b.rows[0].output_shape == [(4,), ()]


@pytest.mark.parametrize(
    ("kwargs", "shape"),
    [
        ({"output_size": (4, 5), "kernel_size": 2}, (1, 12, 12)),
        ({"output_size": 6, "kernel_size": 3, "padding": 1, "stride": 2}, (2, 18, 9)),
        ({"output_size": (7, 7), "kernel_size": (2, 3), "dilation": 2}, (1, 6, 15)),
        ({"output_size": (4, 5), "kernel_size": 2}, (12, 12)),
    ],
)
def test_fold(kwargs: dict[str, Any], shape: tuple[int, ...]) -> None:
    check_module(nn.Fold(**kwargs), torch.zeros(shape))


def test_fold_with_the_wrong_number_of_blocks_names_the_module() -> None:
    with pytest.raises(SpecError, match=r"Fold.*fails on the given input"):
        explain(nn.Fold((4, 5), 2), input_size=(1, 12, 11))


# --- lazy modules ------------------------------------------------------------------------------

LAZY: dict[str, tuple[Any, tuple[int, ...]]] = {
    "mlp": (lambda: nn.Sequential(nn.LazyLinear(16), nn.ReLU(), nn.LazyLinear(3)), (2, 7)),
    "cnn": (
        lambda: nn.Sequential(
            nn.LazyConv2d(8, 3),
            nn.LazyBatchNorm2d(),
            nn.LazyInstanceNorm2d(affine=True),
            nn.LazyConvTranspose2d(4, 2, stride=2),
            nn.Flatten(),
            nn.LazyLinear(5),
        ),
        (2, 3, 10, 10),
    ),
    "1d_3d": (
        lambda: nn.Sequential(
            nn.LazyConv1d(4, 3), nn.LazyBatchNorm1d(), nn.LazyConvTranspose1d(2, 3)
        ),
        (2, 5, 9),
    ),
    "3d": (
        lambda: nn.Sequential(
            nn.LazyConv3d(2, 2),
            nn.LazyBatchNorm3d(),
            nn.LazyInstanceNorm3d(),
            nn.LazyConvTranspose3d(1, 2),
        ),
        (1, 2, 4, 4, 4),
    ),
}


@pytest.mark.parametrize("name", sorted(LAZY))
def test_lazy_modules_counted_once_their_shapes_are_known(name: str) -> None:
    """Counts and shapes as torch gives them once a copy is materialised by a CPU forward."""
    build, size = LAZY[name]
    model = build()
    before = [type(m).__name__ for m in model]
    b = explain(model, input_size=size)
    oracle = build()  # another instance, materialised by torch on the CPU
    with torch.no_grad():
        out = oracle(torch.zeros(size))
    assert b.total == sum(p.numel() for p in oracle.parameters())
    assert b.output_shapes == (tuple(out.shape),)
    assert [r.kind for r in b.rows] == [type(m).__name__ for m in oracle]
    assert [r.params for r in b.rows] == [sum(p.numel() for p in m.parameters()) for m in oracle]
    assert b.unexplained == []
    lazy_rows = [r for r in b.rows if r.note.startswith("Lazy")]
    assert len(lazy_rows) == sum(type(m).__name__.startswith("Lazy") for m in model)
    assert [type(m).__name__ for m in model] == before  # the user's module: still lazy
    assert any(nn.parameter.is_lazy(p) for p in model.parameters())


def test_lazy_module_that_fails_names_the_lazy_modules() -> None:
    model = nn.Sequential(nn.LazyLinear(4), nn.Linear(5, 2))
    with pytest.raises(SpecError, match=r"lazy modules \(LazyLinear\)"):
        explain(model, input_size=(2, 3))


class ReadsValues(nn.Module):
    """A lazy module behind a forward that reads a value (cannot run on meta)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.LazyLinear(3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.fc(x) * float(x.abs().sum() + 1)
        return out


def test_lazy_module_that_cannot_run_on_meta_is_materialised_on_a_cpu_copy() -> None:
    model = ReadsValues()
    b = explain(model, input_size=(2, 5))
    assert b.total == (5 + 1) * 3
    assert nn.parameter.is_lazy(model.fc.weight)


# --- wrappers and reparametrised weights -------------------------------------------------------


def test_old_weight_norm_counts_weight_g_and_weight_v() -> None:
    with pytest.warns(FutureWarning):
        linear = nn.utils.weight_norm(nn.Linear(4, 5))
    model = nn.Sequential(linear, nn.ReLU())
    b = explain(model, input_size=(2, 4))
    row = b.rows[0]
    assert row.params == sum(p.numel() for p in linear.parameters()) == 5 + 5 * 4 + 5
    assert "weight_g" in row.note
    assert str(row.formula) == "(4+1)·5+weight_g: 5·1"  # v is the weight the rule counts
    assert row.formula.symbols() == "(in_features+1)·out_features+weight_g: out_features·1"
    assert b.from_shapes == 0


def test_parametrized_weight_norm() -> None:
    linear = nn.utils.parametrizations.weight_norm(nn.Linear(4, 5))
    b = explain(nn.Sequential(linear), input_size=(2, 4))
    assert b.total == sum(p.numel() for p in linear.parameters()) == 30
    assert b.unexplained == []
    assert b.rows[0].formula.text() == "(4+1)·5+parametrizations.weight.original0: 5·1"
    assert b.from_shapes == 0


class OptimizedModule(nn.Module):
    """torch.compile's wrapper as torch._dynamo defines it: the compiled module as ``_orig_mod``.

    (A real ``torch.compile`` imports torch._dynamo, about 4 s: too slow for this suite.)
    """

    def __init__(self, mod: nn.Module) -> None:
        super().__init__()
        self._orig_mod = mod

    def forward(self, *args: Any) -> Any:
        return self._orig_mod(*args)


def test_torch_compile_wrapper_is_explained_as_the_module_it_compiles() -> None:
    inner = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    b = explain(OptimizedModule(inner), input_size=(2, 3))
    assert [r.name for r in b.rows] == ["0", "1", "2"]
    assert b.total == sum(p.numel() for p in inner.parameters())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit is deprecated in 2.13
def test_torchscript_is_refused_in_one_sentence() -> None:
    with pytest.raises(SpecError, match=r"is a TorchScript module .* explain the nn\.Module"):
        explain(torch.jit.script(nn.Linear(3, 2)), input_size=(2, 3))
