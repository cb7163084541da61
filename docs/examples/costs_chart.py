"""Where a model's costs sit: one 100 % bar per measure, split by layer, as a static SVG.

No script and no third-party library: the SVG is written here, while the site
builds. Text uses ``currentColor``, so it follows the light and dark palettes;
each segment's ``<title>`` gives its exact figure and share.

Examples:
    >>> svg = share_chart(
    ...     [("Parameters", [("a", 300), ("b", 100)]), ("MACs", [("a", 1), ("b", 3)])],
    ...     title="Shares",
    ...     chart_id="demo",
    ... )
    >>> svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    True
    >>> svg.count('<rect class="segment"')
    4
    >>> "a: 300 (75.0%)" in svg and "b: 3 (75.0%)" in svg
    True
"""

from html import escape

WIDTH = (
    480  # small, so that text stays readable when a phone scales the chart down
)
LABEL = 20  # the measure's name, above its bar
BAR = 24
ROW = LABEL + BAR + 14
LEGEND_ROW = 22
LEGEND_COLUMNS = 3
MIN_TEXT = 46  # narrowest segment that prints its share inside
PALETTE = (
    "#3b6ea8",
    "#d9822b",
    "#4f9a5b",
    "#b54a4a",
    "#7a5ca8",
    "#8c6d46",
    "#c2589b",
    "#5f7a8a",
)


def percent(part: float, whole: float) -> str:
    """A share, with the one rounding rule of the whole site.

    One decimal from 1% up, two significant digits below, so a small share
    never shows as 0.0% and the same share reads the same everywhere.

    Examples:
        >>> percent(540900, 542230), percent(320, 542230), percent(0, 5)
        ('99.8%', '0.059%', '0%')
    """
    share = 100 * part / whole
    if share == 0 or share >= 1:
        return f"{share:.1f}%" if share else "0%"
    return f"{share:.2g}%"


def share_chart(
    measures: list[tuple[str, list[tuple[str, int]]]],
    *,
    title: str,
    chart_id: str,
) -> str:
    """One bar per ``(measure, [(label, value), ...])``, each split into its labels' shares.

    A label keeps its colour in every bar; labels whose values are all zero are
    left out. ``chart_id`` makes the SVG's element ids unique on its page.
    """
    labels: list[str] = []
    for _, items in measures:
        labels += [label for label, _ in items if label not in labels]
    labels = [
        label
        for label in labels
        if any(v for _, items in measures for x, v in items if x == label)
    ]
    if not labels:
        raise ValueError(
            f"share_chart has nothing to draw: every value is 0. Received: {title!r}"
        )
    colour = {
        label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)
    }
    legend_rows = -(-len(labels) // LEGEND_COLUMNS)
    height = ROW * len(measures) + 4 + LEGEND_ROW * legend_rows
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
            f'role="img" aria-labelledby="{chart_id}-title" font-size="13" '
            'style="width:100%;max-width:640px;height:auto">'
        ),
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    for i, (measure, items) in enumerate(measures):
        y = i * ROW
        total = sum(value for _, value in items)
        parts.append(
            f'<text x="0" y="{y + LABEL - 6}" fill="currentColor">{escape(measure)}</text>'
        )
        x = 0.0
        for label, value in items:
            if not value or not total:
                continue
            share = value / total
            width = WIDTH * share
            tip = f"{label}: {value:,} ({percent(value, total)})"
            parts.append(
                f'<rect class="segment" x="{x:.1f}" y="{y + LABEL}" width="{max(width, 0.5):.1f}" '
                f'height="{BAR}" fill="{colour[label]}"><title>{escape(tip)}</title></rect>'
            )
            if width >= MIN_TEXT:
                parts.append(
                    f'<text x="{x + width / 2:.1f}" y="{y + LABEL + BAR - 7}" fill="#fff" '
                    f'text-anchor="middle">{percent(value, total)}</text>'
                )
            x += width
    top = ROW * len(measures) + 4
    for j, label in enumerate(labels):
        lx = (j % LEGEND_COLUMNS) * (WIDTH // LEGEND_COLUMNS)
        ly = top + (j // LEGEND_COLUMNS) * LEGEND_ROW
        parts += [
            f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{colour[label]}"/>',
            f'<text x="{lx + 18}" y="{ly + 11}" fill="currentColor">{escape(label)}</text>',
        ]
    parts.append("</svg>")
    return "".join(parts)
