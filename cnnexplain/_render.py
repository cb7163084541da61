"""Renderers: text, Markdown, LaTeX, HTML and dict views of a `Breakdown`. No arithmetic."""

from __future__ import annotations

import html as _html
from collections.abc import Iterator
from typing import Any

from cnnexplain._breakdown import Breakdown, LayerRow
from cnnexplain._rules._base import fmt_shape
from cnnexplain._shapes import Shape

__all__ = ["html", "latex", "markdown", "text", "text_table", "to_dict"]

HEADERS = ("Layer (type)", "Output Shape", "Param #", "Formula", "Shape arithmetic")


def _shape_text(shape: Shape | list[Shape]) -> str:
    if isinstance(shape, list):
        return ", ".join(fmt_shape(s) for s in shape)
    return fmt_shape(shape) if shape else "?"


def _formula_text(row: LayerRow) -> str:
    if not row.explained:
        return f"no rule for {row.kind}"
    if row.children:
        return "sum of its layers"
    return "" if row.params == 0 else row.formula.text()


def _lines(b: Breakdown, *, expand: bool) -> Iterator[tuple[int, LayerRow]]:
    def visit(row: LayerRow, depth: int) -> Iterator[tuple[int, LayerRow]]:
        yield depth, row
        if expand:
            for child in row.children:
                yield from visit(child, depth + 1)

    for row in b.rows:
        yield from visit(row, 0)


def _cells(depth: int, row: LayerRow) -> tuple[str, str, str, str, str]:
    return (
        "  " * depth + f"{row.name} ({row.kind})",
        _shape_text(row.output_shape),
        f"{row.params:,}",
        _formula_text(row),
        "; ".join(row.shape_steps),
    )


def _notes(b: Breakdown) -> list[str]:
    return [f"{path}: {row.note}" for path, row in b.walk() if row.note]


def _totals(b: Breakdown) -> list[tuple[str, str]]:
    formula = b.formula.text()
    total = f"{b.total:,}" if formula in ("", "0") else f"{b.total:,} = {formula}"
    return [
        ("Total params", total),
        ("Trainable params", f"{b.trainable:,}"),
        ("Non-trainable params", f"{b.non_trainable:,}"),
    ]


