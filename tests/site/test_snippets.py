"""Every Python block a page shows runs as copied, and prints what the page shows.

The code is read from the BUILT pages (``built_site``), as a reader sees it:
each ``language-python`` block of the article, in page order (a block inside a
collapsed ``???`` note counts too). A block is complete, or its first line is
`CONTINUES`, and then it runs after the previous block, in its namespace: the
page says so where the reader can see it. Each page's blocks run in one fresh
Python interpreter (a subprocess, in an empty directory, with only the
repository on ``sys.path``: no ``docs/examples``), each complete block in a
fresh namespace. Where the page shows a block's printed output (a live block
with ``source="above"`` and a text or console result), the output must be what
the block prints.

A block in a content tab other than a set's first (the "PyTorch" tab beside a
"Keras" one) belongs to that tab's chain: it continues only the previous block
of a tab with the same label, and the blocks after the tab set continue the
page's main chain as if the tab were not there.

``pycon`` snippets are doctests, checked by tests/site/test_docs.py.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
CONTINUES = "# Continues the previous block."

_TOKEN = re.compile(
    r'<div class="live" data-live="(?P<live>[^"]*)">'
    # docs/hooks.py may add a class (columns) and an attribute (data-copy)
    r'|<div class="language-(?P<lang>[\w-]+) highlight[^"]*"[^>]*>'
    r'(?:<span class="filename">.*?</span>)?'
    r"<pre>(?:<span></span>)?<code>(?P<code>.*?)</code></pre></div>",
    re.DOTALL,
)
_TAG = re.compile(r"<[^>]+>")
_OUTPUT = {"text", "console"}


@dataclass
class Block:
    """One visible Python block, and the output the page shows for it (if any)."""

    code: str
    shown_output: str | None = None
    chain: str = ""  # the label of the tab it sits in, if not a tab set's first

    @property
    def continues(self) -> bool:
        """Whether the block says it runs after the previous one."""
        return self.code.startswith(CONTINUES)


def _text(code_html: str) -> str:
    return html.unescape(_TAG.sub("", code_html))


_TABS = re.compile(
    r'<div class="(?P<cls>[^"]*)"[^>]*>|</div>|<label for="[^"]*">(?P<label>.*?)</label>', re.DOTALL
)


def tab_chains(article: str) -> list[tuple[int, int, str]]:
    """``(start, end, label)`` of each tab of a content tab set but the first.

    Examples:
        >>> html = (
        ...     '<div class="tabbed-set tabbed-alternate"><div class="tabbed-labels">'
        ...     '<label for="a">Keras</label><label for="b">PyTorch</label></div>'
        ...     '<div class="tabbed-content"><div class="tabbed-block">K</div>'
        ...     '<div class="tabbed-block">T</div></div></div>'
        ... )
        >>> [(html[s:e], label) for s, e, label in tab_chains(html)]
        [('<div class="tabbed-block">T</div>', 'PyTorch')]
    """
    spans: list[tuple[int, int, str]] = []
    # Each open div: its kind ("set", "block" or ""), where it starts, and for a
    # set its labels and the number of its tab blocks closed so far.
    stack: list[tuple[str, int]] = []
    sets: list[tuple[list[str], list[int]]] = []
    for match in _TABS.finditer(article):
        if match["label"] is not None and sets:
            sets[-1][0].append(_text(match["label"]).strip())
        elif match["cls"] is not None:
            classes = match["cls"].split()
            kind = next((k for k in ("set", "block") if f"tabbed-{k}" in classes), "")
            if kind == "set":
                sets.append(([], [0]))
            stack.append((kind, match.start()))
        elif stack:
            kind, start = stack.pop()
            if kind == "set":
                sets.pop()
            elif kind == "block" and sets:
                labels, closed = sets[-1]
                if closed[0]:
                    spans.append((start, match.end(), labels[closed[0]]))
                closed[0] += 1
    return spans


def visible_blocks(page_html: str) -> list[Block]:
    """The visible Python blocks of a built page, in order, with their shown output.

    Examples:
        >>> page = (
        ...     '<div class="live" data-live="x"><div class="language-python highlight">'
        ...     '<pre><span></span><code><span class="nb">print</span>(1)</code></pre></div>'
        ...     '<div class="language-text highlight"><pre><span></span><code>1\\n'
        ...     "</code></pre></div></div>"
        ... )
        >>> visible_blocks(page)
        [Block(code='print(1)', shown_output='1\\n', chain='')]
    """
    article = page_html.split("<article", 1)[-1].split("</article>", 1)[0]
    tabs = tab_chains(article)
    blocks: list[Block] = []
    previous: str | None = None  # the token before: "live", a language, or None
    for match in _TOKEN.finditer(article):
        lang = match["lang"]
        if lang is None:
            previous = "live"
            continue
        if lang == "python":
            # A live block's source comes first in its output; any other block is static.
            where = match.start()
            inside = [(s, label) for s, e, label in tabs if s <= where < e]
            chain = max(inside)[1] if inside else ""  # the innermost tab
            blocks.append(Block(_text(match["code"]), chain=chain))
            blocks[-1].code = blocks[-1].code.rstrip("\n")
            previous = "python-after-live" if previous == "live" else "python"
            continue
        if lang in _OUTPUT and previous == "python-after-live":
            blocks[-1].shown_output = _text(match["code"])
        previous = lang
    return blocks


# Runs in the fresh interpreter: reads the page's blocks (JSON) on stdin, runs them,
# and writes one result per block (JSON) on stdout.
RUNNER = r"""
import contextlib, io, json, sys, traceback
blocks = json.load(sys.stdin)
out, namespaces = [], {}
for i, block in enumerate(blocks):
    if block["chain"] not in namespaces or not block["continues"]:
        namespaces[block["chain"]] = {"__name__": "__main__"}
    namespace = namespaces[block["chain"]]
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            exec(compile(block["code"], f"<block {i + 1}>", "exec"), namespace)
    except BaseException:
        out.append({"stdout": buffer.getvalue(), "error": traceback.format_exc(limit=-3)})
        break
    out.append({"stdout": buffer.getvalue(), "error": None})
