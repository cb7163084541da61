"""Drawn models: an SVG volume diagram of a `Breakdown`, in the style of CS231n's and d2l's.

A chain of layers (one input, each layer taking the previous one's output) is
drawn left to right, one box per output: its height follows H, its depth W and
its width the channels C (square roots for lengths, logarithms for channels, so
a 224×224 image and a 2048-channel tensor both fit). Convolution and pooling
windows are drawn on the volume they slide over, with lines to the value they
give; vectors (Flatten, Dense) are bars. Under each layer: its output shape and
its parameter count, with the formula when it is short. Any other model
(several inputs, branches, nested models) is drawn as a column of labelled
layers. Strokes and text use ``currentColor`` and fills are translucent, so the
drawing reads on light and dark pages; ``<title>`` and ``<desc>`` give its alt
text, from the same numbers.

Examples:
    >>> from cnnexplain import explain, spec
    >>> model = spec.Sequential([
    ...     spec.Input((28, 28, 1)),
    ...     spec.Conv2D(32, (3, 3), name="conv"),
    ...     spec.MaxPooling2D((2, 2), name="pool"),
    ...     spec.Flatten(name="flatten"),
    ...     spec.Dense(100, name="hidden"),
    ...     spec.Dense(10, name="output"),
    ... ], name="mnist")
    >>> svg = explain(model).to_svg()
    >>> svg.startswith("<svg") and svg.count("<polygon") > 10
    True
    >>> print(alt_text(explain(model)))
    Model mnist, 542,230 parameters. Input: 28×28×1. conv (Conv2D, 3×3 kernel): \
26×26×32, (3·3·1+1)·32 = 320 parameters. pool (MaxPooling2D, 2×2 window): 13×13×32, \
no parameters. flatten (Flatten): 5408, no parameters. hidden (Dense): 100, \
(5408+1)·100 = 540,900 parameters. output (Dense): 10, (100+1)·10 = 1,010 parameters.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cnnexplain._breakdown import Breakdown, LayerRow
from cnnexplain._escape import shorten, xml_text
from cnnexplain._rules.protocol import Family, fmt_shape
from cnnexplain._shapes import Shape

__all__ = ["alt_text", "svg"]

_FAMILY_CLASS = {
    Family.CONV: "conv",
    Family.DEPTHWISE: "conv",
    Family.TRANSPOSED: "conv",
    Family.POOL: "pool",
    Family.GLOBAL_POOL: "pool",
    Family.DENSE: "dense",
}
"""The drawing's colour class of each family; a flattening layer is drawn like a dense one."""
_WINDOW_NOUN = {Family.CONV: "kernel", Family.DEPTHWISE: "kernel", Family.POOL: "window"}
_FONT = 12
_CHAR = 6.6  # average width of a character at _FONT px, for layout
_GAP = 18
_MAX_FORMULA = 26  # longer formulas are left to the table; the count is always shown

_STYLE = """
.cx text { fill: currentColor; font: 12px ui-sans-serif, system-ui, sans-serif; }
.cx .name { font-weight: 600; }
.cx .dim { fill-opacity: .75; }
.cx .edge { stroke: currentColor; stroke-width: 1; fill: none; }
.cx .box polygon { stroke: currentColor; stroke-width: .8; stroke-linejoin: round; }
.cx .box .front { fill-opacity: .28; }
.cx .box .top { fill-opacity: .16; }
.cx .box .side { fill-opacity: .42; }
.cx .conv polygon { fill: #3b82f6; }
.cx .pool polygon { fill: #14b8a6; }
.cx .dense polygon { fill: #f59e0b; }
.cx .plain polygon { fill: #8b5cf6; }
.cx .input polygon { fill: #9ca3af; }
.cx .window { fill: #ef4444; fill-opacity: .55; stroke: currentColor; stroke-width: .8; }
.cx .ray { stroke: #ef4444; stroke-width: 1.2; stroke-dasharray: 3 2; }
.cx .card { fill: #8b5cf6; fill-opacity: .16; stroke: currentColor; stroke-width: .8; }
"""


