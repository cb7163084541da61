"""The tutorial's animated convolution: a 3×3×3 filter sweeping a 5×5×3 input, from the numbers.

A page builder (not code a page shows): `figure` returns an HTML ``<figure>``
holding an SVG in which the filter visits each of the nine positions in turn.
Each input channel is its own 5×5 grid, each with its own 3×3 slice of the
filter; at every position the drawing shows the nine products of each channel,
their sum, the three sums plus the bias, and the output value written into the
3×3 output grid. The numbers are small integers drawn from a fixed seed, and
every value is computed here, in Python, when the site is built
(tests/site/test_conv_animation.py checks them against PyTorch's ``conv2d``).

The animation is CSS inside the SVG (no script): one group per position, shown
for `STEP` seconds in turn, and each output value appearing when it is computed.
A reader who asks for reduced motion gets a still drawing: the first position
worked out, and every output value filled in. Text and grid lines use
``currentColor``, so the drawing reads on light and dark pages.

Examples:
    >>> numbers = conv_numbers()
    >>> len(numbers.inputs), len(numbers.inputs[0]), len(numbers.inputs[0][0])
    (3, 5, 5)
    >>> len(numbers.outputs), len(numbers.outputs[0])
    (3, 3)
    >>> svg = animated_conv_svg(numbers)
    >>> svg.startswith("<svg") and "prefers-reduced-motion" in svg
    True
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass

__all__ = ["ConvNumbers", "alt_text", "animated_conv_svg", "conv_numbers", "figure"]

SIZE = 5
"""The input's height and width."""
CHANNELS = 3
KERNEL = 3
OUT = SIZE - KERNEL + 1  # stride 1, valid padding
STEP = 2.0
"""Seconds the filter stays at each position."""

Grid = list[list[int]]


@dataclass(frozen=True)
class ConvNumbers:
    """The input, the filter and the bias, and everything computed from them."""

    inputs: list[Grid]  # [channel][row][column]
    weights: list[Grid]  # [channel][row][column]: the one filter, one slice per channel
    bias: int

    def window(self, channel: int, row: int, col: int) -> Grid:
        """The 3×3 patch of one input channel under the filter at output ``(row, col)``."""
        return [r[col : col + KERNEL] for r in self.inputs[channel][row : row + KERNEL]]

    def products(self, channel: int, row: int, col: int) -> Grid:
        """The nine products of one channel at output ``(row, col)``."""
        patch = self.window(channel, row, col)
        return [
            [x * w for x, w in zip(pr, wr, strict=True)]
            for pr, wr in zip(patch, self.weights[channel], strict=True)
        ]

    def channel_sum(self, channel: int, row: int, col: int) -> int:
        """The sum of one channel's nine products at output ``(row, col)``."""
        return sum(sum(r) for r in self.products(channel, row, col))

    def output(self, row: int, col: int) -> int:
        """The 27 products and the bias: one output value."""
        return sum(self.channel_sum(c, row, col) for c in range(CHANNELS)) + self.bias

    @property
    def outputs(self) -> Grid:
        """The 3×3 output."""
        return [[self.output(r, c) for c in range(OUT)] for r in range(OUT)]


def conv_numbers(seed: int = 5) -> ConvNumbers:
    """Small integers for the drawing: inputs 0 to 3, weights −1 to 1, a bias of 1.

    Examples:
        >>> conv_numbers().bias
        1
        >>> conv_numbers() == conv_numbers()  # the same numbers every build
        True
    """
    rng = random.Random(seed)  # noqa: S311 - a drawing's numbers, not a secret

    def grid(n: int, low: int, high: int) -> Grid:
        return [[rng.randint(low, high) for _ in range(n)] for _ in range(n)]

    inputs = [grid(SIZE, 0, 3) for _ in range(CHANNELS)]
    weights = [grid(KERNEL, -1, 1) for _ in range(CHANNELS)]
    return ConvNumbers(inputs, weights, 1)


# ---------------------------------------------------------------------------
# Layout (SVG user units)

_CELL = 22  # input, filter and product cells
_OUT_CELL = 30
_X_INPUT = 8
_X_FILTER = _X_INPUT + SIZE * _CELL + 26
_X_PRODUCT = _X_FILTER + KERNEL * _CELL + 30
_X_SUM = _X_PRODUCT + KERNEL * _CELL + 14
_ROW = 18 + SIZE * _CELL + 16  # one channel: label, grid, gap
_Y_BOTTOM = CHANNELS * _ROW + 6
_WIDTH = 430
_HEIGHT = _Y_BOTTOM + 22 + OUT * _OUT_CELL + 14

