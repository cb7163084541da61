"""Counts from structure: explain() without an input against torchinfo.summary() with one.

Three models, each timed in this one run (best of N, so the ratios hold on a
noisy machine), verification included:

- ResNet-50 (torchvision's layout, tests/torch_models.py), input (1, 3, 224, 224);
- GPT-2 small (transformers' default GPT2Config, built on the meta device: no
  weights), input 1×64 token ids; torchinfo needs real weights, so it runs on a
  CPU copy built from the same config;
- a deep nn.Sequential of 1,000 Linear(64, 64), input (1, 64).

For each: explain() without an input, explain() with one, torchinfo.summary()
with one, and the ratios to torchinfo. Targets: without an input at most 1×
torchinfo on ResNet-50 and GPT-2; with an input at most 0.5× on ResNet-50.
Run: .venv/bin/python benchmarks/bench_structure.py
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torchinfo
from torch import nn

import cnnexplain

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import torch_models
from _timing import best_of


def _gpt2() -> tuple[nn.Module, nn.Module, dict[str, Any]]:
    """GPT-2 on meta (for cnnexplain) and on the CPU (torchinfo runs real weights)."""
    import transformers  # noqa: PLC0415 - only this case needs it (slow to import)

    config = transformers.GPT2Config()
    with torch.device("meta"):
        on_meta = transformers.GPT2LMHeadModel(config)
    on_cpu = transformers.GPT2LMHeadModel(config)  # torchinfo.summary switches it to eval
    return on_meta, on_cpu, {"input_ids": torch.zeros(1, 64, dtype=torch.long)}


def _case(
    name: str,
    model: nn.Module,
    cpu_model: nn.Module,
    inputs: dict[str, Any],
    repeat: int,
) -> tuple[float, float]:
    def explain_bare() -> object:
        return cnnexplain.explain(model)

    def explain_input() -> object:
        return cnnexplain.explain(model, **inputs)

    def summary() -> object:
        return torchinfo.summary(cpu_model, verbose=0, **inputs)

    runs: list[Callable[[], object]] = [explain_bare, explain_input, summary]
    for fn in runs:  # warm up every path once
        fn()
    bare, given, info = (best_of(fn, repeat) for fn in runs)
    print(f"{name}:")
    print(f"  explain() without input: {bare * 1000:8.1f} ms  ratio {bare / info:.2f}")
    print(f"  explain() with input:    {given * 1000:8.1f} ms  ratio {given / info:.2f}")
    print(f"  torchinfo.summary():     {info * 1000:8.1f} ms")
    return bare / info, given / info


def main(repeat: int = 5) -> dict[str, tuple[float, float]]:
    """Print each model's timings and ratios to torchinfo; return the ratios."""
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, best of {repeat}")
    resnet = torch_models.resnet50()
    deep = nn.Sequential(*[nn.Linear(64, 64) for _ in range(1000)])
    gpt2, gpt2_cpu, gpt2_inputs = _gpt2()
    return {
        "resnet50": _case("resnet50", resnet, resnet, {"input_size": (1, 3, 224, 224)}, repeat),
        "gpt2": _case("gpt2", gpt2, gpt2_cpu, {"input_data": gpt2_inputs}, repeat),
        "deep_linear": _case("1,000 Linear", deep, deep, {"input_size": (1, 64)}, repeat),
    }


if __name__ == "__main__":
    ratios = main()
    ok = ratios["resnet50"][0] <= 1 and ratios["gpt2"][0] <= 1 and ratios["resnet50"][1] <= 0.5  # noqa: PLR2004
    sys.exit(0 if ok else 1)