# ---------------------------------------------------------------------------
# What each layer is drawn as


@dataclass(frozen=True)
class _Volume:
    """One tensor: a box (h×w×c, any of them None when unknown) or a vector (n)."""

    label: str  # "26×26×32" or "5408"
    h: int | None = None
    w: int | None = None
    c: int | None = None
    n: int | None = None  # a vector's length

    @property
    def is_vector(self) -> bool:
        return self.h is None and self.w is None and self.c is None


def _channels_first(row: LayerRow | None) -> bool:
    """Channels on axis 1: torch tensors, and Keras layers with ``data_format="channels_first"``."""
    if row is None:
        return False
    return row.framework.channels_first or row.config.get("data_format") == "channels_first"


def _volume(shape: Shape | list[Shape], *, channels_first: bool = False) -> _Volume | None:
    """The box of a shape (batch axis first), or None for several or unknown shapes."""
    if isinstance(shape, list) or len(shape) < 2:  # noqa: PLR2004
        return None
    dims = shape[1:]
    label = "×".join("?" if d is None else str(d) for d in dims)
    if len(dims) == 1:
        return _Volume(label, n=dims[0])
    if channels_first:
        c, spatial = dims[0], dims[1:]
    else:
        c, spatial = dims[-1], dims[:-1]
    h = spatial[0]
    w = spatial[1] if len(spatial) > 1 else 1
    return _Volume(label, h=h, w=w, c=c)


def _length_px(n: int | None) -> float:
    """A length on screen: 9·√n pixels, from 6 to 150."""
    return 40.0 if n is None else min(150.0, max(6.0, 9.0 * math.sqrt(n)))


def _channels_px(c: int | None) -> float:
    """Channels on screen: 7·log₂(1+c) pixels, from 5 to 80."""
    return 20.0 if c is None else min(80.0, max(5.0, 7.0 * math.log2(1 + c)))


def _vector_px(n: int | None) -> float:
    """A vector's height: 12·log₂(1+n) pixels, from 8 to 160."""
    return 60.0 if n is None else min(160.0, max(8.0, 12.0 * math.log2(1 + n)))


@dataclass(frozen=True)
class _Box:
    """A volume's geometry: front face w_px × h_px, depth d_px drawn up and to the right."""

    w_px: float
    h_px: float
    d_px: float

    @property
    def dx(self) -> float:
        return 0.62 * self.d_px

    @property
    def dy(self) -> float:
        return 0.5 * self.d_px


def _box(v: _Volume) -> _Box:
    if v.is_vector:
        return _Box(12.0, _vector_px(v.n), 10.0)
    return _Box(_channels_px(v.c), _length_px(v.h), _length_px(v.w))


def _kind_class(row: LayerRow | None) -> str:
    if row is None:
        return "input"
    if row.family is not None and row.family in _FAMILY_CLASS:
        return _FAMILY_CLASS[row.family]
    return "dense" if _flattens(row) else "plain"


def _flattens(row: LayerRow) -> bool:
    """A layer without weights turning a volume into the vector a dense layer reads."""
    ins, out = row.input_shape, row.output_shape
    if row.params or isinstance(ins, list) or isinstance(out, list) or len(out) != 2:  # noqa: PLR2004
        return False
    lengths = [d for d in ins[1:] if d is not None]
    return len(ins) > 2 and len(lengths) == len(ins) - 1 and math.prod(lengths) == out[1]  # noqa: PLR2004


def _window(row: LayerRow) -> tuple[int, int] | None:
    """A convolution's or pooling's window (k_h, k_w), as its rule recorded it."""
    w = row.window
    if w is None or row.family not in _WINDOW_NOUN:
        return None
    return w.kernel[0], w.kernel[1] if w.rank > 1 else 1


# ---------------------------------------------------------------------------
# Text


def _esc(text: str) -> str:
    return xml_text(text)


