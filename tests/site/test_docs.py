"""Every ``pycon`` snippet in docs/ runs, and its output is compared like a doctest.

Sybil's ``PythonCodeBlockParser`` reads only fences labelled exactly ``python``,
so `PyconParser` reads ``pycon`` fences (with or without markdown-exec options)
and feeds their text to Sybil's doctest parser. The snippets of one page share
one namespace, in page order, as a reader running them in one session would.
Docstring examples are collected separately, by ``--doctest-modules``.
"""

from __future__ import annotations

import doctest
import re
from collections.abc import Iterable
from pathlib import Path

import pytest
from sybil import Document, Region, Sybil
from sybil.evaluators.doctest import DocTestEvaluator
from sybil.parsers.abstract.doctest import DocTestStringParser
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)(?P<info>[^\n]*)$", re.MULTILINE)


class PyconParser:
    """Sybil parser: the ``>>>`` examples of every ```` ```pycon ```` fence."""

    def __init__(self, optionflags: int = 0) -> None:
        self.lexer = FencedCodeBlockLexer(
            language=r"pycon(?:[ \t][^\n]*)?", mapping={"source": "source"}
        )
        self.doctests = DocTestStringParser(DocTestEvaluator(optionflags))

    def __call__(self, document: Document) -> Iterable[Region]:
        for fence in self.lexer(document):
            source = fence.lexemes["source"]
            for region in self.doctests(source, document.path):
                region.adjust(fence, source)
                yield region


SYBIL = Sybil(parsers=[PyconParser(OPTIONS)])


def _fences(text: str) -> list[tuple[str, str]]:
    """``(info string, body)`` of every fenced block of a Markdown text."""
    blocks = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, info = match["fence"], match["info"].strip()
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        blocks.append((info, "\n".join(body)))
        i += 1
    return blocks


def _examples(page: Path) -> list[object]:
    return list(SYBIL.parse(page))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_pycon_snippets_run_and_print_what_they_show(page: Path) -> None:
    for example in _examples(page):
        example.evaluate()  # type: ignore[attr-defined]  # raises SybilFailure on a mismatch


def test_the_docs_have_pycon_snippets() -> None:
    """The parser finds snippets where there are some (a parser finding none passes silently)."""
    counted = {page.name: len(_examples(page)) for page in PAGES}
    assert counted["index.md"] >= 3, counted


def test_prompts_only_in_pycon_fences() -> None:
    """A ``>>>`` example in any other fence would be shown but never checked."""
    offenders = [
        f"{page.relative_to(DOCS)}: ```{info}"
        for page in PAGES
        for info, body in _fences(page.read_text(encoding="utf-8"))
        if re.search(r"^\s*>>> ", body, re.MULTILINE)
        and not info.startswith("pycon")
        and not info.startswith("markdown")
    ]
    assert offenders == []


def test_a_wrong_output_fails(tmp_path: Path) -> None:
    """The checker can fail: a snippet whose shown output is wrong raises."""
    page = tmp_path / "wrong.md"
    page.write_text("```pycon\n>>> 6 * 7\n41\n```\n", encoding="utf-8")
    (example,) = SYBIL.parse(page)
    with pytest.raises(Exception, match="Expected:\n    41\nGot:\n    42"):
        example.evaluate()


def test_a_live_pycon_fence_is_checked_too(tmp_path: Path) -> None:
    """markdown-exec options after ``pycon`` do not hide a snippet from the checker."""
    page = tmp_path / "live.md"
    page.write_text('```pycon exec="1" id="x"\n>>> 6 * 7\n42\n```\n', encoding="utf-8")
    assert len(list(SYBIL.parse(page))) == 1
