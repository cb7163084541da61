"""The Exercises page's Check forms: a typed count opens the playground, which diagnoses it.

Each Keras exercise has a form (docs/examples/exercises.py, ``check_form``) whose
Check opens the playground with the exercise's code and the typed count
(docs/assets/exercises.js, through the playground's ``#code=``/``#counts=`` link
contract). The built page is read for the forms; then a wrong count is typed in
Debian's headless Chromium, and the playground's answer is compared with
CPython's on the same code and count.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import load_example
from playwright.sync_api import Browser, expect
from test_site import ARTIFACTS, VIEWPORTS, Visit, base_url, browser  # noqa: F401 - fixtures

from cnnexplain._explain_code.playground import run

exercises = load_example("exercises")
FORM = re.compile(
    r'<form class="exercise-check" action="\.\./playground/" data-code="(?P<code>[^"]+)">'
    r'<label for="exercise-(?P<number>\d+)-count">'
)


def test_every_keras_exercise_has_a_form_with_its_code(built_site: Path) -> None:
    page = (built_site / "exercises" / "index.html").read_text(encoding="utf-8")
    forms = {int(m["number"]): unquote(m["code"]) for m in FORM.finditer(page)}
    assert forms == {
        i: exercises.playground_code(e) for i, e in enumerate(exercises.EXERCISES, start=1)
    }
    assert '<script src="../assets/exercises.js"></script>' in page
    assert (built_site / "assets" / "exercises.js").is_file()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_wrong_count_is_diagnosed_in_the_playground(
    browser: Browser,  # noqa: F811 - the fixture
    base_url: str,  # noqa: F811 - the fixture
    viewport: str,
) -> None:
    exercise = exercises.EXERCISES[0]
    code = exercises.playground_code(exercise)
    (row,) = exercise.model().explain().rows
    wrong = str(row.params - row.output_shape[-1])  # the biases, one per filter, left out
    ctx = browser.new_context(viewport=VIEWPORTS[viewport])
    try:
        page = ctx.new_page()
        visit = Visit(page, base_url)
        page.goto(base_url + "exercises/", wait_until="networkidle")
        form = page.locator("form.exercise-check").first
        expect(form).to_be_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        form.screenshot(path=ARTIFACTS / f"exercises-check-{viewport}.png")
        page.fill("#exercise-1-count", wrong)
        form.get_by_role("button", name="Check").click()
        page.wait_for_url(re.compile(r"/playground/#code="))
        expect(page.locator("#playground-output")).to_have_attribute(
            "data-run", "1", timeout=120_000
        )
        assert page.input_value("#playground-code") == code
        assert page.input_value("#playground-counts") == wrong
        answer = page.evaluate("document.getElementById('playground-output').playgroundAnswer")
        assert answer == run(code, wrong)
        assert answer["result"]["diagnosis"]["gap"] == row.output_shape[-1]
        text = page.inner_text("#playground-output")
        assert "missing bias" in text
        assert f"{row.params:,}" in text
        page.screenshot(path=ARTIFACTS / f"exercises-check-playground-{viewport}.png")
        assert visit.problems == []
    finally:
        ctx.close()
