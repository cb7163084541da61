"""Hostile names from a file, through every renderer: shown as text, never interpreted.

The model is a JSON config (what the command line reads from a downloaded file), whose
layer names, model name and one class name are markup, LaTeX commands, terminal escape
sequences, a bidi override and a 1,000-character name. Each output is checked the way
its reader would take it: the Markdown rendered by Python-Markdown (with the site's
extensions) and by markdown-it (CommonMark), the HTML and SVG parsed, the LaTeX
tokenized, the text searched for control characters. ``to_dict()`` and JSON keep every
name whole.
"""

from __future__ import annotations

import json
import re
import tracemalloc
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import markdown as python_markdown  # type: ignore[import-untyped]
import pytest
from markdown_it import MarkdownIt

import cnnexplain
from cnnexplain import spec
from cnnexplain._cli import main
from cnnexplain._escape import shorten, visible

LONG = "long" * 250  # 1,000 characters: files refuse names over 1,024 (_files/limits.py)
HOSTILE = (
    "<img src=x onerror=alert(1)>",
    "`code`",
    "**bold** _em_ snake_case",
    "[link](javascript:x)",
    r"\input{/etc/passwd}",
    "^^5c",
    "~",
    "%",
    "\x1b[31mred\x1b[0m",
    "\u202eevil",
    "{: onclick=alert(1)}",
    "a|b</td><script>alert(1)</script>",
    "# heading\n- item",
    "\x9b31m&amp;\x07",
    LONG,
)
MODEL_NAME = "<b onmouseover=alert(1)>m</b>\x1b]0;title\x07"
CUSTOM = "<img src=y onerror=alert(2)> _e_ [a](javascript:b) {:.c} $x$"
"""The name of the layer without a rule: its note carries it outside a code span."""
KIND = "[x](javascript:alert(1))_**\x1b[2J\u202e"
"""A class name no rule covers (a ``>`` would make it a registered name, cut at the ``>``)."""

CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Control characters a terminal would act on (newline excepted: lines are ours)."""


def _config() -> dict[str, Any]:
    layers = [spec.Input((4,))] + [spec.Dense(2, name=f"d{i}") for i in range(len(HOSTILE))]
    config = spec.Sequential(layers, name="m").config()
    for layer, name in zip(config["layers"][1:], HOSTILE, strict=True):
        layer["config"]["name"] = name
    config["layers"].append({"class_name": KIND, "config": {"name": CUSTOM}})
    config["name"] = MODEL_NAME
    return {"class_name": "Sequential", "config": config}


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "hostile.json"
    path.write_text(json.dumps(_config()), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def breakdown(path: Path) -> cnnexplain.Breakdown:
    return cnnexplain.explain(path)


@pytest.fixture(scope="module")
def diagnosis(breakdown: cnnexplain.Breakdown) -> cnnexplain.Diagnosis:
    counts = [row.params - 2 for row in breakdown.rows if row.params]  # biases left out
    return cnnexplain.diagnose(breakdown, per_layer=counts)


def _shown(name: str) -> str:
    """How a table shows a name: shortened, its control characters escaped."""
    return visible(shorten(name))


# --- terminal text ------------------------------------------------------------------------------


def _assert_terminal_safe(text: str) -> None:
    assert CONTROL.search(text) is None, repr(CONTROL.search(text))
    assert max(len(line) for line in text.splitlines()) < 400


@pytest.mark.parametrize(
    "render",
    [
        lambda b, _: b.to_text(),
        lambda b, _: b.to_text(expand=True, full_formula=True),
        lambda b, _: b.costs().to_text(),
        lambda _, d: str(d),
    ],
    ids=["text", "text-full", "costs", "diagnosis"],
)
def test_text_shows_control_characters_escaped(
    breakdown: cnnexplain.Breakdown,
    diagnosis: cnnexplain.Diagnosis,
    render: Callable[[Any, Any], str],
) -> None:
    text = render(breakdown, diagnosis)
    _assert_terminal_safe(text)
    assert r"\x1b[31mred\x1b[0m" in text
    assert shorten(LONG) in text


def test_text_table_shows_every_name(breakdown: cnnexplain.Breakdown) -> None:
    text = breakdown.to_text()
    assert _shown(MODEL_NAME) in text
    for name in (*HOSTILE, KIND):
        assert _shown(name) in text


def test_text_goldens(
    breakdown: cnnexplain.Breakdown,
    diagnosis: cnnexplain.Diagnosis,
    golden: Callable[[str, str], None],
) -> None:
    golden("hostile.txt", breakdown.to_text() + "\n")
    golden("hostile_costs.txt", breakdown.costs().to_text() + "\n")
    golden("hostile_diagnose.txt", str(diagnosis) + "\n")


# --- Markdown -----------------------------------------------------------------------------------


class _Elements(HTMLParser):
    """Every element and attribute of an HTML fragment, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[tuple[str, str]] = set()
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes |= {(tag, name) for name, _ in attrs}

    def handle_data(self, data: str) -> None:
        self.text += data