def _count_lines(row: LayerRow) -> tuple[str, ...]:
    """The count under a layer, then its formula when it is short: two lines of the drawing."""
    if not row.params:
        return ("no parameters",)
    count = f"{row.params:,} parameter{'s' * (row.params != 1)}"
    formula = row.formula.text() if row.explained and not row.children else ""
    if formula and formula != str(row.params) and len(formula) <= _MAX_FORMULA:
        return count, formula
    return (count,)


def _params_text(row: LayerRow) -> str:
    if not row.params:
        return "no parameters"
    formula = row.formula.text() if row.explained and not row.children else ""
    count = f"{row.params:,} parameter{'s' * (row.params != 1)}"
    if formula and formula != str(row.params) and len(formula) <= _MAX_FORMULA:
        return f"{formula} = {count}"
    return count


def _what(row: LayerRow) -> str:
    window = _window(row)
    if window is None:
        return shorten(row.kind)
    noun = _WINDOW_NOUN[row.family] if row.family is not None else "kernel"
    return f"{shorten(row.kind)}, {window[0]}×{window[1]} {noun}"


def _shape_label(shape: Shape | list[Shape]) -> str:
    if isinstance(shape, list):
        return ", ".join(_shape_label(s) for s in shape)
    v = _volume(shape)
    return v.label if v is not None else fmt_shape(shape)


def alt_text(b: Breakdown) -> str:
    """The drawing in words: each layer's output shape and parameters, from the breakdown."""
    parts = [f"Model {shorten(b.name)}, {b.total:,} parameters."]
    inputs = "; ".join(_shape_label(s) for s in b.input_shapes)
    if inputs:
        parts.append(f"Input{'s' * (len(b.input_shapes) > 1)}: {inputs}.")
    parts += [
        f"{shorten(row.name)} ({_what(row)}): "
        f"{_shape_label(row.output_shape)}, {_params_text(row)}."
        for row in b.rows
    ]
    return " ".join(parts)


# ---------------------------------------------------------------------------
# Drawing


def _poly(points: Sequence[tuple[float, float]], cls: str) -> str:
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return f'<polygon class="{cls}" points="{coords}"/>'


def _cuboid(x: float, mid: float, box: _Box, cls: str) -> str:
    """A box whose front face is centred on ``mid``, left edge at ``x``."""
    top, bottom, right = mid - box.h_px / 2, mid + box.h_px / 2, x + box.w_px
    dx, dy = box.dx, box.dy
    front = [(x, top), (right, top), (right, bottom), (x, bottom)]
    lid = [(x, top), (x + dx, top - dy), (right + dx, top - dy), (right, top)]
    side = [(right, top), (right + dx, top - dy), (right + dx, bottom - dy), (right, bottom)]
    return (
        f'<g class="box {cls}">'
        + _poly(front, "front")
        + _poly(lid, "top")
        + _poly(side, "side")
        + "</g>"
    )


def _side_point(x: float, mid: float, box: _Box, u: float, v: float) -> tuple[float, float]:
    """A point of the side face (H × W): ``u`` along the depth, ``v`` down, both in 0..1."""
    right = x + box.w_px
    return right + u * box.dx, mid - box.h_px / 2 + v * box.h_px - u * box.dy


