"""Output formats: one table from a format to its renderer, used by the CLI and `Breakdown`.

A new output format is one `Format` member and one `Renderer` in `RENDERERS`:
the command line's ``--format`` choices, the ``Breakdown.to_*`` methods and the
extras the CLI appends (costs, diagnosis) all read this table.

Examples:
    >>> Format("markdown") is Format.MARKDOWN, RENDERERS[Format.LATEX].extras
    (True, False)
    >>> Format("pdf")
    Traceback (most recent call last):
    ...
    ValueError: 'pdf' is not a valid Format
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cnnexplain._escape import json_text
from cnnexplain._render import svg, tables

if TYPE_CHECKING:
    from cnnexplain._breakdown import Breakdown

__all__ = ["RENDERERS", "Format", "Layout", "Renderer", "render"]


class Format(str, enum.Enum):
    """An output format of a breakdown (a mistyped name raises ``ValueError``)."""

    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"
    LATEX = "latex"
    SVG = "svg"
    HTML = "html"


@dataclass(frozen=True)
class Layout:
    """How a table is laid out: nested models expanded, the model formula in full."""

    expand: bool = False
    full_formula: bool = False


@dataclass(frozen=True)
class Renderer:
    """How one format renders a breakdown, and whether costs and a diagnosis have a form in it."""

    breakdown: Callable[[Breakdown, Layout], str]
    extra: Callable[[Any], str] | None = None
    """The form of an extra (`Costs`, `Diagnosis`) in this format; None: it has none."""
    join: str = "\n"
    """What separates the breakdown from each extra."""

    @property
    def extras(self) -> bool:
        """Whether costs and a diagnosis can be added to this format's output."""
        return self.extra is not None


def _json(b: Breakdown, layout: Layout) -> str:
    del layout  # the dict holds every row, nested ones under "children"
    return json.dumps(b.to_dict(), indent=2, ensure_ascii=False)


RENDERERS: Mapping[Format, Renderer] = {
    Format.TEXT: Renderer(
        lambda b, lay: tables.text(b, expand=lay.expand, full_formula=lay.full_formula),
        str,
        join="\n\n",
    ),
    Format.MARKDOWN: Renderer(
        lambda b, lay: tables.markdown(b, expand=lay.expand, full_formula=lay.full_formula),
        lambda extra: extra.to_markdown(),
    ),
    Format.JSON: Renderer(_json, lambda extra: json.dumps(extra.to_dict(), ensure_ascii=False)),
    Format.LATEX: Renderer(lambda b, lay: tables.latex(b, expand=lay.expand)),
    Format.SVG: Renderer(lambda b, _: svg.svg(b)),
    Format.HTML: Renderer(lambda b, lay: tables.html(b, expand=lay.expand)),
}
"""Each format's renderer; the CLI offers every format but HTML."""


def render(
    b: Breakdown,
    fmt: Format,
    layout: Layout | None = None,
    extras: Mapping[str, Any] | None = None,
) -> str:
    """``b`` in ``fmt``, with its extras (``{"costs": Costs, "diagnosis": Diagnosis}``).

    JSON nests the extras' dicts under their names; other formats append each one's
    form after the table. Raises ``ValueError`` for extras in a format without a form
    for them (the CLI says so before explaining anything).
    """
    layout = layout or Layout()
    extras = extras or {}
    renderer = RENDERERS[fmt]
    if extras and renderer.extra is None:
        raise ValueError(f"{', '.join(extras)} have no {fmt.value} form")
    if fmt is Format.JSON:
        data = b.to_dict()
        data.update({name: value.to_dict() for name, value in extras.items()})
        return json_text(json.dumps(data, indent=2, ensure_ascii=False))
    form = renderer.extra
    parts = [renderer.breakdown(b, layout)]
    parts += [form(value) for value in extras.values() if form is not None]
    if renderer.join == "\n":
        return "\n".join(part.rstrip("\n") + "\n" for part in parts).rstrip("\n")
    return renderer.join.join(parts)
