"""Side-by-side checks of a breakdown row against the Keras layer it explains.

Pages print these tables from live blocks; a mismatch raises, which fails the build.
"""

import dataclasses
from typing import Any

from cnnexplain import Breakdown, LayerRow
from cnnexplain._formula import Formula, Term


def _keras_weights(layer: Any) -> list[tuple[str, tuple[int, ...]]]:
    return [(w.name, tuple(int(d) for d in w.shape)) for w in layer.weights]


def against_keras(row: LayerRow, layer: Any) -> str:
    """A Markdown table: each weight, the count and the output shape, from cnnexplain and Keras.

    Raises:
        ValueError: if any figure differs (which fails the site build).
    """
    ours_weights = [(w.name, w.shape) for w in row.weights]
    keras_weights = _keras_weights(layer)
    lines = ["| | cnnexplain | Keras |", "|---|---|---|"]
    for name, shape in ours_weights:
        lines.append(
            f"| `{name}` shape | {shape} | {dict(keras_weights).get(name)} |"
        )
    if not ours_weights:
        lines.append(f"| weights | none | {len(keras_weights) or 'none'} |")
    lines.append(f"| parameters | {row.params:,} | {layer.count_params():,} |")
    lines.append(
        f"| output shape | {row.output_shape} | {tuple(layer.output.shape)} |"
    )
    if (
        ours_weights != keras_weights
        or row.params != layer.count_params()
        or tuple(row.output_shape) != tuple(layer.output.shape)
    ):
        raise ValueError(
            f"Layer '{row.name}' differs from Keras:\n" + "\n".join(lines)
        )
    return "\n".join(lines)


def display_math(latex: str) -> str:
    """A display formula for a page (``docs/hooks.py`` renders it as MathML)."""
    return f"\n$$\n{latex}\n$$\n"


def count_latex(n: int) -> str:
    """``542230`` as LaTeX with thousands separators (``542{,}230``)."""
    return f"{n:,}".replace(",", "{,}")


def _ones(formula: Formula) -> list[str]:
    """The symbols of ``formula`` whose value is 1 (the factors a compact form drops)."""
    if isinstance(formula, Term):
        return [formula.symbol] if formula.value == 1 and formula.symbol else []
    found = []
    for field in dataclasses.fields(formula):  # type: ignore[arg-type]
        value = getattr(formula, field.name)
        for part in value if isinstance(value, tuple) else (value,):
            if isinstance(part, Formula):
                found += _ones(part)
    return found


def compact_note(breakdown: Breakdown) -> str:
    """Why the one-line total drops a layer's factor 1 (empty if it drops none).

    The model's formula is the compact form, as the classic hand count writes
    it; each row keeps every factor.
    """
    rows = [r for r in breakdown.rows if r.params and _ones(r.formula)]
    if not rows:
        return ""
    row = rows[0]
    symbols = dict.fromkeys(s for r in rows for s in _ones(r.formula))
    equal = ", ".join(
        f"${Term(1, s).latex(symbols=True)} = 1$" for s in symbols
    )
    return (
        f"The one-line total leaves out factors equal to 1 ({equal}), as the "
        f"classic hand count does: the row of `{row.name}` writes "
        f"`{row.formula.text()}`, the total `{row.formula.text(compact=True)}`."
    )