sys.__stdout__.write(json.dumps(out))
"""


def run_page(blocks: list[Block], cwd: Path) -> list[dict[str, str | None]]:
    """Run one page's blocks in a fresh interpreter; one result per block run."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "KERAS_BACKEND": "tensorflow",
        "PYTHONWARNINGS": "ignore",
    }
    data = json.dumps(
        [{"code": b.code, "continues": b.continues, "chain": b.chain} for b in blocks]
    )
    result = subprocess.run(
        [sys.executable, "-c", RUNNER],
        input=data,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    results: list[dict[str, str | None]] = json.loads(result.stdout)
    return results


def problems_of(page: str, blocks: list[Block], results: list[dict[str, str | None]]) -> list[str]:
    """What went wrong on one page: a block that failed, or printed something else."""
    problems = []
    if blocks and blocks[0].continues:
        problems.append(f"{page}: its first Python block says it continues a previous one")
    for i, (block, result) in enumerate(zip(blocks, results, strict=False), start=1):
        first = block.code.splitlines()[0] if block.code else ""
        if result["error"]:
            problems.append(f"{page}, block {i} ({first!r}) fails:\n{result['error']}")
        elif block.shown_output is not None:
            printed = str(result["stdout"])
            if printed.rstrip() != block.shown_output.rstrip():
                problems.append(
                    f"{page}, block {i} ({first!r}) prints\n{printed}\nbut the page shows\n"
                    f"{block.shown_output}"
                )
    return problems


@pytest.fixture(scope="module")
def pages(built_site: Path) -> dict[str, list[Block]]:
    """The visible Python blocks of every built page that has some."""
    found = {}
    for path in sorted(built_site.rglob("*.html")):
        blocks = visible_blocks(path.read_text(encoding="utf-8"))
        if blocks:
            found[path.relative_to(built_site).as_posix()] = blocks
    return found


def test_every_visible_python_block_runs_as_copied(
    pages: dict[str, list[Block]], tmp_path: Path
) -> None:
    assert {"index.html", "tutorial/index.html", "diagnose/index.html"} <= set(pages)
    assert {"mistakes/index.html", "layers/index.html", "cli/index.html"} <= set(pages)

    def run(page: str) -> list[str]:
        cwd = tmp_path / page.replace("/", "-")
        cwd.mkdir()
        return problems_of(page, pages[page], run_page(pages[page], cwd))

    with ThreadPoolExecutor(max_workers=2) as pool:
        problems = [p for found in pool.map(run, sorted(pages)) for p in found]
    assert problems == [], "\n\n".join(problems)


def test_shown_output_is_compared(pages: dict[str, list[Block]]) -> None:
    """The home page's 'Try it' block shows what it prints, so its output is compared."""
    shown = [b for b in pages["index.html"] if b.shown_output is not None]
    assert shown
    assert shown[0].shown_output is not None
    assert 'Model: "tiny"' in shown[0].shown_output


def test_a_snippet_that_needs_unseen_code_fails(tmp_path: Path) -> None:
    """The checker can fail: a hidden import, a missing marker and a wrong output."""
    blocks = [
        Block("from examples.seed import define_model"),
        Block("x = 6 * 7"),
        Block("print(x)"),
        Block(f"{CONTINUES}\nprint(x)", shown_output="41"),
    ]
    problems = problems_of("page.html", blocks, run_page(blocks, tmp_path))
    assert len(problems) == 1
    assert "No module named 'examples'" in problems[0]
    later = problems_of("page.html", blocks[1:], run_page(blocks[1:], tmp_path))
    assert "block 2 ('print(x)') fails" in later[0]
    assert "NameError: name 'x' is not defined" in later[0]
    last = problems_of("p", [blocks[1], blocks[3]], run_page([blocks[1], blocks[3]], tmp_path))
    assert last == [f"p, block 2 ('{CONTINUES}') prints\n42\n\nbut the page shows\n41"]


def test_a_pytorch_tab_keeps_its_own_chain(tmp_path: Path) -> None:
    """The block after a tab set continues the main chain, a PyTorch block its own."""
    blocks = [
        Block("model = 'keras'"),
        Block("net = 'torch'", chain="PyTorch"),
        Block(f"{CONTINUES}\nprint(model, 'net' in dir())", shown_output="keras False"),
        Block(
            f"{CONTINUES}\nprint(net, 'model' in dir())",
            shown_output="torch False",
            chain="PyTorch",
        ),
    ]
    assert problems_of("p", blocks, run_page(blocks, tmp_path)) == []
    page = (
        '<article><div class="tabbed-set tabbed-alternate"><div class="tabbed-labels">'
        '<label for="a">Keras</label><label for="b">PyTorch</label></div>'
        '<div class="tabbed-content"><div class="tabbed-block">'
        '<div class="language-python highlight"><pre><code>a = 1</code></pre></div></div>'
        '<div class="tabbed-block">'
        '<div class="language-python highlight"><pre><code>b = 2</code></pre></div></div>'
        "</div></div>"
        '<div class="language-python highlight"><pre><code>c = 3</code></pre></div></article>'
    )
    assert [(b.code, b.chain) for b in visible_blocks(page)] == [
        ("a = 1", ""),
        ("b = 2", "PyTorch"),
        ("c = 3", ""),
    ]
