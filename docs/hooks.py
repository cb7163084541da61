"""MkDocs hooks: live blocks, math and the environment the site is built in.

- ``on_startup`` quiets TensorFlow and puts ``docs/`` on ``sys.path`` so live
  blocks can ``from examples.seed import define_model``.
- ``on_config`` wraps every markdown-exec block's output in
  ``<div class="live" data-live="<id>">``, so a reader of the built HTML (the
  prose-number guard, ``tests/site/test_prose_numbers.py``) knows which text was
  computed at build time; a live block without ``id=`` is reported, which fails
  a ``--strict`` build.
- ``on_page_content`` turns math written as ``$...$`` / ``$$...$$``
  (pymdownx.arithmatex, generic mode) into MathML with latex2mathml, so pages
  need no math script and no raw TeX reaches the reader. A display formula is
  cut at its top-level ``=`` and ``+`` into pieces that wrap like words, so a
  long sum breaks at "+" on a narrow screen (Chromium ignores MathML's
  ``linebreak``). Every table cell gets its column's header as ``data-label``,
  which ``extra.css`` shows when a phone stacks the rows as cards. A code block
  that prints a table (a rule line) gets the class ``columns``: it scrolls, never
  wraps; a ``pycon`` block gets ``data-copy``, its code without prompts or output,
  which Material's copy button copies (`mark_code_blocks`).
- ``on_post_page`` / ``on_post_template`` complete each page's Content-Security-Policy
  (``overrides/main.html``): the hash of every ``<style>`` element the page holds
  joins ``style-src``, and an inline script (which the policy would block) is
  reported, which fails a ``--strict`` build.
- the playground page's assets (``docs/playground_build.py``): ``on_config``
  stops the build with one sentence if ``npm ci`` has not installed Pyodide;
  ``on_post_build`` copies Pyodide into the site, writes the cnnexplain wheel and
  the snapshot of Pyodide with it imported, which the worker starts from.
"""

from __future__ import annotations

import base64
import hashlib
import html
import logging
import os
import re
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from latex2mathml import exceptions as latex_errors
from latex2mathml.converter import convert
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

DOCS = Path(__file__).parent
log = logging.getLogger("mkdocs.hooks.cnnexplain")

_MATH = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\\(?:\((?P<inline>.*?)\\\)|\[(?P<block>.*?)\\\])'
    r"</(?P=tag)>",
    re.DOTALL,
)
# latex2mathml raises one class per problem; its parser also lets these through.
_MATH_ERRORS: tuple[type[Exception], ...] = (
    *(v for v in vars(latex_errors).values() if isinstance(v, type) and issubclass(v, Exception)),
    IndexError,
    KeyError,
    ValueError,
)


def on_startup(command: str, dirty: bool) -> None:  # noqa: ARG001, FBT001
    """Run once when MkDocs starts, before any page's live blocks."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if str(DOCS) not in sys.path:
        sys.path.insert(0, str(DOCS))
    # Keras's own saving code trips NumPy 2's __array__ deprecation; not ours to fix.
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"keras(\.|$)")


def _live(fmt: Callable[..., str]) -> Callable[..., str]:
    """Wrap a markdown-exec fence formatter so its output is marked as live."""

    def live_format(
        source: str, language: str, css_class: str, options: dict[str, Any], md: Any, **kw: Any
    ) -> str:
        block_id = options.get("id", "")
        if not block_id:
            first = source.strip().splitlines()[0] if source.strip() else ""
            log.warning("A live %s block has no id= (it starts with %r).", language, first)
        out = fmt(source, language, css_class, options, md, **kw)
        wrapped = f'<div class="live" data-live="{html.escape(block_id)}">{out}</div>'
        # markdown-exec finds a block's generated headings (for the table of contents)
        # by its exact output: file them under the wrapped output too.
        if "markdown_exec_insert_headings" in md.treeprocessors:
            inserter = md.treeprocessors["markdown_exec_insert_headings"]
            if out in inserter.headings:
                inserter.headings[wrapped] = inserter.headings.pop(out)
        return wrapped

    live_format.cnnexplain_live = True  # type: ignore[attr-defined]
    return live_format


def _playground_build() -> Any:
    if str(DOCS) not in sys.path:
        sys.path.insert(0, str(DOCS))
    import playground_build  # noqa: PLC0415 - docs/playground_build.py, on the path just set

    return playground_build


@event_priority(-100)  # after markdown-exec has registered its fences
def on_config(config: Any) -> Any:
    """Check the playground's Pyodide; mark the output of every live block (module docstring)."""
    assets = _playground_build()
    try:
        assets.check_pyodide()
    except assets.MissingPyodideError as err:
        raise PluginError(str(err)) from None
    fences = config["mdx_configs"].get("pymdownx.superfences", {}).get("custom_fences", [])
    for fence in fences:
        fmt = fence.get("format")
        module = getattr(fmt, "__module__", "") or ""
        if module.startswith("markdown_exec") and not getattr(fmt, "cnnexplain_live", False):
            fence["format"] = _live(fmt)
    return config


