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
import math
import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from cnnexplain import _publish
from cnnexplain._breakdown import Breakdown, LayerRow
from cnnexplain._errors import DiagnosisError

__all__ = ["Diagnosis", "Finding", "FindingKind", "diagnose"]

Mode = Literal["running", "per_layer"]


class FindingKind(str, Enum):
    """What kind of mistake a `Finding` reports (a string enum: ``"missing_bias"``...).

    Examples:
        >>> from cnnexplain import FindingKind
        >>> FindingKind("missing_bias") is FindingKind.MISSING_BIAS
        True
        >>> FindingKind.BATCHNORM_STATISTICS.label
        'BatchNormalization statistics left out'
        >>> FindingKind("missing bias")
        Traceback (most recent call last):
        ...
        ValueError: 'missing bias' is not a valid FindingKind
    """

    MISSING_BIAS = "missing_bias"
    """The layer's bias vector was left out: ``k·k·C_in·F`` instead of ``(k·k·C_in+1)·F``."""
    FORGOTTEN_INPUT_CHANNELS = "forgotten_input_channels"
    """A convolution counted as ``k_h·k_w·F`` (+F): each filter spans all ``C_in`` channels."""
    WRONG_FLATTEN_SIZE = "wrong_flatten_size"
    """A Dense layer counted with the size of an earlier tensor (e.g. before pooling)."""
    ZERO_PARAMETER_LAYER_COUNTED = "zero_parameter_layer_counted"
    """Parameters counted for a layer that has none (pooling, Flatten, Dropout...)."""
    BATCHNORM_STATISTICS = "batchnorm_statistics"
    """BatchNormalization counted as ``2·C``; Keras also counts its moving statistics (``4·C``)."""
    SKIPPED_LAYER = "skipped_layer"
    """A layer with parameters counted as having none."""
    DIGIT_TYPO = "digit_typo"
    """A number written with two digits swapped, one digit wrong, left out or repeated."""
    ARITHMETIC_SLIP = "arithmetic_slip"
    """A sum or product off by one digit's worth (a dropped carry, a misread digit)."""
    UNEXPLAINED = "unexplained"
    """The part of the gap no known mistake accounts for."""

    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        """A short human name, e.g. ``missing bias``."""
        return _LABELS[self]


_LABELS = {
    FindingKind.MISSING_BIAS: "missing bias",
    FindingKind.FORGOTTEN_INPUT_CHANNELS: "forgotten input channels",
    FindingKind.WRONG_FLATTEN_SIZE: "wrong flatten size",
    FindingKind.ZERO_PARAMETER_LAYER_COUNTED: "parameters counted for a layer without any",
    FindingKind.BATCHNORM_STATISTICS: "BatchNormalization statistics left out",
    FindingKind.SKIPPED_LAYER: "layer counted as 0",
    FindingKind.DIGIT_TYPO: "digit typo",
    FindingKind.ARITHMETIC_SLIP: "arithmetic slip",
    FindingKind.UNEXPLAINED: "unexplained",
}


