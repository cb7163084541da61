"""The playground page's entry point: the text of its fields in, JSON-ready data out.

The page's Web Worker calls `run` in Pyodide; the browser test calls it in CPython
on the same input and compares the two answers.
"""

from __future__ import annotations

import re
from typing import Any

from cnnexplain._errors import CnnexplainError, CodeError, DiagnosisError
from cnnexplain._explain_code.code import explain_code
from cnnexplain._explain_code.playground_view import code_view

__all__ = ["parse_counts", "run", "warm_up"]

_NUMBER = re.compile(r"\d[\d_]*")


def parse_counts(text: str) -> tuple[int, ...] | None:
    """The hand count typed as comma-separated numbers, or None when the field is empty.

    Examples:
        >>> parse_counts(" 288, 540988,541_988 ")
        (288, 540988, 541988)
        >>> parse_counts("") is None
        True
        >>> parse_counts("288, 540 988")
        Traceback (most recent call last):
        ...
        cnnexplain.DiagnosisError: The hand count must be whole numbers separated by commas, \
e.g. 288, 540988, 541988. Received: '540 988'.
    """
    items = [item.strip() for item in text.strip().strip(",").split(",")]
    if items == [""]:
        return None
    for item in items:
        if not _NUMBER.fullmatch(item):
            raise DiagnosisError(
                "The hand count must be whole numbers separated by commas, e.g. 288, 540988, "
                f"541988. Received: {item!r}.",
                argument="counts",
            )
    return tuple(int(item) for item in items)


def run(code: str, counts: str = "", mode: str = "running") -> dict[str, Any]:
    r"""Explain ``code`` (and diagnose ``counts``, read as ``mode``): what to show, every figure.

    Returns ``{"ok": True, "view": ..., "result": CodeResult.to_dict()}``, where the
    view is plain data the page puts in as text (`code_view`: no HTML), or
    ``{"ok": False, "error": one sentence, "line": the user's line or None}``.

    Examples:
        >>> answer = run("import keras\nm = keras.Sequential([keras.Input((4,)), "
        ...              "keras.layers.Dense(2)])", "8")
        >>> answer["ok"], answer["result"]["models"][0]["total"]
        (True, 10)
        >>> run("import keras\nkeras.Sequential(")["error"]
        "Line 2: the code is not valid Python: '(' was never closed."
    """
    if mode not in ("running", "per_layer"):
        mode = "running"
    try:
        numbers = parse_counts(counts)
        hand = {} if numbers is None else {mode: numbers}
        result = explain_code(code, **hand)
    except CnnexplainError as err:
        line = err.line if isinstance(err, CodeError) else None
        return {"ok": False, "error": str(err), "line": line}
    return {"ok": True, "view": code_view(result), "result": result.to_dict()}


_WARM_UP = """\
import keras
model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3),
                          keras.layers.MaxPooling2D(), keras.layers.Flatten(),
                          keras.layers.Dense(2)])
model.compile(optimizer=keras.optimizers.SGD(lr=0.1), metric=["accuracy"])
"""


ON_DEMAND = (
    "cnnexplain._explain_code.torch_",  # the PyTorch stand-in: loaded by the first PyTorch code
    "cnnexplain._files",  # saved files: the page reads none
    "cnnexplain._live",  # live Keras and torch models: there is no framework in the page
    "cnnexplain._cli",
    "cnnexplain._summary",
)
"""Modules left out of ``every_module``, imported only if a run needs them. Pyodide restores a
snapshot into the memory it starts with, without growing it, so the snapshot must not outgrow
that (with every module imported, it did: "offset is out of bounds", then a cold start)."""


def warm_up(*, every_module: bool = False) -> None:
    """Run one small example end to end, so every module a run needs is imported.

    With ``every_module``, first import every module of cnnexplain (none imports a
    framework at import time) but the PyTorch stand-in's (`ON_DEMAND`): what the site
    build's Pyodide snapshot does, so that no run compiles a module of a layer kind the
    example does not use.
    """
    if every_module:
        import importlib  # noqa: PLC0415 - only here
        import pkgutil  # noqa: PLC0415

        import cnnexplain  # noqa: PLC0415

        for module in pkgutil.walk_packages(cnnexplain.__path__, "cnnexplain."):
            if module.name != "cnnexplain.__main__" and not module.name.startswith(ON_DEMAND):
                importlib.import_module(module.name)
    answer = run(_WARM_UP, "20, 56", "running")
    if not answer["ok"]:  # pragma: no cover - our own example
        raise AssertionError(answer["error"])
