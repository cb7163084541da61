"""Ratio of explain(resnet50), verification included, to torchinfo.summary(resnet50).

Both are timed in this one run, best of N, so the ratio holds on a noisy machine.
The model is torchvision's ResNet-50 layout (tests/support/torch_models.py), input
(1, 3, 224, 224). torchinfo runs a real forward on the CPU; cnnexplain records
shapes on a meta copy. Target: <= 0.5. Run: .venv/bin/python benchmarks/bench_torch.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
import torchinfo

import cnnexplain

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))
import torch_models
from _timing import best_of


def main(repeat: int = 9) -> float:
    """Print both timings and their ratio; return the ratio."""
    model = torch_models.resnet50()
    size = (1, 3, 224, 224)
    cnnexplain.explain(model, input_size=size)  # warm up both paths once
    torchinfo.summary(model, input_size=size, verbose=0)
    explain_s = best_of(lambda: cnnexplain.explain(model, input_size=size), repeat)
    summary_s = best_of(lambda: torchinfo.summary(model, input_size=size, verbose=0), repeat)
    ratio = explain_s / summary_s
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"explain(resnet50) with verification: {explain_s * 1000:.1f} ms (best of {repeat})")
    print(f"torchinfo.summary(resnet50):         {summary_s * 1000:.1f} ms (best of {repeat})")
    print(f"ratio explain/summary: {ratio:.2f} (target <= 0.5)")
    return ratio


if __name__ == "__main__":
    sys.exit(0 if main() <= 0.5 else 1)  # noqa: PLR2004
