"""The playground page's assets, put into the built site by docs/hooks.py.

- Pyodide, from the npm package ``pyodide`` pinned in package.json (``npm ci``
  installs it into node_modules/): the files a browser needs to start Python,
  copied to ``assets/pyodide/``; the site serves them itself, never a CDN.
- cnnexplain, as a wheel built from this checkout (``assets/cnnexplain.whl``):
  the worker unpacks it into Pyodide's file system, with no package download.
- a memory snapshot of Pyodide with that wheel imported and warmed up
  (``assets/playground-snapshot.bin``, gzip-compressed), made by Node.js with
  ``docs/playground_snapshot.mjs``: the worker restores it instead of starting
  Python and importing cnnexplain, which is most of the time to ready. It is
  cached in ``node_modules/.cache/`` by the hash of the wheel, the Pyodide
  version and the script, so a rebuild with unchanged sources costs nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

ROOT = Path(__file__).parent.parent
PYODIDE = ROOT / "node_modules" / "pyodide"
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
    "package.json",
)
WHEEL = "cnnexplain.whl"
SNAPSHOT = "playground-snapshot.bin"
SNAPSHOT_SCRIPT = Path(__file__).parent / "playground_snapshot.mjs"
SNAPSHOT_CACHE = ROOT / "node_modules" / ".cache" / "cnnexplain"


class MissingPyodideError(RuntimeError):
    """node_modules/pyodide is missing or incomplete."""


def check_pyodide() -> str:
    """The installed Pyodide version, after checking it is the one package.json pins.

    Raises:
        MissingPyodideError: in one sentence saying what to run.
    """
    wanted = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["dependencies"][
        "pyodide"
    ]
    if not PYODIDE.is_dir():
        raise MissingPyodideError(
            f"The playground page needs Pyodide {wanted} from npm, but node_modules/pyodide "
            f"is missing: run `npm ci` in {ROOT} first."
        )
    missing = [name for name in PYODIDE_FILES if not (PYODIDE / name).is_file()]
    if missing:
        raise MissingPyodideError(
            f"The playground page needs Pyodide {wanted} in node_modules/pyodide "
            f"({', '.join(missing)} missing): run `npm ci` in {ROOT} first."
        )
    found = json.loads((PYODIDE / "package.json").read_text(encoding="utf-8"))["version"]
    if found != wanted:
        raise MissingPyodideError(
            f"The playground page needs Pyodide {wanted} (package.json) but "
            f"node_modules/pyodide holds {found}: run `npm ci` in {ROOT} first."
        )
    return str(found)


def copy_pyodide(site: Path) -> None:
    """Copy the files Pyodide loads to ``site/assets/pyodide/`` (unchanged ones are kept)."""
    target = site / "assets" / "pyodide"
    target.mkdir(parents=True, exist_ok=True)
    for name in PYODIDE_FILES:
        source, copy = PYODIDE / name, target / name
        if not copy.exists() or copy.stat().st_size != source.stat().st_size:
            shutil.copyfile(source, copy)


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


def write_wheel(site: Path, version: str) -> Path:
    """Build the cnnexplain wheel (pure Python, no dependencies) from this checkout's sources."""
    package = ROOT / "cnnexplain"
    info = f"cnnexplain-{version}.dist-info"
    files: dict[str, bytes] = {}
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".typed"):
            files[path.relative_to(ROOT).as_posix()] = path.read_bytes()
    files[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: cnnexplain\nVersion: {version}\n"
        "Summary: Where every parameter of a neural network comes from, with the formula.\n"
    ).encode()
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: docs/playground_build.py\n"
        b"Root-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = [f"{name},{_record_hash(data)},{len(data)}" for name, data in files.items()]
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    wheel = site / "assets" / WHEEL
    wheel.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            entry = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            archive.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED)
    return wheel


def write_snapshot(site: Path, wheel: Path, node: str | None = None) -> Path:
    """Write ``site/assets/playground-snapshot.bin``: Pyodide with ``wheel`` imported.

    Made by ``node docs/playground_snapshot.mjs`` (a few seconds), or copied from
    the cache when the wheel, the Pyodide version and the script are unchanged.

    Raises:
        MissingPyodideError: in one sentence, if Node.js is not on the PATH or the
            script fails.
    """
    node = node or shutil.which("node")
    if node is None:
        raise MissingPyodideError(
            "The playground page's start-up snapshot is made with Node.js, but `node` is "
            "not on the PATH: install Node.js 20 (it comes with npm, which `npm ci` needs too)."
        )
    key = hashlib.sha256()
    for part in (wheel.read_bytes(), (PYODIDE / "package.json").read_bytes()):
        key.update(hashlib.sha256(part).digest())
    key.update(SNAPSHOT_SCRIPT.read_bytes())
    cached = SNAPSHOT_CACHE / f"snapshot-{key.hexdigest()[:32]}.bin"
    if not cached.is_file():
        SNAPSHOT_CACHE.mkdir(parents=True, exist_ok=True)
        for old in SNAPSHOT_CACHE.glob("snapshot-*.bin"):
            old.unlink()
        done = subprocess.run(  # noqa: S603 - our own script, run by the node found on PATH
            [node, str(SNAPSHOT_SCRIPT), str(PYODIDE), str(wheel), str(cached)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not cached.is_file():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1][:300]
            raise MissingPyodideError(
                f"Making the playground's Pyodide snapshot with {SNAPSHOT_SCRIPT.name} failed "
                f"(exit {done.returncode}): {last}"
            )
    target = site / "assets" / SNAPSHOT
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cached, target)
    return target
