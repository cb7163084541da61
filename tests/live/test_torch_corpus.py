"""The torch corpus (tests/support/torch_corpus.py): pytorch/examples-style models, verified.

Each is explained with ``verify=True`` (every row against ``numel``, weight
shapes by name and the recorded output shapes), every row must be explained
by a rule, the total must equal ``sum(p.numel())`` counting each tensor once,
and the top-level output shapes must match a real CPU forward. torchinfo
(pinned 1.8.0) gives a second opinion: equal totals, except the tied-weight
models it counts twice and the inputs it cannot run, both asserted so the
test notices if torchinfo changes.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch_corpus
from torch import nn
from torch.nn.utils.rnn import PackedSequence
from torch_oracle import shapes

from cnnexplain import Breakdown, explain
from cnnexplain._live.torch import capture

pytestmark = pytest.mark.filterwarnings(
    "ignore::UserWarning"  # the examples' own warnings (Dropout2d on 2-D input, nested tensors)
)

_BUILT: dict[str, tuple[nn.Module, dict[str, Any], Breakdown]] = {}


def _get(name: str) -> tuple[nn.Module, dict[str, Any], Breakdown]:
    """A corpus model, its explain() arguments and its verified breakdown, built once."""
    if name not in _BUILT:
        case = torch_corpus.CASES[name]
        torch.manual_seed(0)
        model = case.model()
        kwargs = case.inputs()
        _BUILT[name] = (model, kwargs, explain(model, **kwargs, verify=True))
    return _BUILT[name]


def _unique_numel(model: nn.Module) -> int:
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


def _real_shapes(value: Any) -> list[tuple[int, ...]]:
    """A real forward's output shapes, a PackedSequence as its data (as torch hooks see it)."""
    if isinstance(value, PackedSequence):
        return [tuple(value.data.shape)]
    if isinstance(value, (tuple, list)):
        return [s for v in value for s in _real_shapes(v)]
    return shapes(value)


def test_the_corpus_is_large_enough() -> None:
    assert len(torch_corpus.CASES) >= 30  # the brief's size


@pytest.mark.parametrize("name", list(torch_corpus.CASES))
def test_corpus_model_fully_explained(name: str) -> None:
    model, kwargs, b = _get(name)
    assert b.total == _unique_numel(model) == sum(p.numel() for p in model.parameters())
    flagged = [(path, row.kind, row.note) for path, row in b.walk() if not row.explained]
    assert flagged == []
    assert b.unexplained == []
    args = kwargs.get("input_data")
    if args is None:  # meta models run on meta: torch's own kernels give the real shapes
        device = "meta" if torch_corpus.CASES[name].meta else "cpu"
        args = (torch.zeros(kwargs["input_size"], device=device),)
    elif not isinstance(args, tuple) or isinstance(args, PackedSequence):
        args = (args,)
    with torch.no_grad():
        real = _real_shapes(model(*args))
    assert list(b.output_shapes) == real


@pytest.mark.parametrize("name", list(torch_corpus.CASES))
def test_torchinfo_second_opinion(name: str) -> None:
    torchinfo = pytest.importorskip("torchinfo")
    model, kwargs, b = _get(name)
    case = torch_corpus.CASES[name]
    if case.meta:
        kwargs = {**kwargs, "device": "meta"}
    if case.torchinfo == "fails":
        with pytest.raises((NotImplementedError, AttributeError)):
            torchinfo.summary(model, verbose=0, **kwargs)
        return
    info = torchinfo.summary(model, verbose=0, **kwargs)
    if case.torchinfo == "tied":  # torchinfo's known bug (#322, #358, #377): tied tensors twice
        assert case.tied > 0
        assert info.total_params == b.total + case.tied
    else:
        assert info.total_params == b.total
        assert info.trainable_params == b.trainable


def test_tied_models_say_where() -> None:
    _, _, b = _get("word_lstm_tied")
    decoder = dict(b.walk())["decoder"]
    assert "encoder.weight" in decoder.note
    assert decoder.params == 100  # its bias only: the weight is the embedding's


def test_packed_sequence_rows() -> None:
    _, _, b = _get("packed_gru_classifier")
    rnn = dict(b.walk())["rnn"]
    assert rnn.output_shape == [(11, 24), (2, 3, 12)]  # 5+2+4 real steps, h_n per sequence
    assert "PackedSequence" in rnn.note
    _, _, lstm = _get("packed_lstm_input")
    (row,) = lstm.rows
    assert row.output_shape == [(10, 6), (2, 3, 6), (2, 3, 6)]


def test_where_the_corpus_runs() -> None:
    """On meta where it can, tensors made inside forward included; else on the CPU.

    time_sequence_prediction makes its states with ``torch.zeros(n, 51)`` (no
    device): they are made on meta too. A sparse adjacency, and torch's own
    Transformer (which reads a mask's values), need a real run.
    """
    where = {}
    for name in ("time_sequence_prediction", "mnist", "gcn", "language_translation"):
        model, kwargs, _ = _get(name)
        where[name] = capture(model, **kwargs)[1]
    assert where == {
        "time_sequence_prediction": "meta",
        "mnist": "meta",
        "gcn": "cpu",
        "language_translation": "cpu",
    }
