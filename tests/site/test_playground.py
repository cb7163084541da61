"""The playground page in a real browser: Pyodide from the site itself, answers equal to CPython's.

The built site (``built_site``) is served on 127.0.0.1 and driven through the
page's contract ids (``#playground-code``, ``#playground-counts``,
``#playground-run``, ``#playground-output``) in Debian's headless Chromium, with
test_site.py's server, browser and request/console watch. Every answer the page
shows is compared with ``cnnexplain._explain_code.playground.run`` on the same input in
CPython: the same dict, including the view the page builds its output from. One
page load serves every case, so Pyodide starts once.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from conftest import load_example
from playwright.sync_api import Browser, Page, expect
from test_site import (  # noqa: F401 - fixtures
    ARTIFACTS,
    VIEWPORTS,
    Visit,
    base_url,
    browser,
    page_layout,
)

from cnnexplain._explain_code.playground import run

playground = load_example("playground")
STATE = "document.getElementById('playground-status').dataset.state"
ANSWER = "document.getElementById('playground-output').playgroundAnswer"
SCROLLS = "document.documentElement.scrollWidth > window.innerWidth + 1"


# The pages' Content-Security-Policy forbids eval, which page.wait_for_function needs:
# the waits below watch attributes instead (Playwright's own selectors, no eval).
def wait_ready(page: Page, timeout: float = 90_000) -> None:
    """Until Python has started (or failed to)."""
    status = page.locator("#playground-status")
    expect(status).to_have_attribute("data-state", re.compile("^(ready|failed)$"), timeout=timeout)


def wait_done(page: Page, run: int, timeout: float = 30_000) -> None:
    """Until the output shows the answer to the page's ``run``-th run."""
    expect(page.locator("#playground-output")).to_have_attribute(
        "data-run", str(run), timeout=timeout
    )


class Playground:
    """The page, loaded once; `explain` fills the fields, presses the button, returns the answer."""

    def __init__(self, page: Page, visit: Visit, requests: list[str]) -> None:
        self.page = page
        self.visit = visit
        self.requests = requests  # every URL the page and its worker asked for
        self.runs = 0

    def explain(self, code: str | None, counts: str = "", mode: str = "running") -> Any:
        if code is not None:
            self.page.fill("#playground-code", code)
        self.page.fill("#playground-counts", counts)
        self.page.select_option("#playground-mode", mode)
        self.page.click("#playground-run")
        self.runs += 1
        wait_done(self.page, self.runs)
        return self.page.evaluate(ANSWER)

    def text(self) -> str:
        return self.page.inner_text("#playground-output")


@pytest.fixture(scope="module")
def loaded(browser: Browser, base_url: str) -> Iterator[Playground]:  # noqa: F811 - fixtures
    ctx = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = ctx.new_page()
    visit = Visit(page, base_url)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(base_url + "playground/", wait_until="networkidle")
    assert page.evaluate(STATE) == "idle"
    assert not [u for u in requests if "/pyodide/" in u], "Python loads before the form is used"
    page.focus("#playground-code")  # the first use of the form starts Python
    wait_ready(page)
    yield Playground(page, visit, requests)
    ctx.close()


def test_ready_and_preloaded_with_the_posted_code(
    loaded: Playground,
    base_url: str,  # noqa: F811 - the fixture
) -> None:
    page = loaded.page
    assert page.get_attribute("#playground-status", "data-state") == "ready"
    assert page.input_value("#playground-code") == playground.posted_source()
    served = {u.removeprefix(base_url) for u in loaded.requests if u.startswith(base_url)}
    assert {
        "assets/pyodide/pyodide.asm.wasm",
        "assets/cnnexplain.whl",
        "assets/playground-snapshot.bin",
    } <= served
    stages = page.evaluate("window.playgroundTimings.worker")
    assert stages["restored"] is True, stages  # Python restored from the build's snapshot
    assert loaded.visit.problems == []  # no request to any other host, no console error