_STYLE = """
.cv text { fill: currentColor; font: 13px ui-sans-serif, system-ui, sans-serif;
  text-anchor: middle; dominant-baseline: central; }
.cv .label { font-size: 12px; text-anchor: start; fill-opacity: .8; }
.cv .left { text-anchor: start; }
.cv .sign { font-size: 16px; }
.cv .strong { font-weight: 700; }
.cv .cell { fill: none; stroke: currentColor; stroke-opacity: .45; stroke-width: 1; }
.cv .in { fill: #9ca3af; fill-opacity: .12; }
.cv .w { fill: #3b82f6; fill-opacity: .18; }
.cv .p { fill: #f59e0b; fill-opacity: .18; }
.cv .o { fill: #14b8a6; fill-opacity: .18; }
.cv .win { fill: #ef4444; fill-opacity: .22; stroke: #ef4444; stroke-width: 2.5; }
.cv .fr { opacity: 0; animation: cv-frame var(--cv-cycle) linear infinite; }
.cv .fr.f0 { opacity: 1; }
.cv .out { opacity: 1; }
@keyframes cv-frame { 0%, STEP_END% { opacity: 1; } STEP_AFTER%, 100% { opacity: 0; } }
"""
_REDUCED = """@media (prefers-reduced-motion: reduce) {
  .cv .fr, .cv .out { animation: none !important; }
  .cv .fr { opacity: 0 !important; }
  .cv .fr.f0, .cv .out { opacity: 1 !important; }
}
"""
"""With reduced motion: no animation, the first position and every output value."""


def _num(n: int) -> str:
    """A number as the page prints it, with a real minus sign."""
    return f"−{-n}" if n < 0 else str(n)


