"""Guard: the pages never hand-type a count that a live block could compute.

Every page of the built site is read; in its article, any number with four or
more digits, or with a thousands separator (``5408``, ``540,900``), must sit in

- the output of a live block: ``<div class="live">``, which ``docs/hooks.py``
  wraps around every markdown-exec block;
- a marked quotation: a ``quote`` admonition (``!!! quote``) or an element of
  class ``quoted`` (``<q class="quoted">...</q>``);
- a ``pycon`` snippet, whose output the tests compare (tests/site/test_docs.py and
  ``--doctest-modules`` for docstrings).

Text in ``alt``, ``title`` and ``aria-label`` attributes counts as prose too.
docs/contributing.md documents the convention.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

NUMBER = re.compile(r"(?<![\w.,/])(?:\d{1,3}(?:,\d{3})+|\d{4,})(?!\w|[.,]\d)")
VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
READ_ATTRIBUTES = ("alt", "title", "aria-label")


def _exempt(tag: str, classes: set[str]) -> bool:
    return (
        tag in ("script", "style")
        or bool(classes & {"live", "quoted", "language-pycon"})
        or {"admonition", "quote"} <= classes
    )


class ProseNumbers(HTMLParser):
    """Collects the numbers of an article that are neither live, quoted nor doctested."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, exempt) of each open element
        self.article = 0  # depth inside <article>
        self.chunks: list[str] = []
        self.found: list[str] = []

    @property
    def exempt(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        classes = set((values.get("class") or "").split())
        if tag == "article":
            self.article += 1
        exempt = self.exempt or _exempt(tag, classes)
        if self.article and not exempt:
            for name in READ_ATTRIBUTES:
                self._scan(values.get(name) or "", f"{tag} {name}")
        if tag not in VOID:
            self._flush()
            self.stack.append((tag, exempt))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if self.article and not self.exempt:
            for name in READ_ATTRIBUTES:
                self._scan(values.get(name) or "", f"{tag} {name}")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or not any(t == tag for t, _ in self.stack):
            return
        self._flush()
        while self.stack:
            if self.stack.pop()[0] == tag:
                break
        if tag == "article":
            self.article -= 1

    def handle_data(self, data: str) -> None:
        if self.article and not self.exempt:
            self.chunks.append(data)

    def _flush(self) -> None:
        """Scan the text gathered since the last tag boundary outside math.

        Inside ``<math>`` one number may be split over elements (``542``, ``,``,
        ``230``), so the text of a whole formula is scanned as one.
        """
        if any(t == "math" for t, _ in self.stack):
            return
        self._scan("".join(self.chunks), "text")
        self.chunks = []

    def _scan(self, text: str, where: str) -> None:
        for match in NUMBER.finditer(text):
            start, end = max(match.start() - 50, 0), match.end() + 50
            context = " ".join(text[start:end].split())
            self.found.append(f"{match[0]!r} in {where}: ...{context}...")

    def close(self) -> None:
        super().close()
        self.stack.clear()
        self._flush()


def hand_typed_numbers(html: str) -> list[str]:
    """Each hand-typed number of a page, with the text around it.

    Examples:
        >>> hand_typed_numbers('<article><p>It has 542230 parameters.</p></article>')
        ["'542230' in text: ...It has 542230 parameters...."]
        >>> hand_typed_numbers('<article><div class="live"><p>542,230</p></div></article>')
        []
    """
    parser = ProseNumbers()
    parser.feed(html)
    parser.close()
    return parser.found


def _pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_no_hand_typed_counts_in_the_built_pages(built_site: Path) -> None:
    pages = _pages(built_site)
    assert len(pages) >= 6
    offenders = [
        f"{page.relative_to(built_site)}: {found}"
        for page in pages
        for found in hand_typed_numbers(page.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "hand-typed numbers (see docs/contributing.md):\n" + "\n".join(
        offenders
    )


def test_the_pages_do_show_computed_and_quoted_counts(built_site: Path) -> None:
    """The guard has something to guard: counts appear, inside live output and quotes."""
    home = (built_site / "index.html").read_text(encoding="utf-8")
    assert '<div class="live" data-live="home-seed">' in home
    assert "542,230" in home
    assert 'class="admonition quote"' in home


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<article><p>a 5408-long vector</p></article>", ["5408"]),
        ("<article><p>540,900 weights</p></article>", ["540,900"]),
        ('<article><img alt="1,010 parameters" src="x.png"></article>', ["1,010"]),
        ('<article><p title="542230">x</p></article>', ["542230"]),
        ("<article><math><mn>542</mn><mo>,</mo><mn>230</mn></math></article>", ["542,230"]),
        ("<article><td>320</td><td>1</td></article>", []),
        ("<article><p>small: 320, 0.01, 3.15.1 and 999</p></article>", []),
        ("<p>outside the article: 542230</p>", []),
        ('<article><div class="admonition quote"><p>541988</p></div></article>', []),
        ('<article><p>we counted <q class="quoted">541988</q></p></article>', []),
        ('<article><div class="language-pycon"><pre>542230</pre></div></article>', []),
        (
            '<article><div class="live"><svg><text>90,678</text></svg></div><p>5408</p></article>',
            ["5408"],
        ),
    ],
)
def test_the_guard(html: str, expected: list[str]) -> None:
    assert [f.split("'")[1] for f in hand_typed_numbers(html)] == expected
