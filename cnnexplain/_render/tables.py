"""Renderers: text, Markdown, LaTeX, HTML and dict views of a `Breakdown`. No arithmetic."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from cnnexplain._breakdown import Breakdown, LayerRow
from cnnexplain._escape import (
    latex_text,
    markdown_code,
    markdown_text,
    short_path,
    shorten,
    visible,
    xml_text,
)
from cnnexplain._formula import Formula, Named, Sum, _Compact
from cnnexplain._rules.protocol import fmt_shape
from cnnexplain._shapes import Shape

__all__ = [
    "depth_first",
    "html",
    "latex",
    "markdown",
    "short_sum",
    "table",
    "table_width",
    "text",
    "text_table",
    "to_dict",
]

HEADERS = ("Layer (type)", "Output Shape", "Param #", "Formula", "Shape arithmetic")


# Rows of weights a layer or module holds itself: they have no output of their own.
_WEIGHT_ROWS = frozenset({"Parameter", "Variable"})


def _shape_text(shape: Shape | list[Shape], kind: str = "") -> str:
    if kind in _WEIGHT_ROWS:
        return "—"
    if isinstance(shape, list):
        return ", ".join(fmt_shape(s) for s in shape)
    return fmt_shape(shape) if shape else "?"


def _formula_text(row: LayerRow) -> str:
    if not row.explained:
        return f"no rule for {shorten(row.kind)}"
    if row.children:
        return "sum of its layers"
    return "" if row.params == 0 else row.formula.text()


class _Nested(Protocol):
    @property
    def children(self) -> Sequence[Any]: ...


_R = TypeVar("_R", bound=_Nested)


def depth_first(rows: Iterable[_R], *, expand: bool = True) -> Iterator[tuple[int, _R]]:
    """Each row with its depth, its children after it (when ``expand``): a table's lines.

    Examples:
        >>> from cnnexplain import explain, spec
        >>> inner = spec.Sequential([spec.Input((3,)), spec.Dense(2, name="d")], name="inner")
        >>> b = explain(spec.Sequential([spec.Input((3,)), inner], name="outer"))
        >>> [(depth, row.name) for depth, row in depth_first(b.rows)]
        [(0, 'inner'), (1, 'd')]
    """
    for row in rows:
        yield 0, row
        if expand:
            yield from ((depth + 1, child) for depth, child in depth_first(row.children))


def _lines(b: Breakdown, *, expand: bool) -> Iterator[tuple[int, LayerRow]]:
    return depth_first(b.rows, expand=expand)


def _cells(depth: int, row: LayerRow) -> tuple[str, str, str, str, str]:
    """The row's cells as plain text, names shortened (`shorten`): each renderer escapes them."""
    return (
        "  " * depth + f"{shorten(row.name)} ({shorten(row.kind)})",
        _shape_text(row.output_shape, row.kind),
        f"{row.params:,}",
        _formula_text(row),
        "; ".join(row.shape_steps),
    )


def _notes(b: Breakdown) -> list[str]:
    """One line per distinct note; a note shared by several layers names how many and which.

    Examples:
        >>> from cnnexplain import explain, spec
        >>> model = spec.Sequential([spec.Input((8, 8, 3))] + [
        ...     spec.BatchNormalization(name=f"bn{i}") for i in range(4)])
        >>> _notes(explain(model))[0].split(": ")[0]
        '4 BatchNormalization layers (bn0, bn1, …, bn3)'
    """
    groups: dict[str, list[tuple[str, LayerRow]]] = {}
    out = [b.note] if b.note else []
    for path, row in b.walk():
        if row.note:
            groups.setdefault(row.note, []).append((short_path(path), row))
    for note, items in groups.items():
        if len(items) == 1:
            out.append(f"{items[0][0]}: {note}")
            continue
        kinds = {shorten(row.kind) for _, row in items}
        what = f"{len(items)} {kinds.pop()} layers" if len(kinds) == 1 else f"{len(items)} layers"
        paths = [path for path, _ in items]
        if len(paths) > 3:  # noqa: PLR2004
            paths = [paths[0], paths[1], "…", paths[-1]]
        listed = ", ".join(paths)
        out.append(f"{what} ({listed}): {note}")
    return out


def _spread(terms: tuple[Formula, ...]) -> list[Formula]:
    """A model sum's terms, a lone row's sum opened into its parts', so it can be shortened.

    A library model's backbone is often its one row with weights.
    """
    found = list(terms)
    for _ in range(4):  # a few levels: the backbone, its blocks
        if len(found) >= 3:  # noqa: PLR2004 - short_sum shortens from three terms
            break
        opened: list[Formula] = []
        for term in found:
            inner = term
            while isinstance(inner, (Named, _Compact)):
                inner = inner.inner
            opened.extend(inner.terms if isinstance(inner, Sum) else (term,))
        if len(opened) == len(found):
            break
        found = opened
    return found