@dataclass(frozen=True)
class Finding:
    """One mistake in a hand count and its share of the gap.

    Attributes:
        layer: the layer's name.
        layer_kind: its Keras class name (``Conv2D``).
        kind: what went wrong.
        amount: its share of the gap, Keras's count minus the hand count:
            positive when parameters were missed, negative when too many were counted.
        detail: one sentence with the numbers, e.g. ``the 32 biases, one per filter,
            were not counted``.
        step: the position (from 1) in the numbers given to `diagnose`.
    """

    layer: str
    layer_kind: str
    kind: FindingKind
    amount: int
    detail: str
    step: int

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data."""
        return {
            "layer": self.layer,
            "layer_kind": self.layer_kind,
            "step": self.step,
            "kind": self.kind.value,
            "amount": self.amount,
            "detail": self.detail,
        }


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
        """One sentence comparing the two totals."""
        where = f"for model '{self.model}'"
        if self.gap == 0:
            return f"The hand count matches Keras's {self.expected:,} parameters {where}."
        side = f"{self.gap:,} short of" if self.gap > 0 else f"{-self.gap:,} more than"
        return f"The hand count, {self.claimed:,}, is {side} Keras's {self.expected:,} {where}."

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
            f"  {f.layer} ({f.layer_kind}), {f.kind.label}, {_signed(f.amount)}: {f.detail}."
            for f in self.findings
        ]
        if len(self.findings) > 1:
            lines.append(f"  {self.equation()}.")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """The headline, a table of findings (step, layer, kind, amount, why) and the sum."""
        head = self.headline().replace(f"'{self.model}'", f"`{self.model}`")
        if not self.findings:
            return head + "\n"
        out = [
            head,
            "",
            "| Step | Layer | Finding | Amount | Why |",
            "|---:|---|---|---:|---|",
        ]
        out += [
            f"| {f.step} | `{f.layer}` ({f.layer_kind}) | {f.kind.label} | "
            f"{_signed(f.amount)} | {f.detail.replace('|', chr(92) + '|')} |"
            for f in self.findings
        ]
        if len(self.findings) > 1:
            out += ["", f"Together: {self.equation()}."]
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
        }


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


def _align(breakdown: Breakdown, given: tuple[int, ...], argument: str) -> tuple[int, ...]:
    """The index of the row each number belongs to."""
    rows = breakdown.rows
    with_params = tuple(r for r in rows if r.params)
    if len(given) == len(with_params):
        return tuple(i for i, r in enumerate(rows) if r.params)
    if len(given) == len(rows):
        return tuple(range(len(rows)))
    what = "totals" if argument == "running" else "counts"
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


# ---------------------------------------------------------------------------
# Candidate hand figures for one layer


_SYSTEMATIC = (
    FindingKind.MISSING_BIAS,
    FindingKind.FORGOTTEN_INPUT_CHANNELS,
    FindingKind.BATCHNORM_STATISTICS,
)
"""Mistakes a learner tends to repeat on every layer they apply to."""

_CONV = ("Conv1D", "Conv2D", "Conv3D")
_COST_HYPOTHESIS = 1  # per systematic mistake assumed for the whole model
_COST_MISTAKE = 2  # per conceptual mistake off the hypothesis
_COST_SLIP = 5  # per slip or typo: a figure that is exactly a known mistake is stronger evidence
_COST_UNEXPLAINED = 20


@dataclass(frozen=True)
class _Concept:
    kind: FindingKind
    amount: int
    detail: str


@dataclass(frozen=True)
class _Candidate:
    """A hand figure a learner may have computed for a layer, and the mistakes behind it."""

    hand: int
    concepts: tuple[_Concept, ...] = ()
    exact_only: bool = False  # no slip or typo on top (a skipped or zero-parameter layer)

    @property
    def systematic(self) -> frozenset[FindingKind]:
        return frozenset(c.kind for c in self.concepts if c.kind in _SYSTEMATIC)

    @property
    def others(self) -> int:
        return sum(c.kind not in _SYSTEMATIC for c in self.concepts)


def _dims(shape: Sequence[int]) -> str:
    return "·".join(str(d) for d in shape)


def _earlier_sizes(rows: Sequence[LayerRow], index: int) -> list[tuple[int, str, str]]:
    """Sizes of the tensors before a Dense layer, back through layers without parameters.

    Each is ``(size, shape text, layer name)``: the input of each parameter-free
    layer that leads to this one (Flatten, pooling, Dropout...), e.g. the 26×26×32
    output of a convolution before its 2×2 pooling.
    """
    found: list[tuple[int, str, str]] = []
    current = rows[index].input_shape
    for j in range(index - 1, -1, -1):
        prev = rows[j]
        if prev.params or prev.output_shape != current or isinstance(prev.input_shape, list):
            break
        current = prev.input_shape
        dims = [d for d in current[1:] if d is not None]
        if not dims or len(dims) != len(current) - 1:
            break
        found.append((math.prod(dims), "×".join(str(d) for d in dims), prev.name))
    return found


def _candidates(rows: Sequence[LayerRow], index: int) -> list[_Candidate]:  # noqa: C901
    """The figures a learner may have written for ``rows[index]``, right one first."""
    row = rows[index]
    if row.params == 0:
        return [_Candidate(0)]
    weights = {w.name: w for w in row.weights}
    if sum(w.size for w in row.weights) != row.params or len(weights) != len(row.weights):
        return [_Candidate(row.params), _skipped(row)]
    kernel, bias = weights.get("kernel"), weights.get("bias")

    bias_options: list[_Concept | None] = [None]
    if bias is not None:
        per = {"Dense": "unit"}.get(row.kind, "filter" if row.kind in _CONV else "output channel")
        bias_options.append(
            _Concept(
                FindingKind.MISSING_BIAS,
                bias.size,
                f"the {bias.size:,} biases, one per {per}, were not counted",
            )
        )

    kernel_options: list[tuple[int, _Concept | None]] = []
    if kernel is not None:
        kernel_options.append((kernel.size, None))
        if row.kind in _CONV and len(kernel.shape) >= 3 and kernel.shape[-2] > 1:  # noqa: PLR2004
            c_in = kernel.shape[-2]
            reduced = kernel.size // c_in
            short = (*kernel.shape[:-2], kernel.shape[-1])
            kernel_options.append(
                (
                    reduced,
                    _Concept(
                        FindingKind.FORGOTTEN_INPUT_CHANNELS,
                        kernel.size - reduced,
                        f"the kernel was counted as {_dims(short)} = {reduced:,}, leaving out "
                        f"its {c_in} input channels: it is {_dims(kernel.shape)} = "
                        f"{kernel.size:,}",
                    ),
                )
            )
        if row.kind == "Dense" and len(kernel.shape) == 2:  # noqa: PLR2004
            n_in, units = kernel.shape
            seen = {n_in}
            for size, text, source in _earlier_sizes(rows, index):
                if size in seen:
                    continue
                seen.add(size)
                kernel_options.append(
                    (
                        size * units,
                        _Concept(
                            FindingKind.WRONG_FLATTEN_SIZE,
                            (n_in - size) * units,
                            f"the input size was taken as {text} = {size:,} (what enters "
                            f"'{source}') instead of the {n_in:,} values that reach this layer",
                        ),
                    )
                )
    else:
        kernel_options.append((0, None))

    stats_options: list[_Concept | None] = [None]
    stats = [w for w in row.weights if not w.trainable and w.name.startswith("moving_")]
    if row.kind == "BatchNormalization" and stats:
        size = sum(w.size for w in stats)
        names = " and ".join(w.name for w in stats)
        stats_options.append(
            _Concept(
                FindingKind.BATCHNORM_STATISTICS,
                size,
                f"{names} ({len(stats)}·{stats[0].size} = {size:,}) were not counted; "
                "they are not trained by gradients, but Keras counts them as non-trainable "
                "parameters",
            )
        )

    rest = row.params - (kernel.size if kernel else 0) - (bias.size if bias else 0)
    out = []
    for (k_size, k_concept), b_concept, s_concept in itertools.product(
        kernel_options, bias_options, stats_options
    ):
        concepts = tuple(c for c in (k_concept, b_concept, s_concept) if c is not None)
        hand = (
            k_size
            + (bias.size if bias is not None and b_concept is None else 0)
            + rest
            - (s_concept.amount if s_concept else 0)
        )
        out.append(_Candidate(hand, concepts))
    out.sort(key=lambda c: len(c.concepts))
    out.append(_skipped(row))
    return out


def _skipped(row: LayerRow) -> _Candidate:
    return _Candidate(
        0,
        (
            _Concept(
                FindingKind.SKIPPED_LAYER,
                row.params,
                f"nothing was counted for it, but it has {row.formula.text(compact=True)} = "
                f"{row.params:,} parameters",
            ),
        ),
        exact_only=True,
    )


# ---------------------------------------------------------------------------
# Slips and typos


def _one_place(difference: int) -> bool:
    """True if the difference is one digit's worth, d·10^j with 1 <= d <= 9."""
    a = abs(difference)
    if a == 0:
        return False
    while a % 10 == 0:
        a //= 10
    return a < 10  # noqa: PLR2004


