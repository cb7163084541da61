"""The page "Common counting mistakes": what each section prints after its code.

Each section of the page shows complete code: a model from
``mistake_models.py`` (shown at the top of the page), a hand count written the
way a learner would, as arithmetic, and ``cnnexplain.diagnose``. `show` then
prints the model's breakdown and the right count; it raises if the diagnosis is
not the mistake the section is about, which stops the site build.
``tests/test_diagnose.py`` checks that every kind of finding has its section.
"""

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


def show(d: Diagnosis, kind: str) -> str:
    """The model's breakdown (verified against Keras) and the right count."""
    check(d, kind)
    b = d.breakdown
    return "\n".join(
        [
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
