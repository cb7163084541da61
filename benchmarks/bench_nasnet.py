"""Benchmark: explaining NASNetMobile (verification included) against ``model.summary()``.

Prints, in one run, the best-of-N time of each and their ratio
``explain / summary`` (target: at most 1.0). The model is built once, with
``weights=None`` (nothing is downloaded). Rows without a rule are counted from
Keras and flagged, so the benchmark runs whatever rules exist.

Run: ``.venv/bin/python benchmarks/bench_nasnet.py [--repeat N] [--model NAME]``.
"""

from __future__ import annotations

import argparse
import os

from _timing import best_of

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each (best is kept)")
    parser.add_argument("--model", default="NASNetMobile", help="a keras.applications name")
    args = parser.parse_args(argv)

    # Imported here, after the environment above is set and the arguments are read.
    import keras  # noqa: PLC0415

    import cnnexplain  # noqa: PLC0415

    model = getattr(keras.applications, args.model)(weights=None)
    lines: list[str] = []

    def summary() -> None:
        lines.clear()
        model.summary(print_fn=lambda line, **_: lines.append(line))

    def explain() -> cnnexplain.Breakdown:
        return cnnexplain.explain(model, verify=True)

    breakdown = explain()  # warm-up, and the figures to report
    summary()
    t_explain = best_of(explain, args.repeat)
    t_summary = best_of(summary, args.repeat)
    print(f"model: {args.model}, {len(model.layers)} layers, {breakdown.total:,} parameters")
    print(f"unexplained rows: {len(breakdown.unexplained)}")
    print(f"explain (verify=True): {t_explain * 1000:.1f} ms (best of {args.repeat})")
    print(f"model.summary():       {t_summary * 1000:.1f} ms (best of {args.repeat})")
    print(f"ratio explain/summary: {t_explain / t_summary:.2f} (target <= 1.0)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
