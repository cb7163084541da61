"""The built site in a real browser: every page, offline, at desktop and phone widths.

The site is built once (``built_site`` in conftest.py), served on 127.0.0.1 and
opened in Debian's headless Chromium through Playwright (never a downloaded
browser). Each page must load with no console error, no failed request and no
request to any other host; math must be MathML, with no TeX left for a reader to
see; and no code block, table or display formula may hide part of itself
sideways (see `OVERFLOW`). Screenshots are kept in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Request,
    Route,
    ViewportSize,
    expect,
    sync_playwright,
)

# Debian's package; CHROMIUM=/path/to/chromium points elsewhere (never a downloaded browser).
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "screenshots"
VIEWPORTS: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 390, "height": 844},
}
# Pages whose formulas must come out as MathML.
MATH_PAGES = {
    "",
    "tutorial/",
    "posted-code/",
    "fewer-parameters/",
    "formulas/",
    "conv-arithmetic/",
    "resnet-block/",
    "exercises/",
}
TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\frac|\\cdot|\\left|\\lfloor|\\mathrm")

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing in CI; .ci/run installs Debian's chromium package.")
    pytest.skip(
        f"{CHROMIUM} not found: install Debian's chromium package (apt-get install chromium) "
        "or set CHROMIUM to a Chromium binary to run the browser test; in CI it always runs.",
        allow_module_level=True,
    )


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Serve without logging each request."""


@pytest.fixture(scope="module")
def base_url(built_site: Path) -> Iterator[str]:
    """The built site, served over HTTP on 127.0.0.1 (a free port)."""
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, started once for this module."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=ARGS, headless=True
        )
        yield chromium
        chromium.close()


def _pages(site: Path) -> list[str]:
    """Every page of the site as a path relative to its root (``""`` is Home)."""
    paths = [p.parent.relative_to(site).as_posix() for p in site.rglob("index.html")]
    return [*sorted("" if p == "." else f"{p}/" for p in paths), "404.html"]


def _slug(path: str) -> str:
    return path.strip("/").replace("/", "-").removesuffix(".html") or "home"


