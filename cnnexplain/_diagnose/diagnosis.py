"""`diagnose`: compare a hand count with the model and say where the difference comes from.

A learner counts parameters by hand, as running totals or one count per layer,
and gets a number that disagrees with Keras. `diagnose` aligns their numbers with
the model's layers, then searches, layer by layer, for the hand figure they most
plausibly computed: the right one, or one with known conceptual mistakes (a bias
left out, input channels forgotten, the wrong flatten size, ...), written down
exactly or with a slip (a digit typo, an addition that went wrong by one digit's
worth). Each mistake found is a `Finding` whose ``amount`` is its share of the
gap; the findings always add up to the whole gap, and what no known mistake
explains is reported as `FindingKind.UNEXPLAINED`, never guessed.

The search prefers few mistakes, and mistakes made consistently: a learner who
leaves out the bias of one layer probably left out every bias, so a hypothesis
such as "no biases anywhere" is scored for the whole model at once.

Examples:
    >>> import cnnexplain
    >>> from cnnexplain import spec
    >>> model = spec.Sequential([
    ...     spec.Input((28, 28, 1)),
    ...     spec.Conv2D(32, (3, 3), name="conv"),
    ...     spec.MaxPooling2D((2, 2), name="pool"),
    ...     spec.Flatten(name="flatten"),
    ...     spec.Dense(100, name="hidden"),
    ...     spec.Dense(10, name="output"),
    ... ], name="mnist")
    >>> d = cnnexplain.diagnose(model, per_layer=[288, 540_800, 1_000])
    >>> d.gap
    142
    >>> [(f.layer, f.kind.value, f.amount) for f in d.findings]
    [('conv', 'missing_bias', 32), ('hidden', 'missing_bias', 100), ('output', 'missing_bias', 10)]
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from cnnexplain import _publish
from cnnexplain._breakdown import Breakdown, LayerRow
from cnnexplain._diagnose.blocks import block_candidates, tied_head
from cnnexplain._diagnose.findings import Finding, FindingKind, Mode
from cnnexplain._diagnose.hand_figures import Candidate, candidates
from cnnexplain._diagnose.layer_mistakes import layer_extras
from cnnexplain._diagnose.search import Step, scored_steps
from cnnexplain._errors import DiagnosisError
from cnnexplain._escape import markdown_code, markdown_text, shorten, visible
from cnnexplain._framework import Framework

__all__ = ["Diagnosis", "Finding", "FindingKind", "diagnose"]


@dataclass(frozen=True)
class Diagnosis:
    """A hand count compared with the model, and the findings that explain the gap.

    Attributes:
        model: the model's name.
        mode: how the hand count was given: ``"running"`` totals or ``"per_layer"`` counts.
        given: the numbers as given.
        layers: the layer each number belongs to.
        expected_counts: each of those layers' parameters, as Keras counts them.
        claimed_counts: what the hand count gives each layer (for running totals,
            the step from the previous total).
        expected: the model's parameters, as Keras counts them.
        claimed: the hand count's total.
        findings: the mistakes found, in layer order; their amounts add up to `gap`.
        breakdown: the model's `Breakdown`, with the right formulas.

    Examples:
        >>> import cnnexplain
        >>> from cnnexplain import spec
        >>> tiny = spec.Sequential([spec.Input((4,)), spec.Dense(3, name="dense")], name="tiny")
        >>> d = cnnexplain.diagnose(tiny, per_layer=[12])
        >>> print(d)
        The hand count, 12, is 3 short of Keras's 15 for model 'tiny'.
          dense (Dense), missing bias, +3: the 3 biases, one per unit, were not counted.
        >>> d.to_dict()["findings"][0]["kind"]
        'missing_bias'
        >>> print(d.to_markdown())
        The hand count, 12, is 3 short of Keras's 15 for model `tiny`.
        <BLANKLINE>
        | Step | Layer | Finding | Amount | Why |
        |---:|---|---|---:|---|
        | 1 | `dense` (Dense) | missing bias | +3 | the 3 biases, one per unit, were not counted |
        <BLANKLINE>
    """

    model: str
    mode: Mode
    given: tuple[int, ...]
    layers: tuple[str, ...]
    expected_counts: tuple[int, ...]
    claimed_counts: tuple[int, ...]
    expected: int
    claimed: int
    findings: tuple[Finding, ...]
    breakdown: Breakdown = field(repr=False, compare=False)
    note: str = ""
    """What the findings suggest beyond each step: the hand count is of a different model."""

    @property
    def gap(self) -> int:
        """Keras's count minus the hand count (positive: the hand count is short)."""
        return self.expected - self.claimed

    @property
    def explained(self) -> bool:
        """True when known mistakes account for the whole gap."""
        return all(f.kind is not FindingKind.UNEXPLAINED for f in self.findings)

    @property
    def unexplained(self) -> int:
        """The part of the gap no known mistake accounts for."""
        return sum(f.amount for f in self.findings if f.kind is FindingKind.UNEXPLAINED)

    def headline(self) -> str:
        """One sentence comparing the two totals (a long model name shortened)."""
        return self._headline(f"'{shorten(self.model)}'")

    def _headline(self, model: str) -> str:
        where = f"for model {model}"
        rows = self.breakdown.rows
        framework = (rows[0].framework if rows else Framework.KERAS).shown
        if self.gap == 0:
            return f"The hand count matches {framework}'s {self.expected:,} parameters {where}."
        side = f"{self.gap:,} short of" if self.gap > 0 else f"{-self.gap:,} more than"
        return (
            f"The hand count, {self.claimed:,}, is {side} {framework}'s {self.expected:,} {where}."
        )

    def equation(self) -> str:
        """The findings' amounts adding up to the gap, e.g. ``32 + 100 + 100 + 10 = 242``."""
        if not self.findings:
            return f"{self.gap:,}"
        first, *rest = self.findings
        text = f"{first.amount:,}"
        for f in rest:
            text += f" - {-f.amount:,}" if f.amount < 0 else f" + {f.amount:,}"
        return f"{text} = {self.gap:,}"

    def __str__(self) -> str:
        lines = [self.headline()]
        lines += [
            f"  {shorten(f.layer)} ({shorten(f.layer_kind)}), {f.kind.label}, "
            f"{_signed(f.amount)}: {f.detail}."
            for f in self.findings
        ]
        if len(self.findings) > 1:
            lines.append(f"  {self.equation()}.")
        if self.note:
            lines.append(self.note)
        return visible("\n".join(lines), keep_newlines=True)

    def to_markdown(self) -> str:
        """The headline, a table of findings (step, layer, kind, amount, why) and the sum."""
        head, _, end = self._headline("\0").partition("\0")
        head = markdown_text(head) + markdown_code(shorten(self.model)) + markdown_text(end)
        if not self.findings:
            return head + "\n"
        out = [
            head,
            "",
            "| Step | Layer | Finding | Amount | Why |",
            "|---:|---|---|---:|---|",
        ]
        out += [
            f"| {f.step} | {markdown_code(shorten(f.layer))} "
            f"({markdown_text(shorten(f.layer_kind))}) | {f.kind.label} | "
            f"{_signed(f.amount)} | {markdown_text(f.detail)} |"
            for f in self.findings
        ]
        if len(self.findings) > 1:
            out += ["", f"Together: {self.equation()}."]
        if self.note:
            out += ["", markdown_text(self.note)]
        return "\n".join(out) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """Every figure as JSON-ready data."""
        return {
            "model": self.model,
            "mode": self.mode,
            "given": list(self.given),
            "layers": list(self.layers),
            "expected_counts": list(self.expected_counts),
            "claimed_counts": list(self.claimed_counts),
            "expected": self.expected,
            "claimed": self.claimed,
            "gap": self.gap,
            "explained": self.explained,
            "formula": self.breakdown.formula.text(),
            "findings": [f.to_dict() for f in self.findings],
        } | ({"note": self.note} if self.note else {})


