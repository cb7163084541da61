"""Every bad argument to the public API is refused with one sentence, never a bare traceback.

Each case calls a public name (`cnnexplain.__all__`, and the methods of its results) with a
wrong type or value and expects a `CnnexplainError` (so a `ValueError` too) whose message is
one line naming the argument, what was expected and ``Received: ...``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import torch
from conftest import seed_spec

import cnnexplain
from cnnexplain import CnnexplainError, CodeError, DiagnosisError, SpecError, spec

NET = torch.nn.Sequential(torch.nn.Linear(4, 3))
SEED = seed_spec()
BREAKDOWN: Any = cnnexplain.explain(SEED)
COSTS: Any = BREAKDOWN.costs()
cx: Any = cnnexplain  # wrong arguments on purpose: typed as Any, as a notebook calls them
sx: Any = spec
Case = tuple[Callable[[], object], type[CnnexplainError], str]


def _functional_twins() -> object:
    x = spec.Input((4,))
    y = spec.Dense(2, name="d")(spec.Dense(2, name="d")(x))
    return spec.Model(x, y)


CASES: dict[str, Case] = {
    # explain
    "explain verify": (lambda: cx.explain(SEED, verify="yes"), SpecError, "verify='yes'"),
    "explain expand": (lambda: cx.explain(SEED, expand=1), SpecError, "expand=1"),
    "explain model": (lambda: cx.explain(None), SpecError, "model of type NoneType"),
    "explain keras input_size": (
        lambda: cx.explain(SEED, input_size=(1, 4)),
        SpecError,
        "for torch modules",
    ),
    # explain, a torch module
    "torch dtypes strings": (
        lambda: cx.explain(NET, input_size=(1, 4), dtypes=["float"]),
        SpecError,
        "dtypes[0]='float'",
    ),
    "torch dtypes one dtype": (
        lambda: cx.explain(NET, input_size=(1, 4), dtypes=torch.float32),
        SpecError,
        "dtypes=torch.float32",
    ),
    "torch dtypes count": (
        lambda: cx.explain(NET, input_size=(1, 4), dtypes=[torch.float32] * 2),
        SpecError,
        "one per input (1)",
    ),
    "torch size and data": (
        lambda: cx.explain(NET, input_size=(1, 4), input_data=torch.zeros(1, 4)),
        SpecError,
        "not both",
    ),
    "torch dtypes and data": (
        lambda: cx.explain(NET, input_data=torch.zeros(1, 4), dtypes=[torch.float32]),
        SpecError,
        "not both",
    ),
    "torch input_size int": (
        lambda: cx.explain(NET, input_size=4),
        SpecError,
        "input_size=4",
    ),
    "torch input_size mixed": (
        lambda: cx.explain(NET, input_size=[(1, 4), 5]),
        SpecError,
        "input_size=[(1, 4), 5]",
    ),
    "torch verify": (
        lambda: cx.explain(NET, input_size=(1, 4), verify="x"),
        SpecError,
        "verify='x'",
    ),
    # diagnose
    "diagnose running": (
        lambda: cx.diagnose(SEED, running="288"),
        DiagnosisError,
        "running='288'",
    ),
    "diagnose per_layer item": (
        lambda: cx.diagnose(SEED, per_layer=[1.5, 2, 3]),
        DiagnosisError,
        "per_layer[0]=1.5",
    ),
    # explain_code
    "explain_code None": (lambda: cx.explain_code(None), CodeError, "NoneType"),
    "explain_code bytes": (lambda: cx.explain_code(b"x = 1"), CodeError, "bytes"),
    "explain_code running": (
        lambda: cx.explain_code(
            "import keras\nm = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])",
            running="x",
        ),
        DiagnosisError,
        "running='x'",
    ),
    # spec
    "spec name slash": (lambda: sx.Dense(2, name="a/b"), SpecError, "name='a/b'"),
    "spec name int": (lambda: sx.Dense(2, name=5), SpecError, "name=5"),
    "spec input name": (lambda: sx.Input((4,), name="x/y"), SpecError, "name='x/y'"),
    "spec model name": (lambda: sx.Sequential([], name="m/1"), SpecError, "name='m/1'"),
    "spec sequential twins": (
        lambda: sx.Sequential([sx.Input((4,)), sx.Dense(2, name="d"), sx.Dense(3, name="d")]),
        SpecError,
        "name='d'",
    ),
    "spec functional twins": (_functional_twins, SpecError, "name='d'"),
    "spec sequential layers": (lambda: sx.Sequential(5), SpecError, "layers of type int"),
    "spec model inputs": (lambda: sx.Model(5, 6), SpecError, "inputs=5"),
    # Breakdown
    "to_text expand": (lambda: BREAKDOWN.to_text(expand="x"), SpecError, "expand='x'"),
    "to_markdown full_formula": (
        lambda: BREAKDOWN.to_markdown(full_formula=None),
        SpecError,
        "full_formula=None",
    ),
    "to_latex expand": (lambda: BREAKDOWN.to_latex(expand=0), SpecError, "expand=0"),
    "to_svg id_prefix type": (lambda: BREAKDOWN.to_svg(id_prefix=5), SpecError, "id_prefix=5"),
    "to_svg id_prefix markup": (
        lambda: BREAKDOWN.to_svg(id_prefix='"><script>'),
        SpecError,
        "id_prefix='\"><script>'",
    ),
    "costs dtype list": (lambda: BREAKDOWN.costs(["float32"]), SpecError, "dtype=['float32']"),
    "costs dtype name": (lambda: BREAKDOWN.costs("float"), SpecError, "dtype='float'"),
    # Costs
    "training_bytes optimizer": (lambda: COSTS.training_bytes(None), SpecError, "None"),
    "training_bytes batch_size": (
        lambda: COSTS.training_bytes(batch_size="32"),
        SpecError,
        "batch_size='32'",
    ),
    "training_bytes momentum": (
        lambda: COSTS.training_bytes("sgd", momentum="0.9"),
        SpecError,
        "momentum='0.9'",
    ),
    "training_bytes momentum negative": (
        lambda: COSTS.training_bytes("sgd", momentum=-1),
        SpecError,
        "momentum=-1",
    ),
    "training_memory amsgrad": (
        lambda: COSTS.training_memory("adam", amsgrad=None),
        SpecError,
        "amsgrad=None",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_bad_argument_gets_one_sentence(name: str) -> None:
    call, error, received = CASES[name]
    with pytest.raises(error) as caught:
        call()
    message = str(caught.value)
    assert isinstance(caught.value, (CnnexplainError, ValueError))
    assert "\n" not in message
    assert message.endswith("."), message
    assert "Received" in message or error is CodeError, message
    assert received in message, message


@pytest.mark.parametrize(
    ("code", "line", "what"),
    [
        ("import sys; sys.exit(0)", 1, "SystemExit(0)"),
        ("import keras\nexit()", 2, "SystemExit"),
        ("x = 1\nraise KeyboardInterrupt", 2, "KeyboardInterrupt"),
    ],
)
def test_explain_code_reports_an_exit_at_its_line(code: str, line: int, what: str) -> None:
    """The user's code can neither end the caller's process nor escape as a bare exception."""
    with pytest.raises(CodeError) as caught:
        cnnexplain.explain_code(code)
    assert caught.value.line == line
    assert caught.value.code == code.splitlines()[line - 1].strip()
    assert str(caught.value).startswith(f"Line {line}: ")
    assert what in str(caught.value)
    assert str(caught.value).count(". ") == 0  # one sentence


def test_spec_names_keras_refuses_are_refused_with_keras_sense(keras: Any) -> None:
    """Keras (the oracle) refuses the same names, so a spec never describes an unbuildable model."""
    with pytest.raises(ValueError, match="cannot contain character `/`"):
        keras.layers.Dense(2, name="a/b")
    with pytest.raises(ValueError, match="unique names"):
        keras.Sequential(
            [keras.Input((4,)), keras.layers.Dense(2, name="d"), keras.layers.Dense(3, name="d")]
        )
    with pytest.raises(SpecError, match=re.escape("unique names")):
        spec.Sequential([spec.Input((4,)), spec.Dense(2, name="d"), spec.Dense(3, name="d")])


def test_a_shared_layer_is_not_a_duplicate() -> None:
    """One layer called twice keeps its one name: Keras's shared layers are allowed."""
    x = spec.Input((4,))
    shared = spec.Dense(4, name="shared")
    model = spec.Model(x, shared(shared(x)))
    assert [row.name for row in cnnexplain.explain(model).rows] == ["shared"]
