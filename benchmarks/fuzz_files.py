"""Fuzz the model file readers: thousands of mutated files per format, and their outcomes.

Usage::

    python benchmarks/fuzz_files.py [--count 2000] [--seed 0] [--bases DIR] [--keep DIR]

Writes the base files once (``.keras`` with Keras 3; ``.h5`` and SavedModel
directories with tf_keras, in a process of its own: ``tests/legacy_models.py``),
into ``--bases`` if given (and reuses them there on the next run), then
``--count`` seeded mutations of each format (``tests/fuzzing.py``), explains
each in child processes limited to 1 GiB of address space and 10 s per file,
and prints the outcome counts per format: ``ok``, ``refused`` (exit 2, one
line), ``traceback``, ``crash``, ``timeout``, ``memory``. It exits 1 if any file
had one of the last four, listing them (kept in ``--keep`` if given).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(_ROOT / "tests" / "support"))
sys.path.insert(0, str(_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _bases(folder: Path) -> dict[str, list[Path]]:
    """The base files of each format in ``folder``, written there if missing."""
    keras_files = [folder / "seed.keras", folder / "nested.keras"]
    if not all(p.exists() for p in keras_files):
        import keras  # noqa: PLC0415 - only to write the bases
        from saved_models import build_nested  # noqa: PLC0415 - tests/ on sys.path

        seed = keras.Sequential(
            [
                keras.Input((28, 28, 1)),
                keras.layers.Conv2D(32, 3, activation="relu", name="conv"),
                keras.layers.MaxPooling2D(2, name="pool"),
                keras.layers.Flatten(name="flatten"),
                keras.layers.Dense(100, activation="relu", name="hidden"),
                keras.layers.Dense(10, activation="softmax", name="output"),
            ],
            name="mnist",
        )
        seed.save(keras_files[0])
        build_nested(keras).save(keras_files[1])
    legacy = folder / "legacy"
    if not (legacy / "oracle.json").exists():
        legacy.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
        subprocess.run(
            [sys.executable, str(_ROOT / "tests" / "support" / "legacy_models.py"), str(legacy)],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return {
        "keras": keras_files,
        "h5": [legacy / "seed.h5", legacy / "nested.h5"],
        "savedmodel": [legacy / "seed_savedmodel", legacy / "nested_savedmodel"],
    }


def main() -> int:
    """Fuzz, print the counts; 1 if any file crashed, timed out or printed a traceback."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="mutations per format")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bases", type=Path, help="where the base files are (or go)")
    parser.add_argument("--keep", type=Path, help="copy the files with a bad outcome here")
    parser.add_argument("--code", type=Path, help="fuzz the cnnexplain of another checkout")
    args = parser.parse_args()

    import fuzzing  # noqa: PLC0415 - tests/ on sys.path

    if args.code:
        fuzzing.CODE = args.code.resolve()

    with tempfile.TemporaryDirectory() as tmp:
        bases_dir = args.bases or Path(tmp, "bases")
        bases_dir.mkdir(parents=True, exist_ok=True)
        bases = _bases(bases_dir)
        out = Path(tmp, "mutants")
        out.mkdir()
        started = time.perf_counter()
        kinds = {p: k for k, p in fuzzing.mutants(bases, args.count, args.seed, out)}
        results = fuzzing.run(list(kinds))
        seconds = time.perf_counter() - started
        print(f"{len(results)} files in {seconds:.0f} s (seed {args.seed})")
        fuzzing.report(fuzzing.tally(kinds, results))
        bad = fuzzing.worst(results)
        for path, outcome in bad:
            print(f"{outcome}: {path.name}")
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                copy = shutil.copytree if path.is_dir() else shutil.copy
                copy(path, args.keep / path.name)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