def short_sum(terms: list[str], room: int) -> str:
    """``a + b + … + z`` within ``room`` characters, naming how many terms are left out.

    Examples:
        >>> short_sum(["1", "2", "3"], 20)
        '1 + 2 + 3'
        >>> short_sum([f"{n}·{n}" for n in range(10, 40)], 50)
        '10·10 + 11·11 + 12·12 + … 26 more terms … + 39·39'
    """
    whole = " + ".join(terms)
    if len(whole) <= room or len(terms) < 3:  # noqa: PLR2004
        return whole
    head: list[str] = []
    for term in terms[:-1]:
        left = len(terms) - 2 - len(head)
        trial = " + ".join([*head, term]) + f" + … {left} more terms … + {terms[-1]}"
        if len(trial) > room and head:
            break
        head.append(term)
    left = len(terms) - 1 - len(head)
    if left == 0:
        return whole
    return " + ".join(head) + f" + … {left} more term{'s' * (left > 1)} … + {terms[-1]}"


_TOTAL = "Total params"


def _totals(b: Breakdown, *, room: int | None = None) -> list[tuple[str, str]]:
    """The three totals; with ``room``, a formula longer than that is shortened (`short_sum`)."""
    formula = b.formula.text()
    if room is not None and len(formula) > room:
        formula = short_sum([t.text(compact=True) for t in _spread(b.formula.terms)], room)
    total = f"{b.total:,}" if formula in ("", "0") else f"{b.total:,} = {formula}"
    found = [
        (_TOTAL, total),
        ("Trainable params", f"{b.trainable:,}"),
        ("Non-trainable params", f"{b.non_trainable:,}"),
    ]
    if b.from_shapes:  # weights no argument explains: counted as the product of their shape
        found.append(("Counted from weight shapes only", f"{b.from_shapes:,}"))
    return found


def _wrap(line: str, width: int) -> list[str]:
    """A line cut to ``width``: a sum before a ``+``, other text between words, indented."""
    if len(line) <= width:
        return [line]
    indent = " " * (len(line) - len(line.lstrip()) + 4)
    if " + " in line:
        out, current = [], ""
        for i, part in enumerate(line.split(" + ")):
            piece = part if i == 0 else f" + {part}"
            if current and len(current) + len(piece) > width:
                out.append(current)
                current = f"{indent}+ {part}"
            else:
                current += piece
        return [*out, current]
    return textwrap.wrap(line, width, subsequent_indent=indent, break_on_hyphens=False)


def text_table(
    title: str,
    rows: list[tuple[str, ...]],
    *,
    right: set[int],
    totals: list[tuple[str, str]],
    notes: list[str],
) -> str:
    """A plain-text table (first row: headers) between rules, then totals and notes.

    Every cell, the title and the notes are shown with control characters escaped
    (`visible`): names from a file never reach a terminal raw.
    """
    title = visible(title)
    rows = [tuple(visible(cell) for cell in row) for row in rows]
    notes = [visible(note) for note in notes]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]

    def fmt(cells: tuple[str, ...]) -> str:
        parts = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    width = table_width(rows)
    rule = "─" * width
    out = [title, rule, fmt(rows[0]), rule]
    out += [fmt(r) for r in rows[1:]]
    out.append(rule)
    wrap = max(width, MIN_WIDTH)
    for label, value in totals:
        out += _wrap(f"{label}: {value}", wrap)
    if notes:
        out += ["", "Notes:"]
        for n in notes:
            out += _wrap(f"  {n}", wrap)
    return "\n".join(out)


MIN_WIDTH = 80
"""Totals and notes wrap at the table's width, or at this many characters if it is narrower."""