# latex2mathml reads the thousands separator ``542{,}230`` as three tokens.
_GROUPED = re.compile(r"<mn>([\d,]+)</mn><mrow><mo>&#x0002C;</mo></mrow><mn>(\d{3})</mn>")


def latex_to_mathml(latex: str, *, block: bool = False) -> str:
    r"""MathML for a LaTeX formula, as the pages show it.

    A number grouped with ``{,}`` stays one number (``<mn>542,230</mn>``), not a
    list with a space after each comma.

    Examples:
        >>> latex_to_mathml(r"k_{h} \cdot F")  # doctest: +ELLIPSIS
        '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">...<mi>F</mi>...</math>'
        >>> latex_to_mathml("x = 1{,}234{,}567")  # doctest: +ELLIPSIS
        '...<mo>&#x0003D;</mo><mn>1,234,567</mn>...'
    """
    mathml = convert(latex.strip(), display="block" if block else "inline")
    while True:
        grouped = _GROUPED.sub(r"<mn>\1,\2</mn>", mathml)
        if grouped == mathml:
            return mathml
        mathml = grouped


_OPEN = {"{": "}", "(": ")", "[": "]"}


def split_terms(latex: str, *, products: bool = False) -> list[str]:
    r"""A formula cut before each ``=`` and ``+`` outside any bracket (and ``\cdot``).

    With ``products``, also before each ``\cdot`` outside any bracket: a long
    product (``D \cdot gates \cdot (...)``) may then wrap between its factors.

    Examples:
        >>> split_terms(r"(3 \cdot 3 + 1) \cdot 32 + (5408 + 1) \cdot 100 = 542{,}230")
        ['(3 \\cdot 3 + 1) \\cdot 32', '+ (5408 + 1) \\cdot 100', '= 542{,}230']
        >>> split_terms(r"n = \left\lfloor \frac{n - k}{s} \right\rfloor + 1")
        ['n', '= \\left\\lfloor \\frac{n - k}{s} \\right\\rfloor', '+ 1']
        >>> split_terms(r"D \cdot g \cdot (h \cdot (i + h) + 2)", products=True)
        ['D', '\\cdot g', '\\cdot (h \\cdot (i + h) + 2)']
    """
    pieces, start, depth, i = [], 0, 0, 0
    while i < len(latex):
        if latex.startswith(r"\left", i) or latex.startswith(r"\right", i):
            depth += 1 if latex.startswith(r"\left", i) else -1
            i += len(r"\left") if latex.startswith(r"\left", i) else len(r"\right")
            i += 1 if i < len(latex) and latex[i] in "([{|." else 0  # the delimiter itself
            continue
        char = latex[i]
        if products and depth == 0 and latex.startswith(r"\cdot", i) and latex[start:i].strip():
            pieces.append(latex[start:i].strip())
            start = i
        if char == "\\":
            i += 2  # an escaped character (\{, \,) is never a bracket or an operator
            continue
        if char in _OPEN:
            depth += 1
        elif char in _OPEN.values():
            depth -= 1
        elif char in "=+" and depth == 0 and latex[start:i].strip():
            pieces.append(latex[start:i].strip())
            start = i
        i += 1
    pieces.append(latex[start:].strip())
    return [p for p in pieces if p]


_LONG_PIECE = 60
"""LaTeX characters beyond which a display formula's term may also wrap between factors."""


