"""The playground's view of a run: plain JSON data, formulas as two kinds of MathML token."""

from __future__ import annotations

import json

from conftest import load_example

from cnnexplain import explain_code
from cnnexplain._explain_code.playground_view import MATH_TAGS, code_view

playground = load_example("playground")


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_the_view_is_plain_data_with_every_figure_of_the_result() -> None:
    result = explain_code(playground.corrected_source(), running=[288, 540988, 541988])
    view = code_view(result)
    assert json.loads(json.dumps(view)) == view  # plain JSON: no object the page must trust
    (model,) = view["models"]
    breakdown = result.breakdown
    assert [r["cells"][2] for r in model["table"]["rows"]] == [
        f"{row.params:,}" for row in breakdown.rows
    ]
    tokens = model["math"]
    assert {tag for tag, _ in tokens} <= set(MATH_TAGS)
    text = "".join(value for _, value in tokens)
    assert text == f"{breakdown.formula.text().replace(' ', '')}={breakdown.total:,}"
    assert result.diagnosis is not None
    assert view["diagnosis"]["headline"] == result.diagnosis.headline()
    assert [f["amount"] for f in view["diagnosis"]["findings"]] == [
        f"{f.amount:+,}" for f in result.diagnosis.findings
    ]


def test_markup_in_names_and_output_stays_a_string() -> None:
    code = (
        "import keras\n"
        "m = keras.Sequential([keras.Input((4,)),"
        " keras.layers.Dense(2, name='<img src=x onerror=alert(1)>')],"
        " name='<img src=x onerror=alert(1)>')\n"
        "print('<script>alert(1)</script>')\n"
    )
    view = code_view(explain_code(code))
    strings = _strings(view)
    assert "<img src=x onerror=alert(1)>" in strings  # as text, for the page's textContent
    assert "<script>alert(1)</script>\n" in strings
    assert (
        view["models"][0]["table"]["rows"][0]["cells"][0] == "<img src=x onerror=alert(1)> (Dense)"
    )