def _text(x: float, y: float, text: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle"{attr}>{_esc(text)}</text>'


def _window_marks(
    prev: tuple[float, _Box, _Volume], nxt: tuple[float, _Box], window: tuple[int, int], mid: float
) -> list[str]:
    """The window on the volume it slides over, and rays to the value it gives."""
    (px, pbox, pvol), (nx, nbox) = prev, nxt
    if pvol.is_vector or not pvol.h or not pvol.w:
        return []
    kh = min(1.0, max(window[0] / pvol.h, 8 / pbox.h_px))
    kw = min(1.0, max(window[1] / pvol.w, 8 / max(pbox.d_px, 1.0)))
    u0, v0 = 0.5 - kw / 2, 0.5 - kh / 2
    corners = [
        _side_point(px, mid, pbox, u0, v0),
        _side_point(px, mid, pbox, u0 + kw, v0),
        _side_point(px, mid, pbox, u0 + kw, v0 + kh),
        _side_point(px, mid, pbox, u0, v0 + kh),
    ]
    target = _side_point(nx, mid, nbox, 0.5, 0.5)
    out = [_poly(corners, "window")]
    out += [
        f'<line class="ray" x1="{cx:.1f}" y1="{cy:.1f}" x2="{target[0]:.1f}" y2="{target[1]:.1f}"/>'
        for cx, cy in (corners[0], corners[2])
    ]
    return out


def _is_chain(b: Breakdown) -> bool:
    """One input, no nested model, each layer taking the previous one's output."""
    if len(b.input_shapes) != 1 or not b.rows:
        return False
    current: Shape | list[Shape] = b.input_shapes[0]
    for row in b.rows:
        if row.children or isinstance(row.output_shape, list) or row.input_shape != current:
            return False
        if _volume(row.output_shape) is None:
            return False
        current = row.output_shape
    return _volume(b.input_shapes[0]) is not None


def _ids(b: Breakdown, prefix: str | None) -> str:
    return prefix or "cx-" + (re.sub(r"[^A-Za-z0-9_-]", "-", b.name[:40]) or "model")


def _frame(b: Breakdown, width: float, height: float, body: list[str], prefix: str | None) -> str:
    ident = _ids(b, prefix)
    title = f"Model {shorten(b.name)}: {len(b.rows)} layers, {b.total:,} parameters"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cx" role="img" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'style="max-width: 100%; min-width: {0.7 * width:.0f}px; height: auto" '
        f'aria-labelledby="{ident}-title {ident}-desc">\n'
        f'<title id="{ident}-title">{_esc(title)}</title>\n'
        f'<desc id="{ident}-desc">{_esc(alt_text(b))}</desc>'
        f"\n<style>{_STYLE}</style>\n" + "\n".join(body) + "\n</svg>\n"
    )


def _chain_svg(b: Breakdown, prefix: str | None) -> str:
    first = b.rows[0] if b.rows else None
    columns: list[tuple[LayerRow | None, _Volume]] = []
    start = _volume(b.input_shapes[0], channels_first=_channels_first(first))
    if start is None:  # pragma: no cover - _is_chain checked it
        raise AssertionError
    columns.append((None, start))
    for row in b.rows:
        v = _volume(row.output_shape, channels_first=_channels_first(row))
        if v is None:  # pragma: no cover - _is_chain checked it
            raise AssertionError
        columns.append((row, v))

    boxes = [_box(v) for _, v in columns]
    labels: list[tuple[tuple[str, str], tuple[str, ...]]] = [
        (
            ("Input", "") if row is None else (shorten(row.name), shorten(row.kind)),
            (v.label, *(() if row is None else _count_lines(row))),
        )
        for row, v in columns
    ]
    above = max(b_.h_px / 2 + b_.dy for b_ in boxes)
    below = max(b_.h_px / 2 for b_ in boxes)
    mid = 12 + 2 * (_FONT + 4) + 8 + above
    lines = max(len(bottom) for _, bottom in labels)
    height = mid + below + 10 + lines * (_FONT + 4) + 6

    body: list[str] = []
    volumes: list[str] = []
    x = 12.0
    placed: list[tuple[float, _Box, _Volume]] = []
    for (layer, v), box, (top, bottom) in zip(columns, boxes, labels, strict=True):
        text_w = _CHAR * max(len(t) for t in (*top, *bottom))
        col_w = max(box.w_px + box.dx, text_w)
        bx = x + (col_w - box.w_px - box.dx) / 2
        centre = bx + (box.w_px + box.dx) / 2
        if placed:
            window = _window(layer) if layer is not None else None
            prev_v = placed[-1][2]
            if layer is not None and layer.family is Family.GLOBAL_POOL and prev_v.h and prev_v.w:
                window = prev_v.h, prev_v.w  # the whole map gives one value per channel
            if window is not None:
                body += _window_marks(placed[-1], (bx, box), window, mid)
            else:
                px, pbox, _ = placed[-1]
                body.append(
                    f'<line class="edge" x1="{px + pbox.w_px + pbox.dx + 3:.1f}" y1="{mid:.1f}" '
                    f'x2="{bx - 4:.1f}" y2="{mid:.1f}" marker-end="url(#{_ids(b, prefix)}-arrow)"/>'
                )
        volumes.append(_cuboid(bx, mid, box, _kind_class(layer)))
        body.append(_text(centre, 12 + _FONT, top[0], "name"))
        body.append(_text(centre, 12 + 2 * _FONT + 4, top[1], "dim"))
        y = mid + below + 10 + _FONT
        for i, line in enumerate(bottom):
            body.append(_text(centre, y + i * (_FONT + 4), line, "dim" if i else ""))
        placed.append((bx, box, v))
        x += col_w + _GAP
    # Volumes first, so that windows, rays and labels are drawn over them.
    body = [_arrow_marker(_ids(b, prefix)), *volumes, *body]
    return _frame(b, x - _GAP + 12, height, body, prefix)