def _signed(amount: int) -> str:
    return f"+{amount:,}" if amount > 0 else f"{amount:,}"


# ---------------------------------------------------------------------------
# Reading the hand count


def _numbers(value: object, argument: str) -> tuple[int, ...]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise DiagnosisError(
            f"diagnose(): {argument} must be a list of integers. Received: {argument}={value!r}.",
            argument=argument,
        )
    out = []
    for i, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, numbers.Integral):
            raise DiagnosisError(
                f"diagnose(): {argument}[{i}] must be an integer. "
                f"Received: {argument}[{i}]={item!r}.",
                argument=argument,
            )
        if item < 0:
            raise DiagnosisError(
                f"diagnose(): {argument}[{i}] must not be negative. "
                f"Received: {argument}[{i}]={item!r}.",
                argument=argument,
            )
        out.append(int(item))
    return tuple(out)


def _tied(row: LayerRow) -> bool:
    """A dense head with no weights of its own: its weight is another layer's (tied)."""
    return bool(tied_head(row))


def _selections(
    rows: Sequence[LayerRow], n: int, *, every: bool = True
) -> Iterator[tuple[int, ...]]:
    """The rows ``n`` numbers can belong to: those with parameters (and tied heads), or all."""
    seen: set[tuple[int, ...]] = set()
    picks = [
        tuple(i for i, r in enumerate(rows) if r.params),
        tuple(i for i, r in enumerate(rows) if r.params or _tied(r)),
    ]
    if every:
        picks.append(tuple(range(len(rows))))
    for pick in picks:
        if len(pick) == n and pick not in seen:
            seen.add(pick)
            yield pick