def test_without_the_snapshot_python_starts_from_scratch(
    browser: Browser,  # noqa: F811 - the fixture
    base_url: str,  # noqa: F811 - the fixture
) -> None:
    """A site served without its snapshot (or with a broken one) still works, only slower."""
    ctx = browser.new_context(viewport=VIEWPORTS["desktop"])
    try:
        page = ctx.new_page()
        visit = Visit(page, base_url)
        page.route("**/playground-snapshot.bin", lambda route: route.fulfill(status=404))
        page.goto(base_url + "playground/", wait_until="networkidle")
        page.focus("#playground-code")
        wait_ready(page)
        assert page.evaluate(STATE) == "ready"
        stages = page.evaluate("window.playgroundTimings.worker")
        assert stages["restored"] is False
        assert stages["noSnapshot"] == "the Pyodide snapshot could not be loaded (HTTP 404)"
        fresh = Playground(page, visit, [])
        code = playground.corrected_source()
        assert fresh.explain(code, "288, 540988, 541988") == run(code, "288, 540988, 541988")
        assert [p for p in visit.problems if "playground-snapshot.bin" not in p] == []
    finally:
        ctx.close()


def test_posted_code_as_posted(loaded: Playground) -> None:
    answer = loaded.explain(None)
    assert answer == run(playground.posted_source())
    text = loaded.text()
    assert "Total params: 4,630" in text
    assert "Output shape: (None, 26, 26, 10)" in text
    assert "ValueError: Argument(s) not recognized: {'lr': 0.01}" in text
    assert "TypeError: Trainer.compile() got an unexpected keyword argument 'metric'" in text
    assert loaded.page.locator("#playground-output div.math").count() == 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    loaded.page.screenshot(path=ARTIFACTS / "playground-posted-desktop.png", full_page=True)
    assert loaded.visit.problems == []


def test_corrected_code_with_the_running_totals(loaded: Playground) -> None:
    code = playground.corrected_source()
    answer = loaded.explain(code, "288, 540988, 541988")
    assert answer == run(code, "288, 540988, 541988")
    result = answer["result"]
    assert result["models"][0]["total"] == 542230
    assert result["models"][0]["formula"] == "(3·3+1)·32 + (5408+1)·100 + (100+1)·10"
    diagnosis = result["diagnosis"]
    assert diagnosis["gap"] == 242
    assert sum(f["amount"] for f in diagnosis["findings"]) == 242
    assert "Together: 32 + 100 + 100 + 10 = 242." in loaded.text()
    fragment = parse_qs(loaded.page.evaluate("location.hash").removeprefix("#"))
    assert fragment == {"code": [code], "counts": ["288, 540988, 541988"]}
    page = loaded.page
    page.screenshot(path=ARTIFACTS / "playground-corrected-desktop.png", full_page=True)
    assert page_layout(page, "desktop") == []  # no text cut off or drawn over other text
    page.set_viewport_size(VIEWPORTS["phone"])
    try:
        assert not page.evaluate(SCROLLS), "the playground scrolls sideways at 390 px"
        assert page_layout(page, "phone") == []  # the output's tables are cards
        page.screenshot(path=ARTIFACTS / "playground-corrected-phone.png", full_page=True)
    finally:
        page.set_viewport_size(VIEWPORTS["desktop"])
    assert loaded.visit.problems == []


def test_pytorch_transcription_with_the_running_totals(loaded: Playground) -> None:
    """PyTorch code runs too (no torch in the browser): the same answer as CPython's."""
    code = playground.torch_source()
    answer = loaded.explain(code, "288, 540988, 541988")
    assert answer == run(code, "288, 540988, 541988")
    result = answer["result"]
    assert result["models"][0]["total"] == 542230
    assert result["diagnosis"]["gap"] == 242
    assert "Linear(in_features=5408, out_features=100, bias=True)" in result["output"]
    assert "torch.Size([1, 10])" in result["output"]  # print(model) and print(out.shape)
    assert "Together: 32 + 100 + 100 + 10 = 242." in loaded.text()
    assert loaded.visit.problems == []


@pytest.mark.parametrize(
    ("name", "line"),
    [("functional", None), ("tf_keras", None), ("syntax", 5), ("unknown_layer", 2)],
)
def test_more_cases_equal_cpython(loaded: Playground, name: str, line: int | None) -> None:
    code = {
        "functional": FUNCTIONAL,
        "tf_keras": TF_KERAS,
        "syntax": "import keras\nmodel = keras.Sequential([\n    keras.Input((4,)),\n"
        "    keras.layers.Dense(2,\n]))\n",
        "unknown_layer": "from keras.models import Sequential\n"
        "from keras.layers import Dense, Conv2d\n",
    }[name]
    answer = loaded.explain(code)
    assert answer == run(code)
    if line is None:
        assert answer["ok"]
    else:
        assert answer["line"] == line
        error = loaded.page.inner_text("#playground-output .playground-error")
        assert error == answer["error"]
        assert error.startswith(f"Line {line}: ")
    assert loaded.visit.problems == []


