"""The learner's hand count, and the pieces of the page "Where did 242 parameters go?".

Every figure these functions print comes from `cnnexplain.diagnose` and the
breakdown it carries (verified against Keras); the only numbers typed here are
the learner's running totals, quoted from the question. ``tests/diagnose/test_diagnose.py``
calls the same functions and checks their figures against `diagnose`.
"""

from __future__ import annotations

from typing import Any

import cnnexplain
from cnnexplain import Diagnosis, LayerRow

QUESTION = "https://ai.stackexchange.com/questions/17255"

# The learner's running parameter counts after the first, third and fourth layer,
# quoted from the question (they wrote no total after pooling and flatten).
RUNNING_TOTALS = (288, 540988, 541988)


def diagnosis(model: Any) -> Diagnosis:
    """The learner's running totals, diagnosed against ``model`` (verified against Keras)."""
    return cnnexplain.diagnose(model, running=RUNNING_TOTALS)


def count_latex(n: int) -> str:
    """``542230`` as LaTeX with thousands separators (``542{,}230``)."""
    return f"{n:,}".replace(",", "{,}")


def row(d: Diagnosis, name: str) -> LayerRow:
    """The breakdown row of the layer called ``name``."""
    return next(r for r in d.breakdown.rows if r.name == name)


def weights_text(r: LayerRow) -> str:
    """``kernel 3×3×1×32 = 288 and bias 32``, from the weights Keras holds."""
    parts = []
    for w in r.weights:
        dims = "×".join(str(n) for n in w.shape)
        parts.append(
            f"`{w.name}` {dims}"
            + (f" = {w.size:,}" if len(w.shape) > 1 else "")
        )
    return " and ".join(parts)


def step_report(d: Diagnosis, name: str) -> str:
    """One step of the hand count: the learner's figures, Keras's, and what differs.

    Raises:
        ValueError: if the layer's findings don't add up to its difference.
    """
    i = d.layers.index(name)
    r = row(d, name)
    keras_total = sum(d.expected_counts[: i + 1])
    lines = [
        "| | The hand count (as posted) | Keras |",
        "|---|---:|---:|",
        f"| running total after `{name}` | {d.given[i]:,} | {keras_total:,} |",
        f"| added by `{name}` | {d.claimed_counts[i]:,} | {d.expected_counts[i]:,} |",
        "",
        f"Keras holds {weights_text(r)}: ${r.formula.latex()} = {count_latex(r.params)}$.",
        "",
    ]
    findings = [f for f in d.findings if f.layer == name]
    if (
        sum(f.amount for f in findings)
        != d.expected_counts[i] - d.claimed_counts[i]
    ):
        raise ValueError(
            f"the findings of layer '{name}' don't add up to its difference"
        )
    if not findings:
        lines.append("This step agrees with Keras.")
    lines += [
        f"- **{f.kind.label}** ({f.amount:+,}): {f.detail}." for f in findings
    ]
    return "\n".join(lines) + "\n"


def zero_report(d: Diagnosis, names: tuple[str, ...]) -> str:
    """The layers without parameters: their shape arithmetic and their count."""
    lines = [
        "| Layer | Output shape | Shape arithmetic | Parameters |",
        "|---|---|---|---:|",
    ]
    for name in names:
        r = row(d, name)
        if r.params:
            raise ValueError(f"layer '{name}' has parameters")
        lines.append(
            f"| `{name}` ({r.kind}) | `{r.output_shape}` | {'; '.join(r.shape_steps)} | "
            f"{r.params} |"
        )
    return "\n".join(lines) + "\n"


def totals_report(d: Diagnosis, model: Any) -> str:
    """Keras's count, cnnexplain's, the hand count and the gap.

    Raises:
        ValueError: if Keras and cnnexplain disagree.
    """
    keras_count = model.count_params()
    if keras_count != d.expected:
        raise ValueError(
            f"Keras counts {keras_count:,} but cnnexplain {d.expected:,}"
        )
    return (
        "| | Parameters |\n|---|---:|\n"
        f"| Keras, `model.count_params()` | {keras_count:,} |\n"
        f"| cnnexplain, from the formulas | {d.expected:,} |\n"
        f"| the hand count (as posted) | {d.claimed:,} |\n"
        f"| **gap** | **{d.gap:,}** |\n"
    )


def formula_math(d: Diagnosis) -> str:
    """The corrected count as one display formula, with the numbers and with symbols."""
    b = d.breakdown
    symbols = " + ".join(
        r.formula.latex(symbols=True) for r in b.rows if r.params
    )
    return (
        f"\n$$\n{b.formula.latex()} = {count_latex(b.total)}\n$$\n\n"
        f"term by term, in symbols:\n\n$$\n{symbols}\n$$\n"
    )
