"""Benchmark: the playground page in headless Chromium, cold start to ready and time per run.

Serves a built site on 127.0.0.1 and opens ``playground/`` in Debian's Chromium
(a fresh browser each time, so nothing is cached), then prints

- the cold time to ready: from the first use of the form (Python starts then)
  to the worker's "ready" (Pyodide restored from the site's snapshot, or
  started, the cnnexplain wheel unpacked, every module imported), with the
  worker's stages, best and median of ``--cold`` fresh browsers;
- the time per run: pressing Explain on the question's corrected code with the
  running totals 288, 540988, 541988 until the answer is on the page, and the
  part spent in Python, median and worst of ``--runs`` runs in one page.

Goals: ready within 4 s on 2 cores, each run under 200 ms. The machine's load
average is printed too: on a shared machine both figures grow with it, so the
CPU time Chromium's processes spend getting ready is printed as well.

Run: ``.venv/bin/python benchmarks/bench_playground.py [--site DIR] [--cold N] [--runs N]``
(without ``--site``, the site is built first with ``mkdocs build --strict``).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "docs"))
from examples.playground import corrected_source  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
READY_GOAL_S, RUN_GOAL_MS = 4.0, 200.0


def _wait_ready(page: Page) -> None:
    """Until Python has started (the pages' CSP forbids the eval wait_for_function needs)."""
    status = page.locator("#playground-status")
    expect(status).to_have_attribute("data-state", "ready", timeout=120_000)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """No request log."""


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """The site on 127.0.0.1 (a free port)."""
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/playground/"
    finally:
        server.shutdown()
        server.server_close()


def _descendants_cpu() -> float:
    """CPU seconds (user + system) used so far by this process's descendants still alive.

    Chromium's processes are this benchmark's grandchildren (through Playwright's
    driver); on a shared machine their CPU time says more than wall time does.
    """
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / tick
    ours, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - ours
        ours |= frontier
    return sum(times[pid] for pid in ours)


def cold_start(browser: Browser, url: str) -> dict[str, Any]:
    """Open the page in a fresh context; the page's own timings once the worker is ready."""
    ctx = browser.new_context()
    try:
        page = ctx.new_page()
        page.goto(url)
        cpu = _descendants_cpu()
        page.focus("#playground-code")  # Python starts at the first use of the form
        _wait_ready(page)
        timings = page.evaluate("window.playgroundTimings")
        timings["cpu"] = _descendants_cpu() - cpu
        return timings
    finally:
        ctx.close()


def runs(browser: Browser, url: str, n: int) -> list[dict[str, float]]:
    """Press Explain ``n`` times on the corrected code and the question's running totals."""
    ctx = browser.new_context()
    try:
        page = ctx.new_page()
        page.goto(url)
        page.focus("#playground-code")
        _wait_ready(page)
        page.fill("#playground-code", corrected_source())
        page.fill("#playground-counts", "288, 540988, 541988")
        for i in range(1, n + 1):
            page.click("#playground-run")
            expect(page.locator("#playground-output")).to_have_attribute("data-run", str(i))
        return page.evaluate("window.playgroundTimings.runs")
    finally:
        ctx.close()


def build_site() -> Path:
    site = Path(tempfile.mkdtemp(prefix="cnnexplain-site-"))
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=True,
        capture_output=True,
    )
    return site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build one)")
    parser.add_argument("--cold", type=int, default=3, help="fresh browsers to time")
    parser.add_argument("--runs", type=int, default=10, help="runs to time in one page")
    args = parser.parse_args()
    site = args.site or build_site()
    load = os.getloadavg()
    with serve(site) as url, sync_playwright() as p:
        readies = []
        for _ in range(args.cold):
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            try:
                readies.append(cold_start(browser, url))
            finally:
                browser.close()
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            timed = runs(browser, url, args.runs)
        finally:
            browser.close()
    ready_s = sorted((t["ready"] - t["started"]) / 1000 for t in readies)
    best = min(readies, key=lambda t: t["ready"] - t["started"])["worker"]
    total = [r["ms"] for r in timed]
    python = [r["python"] for r in timed]
    print(f"load average before: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} ({os.cpu_count()} CPUs)")
    print(
        f"cold time to ready: best {ready_s[0]:.2f} s, median {statistics.median(ready_s):.2f} s "
        f"of {len(ready_s)} fresh browsers (goal < {READY_GOAL_S:.0f} s)"
    )
    cpu = sorted(t["cpu"] for t in readies)
    print(
        f"  CPU time of Chromium's processes from the first use to ready: best {cpu[0]:.2f} s, "
        f"median {statistics.median(cpu):.2f} s (what the start costs, whatever the load)"
    )
    print(
        "  worker stages of the best (ms from worker start): "
        + ", ".join(
            f"{k} {v:.0f}" if isinstance(v, float | int) and not isinstance(v, bool) else f"{k} {v}"
            for k, v in best.items()
        )
    )
    print(
        f"time per run: median {statistics.median(total):.0f} ms, worst {max(total):.0f} ms "
        f"(Python: median {statistics.median(python):.0f} ms) over {len(total)} runs "
        f"(goal < {RUN_GOAL_MS:.0f} ms)"
    )
    print(
        f"ready/goal: {ready_s[0] / READY_GOAL_S:.2f}; run/goal: "
        f"{statistics.median(total) / RUN_GOAL_MS:.2f}"
    )


if __name__ == "__main__":
    main()