def _text(x: float, y: float, text: str, cls: str = "", extra: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f'<text x="{x:g}" y="{y:g}"{attr}{extra}>{html.escape(text)}</text>'


def _grid(x: float, y: float, values: Grid, cell: float, fill: str) -> list[str]:
    """A grid of cells with a number in each."""
    n_rows, n_cols = len(values), len(values[0])
    out = [
        (
            f'<rect class="{fill}" x="{x:g}" y="{y:g}" width="{n_cols * cell:g}" '
            f'height="{n_rows * cell:g}"/>'
        )
    ]
    for r, row in enumerate(values):
        for c, value in enumerate(row):
            out.append(
                f'<rect class="cell" x="{x + c * cell:g}" y="{y + r * cell:g}" '
                f'width="{cell:g}" height="{cell:g}"/>'
            )
            out.append(_text(x + (c + 0.5) * cell, y + (r + 0.5) * cell, _num(value)))
    return out


def _channel_y(channel: int) -> float:
    return channel * _ROW + 18


def _frame(numbers: ConvNumbers, row: int, col: int) -> list[str]:
    """What changes at one position: windows, products, sums, the output cell."""
    k = row * OUT + col
    body = [f'<g class="fr f{k}" data-position="{row},{col}">']
    sums = []
    for ch in range(CHANNELS):
        y = _channel_y(ch)
        body.append(
            f'<rect class="win" x="{_X_INPUT + col * _CELL:g}" y="{y + row * _CELL:g}" '
            f'width="{KERNEL * _CELL}" height="{KERNEL * _CELL}"/>'
        )
        top = y + (SIZE - KERNEL) * _CELL / 2
        body += _grid(_X_PRODUCT, top, numbers.products(ch, row, col), _CELL, "p")
        total = numbers.channel_sum(ch, row, col)
        sums.append(total)
        body.append(
            _text(
                _X_SUM,
                top + KERNEL * _CELL / 2,
                f"sum = {_num(total)}",
                "left strong",
                f' data-channel="{ch}"',
            )
        )
    value = numbers.output(row, col)
    x_out = _X_INPUT + col * _OUT_CELL
    y_out = _Y_BOTTOM + 22 + row * _OUT_CELL
    body.append(
        f'<rect class="win" x="{x_out:g}" y="{y_out:g}" width="{_OUT_CELL}" height="{_OUT_CELL}"/>'
    )
    x_eq = _X_INPUT + OUT * _OUT_CELL + 18
    y_eq = _Y_BOTTOM + 22
    terms = " + ".join(f"({_num(s)})" if s < 0 else _num(s) for s in sums)
    body.append(_text(x_eq, y_eq + 10, "the three sums, plus the bias:", "label"))
    body.append(
        _text(x_eq, y_eq + 36, f"{terms} + {_num(numbers.bias)} = {_num(value)}", "left strong")
    )
    body.append(_text(x_eq, y_eq + 62, f"output row {row + 1}, column {col + 1}", "label"))
    body.append("</g>")
    return body


def alt_text(numbers: ConvNumbers) -> str:
    """What the drawing shows, in words and with its numbers.

    Examples:
        >>> print(alt_text(conv_numbers()))  # doctest: +ELLIPSIS
        A 3×3×3 filter slides over a 5×5×3 input, ... The output, row by row: ...
    """
    rows = "; ".join(", ".join(_num(v) for v in row) for row in numbers.outputs)
    return (
        f"A {KERNEL}×{KERNEL}×{CHANNELS} filter slides over a {SIZE}×{SIZE}×{CHANNELS} "
        f"input, one step at a time (stride 1, no padding). Each input channel is a "
        f"{SIZE}×{SIZE} grid with its own {KERNEL}×{KERNEL} slice of the filter. At each of "
        f"the {OUT * OUT} positions, the window's inputs are multiplied by the weights "
        f"({KERNEL * KERNEL} products per channel, {KERNEL * KERNEL * CHANNELS} in all), the "
        f"products are added, and the bias ({_num(numbers.bias)}) is added to give one "
        f"output value. The output, row by row: {rows}."
    )


def animated_conv_svg(numbers: ConvNumbers, *, id_prefix: str = "conv-animation") -> str:
    """The SVG: every channel's input and filter, then one animated group per position."""
    cycle = STEP * OUT * OUT
    share = 100 / (OUT * OUT)
    style = (
        _STYLE.replace("STEP_END", f"{share - 0.01:.2f}")
        .replace("STEP_AFTER", f"{share:.2f}")
        .replace("var(--cv-cycle)", f"{cycle:g}s")
    )
    for k in range(1, OUT * OUT):
        style += f".cv .f{k} {{ animation-delay: {k * STEP - cycle:g}s; }}\n"
        at = 100 * k / (OUT * OUT)
        style += (
            f".cv .out.o{k} {{ opacity: 0; animation: cv-o{k} {cycle:g}s linear infinite; }}\n"
            f"@keyframes cv-o{k} {{ 0%, {at - 0.01:.2f}% {{ opacity: 0; }} "
            f"{at:.2f}%, 100% {{ opacity: 1; }} }}\n"
        )
    style += _REDUCED

    body: list[str] = []
    for ch in range(CHANNELS):
        y = _channel_y(ch)
        body.append(_text(_X_INPUT, y - 9, f"input, channel {ch + 1}", "label"))
        body += _grid(_X_INPUT, y, numbers.inputs[ch], _CELL, "in")
        top = y + (SIZE - KERNEL) * _CELL / 2
        body.append(_text(_X_FILTER, top - 9, f"filter slice {ch + 1}", "label"))
        body.append(_text(_X_FILTER - 13, top + KERNEL * _CELL / 2, "×", "sign"))
        body += _grid(_X_FILTER, top, numbers.weights[ch], _CELL, "w")
        body.append(_text(_X_PRODUCT, top - 9, "products", "label"))
        body.append(_text(_X_PRODUCT - 13, top + KERNEL * _CELL / 2, "=", "sign"))
    y_out = _Y_BOTTOM + 22
    body.append(
        _text(_X_INPUT, y_out - 9, f"output ({OUT}×{OUT}), bias {_num(numbers.bias)}", "label")
    )
    body.append(
        f'<rect class="o" x="{_X_INPUT}" y="{y_out}" width="{OUT * _OUT_CELL}" '
        f'height="{OUT * _OUT_CELL}"/>'
    )
    for r in range(OUT):
        for c in range(OUT):
            body.append(
                f'<rect class="cell" x="{_X_INPUT + c * _OUT_CELL}" '
                f'y="{y_out + r * _OUT_CELL}" width="{_OUT_CELL}" height="{_OUT_CELL}"/>'
            )
    for r in range(OUT):
        for c in range(OUT):
            body += _frame(numbers, r, c)
    for r in range(OUT):
        for c in range(OUT):
            body.append(
                _text(
                    _X_INPUT + (c + 0.5) * _OUT_CELL,
                    y_out + (r + 0.5) * _OUT_CELL,
                    _num(numbers.output(r, c)),
                    f"out o{r * OUT + c} strong",
                    f' data-row="{r}" data-col="{c}"',
                )
            )
    title = (
        f"A {KERNEL}×{KERNEL}×{CHANNELS} filter sweeping a {SIZE}×{SIZE}×{CHANNELS} input: "
        f"{KERNEL * KERNEL * CHANNELS} products plus a bias make each output value"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cv" role="img" '
        f'width="{_WIDTH}" height="{_HEIGHT}" viewBox="0 0 {_WIDTH} {_HEIGHT}" '
        f'aria-labelledby="{id_prefix}-title {id_prefix}-desc">\n'
        f'<title id="{id_prefix}-title">{html.escape(title)}</title>\n'
        f'<desc id="{id_prefix}-desc">{html.escape(alt_text(numbers))}</desc>\n'
        f"<style>{style}</style>\n" + "\n".join(body) + "\n</svg>\n"
    )


def figure() -> str:
    """The tutorial's figure: the drawing and its caption."""
    numbers = conv_numbers()
    return (
        '<figure class="conv-animation">\n'
        + animated_conv_svg(numbers)
        + f"<figcaption>One {KERNEL}×{KERNEL}×{CHANNELS} filter on a colour "
        f"({CHANNELS}-channel) {SIZE}×{SIZE} input, stride 1, no padding: at each "
        f"position, {KERNEL}·{KERNEL}·{CHANNELS} = {KERNEL * KERNEL * CHANNELS} products "
        "(one per weight) plus the bias make one output value. With reduced motion, "
        "the first position is shown worked out.</figcaption>\n</figure>"
    )
