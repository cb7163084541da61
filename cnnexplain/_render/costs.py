"""Renderers of `Costs`: a text table and a Markdown table. No arithmetic beyond formatting.

Examples:
    >>> size_text(2168920)
    '2,168,920 B (2.07 MiB)'
    >>> size_text(512)
    '512 B'
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cnnexplain._costs import Costs, RowCost
from cnnexplain._escape import markdown_code, markdown_text, short_path, shorten
from cnnexplain._render.tables import depth_first, text_table

__all__ = ["HEADERS", "macs_label", "markdown", "size_text", "text", "to_dict", "totals"]

HEADERS = ("Layer (type)", "MACs", "MACs formula", "Param bytes", "Activation bytes")

_UNITS = ("KiB", "MiB", "GiB", "TiB")


def size_text(n: int) -> str:
    """Bytes with thousands separators, and in binary units from 1 KiB on."""
    if n < 1024:  # noqa: PLR2004
        return f"{n:,} B"
    value = float(n)
    unit = "B"
    for unit in _UNITS:  # noqa: B007
        value /= 1024
        if value < 1024:  # noqa: PLR2004
            break
    return f"{n:,} B ({value:.2f} {unit})"


def _figure(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def _macs_figure(row: RowCost) -> str:
    """A row's MACs; ``≥ n`` for a container with a part whose MACs are unknown."""
    if row.macs is not None and not row.macs_complete:
        return f"≥ {row.macs:,}"
    return _figure(row.macs)


def macs_label(costs: Costs) -> str:
    """What the MACs total counts: per example or per batch, with bias additions or not."""
    basis = "per example" if costs.batch_size is None else f"per batch of {costs.batch_size}"
    return f"MACs {basis}" + (" (bias additions included)" if costs.include_bias else "")


def _formula(row: RowCost) -> str:
    if row.macs_formula is None or row.macs == 0:
        return ""
    text = row.macs_formula.text()
    return text if row.calls == 1 else f"{row.calls}·({text})"


def _lines(costs: Costs) -> Iterator[tuple[int, RowCost]]:
    return depth_first(costs.rows)


def _cells(depth: int, row: RowCost) -> tuple[str, str, str, str, str]:
    return (
        "  " * depth + f"{shorten(row.name)} ({shorten(row.kind)})",
        _macs_figure(row),
        _formula(row),
        _figure(row.param_bytes),
        _figure(row.activation_bytes),
    )


def _unknown(paths: tuple[str, ...]) -> str:
    if not paths:
        return ""
    rows = "row" if len(paths) == 1 else "rows"
    listed = ", ".join(short_path(path) for path in paths)
    return f"; unknown for {len(paths)} {rows} ({listed}), not included"


def totals(costs: Costs) -> list[tuple[str, str]]:
    """The labelled totals, with how many rows each one leaves out."""
    bytes_unknown = _unknown(costs.unknown_bytes)
    least = "" if costs.macs_complete else "at least "
    flops = macs_label(costs).replace("MACs", "FLOPs", 1) + " (2·MACs)"
    return [
        (macs_label(costs), f"{least}{costs.macs:,}{_unknown(costs.unknown_macs)}"),
        (flops, f"{least}{costs.flops:,}"),
        ("Parameter memory", size_text(costs.param_bytes) + bytes_unknown),
        ("Activation memory per example", size_text(costs.activation_bytes) + bytes_unknown),
    ]


def _notes(costs: Costs) -> list[str]:
    return [f"{short_path(path)}: {row.note}" for path, row in costs.walk() if row.note]


def text(costs: Costs) -> str:
    """The costs as a plain-text table, then the totals and notes."""
    rows: list[tuple[str, ...]] = [HEADERS, *(_cells(d, r) for d, r in _lines(costs))]
    return text_table(
        f'Costs: "{shorten(costs.name)}"',
        rows,
        right={1, 3, 4},
        totals=totals(costs),
        notes=_notes(costs),
    )


def markdown(costs: Costs) -> str:
    """The costs as a Markdown table, formulas as code, then the totals and notes."""
    out = ["| " + " | ".join(HEADERS) + " |", "|---|---:|---|---:|---:|"]
    for depth, row in _lines(costs):
        _, macs, formula, params, activations = _cells(depth, row)
        name = (
            "&emsp;" * depth
            + f"{markdown_code(shorten(row.name))} ({markdown_text(shorten(row.kind))})"
        )
        formula = markdown_code(formula) if formula else ""
        out.append(f"| {name} | {macs} | {formula} | {params} | {activations} |")
    out.append("")
    out += [f"**{label}:** {markdown_text(value)}  " for label, value in totals(costs)]
    notes = _notes(costs)
    if notes:
        out += ["", *[f"- {markdown_text(n)}" for n in notes]]
    return "\n".join(out).rstrip() + "\n"


def _row_costs(row: RowCost) -> dict[str, Any]:
    formula = row.macs_formula
    return {
        "name": row.name,
        "kind": row.kind,
        "macs": row.macs,
        "flops": row.flops,
        "macs_formula": None if formula is None else formula.text(),
        "param_bytes": row.param_bytes,
        "trainable_bytes": row.trainable_bytes,
        "activation_bytes": row.activation_bytes,
        "dtype_policy": row.dtype_policy,
        "calls": row.calls,
        "note": row.note,
        "children": [_row_costs(child) for child in row.children],
    }


def to_dict(costs: Costs) -> dict[str, Any]:
    """Every cost figure as JSON-ready data (``None`` where a figure is unknown)."""
    return {
        "name": costs.name,
        "macs": costs.macs,
        "flops": costs.flops,
        "batch_size": costs.batch_size,
        "include_bias": costs.include_bias,
        "param_bytes": costs.param_bytes,
        "trainable_bytes": costs.trainable_bytes,
        "activation_bytes": costs.activation_bytes,
        "unknown_macs": list(costs.unknown_macs),
        "unknown_bytes": list(costs.unknown_bytes),
        "rows": [_row_costs(row) for row in costs.rows],
    }
