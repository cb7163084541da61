"""The search: the cheapest explanation of every step of a hand count.

Each step (one number of the hand count) can be explained by a candidate figure
written exactly, or with a slip or typo on top, or not at all (the rest of the
gap, unexplained). Costs prefer few mistakes and mistakes made consistently: a
systematic mistake assumed for the whole model costs once, not per layer.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from cnnexplain._breakdown import LayerRow
from cnnexplain._diagnose.findings import Finding, FindingKind, Mode
from cnnexplain._diagnose.hand_figures import SYSTEMATIC, Candidate
from cnnexplain._diagnose.slips import one_place, slip_detail, typo_of

__all__ = ["Step", "explain_steps", "scored_steps"]

_COST_HYPOTHESIS = 1  # per systematic mistake assumed for the whole model
_COST_MISTAKE = 2  # per conceptual mistake off the hypothesis
_COST_SLIP = 5  # per slip or typo: a figure that is exactly a known mistake is stronger evidence
_COST_UNEXPLAINED = 20


@dataclass(frozen=True)
class _Path:
    cost: tuple[int, int, int]  # (cost, slips and typos, conceptual mistakes)
    findings: tuple[Finding, ...]

    def then(self, cost: int, slips: int, found: Sequence[Finding]) -> _Path:
        concepts = sum(
            f.kind not in (FindingKind.DIGIT_TYPO, FindingKind.ARITHMETIC_SLIP) for f in found
        )
        c = self.cost
        return _Path((c[0] + cost, c[1] + slips, c[2] + concepts), (*self.findings, *found))


@dataclass(frozen=True)
class Step:
    row: LayerRow
    number: int  # the number as given: a running total or a per-layer count
    position: int  # from 1
    last: bool
    candidates: tuple[Candidate, ...]
    applicable: frozenset[FindingKind]


def _finding(step: Step, kind: FindingKind, amount: int, detail: str) -> Finding:
    return Finding(step.row.name, step.row.kind, kind, amount, detail, step.position)


def _moves(  # noqa: C901
    step: Step, base: int, hypothesis: frozenset[FindingKind], mode: Mode
) -> Iterator[tuple[int, int, int, list[Finding]]]:
    """Each way to explain one step: ``(cost, slips, next state, findings)``.

    ``base`` is the running total the learner carried into this step (0 for
    per-layer counts); the next state is the total they carried out of it.
    """
    running = mode == "running"
    written = step.number
    claimed = written - base if running else written
    expected = step.row.params
    after = written if running else 0
    if step.row.params == 0 and claimed > 0 and len(step.candidates) == 1:
        what = f"{step.row.kind} layers have no parameters, but {claimed:,} were counted"
        kind = FindingKind.ZERO_PARAMETER_LAYER_COUNTED
        yield _COST_MISTAKE, 0, after, [_finding(step, kind, -claimed, what)]
    assumed = hypothesis & step.applicable
    for cand in step.candidates:
        cost = _COST_MISTAKE * (len(cand.systematic ^ assumed) + cand.others)
        concepts = [_finding(step, c.kind, c.amount, c.detail) for c in cand.concepts]
        target = base + cand.hand
        if written == target:
            yield cost, 0, after, concepts
            continue
        if cand.exact_only or cand.hand == 0:
            continue
        cost += _COST_SLIP
        slip = written - target
        typo = typo_of(target, written, substitution=not running)
        if typo is not None:
            detail = f"{target:,} was written as {written:,} ({typo})"
            if running:
                detail = f"the running total {detail}"
            kind = FindingKind.DIGIT_TYPO
            yield cost, 1, after, [*concepts, _finding(step, kind, -slip, detail)]
            if running and not step.last:
                detail += "; the next step went on from the right total, so the sum is unaffected"
                yield cost, 1, target, [*concepts, _finding(step, kind, 0, detail)]
        elif one_place(slip):
            if running:
                detail = slip_detail(base, cand.hand, written)
            else:
                detail = f"{target:,} was written as {written:,}, {abs(slip):,} off"
            yield (
                cost,
                1,
                after,
                [*concepts, _finding(step, FindingKind.ARITHMETIC_SLIP, -slip, detail)],
            )
        elif running and (typo := typo_of(cand.hand, claimed, substitution=False)) is not None:
            detail = f"the layer's figure {cand.hand:,} was added as {claimed:,} ({typo})"
            kind = FindingKind.DIGIT_TYPO
            yield cost, 1, after, [*concepts, _finding(step, kind, -slip, detail)]
    if claimed != expected:
        counted = f"the step added {claimed:,}" if running else f"{claimed:,} was counted"
        detail = (
            f"{counted} where {step.row.framework.shown} has "
            f"{step.row.formula.text(compact=True)} = {expected:,}; "
            f"no known mistake accounts for the difference of {expected - claimed:,}"
        )
        yield (
            _COST_UNEXPLAINED,
            0,
            after,
            [_finding(step, FindingKind.UNEXPLAINED, expected - claimed, detail)],
        )


def _search(steps: Sequence[Step], hypothesis: frozenset[FindingKind], mode: Mode) -> _Path:
    """The cheapest explanation of every step under one hypothesis."""
    paths: dict[int, _Path] = {0: _Path((0, 0, 0), ())}
    for step in steps:
        nxt: dict[int, _Path] = {}
        for base, path in paths.items():
            for cost, slips, state, found in _moves(step, base, hypothesis, mode):
                new = path.then(cost, slips, found)
                if state not in nxt or new.cost < nxt[state].cost:
                    nxt[state] = new
        paths = nxt
    final = steps[-1].number if mode == "running" and steps else 0
    return paths[final]


def _subsets(kinds: Iterable[FindingKind]) -> Iterator[frozenset[FindingKind]]:
    items = [k for k in SYSTEMATIC if k in set(kinds)]
    for n in range(len(items) + 1):
        for combo in itertools.combinations(items, n):
            yield frozenset(combo)


def explain_steps(steps: Sequence[Step], mode: Mode) -> tuple[Finding, ...]:
    """The findings of the cheapest explanation of every step."""
    return scored_steps(steps, mode)[1]


def scored_steps(
    steps: Sequence[Step], mode: Mode
) -> tuple[tuple[int, int, int], tuple[Finding, ...]]:
    """The cheapest explanation's cost ``(cost, slips, mistakes)`` and its findings."""
    applicable = frozenset().union(*(s.applicable for s in steps)) if steps else frozenset()
    best: tuple[tuple[int, int, int], _Path] | None = None
    for hypothesis in _subsets(applicable):
        path = _search(steps, hypothesis, mode)
        cost, slips, concepts = path.cost
        key = (cost + _COST_HYPOTHESIS * len(hypothesis), slips, concepts)
        if best is None or key < best[0]:
            best = (key, path)
    if best is None:  # pragma: no cover - there is always the empty hypothesis
        raise AssertionError
    return best[0], best[1].findings
