"""A drawn transformer block: each weight matrix a box labelled with its shape and count.

The drawing is made from numbers, never typed: a list of `Part` (a name, the
shapes of its weights and its parameter count), as `transformer.block_parts`
reads them from a breakdown. It is plain SVG: no script, every text escaped,
strokes and text in ``currentColor`` and translucent fills, so it reads on light
and dark pages; ``<title>`` and ``<desc>`` carry the same numbers as text.

Examples:
    >>> parts = [Part("ln_1", "LayerNorm", ((4,), (4,)), 8),
    ...          Part("query", "Q", ((4, 4), (4,)), 20)]
    >>> svg = block_svg(parts, title="A <tiny> block")
    >>> svg.startswith("<svg") and "&lt;tiny&gt;" in svg and "<script" not in svg
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

_COLOURS = {
    "norm": "#10b981",
    "attention": "#3b82f6",
    "mlp": "#f59e0b",
    "none": "#8b5cf6",
}


@dataclass(frozen=True)
class Part:
    """One box: a layer of the block, the shapes of its weights and its count."""

    name: str
    role: str
    shapes: tuple[tuple[int, ...], ...]
    params: int
    group: str = "attention"


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape)


def _text(x: float, y: float, text: str, *, size: int = 12, bold: bool = False) -> str:
    weight = ' font-weight="600"' if bold else ""
    return (
        f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="middle" font-size="{size}"'
        f'{weight} fill="currentColor">{escape(text)}</text>'
    )


def _box(x: float, y: float, w: float, h: float, part: Part) -> str:
    colour = _COLOURS.get(part.group, _COLOURS["none"])
    shapes = " + ".join(_shape(s) for s in part.shapes) if part.shapes else ""
    count = f"{part.params:,} parameters" if part.params else "no weights: no parameters"
    return "".join(
        [
            (
                f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" rx="6" '
                f'fill="{colour}" fill-opacity=".16" stroke="currentColor" stroke-width=".8"/>'
            ),
            _text(x + w / 2, y + 17, f"{part.role}: {part.name}", bold=True),
            _text(x + w / 2, y + 33, shapes, size=11),
            _text(x + w / 2, y + 48, count, size=11),
        ]
    )


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    return (
        f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" '
        'stroke="currentColor" stroke-width="1" marker-end="url(#ab-arrow)"/>'
    )


def block_svg(parts: list[Part], *, title: str) -> str:
    """The block drawn top to bottom; parts whose group is ``"qkv"`` sit side by side.

    Args:
        parts: the block's layers in the order data flows through them.
        title: the drawing's title (its alt text begins with it).

    Returns:
        One ``<svg>`` element.
    """
    width, box_h, gap, margin = 480, 56, 22, 10
    rows: list[list[Part]] = []
    for part in parts:
        side_by_side = part.role in ("Q", "K", "V") and rows and rows[-1][0].role in ("Q", "K")
        if side_by_side:
            rows[-1].append(part)
        else:
            rows.append([part])
    body, y = [], margin + 24.0
    body.append(_text(width / 2, margin + 12, title, size=13, bold=True))
    for i, row in enumerate(rows):
        inner = width - 2 * margin - 40
        w = (inner - (len(row) - 1) * 8) / len(row)
        for j, part in enumerate(row):
            x = margin + 40 + j * (w + 8)
            body.append(_box(x, y, w, box_h, part))
        if i + 1 < len(rows):
            mid = margin + 40 + inner / 2
            body.append(_arrow(mid, y + box_h, mid, y + box_h + gap - 2))
        y += box_h + gap
    height = math.ceil(y - gap + margin)
    # The residual path: the block's input added back after attention and after the MLP.
    body.append(
        f'<path d="M{margin + 20},{margin + 30} V{height - margin - 6}" stroke="currentColor" '
        'stroke-width="1" stroke-dasharray="4 3" fill="none"/>'
    )
    body.append(
        f'<text x="{margin + 14}" y="{height / 2:.0f}" font-size="11" fill="currentColor" '
        f'transform="rotate(-90 {margin + 14} {height / 2:.0f})" text-anchor="middle">'
        "residual: added back, no parameters</text>"
    )
    desc = "; ".join(
        f"{p.role} {p.name}: {', '.join(_shape(s) for s in p.shapes) or 'no weights'}, "
        f"{p.params:,} parameters"
        for p in parts
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" style="max-width: 100%; height: auto">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>"
        '<defs><marker id="ab-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="currentColor"/>'
        "</marker></defs>" + "".join(body) + "</svg>"
    )