def _same_length_typo(a: str, b: str, *, substitution: bool) -> str | None:
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) == 1 and substitution:
        return "one digit wrong"
    swapped = len(diff) == 2 and diff[1] == diff[0] + 1  # noqa: PLR2004
    if swapped and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
        return "two digits swapped"
    return None


def _typo(intended: int, written: int, *, substitution: bool) -> str | None:
    """How ``written`` is a typo of ``intended``, or None.

    Examples:
        >>> _typo(1010, 1001, substitution=False)
        'two digits swapped'
        >>> _typo(540900, 54900, substitution=False)
        'a digit left out'
        >>> _typo(320, 3220, substitution=False)
        'a digit repeated'
        >>> _typo(541088, 540988, substitution=True) is None  # two digits differ
        True
    """
    a, b = str(intended), str(written)
    if intended < 10 or a == b:  # noqa: PLR2004
        return None
    if len(a) == len(b):
        return _same_length_typo(a, b, substitution=substitution)
    if len(b) == len(a) - 1 and any(a[:i] + a[i + 1 :] == b for i in range(len(a))):
        return "a digit left out"
    extra = [i for i in range(len(b)) if len(b) == len(a) + 1 and b[:i] + b[i + 1 :] == a]
    if not extra:
        return None
    i = extra[0]
    repeated = (i > 0 and b[i - 1] == b[i]) or (i + 1 < len(b) and b[i + 1] == b[i])
    return "a digit repeated" if repeated else "an extra digit"


def _carry_dropped(a: int, b: int, difference: int) -> bool:
    """True if ``a + b`` written ``difference`` off is the sum with one carry dropped."""
    if difference >= 0:
        return False
    carry, place = 0, 1
    while a or b or carry:
        total = a % 10 + b % 10 + carry
        carry = total // 10
        a, b, place = a // 10, b // 10, place * 10
        if carry and difference == -place:
            return True
    return False


