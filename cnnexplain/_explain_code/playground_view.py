"""What the playground page shows of a `CodeResult`, as plain JSON-ready data (no markup).

The page (docs/assets/playground.js) builds its output from this with DOM calls
and ``textContent``: every string here is put in as text, never parsed as HTML,
so a name, a message or a printed line from the user's code cannot become markup.
A formula travels as a list of ``[tag, text]`` tokens whose tag is ``"mn"`` or
``"mo"``; the page makes MathML elements of those two names only.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from cnnexplain._render import tables as _render
from cnnexplain._rules.protocol import fmt_shape

if TYPE_CHECKING:
    from cnnexplain._breakdown import Breakdown
    from cnnexplain._diagnose.diagnosis import Diagnosis
    from cnnexplain._explain_code.code import CodeResult

__all__ = ["MATH_TAGS", "code_view", "diagnosis_view", "formula_tokens"]

MATH_TAGS = ("mn", "mo")
"""The MathML token elements a formula is made of (the page accepts these only)."""

_TOKEN = re.compile(r"<(mn|mo)>([^<]*)</\1>")
_LEAD = {"error": "Keras 3 stops here", "warning": "Keras 3 warns", "info": "Not run"}


def formula_tokens(b: Breakdown) -> list[list[str]]:
    """The model's formula and total as MathML tokens: ``[["mn", "4"], ["mo", "+"], ...]``.

    Examples:
        >>> from cnnexplain import explain, spec
        >>> b = explain(spec.Sequential([spec.Input((4,)), spec.Dense(3, name="d")]))
        >>> formula_tokens(b)  # doctest: +NORMALIZE_WHITESPACE
        [['mo', '('], ['mn', '4'], ['mo', '+'], ['mn', '1'], ['mo', ')'], ['mo', '·'],
         ['mn', '3'], ['mo', '='], ['mn', '15']]
    """
    tokens: list[list[str]] = []
    if b.total != 0:
        mathml = b.formula.mathml()
        tokens = [[m[1], m[2]] for m in _TOKEN.finditer(mathml)]
        if "".join(f"<{t}>{x}</{t}>" for t, x in tokens) != mathml:  # pragma: no cover
            raise AssertionError(f"a formula's MathML holds more than tokens: {mathml!r}")
        tokens.append(["mo", "="])
    tokens.append(["mn", f"{b.total:,}"])
    return tokens


def _model(b: Breakdown) -> dict[str, Any]:
    return {
        "table": _render.table(b),
        "math": formula_tokens(b),
        "output_shape": ", ".join(fmt_shape(s) for s in b.output_shapes),
    }


def diagnosis_view(d: Diagnosis) -> dict[str, Any]:
    """The headline, one row of text per finding, and the sum of the findings (or None)."""
    return {
        "headline": d.headline(),
        "findings": [
            {
                "step": str(f.step),
                "layer": f.layer,
                "layer_kind": f.layer_kind,
                "finding": f.kind.label,
                "amount": f"{f.amount:+,}",
                "why": f.detail,
            }
            for f in d.findings
        ],
        "equation": d.equation() if len(d.findings) > 1 else None,
    }


def code_view(result: CodeResult) -> dict[str, Any]:
    r"""Every model's table and formula, Keras 3's notes, the diagnosis, the printed output.

    Examples:
        >>> from cnnexplain import explain_code
        >>> view = code_view(explain_code("import keras\nm = keras.Sequential("
        ...     "[keras.Input((4,)), keras.layers.Dense(2, name='d')])\nprint('<b>hi</b>')"))
        >>> view["models"][0]["table"]["rows"][0]["cells"][0], view["output"]
        ('d (Dense)', '<b>hi</b>\n')
    """
    return {
        "models": [_model(b) for b in result.models],
        "notes": [
            {"line": n.line, "kind": n.kind, "lead": _LEAD[n.kind], "message": n.message}
            for n in result.notes
        ],
        "stopped": bool(result.errors),
        "diagnosis": None if result.diagnosis is None else diagnosis_view(result.diagnosis),
        "output": result.output,
    }