def _elements(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser


_TABLE_TAGS = {"table", "thead", "tbody", "tr", "th", "td", "code", "strong", "p", "ul", "li", "br"}
"""What the renderers write themselves; a name adds no element (no img, a, em, span...)."""
_TABLE_ATTRIBUTES = {("th", "style"), ("td", "style"), ("th", "align"), ("td", "align")}


def _python_markdown(text: str) -> str:
    """The site's Markdown (mkdocs.yml): tables, attr_list (attributes!), md_in_html, math."""
    extensions = ["tables", "attr_list", "md_in_html", "pymdownx.arithmatex"]
    configs = {"pymdownx.arithmatex": {"generic": True}}
    return str(python_markdown.markdown(text, extensions=extensions, extension_configs=configs))


def _commonmark(text: str) -> str:
    return str(MarkdownIt("commonmark", {"html": True}).enable("table").render(text))


def _markdowns(b: cnnexplain.Breakdown, d: cnnexplain.Diagnosis) -> dict[str, str]:
    return {
        "breakdown": b.to_markdown(),
        "expanded": b.to_markdown(expand=True, full_formula=True),
        "costs": b.costs().to_markdown(),
        "diagnosis": d.to_markdown(),
    }


@pytest.mark.parametrize("renderer", [_python_markdown, _commonmark], ids=["python", "commonmark"])
@pytest.mark.parametrize("which", ["breakdown", "expanded", "costs", "diagnosis"])
def test_markdown_renders_names_as_text(
    breakdown: cnnexplain.Breakdown,
    diagnosis: cnnexplain.Diagnosis,
    renderer: Callable[[str], str],
    which: str,
) -> None:
    text = _markdowns(breakdown, diagnosis)[which]
    _assert_terminal_safe(text)
    found = _elements(renderer(text))
    assert found.tags <= _TABLE_TAGS, found.tags - _TABLE_TAGS
    assert found.attributes <= _TABLE_ATTRIBUTES, found.attributes - _TABLE_ATTRIBUTES
    names = (
        tuple(f.layer for f in diagnosis.findings)
        if which == "diagnosis"
        else tuple(row.name for row in breakdown.rows)
    )
    assert len(names) >= len(HOSTILE)
    for name in names:  # shown literally, neither interpreted nor lost
        assert _shown(name) in found.text, name
    if which == "diagnosis":
        assert _shown(MODEL_NAME) in found.text
    else:
        assert _shown(KIND) in found.text
    assert renderer(text).count("<tr>") == 1 + len(names)  # no row split by a | or a newline


def test_markdown_goldens(
    breakdown: cnnexplain.Breakdown,
    diagnosis: cnnexplain.Diagnosis,
    golden: Callable[[str, str], None],
) -> None:
    golden("hostile.md", breakdown.to_markdown())
    golden("hostile_costs.md", breakdown.costs().to_markdown())
    golden("hostile_diagnose.md", diagnosis.to_markdown())


# --- LaTeX --------------------------------------------------------------------------------------

_LATEX_TOKEN = re.compile(r"\\(?:textbackslash\{\}|[{}$&#_%]|\^\{\}|~\{\})|[^\\{}$&#^_%~]")
_LATEX_PLAIN = {
    r"\textbackslash{}": "\\",
    r"\^{}": "^",
    r"\~{}": "~",
}


def _latex_cell(cell: str) -> str:
    """A cell read back, asserting it holds only characters and escaped specials."""
    tokens = _LATEX_TOKEN.findall(cell)
    assert "".join(tokens) == cell, cell
    return "".join(_LATEX_PLAIN.get(t, t[-1] if t.startswith("\\") else t) for t in tokens)


def test_latex_escapes_the_ten_special_characters(
    breakdown: cnnexplain.Breakdown, golden: Callable[[str, str], None]
) -> None:
    latex = breakdown.to_latex()
    _assert_terminal_safe(latex)
    body = latex.split("\\midrule\n")[1].split("\\bottomrule")[0].splitlines()
    assert len(body) == len(breakdown.rows)
    for line, row in zip(body, breakdown.rows, strict=True):
        cell = re.split(r"(?<!\\) & ", line)[0]
        assert _latex_cell(cell) == f"{_shown(row.name)} ({_shown(row.kind)})"
    assert r"\input" not in latex.replace(r"\textbackslash{}input", "")
    assert "^^" not in latex
    golden("hostile.tex", latex)


# --- HTML, SVG ----------------------------------------------------------------------------------


def test_html_and_svg_show_names_as_text(breakdown: cnnexplain.Breakdown) -> None:
    html = breakdown._repr_html_()
    found = _elements(html)
    assert found.tags <= {*_TABLE_TAGS, "b", "thead"}, found.tags
    assert {name for _, name in found.attributes} <= {"style"}
    for row in breakdown.rows:
        assert _shown(row.name) in found.text
    svg = breakdown.to_svg()
    root = ET.fromstring(svg)  # noqa: S314 - our own output; well-formed: no control character
    tags = {element.tag.rpartition("}")[2] for element in root.iter()}
    drawing = {"svg", "title", "desc", "style", "defs", "marker", "path", "rect", "text", "line"}
    assert tags <= drawing, tags - drawing
    attributes = {name for element in root.iter() for name in element.attrib}
    assert not [name for name in attributes if name.lower().startswith(("on", "href"))]
    texts = "".join(root.itertext())
    for row in breakdown.rows:
        assert _shown(row.name) in texts
    assert CONTROL.search(svg) is None


# --- whole names in data ------------------------------------------------------------------------


def test_to_dict_and_json_keep_every_name_whole(
    breakdown: cnnexplain.Breakdown, path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = breakdown.to_dict()
    assert [row["name"] for row in data["rows"]] == [*HOSTILE, CUSTOM]
    assert data["name"] == MODEL_NAME
    assert data["rows"][-1]["kind"] == KIND
    assert main([str(path), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    _assert_terminal_safe(err)
    assert CONTROL.search(out) is None  # the JSON escapes them: \u001b, \u202e
    assert json.loads(out) == data


# --- the command line ---------------------------------------------------------------------------

RUNNING = ",".join(str(8 + 4 * i) for i in range(len(HOSTILE)))
"""A hand count as running totals, every bias left out (see `diagnosis`)."""


@pytest.mark.parametrize(
    "flags",
    [
        [],
        ["--expand", "--formula", "--costs", "--diagnose", RUNNING],
        ["--format", "markdown", "--costs"],
        ["--format", "latex"],
        ["--format", "svg"],
    ],
    ids=["text", "text-extras", "markdown", "latex", "svg"],
)
def test_command_line_writes_no_control_character(
    path: Path, capsys: pytest.CaptureFixture[str], flags: list[str]
) -> None:
    assert main([str(path), *flags]) == 0
    out, err = capsys.readouterr()
    assert CONTROL.search(out) is None
    assert CONTROL.search(err) is None
    assert CUSTOM in err  # the warning naming the layer without a rule
    assert r"\x1b[2J\u202e" in err


def test_command_line_error_names_the_layer_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config()
    config["config"]["layers"][1]["config"]["units"] = -3
    config["config"]["layers"][1]["config"]["name"] = "\x1b[31mred\u202e"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    assert main([str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert CONTROL.search(err) is None
    assert r"\x1b[31mred\u202e" in err


# --- a name of a million characters -------------------------------------------------------------


def test_a_million_character_name_costs_no_more_than_a_short_one() -> None:
    """Every row used to be padded to the longest name: 100 rows x 1 MB."""
    layers: list[Any] = [spec.Input((4,))]
    layers += [spec.Dense(2, name=f"dense_{i}") for i in range(100)]
    layers.append(spec.Dense(2, name="n" * 1_000_000))
    b = cnnexplain.explain(spec.Sequential(layers, name="big"))
    renders: list[Callable[[], str]] = [b.to_text, b.to_markdown, b.to_latex, b.costs().to_text]
    for render in renders:
        tracemalloc.start()
        text = render()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 5_000_000, (render, peak)
        assert len(text) < 100_000
    assert b.to_dict()["rows"][-1]["name"] == "n" * 1_000_000


# --- one escaping module ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    [
        "_render/tables",
        "_render/costs",
        "_render/svg",
        "_diagnose/diagnosis",
        "_diagnose/findings",
        "_cli",
    ],
)
def test_renderers_escape_through_the_one_module(module: str) -> None:
    """No renderer keeps its own copy of an escaping table: each imports `cnnexplain._escape`."""
    source = (Path(cnnexplain.__file__).parent / f"{module}.py").read_text(encoding="utf-8")
    for copy in ("html.escape", "import html", 'replace("|"', "replace('|'", "_LATEX_SPECIAL"):
        assert copy not in source, (module, copy)
