"""The GitHub workflows, checked offline: schema, zizmor's audits and our own rules.

- ``check-jsonschema --builtin-schema vendor.github-workflows`` validates each
  file against the schema it ships (no download);
- ``zizmor --offline`` audits them (pinned actions, permissions, credentials,
  template injection...), with the pedantic persona;
- the tests below pin down what the Pages deployment needs and no more.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML ships no stubs; mkdocs brings it

ROOT = Path(__file__).parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
BIN = Path(sys.executable).parent
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, check=False, cwd=ROOT
    )


def _load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_both_workflows_exist() -> None:
    assert {p.name for p in FILES} >= {"tests.yml", "pages.yml"}


def test_schema() -> None:
    result = _run(BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *FILES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing() -> None:
    result = _run(BIN / "zizmor", "--offline", "--persona", "pedantic", *FILES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_zizmor_can_fail(tmp_path: Path) -> None:
    """The audit is live: an unpinned action that keeps its credentials is reported."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "name: bad\non: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: actions/checkout@v4\n",
        encoding="utf-8",
    )
    result = _run(BIN / "zizmor", "--offline", bad)
    assert result.returncode != 0
    assert "unpinned-uses" in result.stdout
    assert "artipacked" in result.stdout


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_actions_are_pinned_and_checkouts_drop_credentials(path: Path) -> None:
    for step in _steps(_load(path)):
        if "uses" in step:
            assert PINNED.match(step["uses"]), step["uses"]
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_pages_least_permissions() -> None:
    pages = _load(WORKFLOWS / "pages.yml")
    assert pages["permissions"] == {}
    jobs = pages["jobs"]
    assert jobs["build"]["permissions"] == {"contents": "read"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["deploy"]["needs"] == "build"
    assert jobs["deploy"]["environment"]["name"] == "github-pages"
    uses = [step.get("uses", "").split("@")[0] for step in _steps(pages)]
    assert "actions/upload-pages-artifact" in uses
    assert "actions/deploy-pages" in uses
    build = " ".join(step.get("run", "") for step in jobs["build"]["steps"])
    assert "mkdocs build --strict" in build


def test_tests_workflow_runs_ci_script() -> None:
    tests = _load(WORKFLOWS / "tests.yml")
    assert tests["permissions"] == {"contents": "read"}
    runs = [step.get("run", "") for step in _steps(tests)]
    assert "bash .ci/run" in runs


def test_ci_script_runs_the_readme_test_command() -> None:
    """.ci/run takes the command after ``<!-- test-command -->`` in README.md."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- test-command -->\s*```bash\n(?P<command>.+)\n```", readme)
    assert match, "README.md has no ```bash block after <!-- test-command -->"
    assert "pytest" in match["command"]
    printed = _run("bash", ROOT / ".ci" / "run", "--print-test-command")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == match["command"] + "\n"
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'bash -c "$test_command"' in script
    assert "mkdocs build --strict" in script
    assert "apt-get install" in script
    assert "chromium" in script
