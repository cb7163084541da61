"""How many corpus models (tests/support/corpus.py) are explained, live and from ``.keras`` files.

Run from the repository root::

    python benchmarks/corpus_explained.py

It prints one line per model that is not fully explained (the flagged rows and
their notes, or the error), then the counts.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))


def _flagged(b: Any) -> str:
    return "; ".join(
        f"{path} ({row.kind}): {row.note}" for path, row in b.walk() if not row.explained
    )


def main() -> None:
    """Explain every corpus model live and from its saved file; print the counts."""
    import corpus  # noqa: PLC0415 - after sys.path names tests/support/
    import keras  # noqa: PLC0415 - after TF_CPP_MIN_LOG_LEVEL is set

    from cnnexplain import CnnexplainError, explain  # noqa: PLC0415 - after Keras

    models = corpus.build(keras)
    live_ok = file_ok = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, model in models.items():
            try:
                b = explain(model)
            except CnnexplainError as err:
                print(f"live  {name}: error: {err}")
            else:
                if b.unexplained:
                    print(f"live  {name}: {_flagged(b)}")
                else:
                    live_ok += 1
            if name not in corpus.SAVABLE:
                continue
            path = Path(tmp, f"{name}.keras")
            model.save(path)
            try:
                f = explain(path)
            except CnnexplainError as err:
                print(f"file  {name}: error: {err}")
                continue
            if f.total != model.count_params():
                print(f"file  {name}: total {f.total} != Keras {model.count_params()}")
            elif f.unexplained:
                print(f"file  {name}: {_flagged(f)}")
            else:
                file_ok += 1
    print(f"fully explained live: {live_ok} of {len(models)}")
    print(f"fully explained from .keras files: {file_ok} of {len(corpus.SAVABLE)}")


if __name__ == "__main__":
    main()