def _expanded(rows: Sequence[LayerRow]) -> tuple[LayerRow, ...]:
    """The rows with every nested row replaced by its children, each named by its path."""
    out: list[LayerRow] = []
    for row in rows:
        if row.children:
            out += [replace(c, name=f"{row.name}/{c.name}") for c in row.children]
        else:
            out.append(row)
    return tuple(out)


_MAX_DEPTH = 6


def _views(
    breakdown: Breakdown, given: tuple[int, ...], argument: str
) -> list[tuple[tuple[LayerRow, ...], tuple[int, ...]]]:
    """Each way of reading the numbers: rows (layers, or a nested model's blocks), and indices.

    Each reading is the rows and the index of the row each number belongs to.

    The model's own layers come first, as they always did; when the numbers do not fit
    them, nested models are opened one level at a time (a transformer's embeddings,
    blocks, final norm and head), and every reading that fits is returned.
    """
    rows = breakdown.rows
    top = [
        p
        for p in _selections(rows, len(given))
        if p in (tuple(i for i, r in enumerate(rows) if r.params), tuple(range(len(rows))))
    ]
    if top:
        return [(rows, top[0])]
    found: list[tuple[tuple[LayerRow, ...], tuple[int, ...]]] = [
        (rows, p) for p in _selections(rows, len(given))
    ]
    view = rows
    for _ in range(_MAX_DEPTH):
        deeper = _expanded(view)
        if deeper == view:
            break
        view = deeper
        found += [(view, p) for p in _selections(view, len(given), every=False)]
    if found:
        return found
    what = "totals" if argument == "running" else "counts"
    with_params = tuple(r for r in rows if r.params)
    if len(with_params) == len(rows):
        layers = f"{len(rows)} layers, all with parameters"
        expected = "give one number per layer"
    else:
        names = ", ".join(r.name for r in with_params)
        layers = (
            f"{len(with_params)} layers with parameters ({names}) and {len(rows)} layers in all"
        )
        expected = "give one number per layer with parameters, or one per layer"
    raise DiagnosisError(
        f"diagnose(): {argument} has {len(given)} {what} but model '{breakdown.name}' has "
        f"{layers}; {expected}. Received: {argument}={list(given)!r}.",
        argument=argument,
    )


def _options(rows: Sequence[LayerRow], index: int) -> tuple[Candidate, ...]:
    """Every figure a learner may have written for one row, right one first."""
    row = rows[index]
    base = candidates(rows, index)
    extra = [*layer_extras(row), *block_candidates(row), *tied_head(row)]
    if row.params == 0 and extra:  # a tied head: its right figure is 0
        return (base[0], *extra)
    return (base[0], *extra, *base[1:])


# ---------------------------------------------------------------------------
# The entry point


def _misfit(rows: Sequence[LayerRow], findings: Sequence[Finding]) -> str:
    """A sentence when the numbers do not fit the model's layers at all, else empty.

    An unexplained step of a quarter of its layer's own count or more, or unexplained steps at
    most layers, mean the hand count was made for another model: one with layers
    this one lacks (pooling before Flatten shrinks the Dense after it), or other sizes.
    """
    unexplained = [f for f in findings if f.kind is FindingKind.UNEXPLAINED]
    if not unexplained:
        return ""
    params = {r.name: r.params for r in rows}
    large = [f for f in unexplained if 4 * abs(f.amount) >= params.get(f.layer, 0)]
    if not large and 2 * len(unexplained) < len(rows):
        return ""
    return (
        "The numbers do not fit this model's layers: the hand count looks like one made for "
        "a different model, with layers this one lacks (a pooling layer before Flatten, for "
        "instance, makes the Dense after it smaller) or other sizes; compare the code with "
        "the model that was counted."
    )


def _claimed(rows: Sequence[LayerRow], given: tuple[int, ...], mode: Mode) -> tuple[int, ...]:
    """What the hand count gives each row (for running totals, the step from the last total)."""
    if mode != "running":
        return given
    claimed = tuple(b - a for a, b in itertools.pairwise((0, *given)))
    for i, step in enumerate(claimed):
        if step < 0:
            raise DiagnosisError(
                f"diagnose(): running totals cannot decrease, but step {i + 1} "
                f"(layer '{rows[i].name}') goes from {given[i - 1]:,} to {given[i]:,}. "
                f"Received: running={list(given)!r}.",
                argument="running",
            )
    return claimed