def _arrow_marker(ident: str) -> str:
    return (
        f'<defs><marker id="{ident}-arrow" viewBox="0 0 8 8" refX="7" refY="4" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L8,4 L0,8 z" fill="currentColor"/></marker></defs>'
    )


def _layered_svg(b: Breakdown, prefix: str | None) -> str:
    """A column of cards, one per layer (nested rows indented), for any other model."""
    cards: list[tuple[int, str, str]] = [(0, "Input", _shape_label(s)) for s in b.input_shapes]

    def visit(row: LayerRow, depth: int) -> None:
        head = f"{shorten(row.name)} ({shorten(row.kind)})"
        cards.append((depth, head, f"{_shape_label(row.output_shape)} · {_params_text(row)}"))
        for child in row.children:
            visit(child, depth + 1)

    for row in b.rows:
        visit(row, 0)
    card_h, step, indent = 2 * _FONT + 14, 2 * _FONT + 30, 24
    widest = max(
        (d * indent + _CHAR * max(len(h), len(t)) + 24 for d, h, t in cards), default=200.0
    )
    width = widest + 24
    ident = _ids(b, prefix)
    body = [_arrow_marker(ident)]
    for i, (depth, head, tail) in enumerate(cards):
        x, y = 12 + depth * indent, 12 + i * step
        w = width - 24 - depth * indent
        body.append(
            f'<rect class="card" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{card_h}" rx="5"/>'
        )
        body.append(
            f'<text x="{x + 10:.1f}" y="{y + _FONT + 4:.1f}" class="name">{_esc(head)}</text>'
        )
        body.append(
            f'<text x="{x + 10:.1f}" y="{y + 2 * _FONT + 8:.1f}" class="dim">{_esc(tail)}</text>'
        )
        if i + 1 < len(cards) and cards[i + 1][1] != "Input":
            cx = x + 18
            body.append(
                f'<line class="edge" x1="{cx:.1f}" y1="{y + card_h:.1f}" x2="{cx:.1f}" '
                f'y2="{y + step - 3:.1f}" marker-end="url(#{ident}-arrow)"/>'
            )
    height = 12 + len(cards) * step - (step - card_h) + 12
    return _frame(b, width, height, body, prefix)


def svg(b: Breakdown, *, id_prefix: str | None = None) -> str:
    """The model drawn as SVG: volumes for a chain of layers, else a column of layers.

    Args:
        b: the breakdown to draw.
        id_prefix: prefix of the element ids (``<title>``, ``<desc>``, the arrow
            marker), unique on a page that shows several drawings; default
            ``cx-`` and the model's name.
    """
    if _is_chain(b):
        return _chain_svg(b, id_prefix)
    return _layered_svg(b, id_prefix)
