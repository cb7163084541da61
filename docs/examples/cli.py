"""Run the ``cnnexplain`` command as a reader would, for the Command line page."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path


def command() -> list[str]:
    """The console script next to this Python, or ``python -m cnnexplain``."""
    script = Path(sys.executable).with_name("cnnexplain")
    return (
        [str(script)]
        if script.exists()
        else [sys.executable, "-m", "cnnexplain"]
    )


def shell(*args: str, cwd: Path, columns: int = 88) -> str:
    """A terminal transcript: the command, its output (stdout, then stderr), its exit status.

    The exit status is shown, as ``echo $?`` would, only when it is not 0.
    """
    env = {**os.environ, "COLUMNS": str(columns)}
    result = subprocess.run(  # noqa: S603 - our own command, with arguments from this page
        [*command(), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [
        f"$ cnnexplain {shlex.join(args)}",
        result.stdout.rstrip("\n"),
        result.stderr.rstrip("\n"),
    ]
    if result.returncode:
        lines += ["$ echo $?", str(result.returncode)]
    return "\n".join(line for line in lines if line)


def output(*args: str, cwd: Path) -> str:
    """What the command prints on stdout (it must succeed)."""
    result = subprocess.run(  # noqa: S603 - our own command, with arguments from this page
        [*command(), *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    return result.stdout