def _display_math(latex: str) -> str:
    """A display formula as pieces that wrap between terms (each piece stays whole).

    A term longer than `_LONG_PIECE` is cut between its factors too, so that a
    long product of argument names (PyTorch's) fits a column.
    """
    pieces = [
        part
        for piece in split_terms(latex)
        for part in (split_terms(piece, products=True) if len(piece) > _LONG_PIECE else [piece])
    ]
    if len(pieces) == 1:
        return f'<div class="math">{latex_to_mathml(latex, block=True)}</div>'
    rendered = [latex_to_mathml(p, block=True) for p in pieces]
    # A piece's leading "+" or "=" joins two terms: an infix operator, spaced as one.
    rendered[1:] = [m.replace("<mo>", '<mo form="infix">', 1) for m in rendered[1:]]
    inner = "&#8203;".join(rendered)  # a break opportunity without a gap: "=" is spaced
    return f'<div class="math terms">{inner}</div>'


def _inline_math(latex: str) -> str:
    """An inline formula; a sum of several terms may wrap between them, like words."""
    pieces = split_terms(latex)
    if len(pieces) == 1:
        return f'<span class="math">{latex_to_mathml(latex)}</span>'
    rendered = [latex_to_mathml(p) for p in pieces]
    rendered[1:] = [m.replace("<mo>", '<mo form="infix">', 1) for m in rendered[1:]]
    return f'<span class="math terms">{"&#8203;".join(rendered)}</span>'


_TABLE = re.compile(r"<table>(?P<body>.*?)</table>", re.DOTALL)
_HEADER = re.compile(r"<th[^>]*>(?P<text>.*?)</th>", re.DOTALL)
_ROW = re.compile(r"<tr>(?P<cells>.*?)</tr>", re.DOTALL)
_CELL = re.compile(r"<td(?=[\s>])")
_TAG = re.compile(r"<[^>]+>")


def label_cells(html_text: str) -> str:
    """Give each body cell of a table its column's header text as ``data-label``.

    Examples:
        >>> head = "<thead><tr><th>Layer</th><th><code>n</code></th></tr></thead>"
        >>> label_cells(f"<table>{head}<tbody><tr><td>a</td><td>1</td></tr></tbody></table>")
        ... # doctest: +ELLIPSIS
        '<table data-cards><thead>...<td data-label="Layer">a</td><td data-label="n">1</td>...'
    """

    def table(match: re.Match[str]) -> str:
        body = match["body"]
        labels = [
            html.escape(html.unescape(_TAG.sub("", m["text"])).strip(), quote=True)
            for m in _HEADER.finditer(body)
        ]
        if not labels:
            return match[0]

        def row(row_match: re.Match[str]) -> str:
            column = iter(labels)
            cells = _CELL.sub(lambda _: f'<td data-label="{next(column, "")}"', row_match["cells"])
            return f"<tr>{cells}</tr>"

        return f"<table data-cards>{_ROW.sub(row, body)}</table>"

    return _TABLE.sub(table, html_text)


_CODE_BLOCK = re.compile(
    r'<div class="(?P<cls>language-[\w-]+ highlight)">(?P<pre><pre>.*?</pre>)', re.DOTALL
)
_RULE = re.compile(r"[─═━]{10,}|={10,}|-{10,}")


def pycon_input(text: str) -> str:
    """The code of a ``pycon`` session, without its prompts and its output.

    A line ``...`` continues a statement only right after a prompt: after
    output it is output (doctest's ellipsis).

    Examples:
        >>> print(pycon_input(">>> for i in [0, 1]:\\n...   print(i)\\n...\\n0\\n1\\n>>> x = 1"))
        for i in [0, 1]:
          print(i)
        <BLANKLINE>
        x = 1
    """
    lines: list[str] = []
    statement = False
    for line in text.splitlines():
        if line.startswith(">>> ") or line == ">>>":
            lines.append(line[4:])
            statement = True
        elif statement and (line.startswith("... ") or line == "..."):
            lines.append(line[4:])
        else:
            statement = False
    return "\n".join(lines)


