"""torchinfo's table from `SummaryRow` values, plus our formula column. No arithmetic.

The layout is torchinfo's (``Layer (type:depth-idx)``, its column titles, ``--``
for nothing, ``├─``/``└─`` or ``+`` with ``ascii_only``, its totals), so the two
read side by side; the last column is the formula of each row's count.

Examples:
    >>> mult_adds_line(480_000, complete=True)
    'Total mult-adds (M): 0.48'
    >>> mult_adds_line(2_000_000_000, complete=False)
    'Total mult-adds (G): at least 2'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from cnnexplain._render.summary_rows import SummaryRow

__all__ = ["COLUMNS", "ROW_SETTINGS", "TableOptions", "mult_adds_line", "table"]

COLUMNS = {
    "input_size": "Input Shape",
    "output_size": "Output Shape",
    "num_params": "Param #",
    "params_percent": "Param %",
    "kernel_size": "Kernel Shape",
    "groups": "Groups",
    "mult_adds": "Mult-Adds",
    "trainable": "Trainable",
}
"""torchinfo's ``col_names`` and their titles."""

ROW_SETTINGS = ("depth", "var_names", "ascii_only", "hide_recursive_layers")
"""torchinfo's ``row_settings``."""

FORMULA = "Formula"


@dataclass(frozen=True)
class TableOptions:
    """What `table` shows: torchinfo's formatting options."""

    col_names: tuple[str, ...] = ("output_size", "num_params")
    col_width: int = 25
    depth: int = 3
    row_settings: frozenset[str] = frozenset({"depth"})
    verbose: int = 1
    params_bytes: int | None = None


def _blank(value: object) -> str:
    return str(value) if value else "--"


def _start(depth: int, *, ascii_only: bool) -> str:
    if depth == 0:
        return ""
    if depth == 1:
        return "+ " if ascii_only else "├─"
    return ("|    " if ascii_only else "│    ") * (depth - 1) + ("+ " if ascii_only else "└─")


def _name(row: SummaryRow, options: TableOptions) -> str:
    name = row.class_name
    if "var_names" in options.row_settings and row.depth > 0:
        name += f" ({row.var_name})"
    if "depth" in options.row_settings and row.depth > 0:
        name += f": {row.depth}-{row.depth_index}"
    if row.calls > 1:
        name += f" ×{row.calls}"
    return _start(row.depth, ascii_only="ascii_only" in options.row_settings) + name


def _shown(row: SummaryRow, options: TableOptions) -> bool:
    """Whether ``row`` prints: within ``depth`` (and, with ``hide_recursive_layers``, once)."""
    hide = "hide_recursive_layers" in options.row_settings and row.is_recursive
    return row.depth <= options.depth and not hide


def _params(row: SummaryRow, *, summed: bool) -> str:
    if row.is_recursive:
        return "(recursive)"
    if row.num_params == 0 or not summed:
        return "--"
    text = f"{row.num_params:,}"
    return text if row.trainable_params else f"({text})"


def _percent(row: SummaryRow, total: int, *, summed: bool) -> str:
    if not total or row.num_params == 0 or not summed:
        return "     --"
    return f"{row.num_params / total:>7.2%}"


def _macs(row: SummaryRow, *, summed: bool) -> str:
    if row.macs is None:
        return "?"
    if row.macs == 0 or not summed:
        return "--"
    return f"{row.macs:,}" if row.macs_complete else f"≥ {row.macs:,}"


def _formula(row: SummaryRow, width: int, *, summed: bool) -> str:
    if row.num_params == 0 or not summed:
        return "--"
    text = row.formula.text()
    return text if len(text) <= width else text[: width - 1] + "…"


def _cells(row: SummaryRow, options: TableOptions, total: int) -> dict[str, str]:
    # torchinfo shows a container's figures only where its children are hidden
    summed = row.is_leaf_layer or row.depth == options.depth
    return {
        "input_size": _blank(row.input_size),
        "output_size": _blank(row.output_size),
        "num_params": _params(row, summed=summed),
        "params_percent": _percent(row, total, summed=summed),
        "kernel_size": _blank(row.kernel_size),
        "groups": _blank(row.groups),
        "mult_adds": _macs(row, summed=summed),
        "trainable": row.trainable,
        FORMULA: _formula(row, max(options.col_width, 40), summed=summed),
    }


def _line(name: str, cells: dict[str, str], options: TableOptions, name_width: int) -> str:
    line = f"{name:<{name_width}} "
    for column in options.col_names:
        line += f"{cells.get(column, ''):<{options.col_width}} "
    line += cells.get(FORMULA, "")
    return line.rstrip()


def mult_adds_line(macs: int, *, complete: bool) -> str:
    """Torchinfo's ``Total mult-adds (M): 0.48`` (``G``, ``T`` for larger counts)."""
    unit, value = "M", macs / 1e6
    if macs >= 1e12:  # noqa: PLR2004
        unit, value = "T", macs / 1e12
    elif macs >= 1e9:  # noqa: PLR2004
        unit, value = "G", macs / 1e9
    number = f"{int(value):,d}" if value.is_integer() else f"{value:,.2f}"
    return f"Total mult-adds ({unit}): {'' if complete else 'at least '}{number}"


def table(rows: Sequence[SummaryRow], options: TableOptions, *, has_input: bool = True) -> str:
    """The summary as torchinfo prints it, with the formula column last."""
    root = rows[0]
    total = root.num_params
    shown = [row for row in rows if _shown(row, options)]
    names = [_name(row, options) for row in shown]
    name_width = 40
    longest = max((len(n) + 1 for n in names), default=0)
    if longest >= name_width:
        name_width = math.ceil(longest / 5) * 5
    header_name = "Layer (type"
    if "var_names" in options.row_settings:
        header_name += " (var_name)"
    if "depth" in options.row_settings:
        header_name += ":depth-idx"
    header = _line(f"{header_name})", {**COLUMNS, FORMULA: FORMULA}, options, name_width)
    width = max(len(header), name_width + len(options.col_names) * options.col_width)
    divider = "=" * width
    out = [divider, header, divider]
    for row, name in zip(shown, names, strict=True):
        out.append(_line(name, _cells(row, options, total), options, name_width))
        if options.verbose >= 2 and row.is_leaf_layer:  # noqa: PLR2004 - torchinfo's VERBOSE
            out += _weights(row, options, name_width)
    out += [
        divider,
        f"Total params: {total:,}",
        f"Trainable params: {root.trainable_params:,}",
        f"Non-trainable params: {total - root.trainable_params:,}",
    ]
    if has_input and root.macs is not None:
        out.append(mult_adds_line(root.macs, complete=root.macs_complete))
    if options.params_bytes is not None:
        out += [divider, f"Params size (MB): {options.params_bytes / 1e6:0.2f}"]
    out.append(divider)
    return "\n".join(out)


def _weights(row: SummaryRow, options: TableOptions, name_width: int) -> list[str]:
    """Each weight of a leaf row (torchinfo's ``verbose=2``): its shape and count."""
    lines = []
    prefix = _start(row.depth + 1, ascii_only="ascii_only" in options.row_settings)
    for name, shape in row.weights:
        count = math.prod(shape)
        cells = {"kernel_size": str(list(shape)), "num_params": f"└─{count:,}"}
        lines.append(_line(f"{prefix}{name}", cells, options, name_width))
    return lines
