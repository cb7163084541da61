"""The page "Common counting mistakes": what each section prints after its code.

Each section of the page shows complete code: a model from
``mistake_models.py`` (shown at the top of the page), a hand count written the
way a learner would, as arithmetic, and ``cnnexplain.diagnose``. `show` then
prints a "Try it" link to the playground, the model's breakdown and the right
count; it raises if the diagnosis is not the mistake the section is about, which
stops the site build. ``tests/diagnose/test_diagnose.py`` checks that every kind of
finding has its section.
"""

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import cnnexplain
from cnnexplain import Diagnosis, FindingKind


def count_latex(n: int) -> str:
    """``542230`` as LaTeX with thousands separators (``542{,}230``)."""
    return f"{n:,}".replace(",", "{,}")


def check(d: Diagnosis, kind: str) -> None:
    """Raise unless the diagnosis finds exactly ``kind`` and adds up to the gap.

    Raises:
        ValueError: naming the section's kind and what was found instead.
    """
    kinds = {f.kind for f in d.findings}
    expected = FindingKind(kind)
    if kinds != {expected} or sum(f.amount for f in d.findings) != d.gap:
        raise ValueError(
            f"expected {expected.value}, found {sorted(kinds)}:\n{d}"
        )


def _sibling(name: str) -> ModuleType:
    """``docs/examples/<name>.py``, loaded by path (this file is too, by the tests)."""
    path = Path(__file__).with_name(f"{name}.py")
    module_spec = importlib.util.spec_from_file_location(
        f"docs_examples_{name}", path
    )
    if (
        module_spec is None or module_spec.loader is None
    ):  # pragma: no cover - our own file
        raise ImportError(path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def try_it(model: Any, d: Diagnosis) -> str:
    """A "Try it" paragraph opening the model and the hand count in the playground.

    The model is written out as stand-alone Keras code; `cnnexplain.explain_code`
    runs it here first and must give Keras's own count, or the build stops. A
    functional model (a shared layer) gets no link: its code is not written out.

    Raises:
        ValueError: if the written-out code does not build the model.
    """
    if type(model).__name__ != "Sequential":
        return ""  # the playground's code is written out for Sequential models only
    playground = _sibling("playground")
    source = playground.keras_source(model)
    built = cnnexplain.explain_code(source).breakdown
    if [(r.name, r.params) for r in built.rows] != [
        (layer.name, layer.count_params()) for layer in model.layers
    ]:
        raise ValueError(
            f"the playground code for {model.name} differs:\n{source}"
        )
    return playground.try_it(source, **{d.mode: list(d.given)})


def torch_counts(d: Diagnosis, model: Any) -> list[int]:
    """Each unit's parameters counted by PyTorch, ``numel()``, a tensor tied to an earlier unit's once.

    Raises:
        ValueError: if a unit's count or the total is not the diagnosis's.
    """
    seen: set[int] = set()
    counts = []
    for layer in d.layers:
        params = model.get_submodule(layer.replace("/", ".")).parameters()
        fresh = [p for p in params if id(p) not in seen]
        seen |= {id(p) for p in fresh}
        counts.append(sum(p.numel() for p in fresh))
    total = sum(p.numel() for p in model.parameters())
    if counts != list(d.expected_counts) or d.expected != total:
        raise ValueError(
            f"PyTorch counts {counts} (total {total:,}), the diagnosis "
            f"{list(d.expected_counts)} (total {d.expected:,})"
        )
    return counts


def show_torch(d: Diagnosis, kind: str, model: Any) -> str:
    """Each unit's count, verified against PyTorch, beside the hand count; the right count."""
    check(d, kind)
    counts = torch_counts(d, model)
    rows = [
        f"| `{layer}` | {right:,} | {hand:,} |"
        for layer, right, hand in zip(
            d.layers, counts, d.claimed_counts, strict=True
        )
    ]
    terms = " + ".join(count_latex(n) for n in counts if n)
    return "\n".join(
        [
            f"Model `{d.model}`, verified against PyTorch (`numel()`):",
            "",
            "| unit | PyTorch | the hand count |",
            "|---|---:|---:|",
            *rows,
            "",
            "The right count:",
            "",
            "$$",
            f"{terms} = {count_latex(d.expected)}",
            "$$",
            "",
        ]
    )


def show(d: Diagnosis, kind: str, model: Any) -> str:
    """A "Try it" link, the model's breakdown (verified against Keras), the right count.

    A PyTorch model (a transformer, whose hand count goes unit by unit) is shown
    by `show_torch`, verified against ``numel()``.
    """
    if not hasattr(model, "count_params"):
        return show_torch(d, kind, model)
    check(d, kind)
    b = d.breakdown
    return "\n".join(
        [
            try_it(model, d),
            "",
            f"Model `{b.name}`, verified against Keras:",
            "",
            b.to_markdown(),
            "",
            "The right count:",
            "",
            "$$",
            f"{b.formula.latex()} = {count_latex(b.total)}",
            "$$",
            "",
        ]
    )
