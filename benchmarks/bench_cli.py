"""Benchmark: ``cnnexplain ResNet50.keras`` against loading the file in Keras, as whole processes.

Saves ResNet50 (``weights=None``, nothing is downloaded) to a temporary
``.keras`` file, then times, best of N fresh processes each:

- ``cnnexplain ResNet50.keras`` (the console script next to this Python), and
- ``python -c "import keras; keras.models.load_model(p).summary()"``,

and prints their ratio (target: the command at least 20 times faster). Both
write their table to a pipe, as in a terminal or CI log.

Run: ``.venv/bin/python benchmarks/bench_cli.py [--repeat N] [--model NAME] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
TARGET = 20.0


def best_of(command: list[str], repeat: int) -> tuple[float, float]:
    """The fastest of ``repeat`` runs of ``command`` as a fresh process: wall and CPU seconds.

    CPU time (user + system, of the process and its threads) depends less on what
    else the machine is running than wall time, so both are reported.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True, env=ENV, capture_output=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(
            after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime,
        )
    return min(walls), min(cpus)


def save(model: str, folder: Path) -> Path:
    """``keras.applications.<model>(weights=None)`` saved as ``<folder>/<model>.keras``."""
    path = folder / f"{model}.keras"
    if not path.exists():
        code = (
            "import sys, keras\n"
            "getattr(keras.applications, sys.argv[1])(weights=None).save(sys.argv[2])\n"
        )
        subprocess.run([sys.executable, "-c", code, model, str(path)], check=True, env=ENV)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each (best is kept)")
    parser.add_argument("--model", default="ResNet50", help="a keras.applications name")
    parser.add_argument("--keep", type=Path, help="save the .keras file here (and reuse it)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = save(args.model, folder)
        command = [str(Path(sys.executable).with_name("cnnexplain")), str(path)]
        load = "import sys, keras\nkeras.models.load_model(sys.argv[1]).summary()\n"
        keras_command = [sys.executable, "-c", load, str(path)]
        figures = subprocess.run(
            [*command, "--format", "json"], check=True, env=ENV, capture_output=True, text=True
        ).stdout
        t_cli = best_of(command, args.repeat)
        t_keras = best_of(keras_command, args.repeat)

    total = figures.split('"total": ', 1)[1].split(",", 1)[0]
    print(f"model: {args.model}, {int(total):,} parameters, file {path.name}")
    print(f"best of {args.repeat} fresh processes:       wall      CPU")
    for label, (wall, cpu) in (
        (f"cnnexplain {path.name}", t_cli),
        ("keras load_model(p).summary()", t_keras),
    ):
        print(f"  {label:<32} {wall * 1000:7.0f} ms {cpu * 1000:7.0f} ms")
    wall_ratio, cpu_ratio = t_keras[0] / t_cli[0], t_keras[1] / t_cli[1]
    print(f"ratio keras/cnnexplain: {wall_ratio:.1f}x wall, {cpu_ratio:.1f}x CPU", end="")
    print(f" (target >= {TARGET:.0f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