def _slip_detail(base: int, hand: int, written: int) -> str:
    """Why a running total ``base + hand`` came out as ``written``."""
    right = base + hand
    s = written - right
    text = (
        f"{base:,} + {hand:,} = {right:,}, but {written:,} was written: "
        f"the step added {written - base:,} instead of {hand:,}"
    )
    if _typo(base, base + s, substitution=True) == "one digit wrong":
        return f"{text} (as if the running total {base:,} had been read as {base + s:,})"
    if _typo(hand, hand + s, substitution=True) == "one digit wrong":
        return f"{text} (as if {hand:,} had been read as {hand + s:,})"
    if _carry_dropped(base, hand, s):
        return f"{text} (a carry was dropped)"
    return text


# ---------------------------------------------------------------------------
# The search


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
class _Step:
    row: LayerRow
    number: int  # the number as given: a running total or a per-layer count
    position: int  # from 1
    last: bool
    candidates: tuple[_Candidate, ...]
    applicable: frozenset[FindingKind]


def _finding(step: _Step, kind: FindingKind, amount: int, detail: str) -> Finding:
    return Finding(step.row.name, step.row.kind, kind, amount, detail, step.position)


def _moves(  # noqa: C901
    step: _Step, base: int, hypothesis: frozenset[FindingKind], mode: Mode
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
    if step.row.params == 0 and claimed > 0:
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
        typo = _typo(target, written, substitution=not running)
        if typo is not None:
            detail = f"{target:,} was written as {written:,} ({typo})"
            if running:
                detail = f"the running total {detail}"
            kind = FindingKind.DIGIT_TYPO
            yield cost, 1, after, [*concepts, _finding(step, kind, -slip, detail)]
            if running and not step.last:
                detail += "; the next step went on from the right total, so the sum is unaffected"
                yield cost, 1, target, [*concepts, _finding(step, kind, 0, detail)]
        elif _one_place(slip):
            if running:
                detail = _slip_detail(base, cand.hand, written)
            else:
                detail = f"{target:,} was written as {written:,}, {abs(slip):,} off"
            yield (
                cost,
                1,
                after,
                [*concepts, _finding(step, FindingKind.ARITHMETIC_SLIP, -slip, detail)],
            )
        elif running and (typo := _typo(cand.hand, claimed, substitution=False)) is not None:
            detail = f"the layer's figure {cand.hand:,} was added as {claimed:,} ({typo})"
            kind = FindingKind.DIGIT_TYPO
            yield cost, 1, after, [*concepts, _finding(step, kind, -slip, detail)]
    if claimed != expected:
        counted = f"the step added {claimed:,}" if running else f"{claimed:,} was counted"
        detail = (
            f"{counted} where Keras has {step.row.formula.text(compact=True)} = {expected:,}; "
            f"no known mistake accounts for the difference of {expected - claimed:,}"
        )
        yield (
            _COST_UNEXPLAINED,
            0,
            after,
            [_finding(step, FindingKind.UNEXPLAINED, expected - claimed, detail)],
        )


def _search(steps: Sequence[_Step], hypothesis: frozenset[FindingKind], mode: Mode) -> _Path:
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
    items = [k for k in _SYSTEMATIC if k in set(kinds)]
    for n in range(len(items) + 1):
        for combo in itertools.combinations(items, n):
            yield frozenset(combo)


def _explain(steps: Sequence[_Step], mode: Mode) -> tuple[Finding, ...]:
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
    return best[1].findings


# ---------------------------------------------------------------------------
# The entry point


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

    indices = _align(breakdown, given, mode)
    rows = tuple(breakdown.rows[i] for i in indices)
    if mode == "running":
        claimed_counts = tuple(b - a for a, b in itertools.pairwise((0, *given)))
        for i, step in enumerate(claimed_counts):
            if step < 0:
                raise DiagnosisError(
                    f"diagnose(): running totals cannot decrease, but step {i + 1} "
                    f"(layer '{rows[i].name}') goes from {given[i - 1]:,} to {given[i]:,}. "
                    f"Received: running={list(given)!r}.",
                    argument="running",
                )
    else:
        claimed_counts = given

    steps = []
    for i, (row, index) in enumerate(zip(rows, indices, strict=True)):
        candidates = tuple(_candidates(breakdown.rows, index))
        applicable = frozenset().union(*(c.systematic for c in candidates))
        steps.append(_Step(row, given[i], i + 1, i == len(rows) - 1, candidates, applicable))
    findings = _explain(steps, mode)
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
    )
    if sum(f.amount for f in findings) != diagnosis.gap:  # pragma: no cover - an invariant
        raise AssertionError(f"findings {findings} do not add up to the gap {diagnosis.gap}")
    return diagnosis


_publish(globals())