FUNCTIONAL = """\
import keras
from keras import layers

inputs = keras.Input(shape=(32, 32, 3), name="image")
a = layers.Conv2D(16, 3, padding="same", name="a")(inputs)
b = layers.Conv2D(16, 1, name="b")(inputs)
x = layers.GlobalAveragePooling2D(name="gap")(layers.Add(name="add")([a, b]))
model = keras.Model(inputs, layers.Dense(10, name="out")(x), name="branchy")
"""
TF_KERAS = """\
import tensorflow as tf
from tensorflow.keras.layers import Conv2D, Flatten, Dense

model = tf.keras.Sequential([tf.keras.Input((28, 28, 1)), Conv2D(8, 3), Flatten(), Dense(10)])
model.compile(optimizer="adam", loss="mse")
"""


def test_the_fragment_opens_and_runs_an_example(loaded: Playground) -> None:
    """A link with ``#code=...&counts=...&mode=per_layer`` fills the page and runs it."""
    code = playground.corrected_source()
    page = loaded.page
    link = playground.fragment(code, per_layer=[320, 0, 0, 540900, 1010])
    page.evaluate("(fragment) => { location.hash = fragment; }", link)
    loaded.runs += 1
    wait_done(page, loaded.runs)
    assert page.input_value("#playground-code") == code
    assert page.input_value("#playground-counts") == "320,0,0,540900,1010"
    assert page.input_value("#playground-mode") == "per_layer"
    answer = page.evaluate(ANSWER)
    assert answer == run(code, "320,0,0,540900,1010", "per_layer")
    headline = answer["view"]["diagnosis"]["headline"]
    assert "The hand count matches Keras's 542,230 parameters" in headline
    assert page.inner_text("#playground-output .playground-headline") == headline
    assert loaded.visit.problems == []


def _try_it_links(html: str) -> list[dict[str, list[str]]]:
    hrefs = re.findall(r'<p class="try-it"><a href="(?:\.\./playground/)?#([^"]+)"', html)
    return [parse_qs(unescape(href)) for href in hrefs]


def test_snapshot_holds_nothing_of_the_build_machine(built_site: Path) -> None:
    """The published snapshot is Pyodide's memory: no path of the checkout, no environment."""
    memory = gzip.decompress((built_site / "assets" / "playground-snapshot.bin").read_bytes())
    assert len(memory) > 1_000_000
    assert b"cnnexplain/_explain_code/playground.py" in memory  # it does hold cnnexplain, imported
    for leak in (str(Path(__file__).parents[2]), "PYTEST_", "VIRTUAL_ENV"):
        assert leak.encode() not in memory, leak


def test_tutorial_and_mistakes_link_their_models(built_site: Path) -> None:
    tutorial = _try_it_links((built_site / "tutorial" / "index.html").read_text(encoding="utf-8"))
    assert tutorial == [
        {"code": [playground.seed_source()], "counts": ["288,540988,541988"]},
        {"code": [playground.seed_torch_source()], "counts": ["288,540988,541988"]},
    ]
    keras, torch = (run(link["code"][0], link["counts"][0]) for link in tutorial)
    assert keras["result"]["diagnosis"]["gap"] == torch["result"]["diagnosis"]["gap"] == 242
    playground_page = (built_site / "playground" / "index.html").read_text(encoding="utf-8")
    assert _try_it_links(playground_page) == [
        {"code": [playground.torch_source()], "counts": ["288,540988,541988"]}
    ]
    mistakes = (built_site / "mistakes" / "index.html").read_text(encoding="utf-8")
    links = _try_it_links(mistakes)
    cases = len(re.findall(r'data-live="mistakes-[\w-]+-check"', mistakes))  # one per case
    # a link per Keras Sequential model: none for the transformers (PyTorch) and the
    # shared layer's functional model, whose code the playground link does not write
    unlinked = mistakes.count("verified against PyTorch") + 1
    assert len(links) == cases - unlinked
    for fields in links:
        answer = run(fields["code"][0], fields["counts"][0], fields.get("mode", ["running"])[0])
        assert answer["ok"], answer
        assert answer["result"]["diagnosis"]["gap"] != 0
