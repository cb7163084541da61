"""Shape mistakes: wrong output lengths in a hand count, seen through the Dense after Flatten.

A learner who gets an output length wrong (the floor left out, ``same`` and
``valid`` arithmetic swapped, the dilation forgotten, a pooling rounded up) gets
every later length of that chain wrong too, and so the size `Flatten` produces
and the parameters of the Dense layer after it. Convolution and pooling
parameters do not depend on lengths, so that Dense count is where the mistake
shows. `flatten_mistakes` recomputes the chain of windows before a Flatten under
each mistake and returns the flatten sizes a learner could have reached, with
the first wrong length, their arithmetic and the right one.

Examples:
    >>> from cnnexplain import explain, spec
    >>> model = spec.Sequential([
    ...     spec.Input((28, 28, 1)),
    ...     spec.Conv2D(32, 3, strides=2, name="conv"),
    ...     spec.Flatten(name="flatten"),
    ...     spec.Dense(10, name="dense"),
    ... ])
    >>> rows = explain(model).rows
    >>> first, *_ = flatten_mistakes(rows, 2)
    >>> first.kind.value, first.size
    ('missing_floor', 6272)
    >>> print(first.detail)
    the flatten size was taken as 14·14·32 = 6,272, not 13·13·32 = 5,408: the first \
wrong length is H of 'conv', computed as ⌈(28−3)/2⌉+1 = 14 where Keras has ⌊(28−3)/2⌋+1 = 13 \
(a window that does not fit is dropped, so the division rounds down)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

from cnnexplain._breakdown import LayerRow
from cnnexplain._diagnose.findings import FindingKind
from cnnexplain._framework import Framework
from cnnexplain._rules.families.conv import AXES
from cnnexplain._rules.protocol import Family

__all__ = ["FlattenMistake", "flatten_mistakes"]

_WINDOWED = (Family.CONV, Family.DEPTHWISE, Family.POOL)
"""Rows whose output lengths a window gives (transposed convolutions' are not searched)."""


@dataclass(frozen=True)
class FlattenMistake:
    """A flatten size a learner could reach with one shape mistake, and why.

    Attributes:
        kind: the mistake.
        size: the flatten size it gives.
        detail: one sentence: the size taken and the right one, the first wrong
            length (layer, axis), the learner's arithmetic and the right one.
    """

    kind: FindingKind
    size: int
    detail: str


@dataclass(frozen=True)
class _Window:
    row: LayerRow
    pooling: bool
    positions: tuple[int, ...]  # index of each spatial axis in the shape, batch axis included
    names: tuple[str, ...]
    kernel: tuple[int, ...]
    strides: tuple[int, ...]
    dilation: tuple[int, ...]
    padding: str  # "valid", "same", or "explicit" (torch's padding=p: p added on each side)
    pads: tuple[int, ...] = ()  # torch's padding per axis (each side), else zeros
    ceil: bool = False  # torch's ceil_mode=True
    torch: bool = False

    def pad(self, axis: int) -> int:
        """The padding on each side of ``axis`` (torch's explicit padding, else 0)."""
        return self.pads[axis] if self.pads else 0


def _window(row: LayerRow) -> _Window | None:
    """The sliding window of a convolution or pooling row, from what its rule recorded."""
    w = row.window
    if w is None or row.family not in _WINDOWED:
        return None
    shape = row.input_shape
    torch = row.framework is Framework.TORCH
    if isinstance(shape, list) or len(shape) != w.rank + 2:  # batched input only
        return None
    return _Window(
        row,
        row.family is Family.POOL,
        w.axes,
        AXES[w.rank],
        w.kernel,
        w.strides,
        w.dilation,
        w.padding,
        w.pads if torch else (),
        ceil=w.ceil,
        torch=torch,
    )


def _chain(rows: Sequence[LayerRow], index: int) -> tuple[tuple[int, ...], list[_Window]] | None:
    """The shape a Flatten's chain starts from, and its windows, for the Dense at ``index``.

    The chain runs back from the Dense through layers without parameters that keep
    the shape (Dropout) to a Flatten, then through convolutions, pooling and layers
    that keep the shape (BatchNormalization, activations) to the model's input or
    the first layer that changes the shape some other way.
    """
    current = rows[index].input_shape
    j = index - 1
    while j >= 0 and rows[j].family is not Family.FLATTEN:
        prev = rows[j]
        if prev.params or prev.output_shape != current or prev.input_shape != current:
            return None
        j -= 1
    if j < 0 or rows[j].output_shape != current:
        return None
    current = rows[j].input_shape
    windows: list[_Window] = []
    for prev in reversed(rows[:j]):
        if isinstance(prev.output_shape, list) or prev.output_shape != current:
            break
        w = _window(prev)
        if w is None and prev.input_shape != prev.output_shape:
            break
        if w is not None:
            windows.append(w)
        current = prev.input_shape
    if isinstance(current, list) or any(d is None for d in current[1:]) or not windows:
        return None
    start = tuple(int(d) for d in current[1:] if d is not None)
    return start, windows[::-1]


# ---------------------------------------------------------------------------
# One output length, right or wrong: (value, arithmetic) or None when the mistake
# does not apply to the layer


Length = tuple[Fraction, str]
Mistake = Callable[[Fraction, "_Window", int], "Length | None"]


_SLIDING = frozenset({"valid", "explicit"})
"""Paddings whose length is the sliding-window formula (the others: ``⌈n/s⌉``)."""


def _num(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{float(x):g}"


def _k_text(k: int, d: int) -> str:
    return str(k) if d == 1 else f"({d}·({k}−1)+1)"


def _padded(n: Fraction, p: int) -> str:
    return f"{_num(n)}+{p}+{p}" if p else _num(n)


def _valid(n: Fraction, k: int, s: int, d: int, p: int = 0, *, ceil: bool = False) -> Length:
    """``⌊(n+2p−k_eff)/s⌋+1``; with torch's ``ceil_mode`` rounded up, the last window in range."""
    reach = n + 2 * p - (d * (k - 1) + 1)
    if ceil:
        value = Fraction(math.ceil(reach / s) + 1)
        if (value - 1) * s >= n + p:  # torch: the last window must start inside the input
            value -= 1
        return value, f"⌈({_padded(n, p)}−{_k_text(k, d)})/{s}⌉+1 = {_num(value)}"
    value = Fraction(math.floor(reach / s) + 1)
    return value, f"⌊({_padded(n, p)}−{_k_text(k, d)})/{s}⌋+1 = {_num(value)}"


def _same(n: Fraction, s: int) -> Length:
    value = Fraction(math.ceil(n / s))
    return value, f"⌈{_num(n)}/{s}⌉ = {_num(value)}"


def _right(n: Fraction, w: _Window, axis: int) -> Length:
    k, s, d = w.kernel[axis], w.strides[axis], w.dilation[axis]
    if w.padding in _SLIDING:
        return _valid(n, k, s, d, w.pad(axis), ceil=w.ceil)
    return _same(n, s)


def _rounded_up(n: Fraction, w: _Window, axis: int) -> Length | None:
    k, s, d = w.kernel[axis], w.strides[axis], w.dilation[axis]
    if w.padding not in _SLIDING or w.ceil:
        return None
    p = w.pad(axis)
    value = Fraction(math.ceil((n + 2 * p - (d * (k - 1) + 1)) / s) + 1)
    return value, f"⌈({_padded(n, p)}−{_k_text(k, d)})/{s}⌉+1 = {_num(value)}"


def _unrounded(n: Fraction, w: _Window, axis: int) -> Length | None:
    k, s, d = w.kernel[axis], w.strides[axis], w.dilation[axis]
    if w.padding not in _SLIDING or w.ceil:
        return None
    p = w.pad(axis)
    value = (n + 2 * p - (d * (k - 1) + 1)) / s + 1
    return value, f"({_padded(n, p)}−{_k_text(k, d)})/{s}+1 = {_num(value)}"


def _swapped(n: Fraction, w: _Window, axis: int) -> Length | None:
    """'same' arithmetic for 'valid' and back; torch's explicit padding left out."""
    k, s, d = w.kernel[axis], w.strides[axis], w.dilation[axis]
    if w.padding == "valid":
        return _same(n, s)
    if w.padding in {"same", "explicit"}:
        return _valid(n, k, s, d, ceil=w.ceil)
    return None


def _no_dilation(n: Fraction, w: _Window, axis: int) -> Length | None:
    k, s, d = w.kernel[axis], w.strides[axis], w.dilation[axis]
    if w.padding not in _SLIDING or d == 1:
        return None
    return _valid(n, k, s, 1, w.pad(axis), ceil=w.ceil)


def _reason(mistake: Mistake, w: _Window, axis: int) -> tuple[FindingKind, str]:
    if w.torch:
        return _torch_reason(mistake, w, axis)
    name = w.row.name
    if mistake in (_rounded_up, _unrounded):
        if w.pooling:
            why = (
                "with padding='valid' an incomplete pooling window is dropped, "
                "so the division rounds down"
            )
            return FindingKind.MISSING_POOLING_FLOOR, why
        why = (
            "a window that does not fit is dropped, so the division rounds down"
            if mistake is _rounded_up
            else "a window either fits or is dropped, so the division rounds down"
        )
        return FindingKind.MISSING_FLOOR, why
    if mistake is _swapped:
        if w.padding == "valid":
            why = f"'{name}' has padding='valid'; ⌈n/s⌉ is the length with padding='same'"
        else:
            why = f"'{name}' has padding='same', which pads the input so the length is ⌈n/s⌉"
        return FindingKind.PADDING_SWAPPED, why
    k, d = w.kernel[axis], w.dilation[axis]
    return (
        FindingKind.FORGOTTEN_DILATION,
        f"with dilation_rate={d} the {k}-wide kernel spans {d}·({k}−1)+1 = {d * (k - 1) + 1}",
    )


def _torch_reason(mistake: Mistake, w: _Window, axis: int) -> tuple[FindingKind, str]:
    """The same reasons in torch's words: ``padding=p``, ``dilation``, ``ceil_mode``."""
    name = w.row.name
    if mistake in (_rounded_up, _unrounded):
        if w.pooling:
            why = (
                "with ceil_mode=False an incomplete pooling window is dropped, "
                "so the division rounds down"
            )
            return FindingKind.MISSING_POOLING_FLOOR, why
        return FindingKind.MISSING_FLOOR, (
            "a window that does not fit is dropped, so the division rounds down"
        )
    if mistake is _swapped:
        p = w.pad(axis)
        why = {
            "valid": f"'{name}' has padding=0; ⌈n/s⌉ is Keras's length with padding='same'",
            "same": f"'{name}' has padding='same', which pads the input to keep the length",
            "explicit": f"'{name}' has padding={p}, which adds {p} on each side first",
        }[w.padding]
        return FindingKind.PADDING_SWAPPED, why
    k, d = w.kernel[axis], w.dilation[axis]
    return (
        FindingKind.FORGOTTEN_DILATION,
        f"with dilation={d} the {k}-wide kernel spans {d}·({k}−1)+1 = {d * (k - 1) + 1}",
    )


def _apply(
    start: tuple[int, ...], windows: Sequence[_Window], mistake: Mistake, chosen: frozenset[int]
) -> FlattenMistake | None:
    """The flatten size with ``mistake`` made on the windows ``chosen`` (their indices)."""
    dims = [Fraction(d) for d in start]
    right = list(dims)
    first: tuple[FindingKind, str] | None = None
    for i, w in enumerate(windows):
        for axis, (pos, name) in enumerate(zip(w.positions, w.names, strict=True)):
            good = _right(right[pos - 1], w, axis)
            right[pos - 1] = good[0]
            value, text = _right(dims[pos - 1], w, axis)
            if i in chosen:
                wrong = mistake(dims[pos - 1], w, axis)
                if wrong is not None:
                    value, text = wrong
            if value < 1:
                return None  # a length of zero or less: the learner would have noticed
            if first is None and value != good[0]:
                kind, why = _reason(mistake, w, axis)
                first = (
                    kind,
                    (
                        f"the first wrong length is {name} of '{w.row.name}', computed as {text} "
                        f"where {'PyTorch' if w.torch else 'Keras'} has {good[1]} ({why})"
                    ),
                )
            dims[pos - 1] = value
        out = w.row.output_shape
        for pos in range(1, len(dims) + 1):
            channels = out[pos] if isinstance(out, tuple) and pos not in w.positions else None
            if channels is not None:
                dims[pos - 1] = right[pos - 1] = Fraction(channels)  # F, C_in·m...
    size = math.prod(dims)
    if first is None or size.denominator != 1:
        return None
    n_in = math.prod(right)
    detail = (
        f"the flatten size was taken as {'·'.join(_num(d) for d in dims)} = {int(size):,}, "
        f"not {'·'.join(_num(d) for d in right)} = {int(n_in):,}: {first[1]}"
    )
    return FlattenMistake(first[0], int(size), detail)


_MISTAKES: tuple[Mistake, ...] = (_rounded_up, _unrounded, _swapped, _no_dilation)


def _choices(windows: Sequence[_Window]) -> Iterator[frozenset[int]]:
    """Every window, the convolutions, the poolings, then each window alone."""
    every = range(len(windows))
    yield frozenset(every)
    yield frozenset(i for i in every if not windows[i].pooling)
    yield frozenset(i for i in every if windows[i].pooling)
    for i in every:
        yield frozenset((i,))


def flatten_mistakes(rows: Sequence[LayerRow], index: int) -> list[FlattenMistake]:
    """The flatten sizes one shape mistake gives for the Dense at ``rows[index]``.

    Each mistake is made on every window of the chain first (a learner repeats
    it), then on the convolutions or poolings only, then on each window alone.
    Sizes are distinct and differ from the right one; the first reason found for
    a size is kept.
    """
    chain = _chain(rows, index)
    if chain is None:
        return []
    start, windows = chain
    found: dict[int, FlattenMistake] = {}
    for mistake in _MISTAKES:
        for chosen in _choices(windows):
            result = _apply(start, windows, mistake, chosen) if chosen else None
            if result is not None and result.size not in found:
                found[result.size] = result
    return list(found.values())
