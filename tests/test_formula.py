"""Formula values: evaluation and the three renderings."""

from __future__ import annotations

import pytest

from cnnexplain._formula import Quotient, Sum, Term, as_formula, total_of


def conv(k: int, c_in: int, f: int, *, bias: bool = True) -> object:
    per_filter = Term(k, "k_h") * Term(k, "k_w") * Term(c_in, "C_in")
    return (per_filter + 1) * Term(f, "F") if bias else per_filter * Term(f, "F")


def test_conv_formula_renders_three_ways() -> None:
    f = (Term(3, "k_h") * Term(3, "k_w") * Term(1, "C_in") + 1) * Term(32, "F")
    assert int(f) == 320
    assert f.text() == "(3·3·1+1)·32"
    assert f.text(compact=True) == "(3·3+1)·32"
    assert f.symbols() == "(k_h·k_w·C_in+1)·F"
    assert f.latex() == r"(3 \cdot 3 \cdot 1 + 1) \cdot 32"
    assert f.latex(symbols=True) == r"(k_{h} \cdot k_{w} \cdot C_{\mathrm{in}} + 1) \cdot F"


def test_compact_drops_only_factors_of_one() -> None:
    f = (Term(1) * Term(1) * Term(1) + 1) * Term(8)
    assert f.text(compact=True) == "(1+1)·8"
    assert (Term(1) * Term(1)).text(compact=True) == "1"
    assert int(f) == 16


def test_quotient_is_exact_and_parenthesized() -> None:
    f = (Term(3) * Term(3) * Quotient(Term(64, "C_in"), Term(2, "g")) + 1) * Term(16, "F")
    assert int(f) == (9 * 32 + 1) * 16
    assert f.text() == "(3·3·(64/2)+1)·16"
    assert f.symbols() == "(3·3·(C_in/g)+1)·F"
    with pytest.raises(ValueError, match="not divisible"):
        Quotient(Term(5), Term(2))


def test_total_of_skips_zero_and_splices_nested_totals() -> None:
    a = (Term(3) * Term(3) * Term(1) + 1) * Term(32)
    b = (Term(5408) + 1) * Term(100)
    inner = total_of([a, b])
    outer = total_of([Term(0), inner, (Term(100) + 1) * Term(10)])
    assert isinstance(outer, Sum)
    assert str(outer) == "(3·3+1)·32 + (5408+1)·100 + (100+1)·10"
    assert int(outer) == 542230
    assert str(total_of([])) == "0"


def test_as_formula_rejects_non_integers() -> None:
    assert int(as_formula(7)) == 7
    with pytest.raises(TypeError, match="built from ints"):
        as_formula(2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        as_formula(True)  # noqa: FBT003
