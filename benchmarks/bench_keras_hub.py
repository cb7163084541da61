"""Benchmark: a KerasHub model's ``.keras`` file, cnnexplain against Keras's own load.

Builds GPT2CausalLM from its constructor arguments (GPT-2 base by default, no
preset: nothing is downloaded), saves it once into ``--keep``, then times in
fresh processes, the two commands alternating:

1. ``cnnexplain.explain(FILE)`` (what ``cnnexplain FILE`` runs), which reads the
   config and the weights file's layout without TensorFlow;
2. ``python -c "import keras_hub; keras.saving.load_model(p).count_params()"``,
   Keras's own load and count (its figure is printed as the oracle).

Prints both medians, their ratio (target: the file path at most 1/20 of Keras's)
and that both totals agree.

Run: ``.venv/bin/python benchmarks/bench_keras_hub.py [--small] [--repeat N] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
RATIO_TARGET = 20.0
BASE = {
    "vocabulary_size": 50257, "num_layers": 12, "num_heads": 12, "hidden_dim": 768,
    "intermediate_dim": 3072, "max_sequence_length": 1024,
}  # fmt: skip
SMALL = {
    "vocabulary_size": 1000, "num_layers": 2, "num_heads": 2, "hidden_dim": 64,
    "intermediate_dim": 128, "max_sequence_length": 128,
}  # fmt: skip


def save(path: Path, sizes: dict[str, int]) -> int:
    """Build GPT2CausalLM from ``sizes``, save it to ``path``; return Keras's count."""
    import keras_hub  # noqa: PLC0415 - only to write the file once

    backbone = keras_hub.models.GPT2Backbone(**sizes)
    model = keras_hub.models.GPT2CausalLM(backbone=backbone, preprocessor=None)
    model.save(path)
    return int(model.count_params())


def run(command: list[str]) -> tuple[float, str]:
    """Wall seconds of one fresh process and its last line of output."""
    start = time.perf_counter()
    done = subprocess.run(command, check=True, env=ENV, capture_output=True, text=True)
    return time.perf_counter() - start, done.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a 2-layer GPT-2, not the base")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=Path(tempfile.gettempdir(), "bench_hub"))
    args = parser.parse_args()
    sizes = SMALL if args.small else BASE
    args.keep.mkdir(parents=True, exist_ok=True)
    path = args.keep / ("gpt2_small.keras" if args.small else "gpt2_base.keras")
    if not path.exists():
        print(f"saving {path} (once) ...", flush=True)
        save(path, sizes)
    ours = [
        sys.executable, "-c",
        f"import cnnexplain; print(cnnexplain.explain({str(path)!r}).total)",
    ]  # fmt: skip
    keras = [
        sys.executable, "-c",
        (
            "import keras, keras_hub; "
            f"print(keras.saving.load_model({str(path)!r}, compile=False).count_params())"
        ),
    ]  # fmt: skip
    run(ours)  # untimed: bytecode caches
    times: dict[str, list[float]] = {"cnnexplain": [], "keras": []}
    totals = {}
    for _ in range(args.repeat):
        for name, command in (("cnnexplain", ours), ("keras", keras)):
            seconds, total = run(command)
            times[name].append(seconds)
            totals[name] = int(total)
    mine, theirs = statistics.median(times["cnnexplain"]), statistics.median(times["keras"])
    print(f"file: {path} ({path.stat().st_size / 2**20:.0f} MiB)")
    print(f"cnnexplain FILE (fresh process): {mine:.2f} s, total {totals['cnnexplain']:,}")
    print(f"Keras load_model + count_params (fresh process): {theirs:.2f} s, "
          f"total {totals['keras']:,}")  # fmt: skip
    ratio = theirs / mine
    verdict = "ok" if ratio >= RATIO_TARGET else "below target"
    print(f"ratio: {ratio:.1f}x (target: at least {RATIO_TARGET:.0f}x) {verdict}")
    print("totals agree" if totals["cnnexplain"] == totals["keras"] else "TOTALS DIFFER")


if __name__ == "__main__":
    main()
