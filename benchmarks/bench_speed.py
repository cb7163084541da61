"""Benchmark: how fast cnnexplain starts and answers, against Keras, all in one run.

Prints, each figure measured in this one run (fresh processes alternate, so a
busy machine slows both sides of a comparison alike):

1. ``import cnnexplain``: the median of N fresh processes minus the median of
   ``python -c pass`` (target: at most 30 ms).
2. ``cnnexplain --help`` (the console script), minus the same (target: at most 50 ms).
3. ``cnnexplain FILE`` against ``python -c "import keras; keras.models.load_model(p).summary()"``
   on ResNet50 saved as ``.keras`` (target: at least 40 times faster) and as a
   legacy ``.h5`` (about 100 MB), both with ``weights=None`` (nothing is downloaded).
4. ``explain(model, verify=True)`` against ``model.summary()`` on the built
   ResNet50, in one process, best of N (target: at most 0.5).

Python runs as installed, with bytecode cached (``PYTHONDONTWRITEBYTECODE`` is
dropped; each command runs once untimed first, which writes it). The model files
are saved once into ``--keep`` (default: a folder under the system's temporary
directory) and reused.

Run: ``.venv/bin/python benchmarks/bench_speed.py [--repeat N] [--keras-repeat N] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import best_of

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
ENV.pop("PYTHONDONTWRITEBYTECODE", None)  # time Python as installed: bytecode cached
IMPORT_TARGET_MS = 30.0
HELP_TARGET_MS = 50.0
CLI_TARGET = 40.0
EXPLAIN_TARGET = 0.5
MODEL = "ResNet50"


def run(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, threads included) of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, env=ENV, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def medians(commands: list[list[str]], repeat: int) -> list[tuple[float, float]]:
    """Median wall and CPU seconds of each command, the commands run in turn ``repeat`` times."""
    times: list[list[tuple[float, float]]] = [[] for _ in commands]
    for command in commands:  # untimed: writes the bytecode cache
        run(command)
    for _ in range(repeat):
        for command, found in zip(commands, times, strict=True):
            found.append(run(command))
    return [
        (statistics.median(w for w, _ in found), statistics.median(c for _, c in found))
        for found in times
    ]


def save(folder: Path, suffix: str) -> Path:
    """``keras.applications.ResNet50(weights=None)`` saved as ``<folder>/ResNet50<suffix>``."""
    path = folder / f"{MODEL}{suffix}"
    if not path.exists():
        code = (
            "import sys, warnings, keras\n"
            "warnings.simplefilter('ignore')\n"  # Keras warns that .h5 is a legacy format
            "getattr(keras.applications, sys.argv[1])(weights=None).save(sys.argv[2])\n"
        )
        subprocess.run([sys.executable, "-c", code, MODEL, str(path)], check=True, env=ENV)
    return path


def startup(repeat: int) -> None:
    """Import cost and ``--help`` above bare Python."""
    python = sys.executable
    script = str(Path(python).with_name("cnnexplain"))
    bare, imported, helped = medians(
        [[python, "-c", "pass"], [python, "-c", "import cnnexplain"], [script, "--help"]], repeat
    )
    print(f"median of {repeat} fresh processes, above `python -c pass` ({bare[0] * 1000:.1f} ms):")
    for label, (wall, cpu), target in (
        ("import cnnexplain", imported, IMPORT_TARGET_MS),
        ("cnnexplain --help", helped, HELP_TARGET_MS),
    ):
        above, cpu_above = (wall - bare[0]) * 1000, (cpu - bare[1]) * 1000
        verdict = "ok" if above <= target else "OVER"
        print(
            f"  {label:<20} {above:6.1f} ms wall {cpu_above:6.1f} ms CPU"
            f"  (target <= {target:.0f} ms: {verdict})"
        )


def command_line(path: Path, repeat: int, keras_repeat: int) -> None:
    """``cnnexplain FILE`` against Keras loading and summarizing it, as fresh processes."""
    command = [str(Path(sys.executable).with_name("cnnexplain")), str(path)]
    done = subprocess.run(command, check=False, env=ENV, capture_output=True, text=True)
    size = path.stat().st_size / 2**20
    if done.returncode != 0:
        print(f"  {path.name} ({size:.0f} MB): cnnexplain cannot read it: {done.stderr.strip()}")
        return
    load = "import sys, keras\nkeras.models.load_model(sys.argv[1]).summary()\n"
    keras_command = [sys.executable, "-c", load, str(path)]
    run(keras_command)  # untimed, like ours above: caches, bytecode
    keras_runs: list[tuple[float, float]] = []
    cli_runs: list[tuple[float, float]] = []
    per_keras = max(1, repeat // keras_repeat)
    for _ in range(keras_repeat):  # interleaved: each Keras run among a few of ours
        keras_runs.append(run(keras_command))
        cli_runs += [run(command) for _ in range(per_keras)]
    t_cli = [statistics.median(t[i] for t in cli_runs) for i in (0, 1)]
    t_keras = [statistics.median(t[i] for t in keras_runs) for i in (0, 1)]
    wall, cpu = t_keras[0] / t_cli[0], t_keras[1] / t_cli[1]
    print(
        f"  {path.name} ({size:.0f} MB): cnnexplain {t_cli[0] * 1000:.0f} ms "
        f"(CPU {t_cli[1] * 1000:.0f}), Keras {t_keras[0] * 1000:.0f} ms "
        f"(CPU {t_keras[1] * 1000:.0f}): {wall:.1f}x wall, {cpu:.1f}x CPU"
        + (f" (target >= {CLI_TARGET:.0f}x)" if path.suffix == ".keras" else "")
    )


def in_process(repeat: int) -> None:
    """``explain(model, verify=True)`` against ``model.summary()``, in this process."""
    os.environ.update(TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow")
    import keras  # noqa: PLC0415 - only this part needs Keras in this process

    import cnnexplain  # noqa: PLC0415

    model = getattr(keras.applications, MODEL)(weights=None)
    cnnexplain.explain(model, verify=True)  # warm both paths up once
    model.summary(print_fn=lambda *_a, **_k: None)
    explain_s = best_of(lambda: cnnexplain.explain(model, verify=True), repeat)
    summary_s = best_of(lambda: model.summary(print_fn=lambda *_a, **_k: None), repeat)
    ratio = explain_s / summary_s
    print(
        f"explain({MODEL}, verify=True) {explain_s * 1000:.1f} ms, model.summary() "
        f"{summary_s * 1000:.1f} ms (best of {repeat}): ratio {ratio:.2f} "
        f"(target <= {EXPLAIN_TARGET})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="fresh processes of ours")
    parser.add_argument("--keras-repeat", type=int, default=3, help="fresh Keras processes")
    parser.add_argument("--in-process-repeat", type=int, default=7, help="explain/summary calls")
    parser.add_argument(
        "--keep",
        type=Path,
        default=Path(tempfile.gettempdir(), "cnnexplain-bench"),
        help="where the model files are saved and reused",
    )
    parser.add_argument("--skip-keras", action="store_true", help="only the startup figures")
    args = parser.parse_args(argv)

    args.keep.mkdir(parents=True, exist_ok=True)
    startup(args.repeat)
    if args.skip_keras:
        return 0
    paths = [save(args.keep, ".keras"), save(args.keep, ".h5")]
    print(f"command line on {MODEL} (median; {args.keras_repeat} Keras processes):")
    for path in paths:
        command_line(path, args.repeat, args.keras_repeat)
    in_process(args.in_process_repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
