"""Ratio of explain(ResNet50), verification included, to Keras's model.summary().

Both are timed in this one run, best of N, so the ratio holds on a noisy machine.
Target: <= 1.0. Run: .venv/bin/python benchmarks/bench_resnet50.py
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras

import cnnexplain


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(repeat: int = 7) -> float:
    """Print both timings and their ratio; return the ratio."""
    model = keras.applications.ResNet50(weights=None)
    cnnexplain.explain(model)  # warm up both paths once
    model.summary(print_fn=lambda *_a, **_k: None)
    explain_s = best_of(lambda: cnnexplain.explain(model, verify=True), repeat)
    summary_s = best_of(lambda: model.summary(print_fn=lambda *_a, **_k: None), repeat)
    ratio = explain_s / summary_s
    print(f"explain(ResNet50) with verification: {explain_s * 1000:.1f} ms (best of {repeat})")
    print(f"model.summary():                     {summary_s * 1000:.1f} ms (best of {repeat})")
    print(f"ratio explain/summary: {ratio:.2f} (target <= 1.0)")
    return ratio


if __name__ == "__main__":
    sys.exit(0 if main() <= 1.0 else 1)
