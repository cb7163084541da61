"""A horizontal bar chart as a self-contained SVG string (no script, no third party).

Each bar has its label above it, so the chart stays readable when a phone
scales it down. Colours come from the theme's CSS variables
(``docs/assets/extra.css``), so the chart follows the light and dark palettes.

Examples:
    >>> svg = bar_chart([("a", 300), ("b", 100)], title="Parameters")
    >>> svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    True
    >>> svg.count("<rect")
    2
    >>> ">300</text>" in svg and ">100</text>" in svg
    True
"""

from html import escape

WIDTH = 480
BAR_AREA = 370  # the longest bar; the rest of the width holds its value
LABEL = 20  # height of the label line above a bar
BAR = 18
GAP = 14


def bar_chart(
    items: list[tuple[str, int]], *, title: str, base: int = 0
) -> str:
    """Bars for ``(label, value)`` pairs, on a linear scale starting at zero.

    The bar at index ``base`` is drawn in the muted colour (the reference).
    """
    if not items:
        raise ValueError(
            "bar_chart needs at least one (label, value) pair. Received: items=[]"
        )
    top = max(value for _, value in items) or 1
    row = LABEL + BAR + GAP
    height = row * len(items)
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
            'role="img" aria-labelledby="chart-title">'
        ),
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    for i, (label, value) in enumerate(items):
        y = i * row
        length = max(round(BAR_AREA * value / top), 1)
        css = "bar base" if i == base else "bar"
        parts += [
            f'<text x="0" y="{y + LABEL - 6}">{escape(label)}</text>',
            (
                f'<rect class="{css}" x="0" y="{y + LABEL}" width="{length}" height="{BAR}" '
                f'rx="2"><title>{escape(label)}: {value:,}</title></rect>'
            ),
            f'<text x="{length + 6}" y="{y + LABEL + BAR - 4}">{value:,}</text>',
        ]
    parts.append("</svg>")
    return "".join(parts)