def text_table(
    title: str,
    rows: list[tuple[str, ...]],
    *,
    right: set[int],
    totals: list[tuple[str, str]],
    notes: list[str],
) -> str:
    """A plain-text table (first row: headers) between rules, then totals and notes."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]

    def fmt(cells: tuple[str, ...]) -> str:
        parts = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "─" * len(fmt(tuple("x" * w for w in widths)))
    out = [title, rule, fmt(rows[0]), rule]
    out += [fmt(r) for r in rows[1:]]
    out.append(rule)
    out += [f"{label}: {value}" for label, value in totals]
    if notes:
        out += ["", "Notes:"] + [f"  {n}" for n in notes]
    return "\n".join(out)


def text(b: Breakdown, *, expand: bool = False) -> str:
    """The table as plain text, laid out like ``model.summary()``."""
    rows: list[tuple[str, ...]] = [HEADERS, *(_cells(d, r) for d, r in _lines(b, expand=expand))]
    return text_table(f'Model: "{b.name}"', rows, right={2}, totals=_totals(b), notes=_notes(b))


def _md_escape(value: str) -> str:
    return value.replace("|", r"\|")


def markdown(b: Breakdown, *, expand: bool = False) -> str:
    """The table in Markdown, formulas as code, then the totals and notes."""
    out = [
        "| " + " | ".join(HEADERS) + " |",
        "|---|---|---:|---|---|",
    ]
    for depth, row in _lines(b, expand=expand):
        name, shape, params, formula, steps = _cells(depth, row)
        name = "&emsp;" * depth + f"`{row.name}` ({row.kind})"
        formula = f"`{formula}`" if formula and row.explained and not row.children else formula
        out.append(
            "| " + " | ".join(_md_escape(c) for c in (name, shape, params, formula, steps)) + " |"
        )
    out.append("")
    out += [f"**{label}:** {value}  " for label, value in _totals(b)]
    notes = _notes(b)
    if notes:
        out += ["", *[f"- {n}" for n in notes]]
    return "\n".join(out).rstrip() + "\n"


_LATEX_SPECIAL = {
    "_": r"\_",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "$": r"\$",
    "{": r"\{",
    "}": r"\}",
}


def _latex_escape(value: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in value)


def latex(b: Breakdown, *, expand: bool = False) -> str:
    """A LaTeX ``tabular`` (booktabs) with formulas in math mode, then the model formula."""
    out = [
        r"\begin{tabular}{llrl}",
        r"\toprule",
        r"Layer (type) & Output Shape & Param \# & Formula \\",
        r"\midrule",
    ]
    for depth, row in _lines(b, expand=expand):
        name = r"\quad " * depth + _latex_escape(f"{row.name} ({row.kind})")
        if row.explained and not row.children and row.params:
            formula = f"${row.formula.latex()}$"
        else:
            formula = _latex_escape(_formula_text(row))
        out.append(f"{name} & {_shape_text(row.output_shape)} & {row.params:,} & {formula} \\\\")
    out += [
        r"\bottomrule",
        r"\end{tabular}",
        "",
        rf"\[ {b.formula.latex()} = {b.total:,} \]".replace(",", "{,}"),
    ]
    return "\n".join(out) + "\n"


def html(b: Breakdown, *, expand: bool = False) -> str:
    """An HTML table for notebooks."""
    esc = _html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in HEADERS)
    body = []
    for depth, row in _lines(b, expand=expand):
        cells = _cells(depth, row)
        style = f' style="padding-left:{depth * 1.5}em"' if depth else ""
        tds = [
            f"<td{style}>{esc(cells[0].strip())}</td>",
            f"<td>{esc(cells[1])}</td>",
            f'<td style="text-align:right">{esc(cells[2])}</td>',
            f"<td><code>{esc(cells[3])}</code></td>" if cells[3] else "<td></td>",
            f"<td>{esc(cells[4])}</td>",
        ]
        body.append("<tr>" + "".join(tds) + "</tr>")
    totals = "".join(f"<li><b>{esc(k)}:</b> {esc(v)}</li>" for k, v in _totals(b))
    notes = "".join(f"<li>{esc(n)}</li>" for n in _notes(b))
    return (
        f"<p>Model: <b>{esc(b.name)}</b></p><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table><ul>{totals}</ul>"
        + (f"<p>Notes:</p><ul>{notes}</ul>" if notes else "")
    )


def _shape_json(shape: Shape | list[Shape]) -> list[Any]:
    if isinstance(shape, list):
        return [list(s) for s in shape]
    return list(shape)


def _row_dict(row: LayerRow) -> dict[str, Any]:
    return {
        "name": row.name,
        "kind": row.kind,
        "params": row.params,
        "trainable": row.trainable,
        "non_trainable": row.non_trainable,
        "output_shape": _shape_json(row.output_shape),
        "formula": row.formula.text(),
        "formula_symbols": row.formula.symbols(),
        "formula_latex": row.formula.latex(),
        "shape_steps": list(row.shape_steps),
        "weights": [
            {"name": w.name, "shape": list(w.shape), "trainable": w.trainable} for w in row.weights
        ],
        "note": row.note,
        "explained": row.explained,
        "calls": row.calls,
        "children": [_row_dict(c) for c in row.children],
    }


def to_dict(b: Breakdown) -> dict[str, Any]:
    """Every figure of the breakdown as JSON-ready data."""
    return {
        "name": b.name,
        "total": b.total,
        "trainable": b.trainable,
        "non_trainable": b.non_trainable,
        "formula": b.formula.text(),
        "formula_latex": b.formula.latex(),
        "input_shapes": [list(s) for s in b.input_shapes],
        "output_shapes": [list(s) for s in b.output_shapes],
        "unexplained": [path for path, row in b.walk() if not row.explained],
        "rows": [_row_dict(r) for r in b.rows],
    }