def table_width(rows: list[tuple[str, ...]]) -> int:
    """The width of `text_table`'s rule for these rows (headers first)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return sum(widths) + 2 * (len(widths) - 1)


def text(b: Breakdown, *, expand: bool = False, full_formula: bool = False) -> str:
    """The table as plain text, laid out like ``model.summary()``.

    A model formula too long for the table's width is shortened to its first
    and last terms (`short_sum`), unless ``full_formula``: then it is written
    whole, wrapped before a ``+``. Identical notes are folded into one line.
    """
    cells = (tuple(visible(c) for c in _cells(d, r)) for d, r in _lines(b, expand=expand))
    rows: list[tuple[str, ...]] = [HEADERS, *cells]  # escaped first: widths as shown
    room = None
    if not full_formula:
        room = max(table_width(rows), MIN_WIDTH) - len(f"{_TOTAL}: {b.total:,} = ")
    totals = _totals(b, room=room)
    return text_table(
        f'Model: "{shorten(b.name)}"', rows, right={2}, totals=totals, notes=_notes(b)
    )


MARKDOWN_ROOM = 100
"""Characters of model formula the Markdown totals show before shortening it."""


def markdown(b: Breakdown, *, expand: bool = False, full_formula: bool = False) -> str:
    """The table in Markdown, formulas as code, then the totals and notes.

    As in `text`, a model formula longer than 100 characters is shortened unless
    ``full_formula``, and identical notes are folded into one line.
    """
    out = [
        "| " + " | ".join(HEADERS) + " |",
        "|---|---|---:|---|---|",
    ]
    for depth, row in _lines(b, expand=expand):
        _, shape, params, formula, steps = _cells(depth, row)
        name = (
            "&emsp;" * depth
            + f"{markdown_code(shorten(row.name))} ({markdown_text(shorten(row.kind))})"
        )
        code = formula and row.explained and not row.children
        formula = markdown_code(formula) if code else markdown_text(formula)
        cells = (name, markdown_text(shape), params, formula, markdown_text(steps))
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    room = None if full_formula else MARKDOWN_ROOM
    out += [f"**{label}:** {value}  " for label, value in _totals(b, room=room)]
    notes = _notes(b)
    if notes:
        out += ["", *[f"- {markdown_text(n)}" for n in notes]]
    return "\n".join(out).rstrip() + "\n"


def latex(b: Breakdown, *, expand: bool = False) -> str:
    """A LaTeX ``tabular`` (booktabs) with formulas in math mode, then the model formula."""
    out = [
        r"\begin{tabular}{llrl}",
        r"\toprule",
        r"Layer (type) & Output Shape & Param \# & Formula \\",
        r"\midrule",
    ]
    for depth, row in _lines(b, expand=expand):
        name = r"\quad " * depth + latex_text(f"{shorten(row.name)} ({shorten(row.kind)})")
        if row.explained and not row.children and row.params:
            formula = f"${row.formula.latex()}$"
        else:
            formula = latex_text(_formula_text(row))
        shape = latex_text(_shape_text(row.output_shape, row.kind)).replace("—", "---")
        out.append(f"{name} & {shape} & {row.params:,} & {formula} \\\\")
    out += [
        r"\bottomrule",
        r"\end{tabular}",
        "",
        rf"\[ {b.formula.latex()} = {b.total:,} \]".replace(",", "{,}"),
    ]
    return "\n".join(out) + "\n"


def html(b: Breakdown, *, expand: bool = False) -> str:
    """An HTML table for notebooks."""
    esc = xml_text
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
        f"<p>Model: <b>{esc(shorten(b.name))}</b></p><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table><ul>{totals}</ul>"
        + (f"<p>Notes:</p><ul>{notes}</ul>" if notes else "")
    )


def table(b: Breakdown, *, expand: bool = False) -> dict[str, Any]:
    """The table `html` draws, as JSON-ready data: plain strings, for a page to put in as text.

    Examples:
        >>> from cnnexplain import explain, spec
        >>> t = table(explain(spec.Sequential([spec.Input((4,)), spec.Dense(3, name="d")])))
        >>> t["headers"][0], t["rows"][0]["depth"], t["rows"][0]["cells"][:4]
        ('Layer (type)', 0, ['d (Dense)', '(None, 3)', '15', '(4+1)·3'])
        >>> t["totals"][0]
        ['Total params', '15 = (4+1)·3']
    """
    rows = []
    for depth, row in _lines(b, expand=expand):
        cells = list(_cells(depth, row))
        cells[0] = cells[0].strip()
        rows.append({"depth": depth, "cells": cells})
    return {
        "name": b.name,
        "headers": list(HEADERS),
        "rows": rows,
        "totals": [[label, value] for label, value in _totals(b)],
        "notes": _notes(b),
    }


def _shape_json(shape: Shape | list[Shape]) -> list[Any]:
    if isinstance(shape, list):
        return [list(s) for s in shape]
    return list(shape)


def _row_dict(row: LayerRow) -> dict[str, Any]:
    found = {
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
    if row.buffers:  # torch buffers (BatchNorm running statistics): listed, never counted
        found["buffers"] = [{"name": b.name, "shape": list(b.shape)} for b in row.buffers]
    if row.reuses:  # tied or shared weights: counted once, in their owner's row
        found["reuses"] = row.reuses
    if row.from_shapes:  # counted from a weight's shape only, no argument behind it
        found["from_shapes"] = row.from_shapes
    return found


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
        "from_shapes": b.from_shapes,
        "note": b.note,
        "rows": [_row_dict(r) for r in b.rows],
    }
