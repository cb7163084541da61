"""The playground's assets (docs/playground_build.py): the Pyodide check and the wheel."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import pytest

import cnnexplain

DOCS = Path(__file__).parents[2] / "docs"


def _build_module() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("playground_build", DOCS / "playground_build.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_missing_pyodide_is_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build = _build_module()
    monkeypatch.setattr(build, "PYODIDE", tmp_path / "node_modules" / "pyodide")
    with pytest.raises(build.MissingPyodideError) as err:
        build.check_pyodide()
    assert "node_modules/pyodide is missing: run `npm ci`" in str(err.value)
    (tmp_path / "node_modules" / "pyodide").mkdir(parents=True)
    with pytest.raises(build.MissingPyodideError, match=r"pyodide\.asm\.wasm.* missing"):
        build.check_pyodide()


def test_wheel_is_complete_and_runs(tmp_path: Path) -> None:
    wheel = _build_module().write_wheel(tmp_path, cnnexplain.__version__)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = f"cnnexplain-{cnnexplain.__version__}.dist-info"
        record = archive.read(f"{info}/RECORD").decode().splitlines()
        for line in record:
            name, digest, size = line.rsplit(",", 2)
            if name.endswith("RECORD"):
                continue
            data = archive.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == f"sha256={expected.decode()}", name
            assert int(size) == len(data), name
    sources = {
        p.relative_to(DOCS.parent).as_posix()
        for p in (DOCS.parent / "cnnexplain").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert sources <= names
    assert {f"{info}/METADATA", f"{info}/WHEEL", "cnnexplain/py.typed"} <= names
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import cnnexplain; "
        "assert cnnexplain.__file__.startswith(sys.argv[1]), cnnexplain.__file__; "
        "from cnnexplain._explain_code.playground import run; "
        "print(run('import keras\\nm = keras.Sequential([keras.Input((4,)), "
        "keras.layers.Dense(2)])')['result']['models'][0]['total'])"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", code, str(wheel)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "10"


def test_snapshot_needs_node_in_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = _build_module()
    wheel = build.write_wheel(tmp_path, cnnexplain.__version__)
    monkeypatch.setattr(build, "SNAPSHOT_CACHE", tmp_path / "cache")
    monkeypatch.setattr(build.shutil, "which", lambda _: None)
    with pytest.raises(build.MissingPyodideError, match=r"`node` is not on the PATH"):
        build.write_snapshot(tmp_path, wheel)
    failing = tmp_path / "node-failing"
    failing.write_text("#!/bin/sh\necho 'Error: no pyodide here' >&2\nexit 3\n")
    failing.chmod(0o755)
    with pytest.raises(
        build.MissingPyodideError, match=r"failed \(exit 3\): Error: no pyodide here"
    ):
        build.write_snapshot(tmp_path, wheel, node=str(failing))


def test_snapshot_is_made_once_per_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The snapshot script runs again only when the wheel (the sources) changes."""
    build = _build_module()
    monkeypatch.setattr(build, "SNAPSHOT_CACHE", tmp_path / "cache")
    calls = tmp_path / "calls"
    node = tmp_path / "node-fake"  # writes its 4th argument, as the real script does
    node.write_text(f'#!/bin/sh\necho run >> {calls}\nprintf "%s" "$3" > "$4"\n')
    node.chmod(0o755)
    site = tmp_path / "site"
    wheel = build.write_wheel(site, cnnexplain.__version__)
    first = build.write_snapshot(site, wheel, node=str(node))
    assert first == site / "assets" / "playground-snapshot.bin"
    assert first.read_text() == str(wheel)
    build.write_snapshot(site, wheel, node=str(node))
    assert calls.read_text().splitlines() == ["run"]
    wheel.write_bytes(wheel.read_bytes() + b"changed")
    build.write_snapshot(site, wheel, node=str(node))
    assert calls.read_text().splitlines() == ["run", "run"]
    assert len(list((tmp_path / "cache").iterdir())) == 1  # the stale one is removed