class Visit:
    """One page load: everything that went wrong, recorded while it happened."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.problems: list[str] = []
        self.host = urlparse(base_url).netloc
        page.on("console", self.on_console)
        page.on("pageerror", lambda err: self.problems.append(f"page error: {err}"))
        page.on("requestfailed", self.on_failed)
        page.on("response", self.on_response)
        page.route("**/*", self.on_route)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def on_failed(self, request: Request) -> None:
        if urlparse(request.url).netloc == self.host:
            self.problems.append(f"request failed: {request.url} ({request.failure})")

    def on_response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def on_route(self, route: Route) -> None:
        url = urlparse(route.request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.netloc != self.host:
            self.problems.append(f"request to another host: {route.request.url}")
            route.abort()
        else:
            route.continue_()


# The article's visible text, without code (where TeX may legitimately be shown as code).
VISIBLE_PROSE = """() => {
    const article = document.querySelector("article") || document.body;
    const copy = article.cloneNode(true);
    copy.querySelectorAll("pre, code, script, style").forEach((el) => el.remove());
    return copy.textContent;
}"""
# Rendered math only: a formula in an inactive content tab or a closed answer is not drawn.
MATH_SIZES = """() => Array.from(document.querySelectorAll("article math"))
    .filter((m) => m.checkVisibility())
    .map((m) => {
        const box = m.getBoundingClientRect();
        return [box.width, box.height];
    })"""


# Every code block, table and display formula whose content is wider than its box
# (scrollWidth > clientWidth + 1) or that sticks out of the screen, with whether
# it shows a scroll cue. The design
# (docs/assets/extra.css): at 1280 px nothing may overflow (code wraps at the
# column, tables fit) but a printed table (a code block with a rule line, which
# docs/hooks.py marks "columns"), which keeps its lines; on a phone, tables become
# stacked cards and must not overflow either, while code blocks and display
# formulas may scroll inside their box. What scrolls must show a scroll cue: the
# edge shadows, drawn as gradient backgrounds, that appear where content is hidden.
OVERFLOW = """() => Array.from(document.querySelectorAll(
    "article pre, article pre > code, article table, article .md-typeset__scrollwrap, "
    + "article div.math"
), (el) => {
    const box = el.getBoundingClientRect();
    const outside = box.left < -1 || box.right > document.documentElement.clientWidth + 1;
    if (el.scrollWidth <= el.clientWidth + 1 && !outside) return null;
    const tag = el.tagName.toLowerCase() + (el.classList.length ? "." + el.classList[0] : "");
    const cue = getComputedStyle(el).backgroundImage.includes("gradient");
    const text = el.textContent.trim().replace(/\\s+/g, " ").slice(0, 60);
    const columns = tag === "code" && el.closest(".columns") !== null;
    return {tag, cue, columns, scrolls: (tag === "code" || tag.startsWith("div.math")),
            text: `${tag} ${el.scrollWidth} px in ${el.clientWidth} px: ${text}`};
}).filter((x) => x)"""


# Select every content tab labelled PyTorch (pymdownx.tabbed: a radio input per label);
# the number selected. Hidden tabs have no size, so the checks run again on these.
SELECT_TORCH = """() => {
    const labels = Array.from(document.querySelectorAll("article .tabbed-labels > label"))
        .filter((label) => label.textContent.trim() === "PyTorch");
    labels.forEach((label) => { document.getElementById(label.htmlFor).checked = true; });
    return labels.length;
}"""


def _overflow(page: Page, viewport: str) -> list[str]:
    """What is cut off sideways at this width (allowed where it scrolls with a cue)."""
    found = page.evaluate(OVERFLOW)
    if viewport == "phone":
        found = [f for f in found if not (f["scrolls"] and f["cue"])]
    else:
        found = [f for f in found if not (f["columns"] and f["cue"])]
    return [f"overflows: {f['text']}" for f in found]


SHOT_HEIGHT = 8000
"""Screenshots stop there: the top of a long reference page is what a reader looks at."""


# Text drawn over other text, spilling out of its box or cut off (one function,
# evaluated in the page through the DevTools protocol, which the site's
# Content-Security-Policy does not restrict).
TEXT_LAYOUT = (Path(__file__).parent / "text_layout.js").read_text(encoding="utf-8")


def page_layout(page: Page, viewport: str) -> list[str]:
    """Overflow, overlapping or cut text, unsized math and sideways scrolling, as drawn now."""
    problems = _overflow(page, viewport)
    problems += page.evaluate(TEXT_LAYOUT)
    sizes = page.evaluate(MATH_SIZES)
    if any(w <= 0 or h <= 0 for w, h in sizes):
        problems.append(f"a MathML element renders with no size: {sizes}")
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"):
        problems.append("the page scrolls sideways (something is wider than the screen)")
    return problems


# Every link's target, hidden tabs and closed answers included.
LINKS = """() => Array.from(document.querySelectorAll("a[href]"), (a) => a.href)"""


@functools.cache
def _ids(file: Path) -> frozenset[str]:
    return frozenset(re.findall(r'\bid="([^"]+)"', file.read_text(encoding="utf-8")))


def _dead_links(page: Page, base_url: str, site: Path) -> list[str]:
    """Links into the site whose page or anchor the built site does not have."""
    dead = []
    for href in sorted(set(page.evaluate(LINKS))):
        url = urlparse(href)
        if not href.startswith(base_url):
            continue
        file = site / url.path.lstrip("/")
        if url.path.endswith("/"):
            file /= "index.html"
        if not file.is_file():
            dead.append(f"dead link: {href}")
        elif (
            url.fragment
            and "=" not in url.fragment  # a page's own parameters (the playground's #code=)
            and file.suffix == ".html"
            and url.fragment not in _ids(file)
        ):
            dead.append(f"dead anchor: {href}")
    return dead


def _visit(
    browser: Browser,
    base_url: str,
    path: str,
    viewport: str,
    site: Path | None = None,
    **context: Any,
) -> list[str]:
    ctx = browser.new_context(viewport=VIEWPORTS[viewport], **context)
    try:
        page = ctx.new_page()
        visit = Visit(page, base_url)
        # Every page's own files load before its "load" event; what comes later (the
        # search worker and its index) is the same on every page: watched on the home page
        # until the network is idle (and by test_search_works_offline).
        page.goto(base_url + path, wait_until="networkidle" if path == "" else "load")
        problems = list(visit.problems)
        tex = TEX.findall(page.evaluate(VISIBLE_PROSE))
        if tex:
            problems.append(f"raw TeX visible: {sorted(set(tex))}")
        if path in MATH_PAGES and not page.locator("article math").count():
            problems.append("no MathML element on a page with formulas")
        problems += page_layout(page, viewport)
        if site is not None:
            problems += _dead_links(page, base_url, site)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        scheme = context.get("color_scheme", "light")
        suffix = "" if scheme == "light" else f"-{scheme}"
        height = min(page.evaluate("document.documentElement.scrollHeight"), SHOT_HEIGHT)
        width = VIEWPORTS[viewport]["width"]
        shot = ARTIFACTS / f"{_slug(path)}-{viewport}{suffix}.png"
        page.screenshot(
            path=shot, full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height}
        )
        if page.evaluate(SELECT_TORCH):
            problems += [f"PyTorch tabs: {p}" for p in page_layout(page, viewport)]
        return [f"{path or '/'} ({viewport}{suffix}): {p}" for p in problems]
    finally:
        ctx.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_page_loads_offline_with_math(
    browser: Browser, base_url: str, built_site: Path, viewport: str
) -> None:
    pages = _pages(built_site)
    assert {"", "tutorial/", "posted-code/", "fewer-parameters/", "reference/api/"} <= set(pages)
    problems = [
        p for path in pages for p in _visit(browser, base_url, path, viewport, site=built_site)
    ]
    assert problems == []


def test_dark_palette(browser: Browser, base_url: str) -> None:
    """The home page in the dark palette (the reader's system preference)."""
    assert _visit(browser, base_url, "", "desktop", color_scheme="dark") == []
    assert (ARTIFACTS / "home-desktop-dark.png").stat().st_size > 0


def test_search_works_offline(browser: Browser, base_url: str) -> None:
    ctx = browser.new_context(viewport=VIEWPORTS["desktop"])
    try:
        page = ctx.new_page()
        visit = Visit(page, base_url)
        page.goto(base_url, wait_until="networkidle")
        page.keyboard.press("/")  # Material's shortcut to the search box
        meta = page.locator(".md-search-result__meta")
        expect(meta).to_have_text("Type to start searching", timeout=20_000)  # index loaded
        page.locator(".md-search__input").press_sequentially("flatten")
        expect(meta).to_have_text(re.compile(r"\d+ matching documents?"))
        titles = page.locator(".md-search-result__item").all_inner_texts()
        assert any("Count a CNN" in t for t in titles), titles
        assert visit.problems == []
    finally:
        ctx.close()


def test_the_checks_can_fail(browser: Browser, base_url: str, built_site: Path) -> None:
    """A page with raw TeX, an off-site request and a missing file is reported on all three."""
    bad = built_site / "bad-page"
    bad.mkdir(exist_ok=True)
    (bad / "index.html").write_text(
        "<html><body><article><p>\\(\\frac{a}{b}\\)</p>"
        '<img src="https://example.com/x.png"><img src="missing.png">'
        f"<pre><code>{'wide ' * 400}</code></pre><table><tr><td>{'w' * 900}</td></tr></table>"
        # text over text, text cut off, links to nothing
        "<div style='position: relative; height: 3em'><p style='position: absolute'>first</p>"
        "<p style='position: absolute'>second</p></div>"
        "<div style='overflow: hidden; width: 5em'><p style='width: 40em'>cut words</p></div>"
        "<a href='../no-such-page/'>a</a><a href='../#no-such-anchor'>b</a>"
        # a PyTorch tab whose table overflows only once it is selected, as in Material
        "<style>.tabbed-block + .tabbed-block { display: none; } "
        "#torch:checked ~ .tabbed-content .tabbed-block + .tabbed-block { display: block; }"
        "</style><div class='tabbed-set'><input id='keras' type='radio' name='t' checked>"
        "<input id='torch' type='radio' name='t'><div class='tabbed-labels'>"
        "<label for='keras'>Keras</label><label for='torch'>PyTorch</label></div>"
        "<div class='tabbed-content'><div class='tabbed-block'>fits</div><div class='tabbed-block'>"
        f"<table><tr><td>{'t' * 900}</td></tr></table></div></div></div>"
        "</article></body></html>",
        encoding="utf-8",
    )
    try:
        problems = "\n".join(_visit(browser, base_url, "bad-page/", "desktop", site=built_site))
    finally:
        (bad / "index.html").unlink()
        bad.rmdir()
        (ARTIFACTS / "bad-page-desktop.png").unlink(missing_ok=True)
    assert "raw TeX visible" in problems
    assert "request to another host: https://example.com/x.png" in problems
    assert "HTTP 404" in problems
    assert "overflows: pre " in problems
    assert "overflows: table" in problems
    assert "PyTorch tabs: overflows: table" in problems
    assert 'p "first" overlaps p "second"' in problems
    assert 'p "cut words" is cut off by div' in problems
    assert "dead link: " + base_url + "no-such-page/" in problems
    assert "dead anchor: " + base_url + "#no-such-anchor" in problems


def test_a_card_label_running_into_the_next_cell_is_found(browser: Browser, base_url: str) -> None:
    """The formula sheet's phone cards as they were drawn before: each column's name beside
    its cell, absolutely placed, so that a name on two lines ran into the next cell's."""
    ctx = browser.new_context(viewport=VIEWPORTS["phone"], bypass_csp=True)
    try:
        page = ctx.new_page()
        page.goto(base_url + "formulas/", wait_until="load")
        assert page.evaluate(TEXT_LAYOUT) == []
        page.add_style_tag(
            content=".md-typeset table[data-cards] td:not(:first-child) "
            "{ display: block; position: relative; padding-left: 36%; } "
            ".md-typeset table[data-cards] td:not(:first-child)::before "
            "{ position: absolute; left: 0; width: 33%; }"
        )
        problems = "\n".join(page.evaluate(TEXT_LAYOUT))
        assert 'the label "Parameters, in symbols" overlaps the label "In numbers"' in problems
    finally:
        ctx.close()


def test_a_scroll_cue_is_required_on_a_phone(browser: Browser, base_url: str) -> None:
    """On a phone a wide code block is accepted only when its box shows the scroll cue."""
    ctx = browser.new_context(viewport=VIEWPORTS["phone"])
    try:
        page = ctx.new_page()
        page.goto(base_url, wait_until="networkidle")
        page.evaluate(
            """() => {
            const article = document.querySelector("article");
            article.insertAdjacentHTML("beforeend", "<pre id='wide'><code>" + "x".repeat(400)
                + "</code></pre>");
        }"""
        )
        assert _overflow(page, "phone") == []  # the site's CSS gives it the cue
        page.evaluate("document.querySelector('#wide > code').style.background = 'none'")
        (problem,) = _overflow(page, "phone")
        assert problem.startswith("overflows: code "), problem
    finally:
        ctx.close()


def test_the_copy_button_copies_a_sessions_code_only(browser: Browser, base_url: str) -> None:
    """Copying a ``>>>`` block gives code that runs: no prompts, no output (docs/hooks.py)."""
    ctx = browser.new_context(viewport=VIEWPORTS["desktop"])
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url.rstrip("/"))
    try:
        page = ctx.new_page()
        visit = Visit(page, base_url)
        page.goto(base_url + "costs/", wait_until="load")
        block = page.locator("article div.language-pycon").first
        shown = block.locator("code").inner_text().splitlines()
        block.hover()
        block.locator("button[data-md-type=copy]").click()
        expect(page.locator(".md-dialog")).to_have_text("Copied to clipboard")
        copied = page.evaluate("navigator.clipboard.readText()").splitlines()
        prompts = [line[4:] for line in shown if line.startswith((">>> ", "... "))]
        assert copied == prompts
        assert len(copied) < len(shown)  # the block shows output, which is not copied
        compile("\n".join(copied), "copied", "exec")  # only compiled, never run
        assert visit.problems == []
    finally:
        ctx.close()