def diagnose(
    model_or_spec: Any,
    *,
    running: Sequence[int] | None = None,
    per_layer: Sequence[int] | None = None,
) -> Diagnosis:
    """Compare a hand count with the model and explain the difference.

    Give the hand count one of two ways: ``running`` totals, one after each layer
    (as in "running parameter count: 288"), or ``per_layer`` counts. Either may
    skip the layers without parameters (pooling, Flatten, Dropout...) or give one
    number for every layer.

    Args:
        model_or_spec: anything `explain` takes (a built Keras model, a
            `cnnexplain.spec` model...), or its `Breakdown`.
        running: running totals, one per layer (with parameters).
        per_layer: parameter counts, one per layer (with parameters).

    Returns:
        The `Diagnosis`: both totals, the gap and the findings that add up to it.

    Raises:
        DiagnosisError: if both or neither of ``running`` and ``per_layer`` are
            given, or their numbers are not non-negative integers, one per layer,
            or running totals decrease.
        SpecError: if the model cannot be explained.
        VerificationError: if a Keras model's count differs from cnnexplain's.

    Examples:
        The running totals of the question behind cnnexplain
        (https://ai.stackexchange.com/questions/17255), on the model it describes:

        >>> import cnnexplain
        >>> from cnnexplain import spec
        >>> model = spec.Sequential([
        ...     spec.Input((28, 28, 1)),
        ...     spec.Conv2D(32, (3, 3), name="conv"),
        ...     spec.MaxPooling2D((2, 2), name="pool"),
        ...     spec.Flatten(name="flatten"),
        ...     spec.Dense(100, name="hidden"),
        ...     spec.Dense(10, name="output"),
        ... ], name="mnist")
        >>> d = cnnexplain.diagnose(model, running=[288, 540_988, 541_988])
        >>> d.expected, d.claimed, d.gap
        (542230, 541988, 242)
        >>> [(f.layer, f.kind.value, f.amount) for f in d.findings]
        ... # doctest: +NORMALIZE_WHITESPACE
        [('conv', 'missing_bias', 32), ('hidden', 'missing_bias', 100),
         ('hidden', 'arithmetic_slip', 100), ('output', 'missing_bias', 10)]
        >>> print(d.findings[2].detail)
        288 + 540,800 = 541,088, but 540,988 was written: the step added 540,700 \
instead of 540,800 (as if the running total 288 had been read as 188)
        >>> d.equation()
        '32 + 100 + 100 + 10 = 242'

        Nonsense is refused with one sentence:

        >>> cnnexplain.diagnose(model, running=[288, 540_988])
        Traceback (most recent call last):
        ...
        cnnexplain.DiagnosisError: diagnose(): running has 2 totals but model 'mnist' has \
3 layers with parameters (conv, hidden, output) and 5 layers in all; give one number per \
layer with parameters, or one per layer. Received: running=[288, 540988].
    """
    if (running is None) == (per_layer is None):
        if running is None:
            raise DiagnosisError(
                "diagnose() needs the hand count: give running= (the running totals) "
                "or per_layer= (one count per layer)."
            )
        raise DiagnosisError(
            "diagnose() takes the hand count as running= or per_layer=, not both. "
            f"Received: running={running!r}, per_layer={per_layer!r}."
        )
    mode: Mode = "running" if running is not None else "per_layer"
    given = _numbers(running if running is not None else per_layer, mode)

    if isinstance(model_or_spec, Breakdown):
        breakdown = model_or_spec
    else:
        from cnnexplain._explain import explain  # noqa: PLC0415

        breakdown = explain(model_or_spec)

    best: tuple[tuple[int, int, int], tuple[LayerRow, ...], tuple[Finding, ...]] | None = None
    for view, indices in _views(breakdown, given, mode):
        rows = tuple(view[i] for i in indices)
        _claimed(rows, given, mode)  # refuses decreasing totals
        steps = []
        for i, (row, index) in enumerate(zip(rows, indices, strict=True)):
            options = _options(view, index)
            applicable = frozenset().union(*(c.systematic for c in options))
            steps.append(Step(row, given[i], i + 1, i == len(rows) - 1, options, applicable))
        key, found = scored_steps(steps, mode)
        if best is None or key < best[0]:
            best = (key, rows, found)
    if best is None:  # pragma: no cover - _views raises when nothing fits
        raise AssertionError
    _, rows, findings = best
    claimed_counts = _claimed(rows, given, mode)
    claimed = given[-1] if mode == "running" and given else sum(given)
    diagnosis = Diagnosis(
        model=breakdown.name,
        mode=mode,
        given=given,
        layers=tuple(r.name for r in rows),
        expected_counts=tuple(r.params for r in rows),
        claimed_counts=claimed_counts,
        expected=breakdown.total,
        claimed=claimed,
        findings=findings,
        breakdown=breakdown,
        note=_misfit(rows, findings),
    )
    if sum(f.amount for f in findings) != diagnosis.gap:  # pragma: no cover - an invariant
        raise AssertionError(f"findings {findings} do not add up to the gap {diagnosis.gap}")
    return diagnosis


_publish(globals())
