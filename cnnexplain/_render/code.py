"""HTML of a `CodeResult` (`CodeResult.to_html`): tables, MathML formulas, notes, diagnosis.

The tables are `_render.html`'s, the model formula is MathML written from the
`Formula` itself, everything from the user's code is escaped. The playground page
does not use it: it builds its output from plain data (`_playground_view`).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from cnnexplain._breakdown import Breakdown
from cnnexplain._diagnose.diagnosis import Diagnosis
from cnnexplain._render import tables as _render
from cnnexplain._rules.protocol import fmt_shape

if TYPE_CHECKING:
    from cnnexplain._explain_code.code import CodeResult

__all__ = ["code_html", "diagnosis_html", "formula_mathml"]

_MATH = '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">'


def formula_mathml(b: Breakdown) -> str:
    """The model's one-line formula and total as a display ``<math>`` element.

    Examples:
        >>> from cnnexplain import explain, spec
        >>> b = explain(spec.Sequential([spec.Input((4,)), spec.Dense(3, name="d")]))
        >>> formula_mathml(b)  # doctest: +ELLIPSIS
        '<math ...><mrow><mo>(</mo><mn>4</mn>...<mn>3</mn><mo>=</mo><mn>15</mn></mrow></math>'
    """
    formula = b.formula
    lhs = "" if b.total == 0 else f"{formula.mathml()}<mo>=</mo>"
    return f"{_MATH}<mrow>{lhs}<mn>{b.total:,}</mn></mrow></math>"


def _scroll(table: str) -> str:
    """A table that scrolls sideways inside its box, as Material wraps the pages' tables."""
    return f'<div class="md-typeset__scrollwrap"><div class="md-typeset__table">{table}</div></div>'


def _model(b: Breakdown) -> str:
    esc = html.escape
    shapes = ", ".join(fmt_shape(s) for s in b.output_shapes)
    return (
        f'<section class="playground-model" data-model="{esc(b.name)}">'
        + _scroll(_render.html(b))
        + f'<div class="math">{formula_mathml(b)}</div>'
        + f'<p>Output shape: <code class="playground-output-shape">{esc(shapes)}</code></p>'
        + "</section>"
    )


def diagnosis_html(d: Diagnosis) -> str:
    """The headline, one row per finding and the sum of the findings."""
    esc = html.escape
    out = [f'<p class="playground-headline">{esc(d.headline())}</p>']
    if d.findings:
        rows = "".join(
            f"<tr><td>{f.step}</td><td><code>{esc(f.layer)}</code> ({esc(f.layer_kind)})</td>"
            f'<td>{esc(f.kind.label)}</td><td style="text-align:right">{f.amount:+,}</td>'
            f"<td>{esc(f.detail)}</td></tr>"
            for f in d.findings
        )
        out.append(
            _scroll(
                "<table><thead><tr><th>Step</th><th>Layer</th><th>Finding</th>"
                f"<th>Amount</th><th>Why</th></tr></thead><tbody>{rows}</tbody></table>"
            )
        )
    if len(d.findings) > 1:
        out.append(f'<p class="playground-equation">Together: {esc(d.equation())}.</p>')
    return "".join(out)


_LEAD = {"error": "Keras 3 stops here", "warning": "Keras 3 warns", "info": "Not run"}


def code_html(result: CodeResult) -> str:
    """Every model's table and formula, Keras 3's notes, the diagnosis, the printed output."""
    esc = html.escape
    parts = [_model(b) for b in result.models]
    if result.notes:
        items = "".join(
            f'<li class="playground-note-{n.kind}"><b>Line {n.line}</b>: {_LEAD[n.kind]}: '
            f"<code>{esc(n.message)}</code></li>"
            for n in result.notes
        )
        stop = (
            "<p>Keras stops at the first error; the playground reports it and goes on, "
            "so you can see what the code builds.</p>"
            if result.errors
            else ""
        )
        parts.append(
            f'<section class="playground-notes"><h3>Keras 3</h3><ul>{items}</ul>{stop}</section>'
        )
    if result.diagnosis is not None:
        parts.append(
            '<section class="playground-diagnosis"><h3>Your count</h3>'
            f"{diagnosis_html(result.diagnosis)}</section>"
        )
    if result.output:
        parts.append(
            '<details class="playground-printed"><summary>What the code printed</summary>'
            f"<pre><code>{esc(result.output)}</code></pre></details>"
        )
    return "".join(parts)
