"""The question's model: 542,230 parameters, each from its formula, in every rendering."""

from __future__ import annotations

import json
from typing import Any

from conftest import seed_spec

import cnnexplain


def test_seed_counts_match_keras(seed_model: Any) -> None:
    b = cnnexplain.explain(seed_model)
    assert b.total == seed_model.count_params() == 542230
    assert [r.params for r in b.rows] == [320, 0, 0, 540900, 1010]
    assert [r.name for r in b.rows] == ["conv", "pool", "flatten", "hidden", "output"]
    assert [r.kind for r in b.rows] == ["Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"]
    assert (b.trainable, b.non_trainable) == (542230, 0)
    assert str(b.formula) == "(3·3+1)·32 + (5408+1)·100 + (100+1)·10"
    assert int(b.formula) == b.total
    assert b.unexplained == []


def test_seed_rows_carry_formulas_and_shape_arithmetic(seed_model: Any) -> None:
    conv, pool, flatten, hidden, _ = cnnexplain.explain(seed_model).rows
    assert conv.formula.text() == "(3·3·1+1)·32"
    assert conv.formula.symbols() == "(k_h·k_w·C_in+1)·F"
    assert conv.shape_steps == ("H: ⌊(28−3)/1⌋+1 = 26", "W: ⌊(28−3)/1⌋+1 = 26", "C: F = 32")
    assert conv.output_shape == (None, 26, 26, 32)
    assert pool.shape_steps[0] == "H: ⌊(26−2)/2⌋+1 = 13"
    assert flatten.shape_steps == ("13·13·32 = 5408",)
    assert hidden.formula.symbols() == "(n_in+1)·units"
    assert [(w.name, w.shape) for w in hidden.weights] == [
        ("kernel", (5408, 100)),
        ("bias", (100,)),
    ]


def test_spec_gives_the_identical_breakdown(seed_model: Any) -> None:
    from_keras = cnnexplain.explain(seed_model)
    from_spec = cnnexplain.explain(seed_spec())
    assert from_spec.to_dict() == from_keras.to_dict()
    cnnexplain.explain(seed_spec(), verify=True)  # builds it in Keras and compares


def test_text_render(seed_model: Any, golden: Any) -> None:
    golden("seed.txt", cnnexplain.explain(seed_model).to_text() + "\n")


def test_markdown_render(seed_model: Any, golden: Any) -> None:
    b = cnnexplain.explain(seed_model)
    golden("seed.md", b.to_markdown())
    assert b._repr_markdown_() == b.to_markdown()


def test_latex_render(seed_model: Any, golden: Any) -> None:
    golden("seed.tex", cnnexplain.explain(seed_model).to_latex())


def test_json_render(seed_model: Any) -> None:
    data = json.loads(json.dumps(cnnexplain.explain(seed_model).to_dict()))
    assert data["total"] == 542230
    assert data["formula"] == "(3·3+1)·32 + (5408+1)·100 + (100+1)·10"
    assert [r["params"] for r in data["rows"]] == [320, 0, 0, 540900, 1010]
    assert data["rows"][0]["output_shape"] == [None, 26, 26, 32]
    assert data["rows"][0]["formula_symbols"] == "(k_h·k_w·C_in+1)·F"


def test_html_render(seed_model: Any) -> None:
    html = cnnexplain.explain(seed_model)._repr_html_()
    assert "<table>" in html
    assert "<td>(3·3·1+1)·32</td>" not in html  # formulas are in <code>
    assert "<code>(3·3·1+1)·32</code>" in html
    assert "542,230 = (3·3+1)·32 + (5408+1)·100 + (100+1)·10" in html