def mark_code_blocks(html_text: str) -> str:
    """Mark code blocks for the reader: printed tables, and what a ``pycon`` copies.

    A block that prints a table (a rule line) gets the class ``columns``: it
    keeps its lines and scrolls inside its box at every width (``extra.css``);
    wrapped, its columns and rules would break apart. A ``pycon`` block gets
    ``data-copy``, which Material's copy button copies instead of the text
    shown: the code alone, ready to paste into Python.

    Examples:
        >>> table = f"<pre><code>{'─' * 20}</code></pre>"
        >>> mark_code_blocks(f'<div class="language-text highlight">{table}')
        ... # doctest: +ELLIPSIS
        '<div class="language-text highlight columns"><pre><code>──...'
        >>> mark_code_blocks('<div class="language-text highlight"><pre><code>a = 1</code></pre>')
        '<div class="language-text highlight"><pre><code>a = 1</code></pre>'
        >>> mark_code_blocks('<div class="language-pycon highlight"><pre>&gt;&gt;&gt; 1\\n1</pre>')
        '<div class="language-pycon highlight" data-copy="1"><pre>&gt;&gt;&gt; 1\\n1</pre>'
    """

    def block(match: re.Match[str]) -> str:
        text = html.unescape(_TAG.sub("", match["pre"]))
        classes = f"{match['cls']} columns" if _RULE.search(text) else match["cls"]
        copy = ""
        if match["cls"].startswith("language-pycon "):
            copy = f' data-copy="{html.escape(pycon_input(text), quote=True)}"'
        return f'<div class="{classes}"{copy}>{match["pre"]}'

    return _CODE_BLOCK.sub(block, html_text)


def on_page_content(html_text: str, page: Any, config: Any, files: Any) -> str:  # noqa: ARG001
    """Render every ``$...$`` and ``$$...$$`` of the page as MathML; label table cells."""

    def replace(match: re.Match[str]) -> str:
        block = match["block"] is not None
        latex = html.unescape(match["block"] if block else match["inline"])
        try:
            if block:
                return _display_math(latex)
            return _inline_math(latex)
        except _MATH_ERRORS as err:
            log.warning("Cannot render math %r on %s: %s", latex, page.file.src_uri, err)
            return match[0]

    return mark_code_blocks(label_cells(_MATH.sub(replace, html_text)))


def on_post_build(config: Any) -> None:
    """Put Pyodide, the cnnexplain wheel and their snapshot into the site, for the playground."""
    import cnnexplain  # noqa: PLC0415

    assets = _playground_build()
    site = Path(config["site_dir"])
    assets.copy_pyodide(site)
    wheel = assets.write_wheel(site, cnnexplain.__version__)
    try:
        assets.write_snapshot(site, wheel)
    except assets.MissingPyodideError as err:
        raise PluginError(str(err)) from None


_CSP_STYLE = "style-src 'self'"
_STYLE_ELEMENT = re.compile(r"<style(?:\s[^>]*)?>(?P<css>.*?)</style>", re.DOTALL | re.IGNORECASE)
_SCRIPT = re.compile(r"<script(?P<attrs>(?:\s[^>]*)?)>", re.IGNORECASE)
_DATA_SCRIPT = re.compile(r"""\stype=["']?application/(?:ld\+)?json""", re.IGNORECASE)


def complete_csp(output: str, where: str) -> str:
    """Add the hash of each ``<style>`` element to the page's policy; report inline scripts.

    Examples:
        >>> page = '''<meta content="style-src 'self'; img-src 'self'"><style>a{}</style>'''
        >>> print(complete_csp(page, "x.html").split(";")[0])  # doctest: +ELLIPSIS
        <meta content="style-src 'self' 'sha256-...='
    """
    for match in _SCRIPT.finditer(output):
        attrs = match["attrs"]
        if " src=" not in attrs and not _DATA_SCRIPT.search(attrs):
            log.warning(
                "%s has an inline <script>, which its Content-Security-Policy blocks.", where
            )
    hashes = sorted(
        {
            "'sha256-"
            + base64.b64encode(hashlib.sha256(m["css"].encode("utf-8")).digest()).decode()
            + "'"
            for m in _STYLE_ELEMENT.finditer(output)
        }
    )
    if not hashes:
        return output
    if _CSP_STYLE not in output:
        log.warning("%s has <style> elements but no Content-Security-Policy to allow them.", where)
        return output
    return output.replace(_CSP_STYLE, " ".join([_CSP_STYLE, *hashes]), 1)


def on_post_page(output: str, page: Any, config: Any) -> str:  # noqa: ARG001
    """Complete the page's Content-Security-Policy (`complete_csp`)."""
    return complete_csp(output, page.file.src_uri)


def on_post_template(output_content: str, template_name: str, config: Any) -> str:  # noqa: ARG001
    """Complete the Content-Security-Policy of a page made from a template alone (404.html)."""
    return complete_csp(output_content, template_name)
