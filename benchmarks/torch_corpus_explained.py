"""How many torch corpus models (tests/support/torch_corpus.py) are explained; torchinfo's view.

Run from the repository root::

    python benchmarks/torch_corpus_explained.py

It prints one line per model that is not fully explained (the flagged rows and
their notes, or the error) and per model where torchinfo's total differs from
``numel`` or torchinfo fails, then the counts.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))


def _flagged(b: Any) -> str:
    return "; ".join(
        f"{path} ({row.kind}): {row.note}" for path, row in b.walk() if not row.explained
    )


def main() -> None:
    """Explain every torch corpus model, verified; compare torchinfo's totals; print the counts."""
    import torch  # noqa: PLC0415
    import torch_corpus  # noqa: PLC0415 - after sys.path names tests/support/
    import torchinfo  # noqa: PLC0415

    from cnnexplain import CnnexplainError, explain  # noqa: PLC0415

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=UserWarning)
    explained = agree = tied = fails = 0
    for name, case in torch_corpus.CASES.items():
        model = case.model()
        kwargs = case.inputs()
        numel = sum(p.numel() for p in model.parameters())
        try:
            b = explain(model, **kwargs, verify=True)
        except CnnexplainError as err:
            print(f"{name}: error: {err}")
            continue
        if b.unexplained or b.total != numel:
            print(f"{name}: total {b.total} (numel {numel}); {_flagged(b)}")
        else:
            explained += 1
        try:
            device = {"device": "meta"} if case.meta else {}
            info = torchinfo.summary(model, verbose=0, **kwargs, **device).total_params
        except Exception as err:  # noqa: BLE001 - any torchinfo failure is what we count
            fails += 1
            print(f"{name}: torchinfo fails: {type(err).__name__}: {str(err)[:80]}")
            continue
        if info == numel:
            agree += 1
        else:
            tied += 1
            print(f"{name}: torchinfo total {info:,} against numel {numel:,}")
    n = len(torch_corpus.CASES)
    print(f"{explained}/{n} models fully explained and verified against numel")
    print(f"torchinfo 1.8.0: {agree} equal totals, {tied} different, {fails} fail to run")


if __name__ == "__main__":
    main()
