"""Ratio of cnnexplain.summary(resnet50, (1, 3, 224, 224)) to torchinfo.summary on the same call.

The same call, only the import changed: both print their table (into a buffer here)
and return their result object; best of N each, timed in this one run so the ratio
holds on a noisy machine. torchinfo runs a real forward on the CPU; cnnexplain records
shapes on a meta copy, verifies every row against the module and renders its table
with the formula column. The model is torchvision's ResNet-50 layout
(tests/torch_models.py). Target: <= 0.5. Run: .venv/bin/python benchmarks/bench_summary.py
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable
from pathlib import Path

import torch
import torchinfo

import cnnexplain

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import torch_models
from _timing import best_of


def printed(call: Callable[[], object]) -> Callable[[], object]:
    """``call`` with its printed table sent to a buffer."""

    def run() -> object:
        with contextlib.redirect_stdout(io.StringIO()):
            return call()

    return run


def main(repeat: int = 9) -> float:
    """Print both timings and their ratio; return the ratio."""
    model = torch_models.resnet50()
    size = (1, 3, 224, 224)
    ours = printed(lambda: cnnexplain.summary(model, size))
    theirs = printed(lambda: torchinfo.summary(model, size))
    ours()  # warm up both paths once
    theirs()
    ours_s = best_of(ours, repeat)
    theirs_s = best_of(theirs, repeat)
    ratio = ours_s / theirs_s
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"cnnexplain.summary(resnet50, {size}): {ours_s * 1000:.1f} ms (best of {repeat})")
    print(f"torchinfo.summary(resnet50, {size}):  {theirs_s * 1000:.1f} ms (best of {repeat})")
    print(f"ratio cnnexplain/torchinfo: {ratio:.2f} (target <= 0.5)")
    return ratio


if __name__ == "__main__":
    sys.exit(0 if main() <= 0.5 else 1)  # noqa: PLR2004
