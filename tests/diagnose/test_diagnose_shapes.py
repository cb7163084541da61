"""diagnose(): shape mistakes (floor, pooling floor, padding swapped, dilation) in random models.

The generator draws convolution and pooling chains before a Flatten and a Dense
layer, and computes every output length itself, right and under each mistake
(with fractions, apart from cnnexplain). One mistake is injected into the
Dense count, as a learner's wrong flatten size would give it; `diagnose` must
name it, its amount and the first wrong length.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar

import pytest
import torch
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from torch import nn

import cnnexplain
from cnnexplain import FindingKind, spec

K = FindingKind


@dataclass(frozen=True)
class Win:
    """One convolution or pooling window, as drawn."""

    name: str
    pooling: bool
    k: int
    s: int
    d: int
    padding: str
    channels: int  # output channels


def right(n: Fraction, w: Win) -> Fraction:
    if w.padding == "same":
        return Fraction(math.ceil(n / w.s))
    return Fraction((n - (w.d * (w.k - 1) + 1)) // w.s + 1)


def rounded_up(n: Fraction, w: Win) -> Fraction | None:
    if w.padding != "valid":
        return None
    return Fraction(math.ceil((n - (w.d * (w.k - 1) + 1)) / w.s) + 1)


def unrounded(n: Fraction, w: Win) -> Fraction | None:
    if w.padding != "valid":
        return None
    return (n - (w.d * (w.k - 1) + 1)) / w.s + 1


def swapped(n: Fraction, w: Win) -> Fraction | None:
    other = Win(w.name, w.pooling, w.k, w.s, w.d, "same" if w.padding == "valid" else "valid", 0)
    return right(n, other)


def no_dilation(n: Fraction, w: Win) -> Fraction | None:
    if w.padding != "valid" or w.d == 1:
        return None
    return right(n, Win(w.name, w.pooling, w.k, w.s, 1, w.padding, 0))


Mistake = Callable[[Fraction, Win], Fraction | None]
MISTAKES: dict[str, Mistake] = {
    "rounded_up": rounded_up,
    "unrounded": unrounded,
    "swapped": swapped,
    "no_dilation": no_dilation,
}


def kind_of(mistake: str, first: Win) -> FindingKind:
    if mistake in ("rounded_up", "unrounded"):
        return K.MISSING_POOLING_FLOOR if first.pooling else K.MISSING_FLOOR
    return K.PADDING_SWAPPED if mistake == "swapped" else K.FORGOTTEN_DILATION


@dataclass(frozen=True)
class Outcome:
    kind: FindingKind
    size: int
    dims: tuple[Fraction, ...]
    first: str  # the layer with the first wrong length


W = TypeVar("W", "Win", "TorchWin")


def _chain(
    h: int,
    windows: list[W],
    length: Callable[[Fraction, W], Fraction],
    wrong_length: Callable[[Fraction, W], Fraction | None],
    chosen: set[int],
) -> tuple[Fraction, W] | None:
    """The last length with the mistake made on the windows ``chosen``, and the first wrong."""
    n, good = Fraction(h), Fraction(h)
    first: W | None = None
    for i, w in enumerate(windows):
        r = length(good, w)
        value = length(n, w)
        if i in chosen:
            wrong = wrong_length(n, w)
            value = value if wrong is None else wrong
        if value < 1:
            return None
        if first is None and value != r:
            first = w
        n, good = value, r
    size = n * n * windows[-1].channels
    if first is None or size.denominator != 1:
        return None
    return n, first


def run(h: int, windows: list[Win], mistake: str, chosen: set[int]) -> Outcome | None:
    """The flatten size with ``mistake`` made on the windows ``chosen`` (square inputs)."""
    found = _chain(h, windows, right, MISTAKES[mistake], chosen)
    if found is None:
        return None
    (n, first), c = found, windows[-1].channels
    return Outcome(kind_of(mistake, first), int(n * n * c), (n, n, Fraction(c)), first.name)


def choices(windows: list[Win]) -> Iterator[set[int]]:
    every = set(range(len(windows)))
    yield every
    yield {i for i in every if not windows[i].pooling}
    yield {i for i in every if windows[i].pooling}
    for i in every:
        yield {i}


@dataclass
class ShapeModel:
    model: spec.Sequential
    h: int
    windows: list[Win]
    counts: list[int]  # right counts of the layers with parameters
    dense: int  # index of the Dense among them
    units: int
    bias: bool
    n_in: int
    before_pooling: int | None


@st.composite
def shape_models(draw: st.DrawFn) -> ShapeModel:
    """Input h×h×c, one or two Conv2D (strided, dilated or padded) each maybe pooled, Dense."""
    rng = draw(st.randoms(use_true_random=False))  # uniform choices of strides and dilation
    h = draw(st.integers(7, 30))
    c_in = c = draw(st.integers(1, 3))
    layers: list[spec.Layer] = []
    windows: list[Win] = []
    counts: list[int] = []
    n = h
    before_pooling = None
    for b in range(draw(st.integers(1, 2))):
        k = draw(st.integers(1, 5))
        s, d = rng.choice([(1, 1), (2, 1), (3, 1), (1, 2), (1, 3)])
        padding = rng.choice(["valid", "same"])
        f = draw(st.integers(1, 8))
        w = Win(f"conv{b}", pooling=False, k=k, s=s, d=d, padding=padding, channels=f)
        value = right(Fraction(n), w)
        assume(value >= 1)
        layers.append(spec.Conv2D(f, k, strides=s, dilation_rate=d, padding=padding, name=w.name))
        windows.append(w)
        counts.append((k * k * c + 1) * f)
        n, c = int(value), f
        before_pooling = None
        if draw(st.booleans()):
            p = draw(st.integers(2, 3))
            pad = rng.choice(["valid", "valid", "same"])
            pw = Win(f"pool{b}", pooling=True, k=p, s=p, d=1, padding=pad, channels=c)
            value = right(Fraction(n), pw)
            assume(value >= 1)
            layers.append(spec.MaxPooling2D(p, padding=pad, name=pw.name))
            windows.append(pw)
            before_pooling = n * n * c
            n = int(value)
    layers.append(spec.Flatten(name="flatten"))
    units = draw(st.integers(1, 12))
    bias = draw(st.booleans())
    n_in = n * n * c
    layers.append(spec.Dense(units, use_bias=bias, name="dense"))
    counts.append(n_in * units + units * bias)
    model = spec.Sequential([spec.Input((h, h, c_in)), *layers])
    return ShapeModel(model, h, windows, counts, len(counts) - 1, units, bias, n_in, before_pooling)


def outcomes(sm: ShapeModel) -> list[tuple[str, set[int], Outcome]]:
    found = []
    for mistake, chosen in itertools.product(MISTAKES, list(choices(sm.windows))):
        out = run(sm.h, sm.windows, mistake, chosen) if chosen else None
        if out is not None:
            found.append((mistake, chosen, out))
    return found


SHAPES = settings(
    max_examples=100,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@SHAPES
@given(sm=shape_models(), data=st.data())
def test_property_a_shape_mistake_is_named(sm: ShapeModel, data: st.DataObject) -> None:
    found = outcomes(sm)
    assume(found)
    rng = data.draw(st.randoms(use_true_random=False))  # uniform: sampled_from favours the first
    kind = rng.choice(sorted({o.kind for _, _, o in found}))
    mistake, _, injected = rng.choice([f for f in found if f[2].kind == kind])
    assume(injected.size not in (sm.n_in, sm.before_pooling))
    # Two mistakes can reach the same size: the first in the order floor, unrounded,
    # padding swapped, dilation (every window, convolutions, poolings, each alone) is named.
    out = next(o for _, _, o in found if o.size == injected.size)
    event(out.kind.value)
    counts = list(sm.counts)
    counts[sm.dense] = out.size * sm.units + sm.units * sm.bias
    as_running = data.draw(st.booleans())
    hand = {"running": list(itertools.accumulate(counts))} if as_running else {"per_layer": counts}
    d = cnnexplain.diagnose(sm.model, **hand)
    assert sum(f.amount for f in d.findings) == d.gap
    assert [(f.layer, f.kind, f.amount) for f in d.findings] == [
        ("dense", out.kind, (sm.n_in - out.size) * sm.units)
    ], (mistake, str(d))
    detail = d.findings[0].detail
    dims = "·".join(f"{float(x):g}" if x.denominator != 1 else str(x) for x in out.dims)
    assert detail.startswith(f"the flatten size was taken as {dims} = {out.size:,}, not ")
    # Several windows can lead to the same size: the one named is one of them.
    firsts = {o.first for _, _, o in found if o.size == out.size}
    assert any(f"the first wrong length is H of '{f}', computed as " in detail for f in firsts)


@SHAPES
@given(sm=shape_models())
def test_property_right_lengths_give_no_finding(sm: ShapeModel) -> None:
    d = cnnexplain.diagnose(sm.model, per_layer=sm.counts)
    assert d.findings == ()
    assert [r.params for r in d.breakdown.rows if r.params] == sm.counts


def conv_flatten(*layers: spec.Layer, h: int = 28) -> spec.Sequential:
    return spec.Sequential(
        [
            spec.Input((h, h, 1)),
            *layers,
            spec.Flatten(name="flatten"),
            spec.Dense(10, name="dense"),
        ],
        name="m",
    )


EXAMPLES = [
    (
        conv_flatten(spec.Conv2D(8, 3, strides=2, name="conv")),
        14 * 14 * 8,
        K.MISSING_FLOOR,
        (
            "the flatten size was taken as 14·14·8 = 1,568, not 13·13·8 = 1,352: the first wrong "
            "length is H of 'conv', computed as ⌈(28−3)/2⌉+1 = 14 where Keras has "
            "⌊(28−3)/2⌋+1 = 13 (a window that does not fit is dropped, so the division rounds down)"
        ),
    ),
    (
        conv_flatten(spec.Conv2D(8, 3, strides=2, name="conv"), h=8),
        98,  # 3.5·3.5·8
        K.MISSING_FLOOR,
        (
            "the flatten size was taken as 3.5·3.5·8 = 98, not 3·3·8 = 72: the first wrong length "
            "is H of 'conv', computed as (8−3)/2+1 = 3.5 where Keras has ⌊(8−3)/2⌋+1 = 3 (a window "
            "either fits or is dropped, so the division rounds down)"
        ),
    ),
    (
        conv_flatten(spec.Conv2D(8, 4, name="conv"), spec.MaxPooling2D(2, name="pool")),
        13 * 13 * 8,
        K.MISSING_POOLING_FLOOR,
        (
            "the flatten size was taken as 13·13·8 = 1,352, not 12·12·8 = 1,152: the first wrong "
            "length is H of 'pool', computed as ⌈(25−2)/2⌉+1 = 13 where Keras has "
            "⌊(25−2)/2⌋+1 = 12 (with padding='valid' an incomplete pooling window is dropped, "
            "so the division rounds down)"
        ),
    ),
    (
        conv_flatten(spec.Conv2D(8, 3, padding="same", name="conv")),
        26 * 26 * 8,
        K.PADDING_SWAPPED,
        (
            "the flatten size was taken as 26·26·8 = 5,408, not 28·28·8 = 6,272: the first wrong "
            "length is H of 'conv', computed as ⌊(28−3)/1⌋+1 = 26 where Keras has ⌈28/1⌉ = 28 "
            "('conv' has padding='same', which pads the input so the length is ⌈n/s⌉)"
        ),
    ),
    (
        conv_flatten(spec.Conv2D(8, 3, strides=2, name="conv"), h=9),
        5 * 5 * 8,  # ⌈9/2⌉
        K.PADDING_SWAPPED,
        (
            "the flatten size was taken as 5·5·8 = 200, not 4·4·8 = 128: the first wrong length is "
            "H of 'conv', computed as ⌈9/2⌉ = 5 where Keras has ⌊(9−3)/2⌋+1 = 4 ('conv' has "
            "padding='valid'; ⌈n/s⌉ is the length with padding='same')"
        ),
    ),
    (
        conv_flatten(spec.Conv2D(8, 3, dilation_rate=2, name="conv")),
        26 * 26 * 8,
        K.FORGOTTEN_DILATION,
        (
            "the flatten size was taken as 26·26·8 = 5,408, not 24·24·8 = 4,608: the first wrong "
            "length is H of 'conv', computed as ⌊(28−3)/1⌋+1 = 26 where Keras has "
            "⌊(28−(2·(3−1)+1))/1⌋+1 = 24 (with dilation_rate=2 the 3-wide kernel spans "
            "2·(3−1)+1 = 5)"
        ),
    ),
]


@pytest.mark.parametrize(("model", "size", "kind", "detail"), EXAMPLES)
def test_each_shape_mistake_names_the_first_wrong_length(
    model: spec.Sequential, size: int, kind: FindingKind, detail: str
) -> None:
    b = cnnexplain.explain(model)
    conv, dense = (r for r in b.rows if r.params)
    d = cnnexplain.diagnose(model, per_layer=[conv.params, (size + 1) * 10])
    n_in = dense.params // 10 - 1
    assert [(f.layer, f.kind, f.amount, f.detail) for f in d.findings] == [
        ("dense", kind, (n_in - size) * 10, detail)
    ]


def test_shape_mistake_with_a_missing_bias_and_in_running_totals() -> None:
    model = conv_flatten(spec.Conv2D(8, 3, strides=2, name="conv"))
    d = cnnexplain.diagnose(model, running=[80, 80 + 14 * 14 * 8 * 10])
    assert [(f.layer, f.kind, f.amount) for f in d.findings] == [
        ("dense", K.MISSING_FLOOR, (13 * 13 - 14 * 14) * 8 * 10),
        ("dense", K.MISSING_BIAS, 10),
    ]
    assert sum(f.amount for f in d.findings) == d.gap


def test_no_shape_mistake_without_flatten_or_after_global_pooling() -> None:
    gap = spec.Sequential(
        [
            spec.Input((28, 28, 1)),
            spec.Conv2D(8, 3, strides=2, name="conv"),
            spec.GlobalAveragePooling2D(name="gap"),
            spec.Dense(10, name="dense"),
        ]
    )
    d = cnnexplain.diagnose(gap, per_layer=[80, (14 * 14 * 8 + 1) * 10])
    assert [f.kind for f in d.findings] == [K.UNEXPLAINED]


# --- torch: Conv2d / MaxPool2d → Flatten → Linear, channels first ------------------------------


@dataclass(frozen=True)
class TorchWin:
    """One torch Conv2d or MaxPool2d window: padding an int p or 'same', ceil_mode for pooling."""

    name: str
    pooling: bool
    k: int
    s: int
    d: int
    p: int | str
    ceil: bool
    channels: int


def torch_right(
    n: Fraction, w: TorchWin, *, p: int | str | None = None, d: int | None = None
) -> Fraction:
    """torch's length: ``⌊(n+2p−d·(k−1)−1)/s⌋+1``; ``⌈⌉`` with ceil_mode (last window inside)."""
    p = w.p if p is None else p
    d = w.d if d is None else d
    if p == "same":
        return n
    assert isinstance(p, int)
    reach = (n + 2 * p - d * (w.k - 1) - 1) / w.s
    if not w.ceil:
        return Fraction(math.floor(reach) + 1)
    value = Fraction(math.ceil(reach) + 1)
    return value - 1 if (value - 1) * w.s >= n + p else value


def torch_mistake(mistake: str, n: Fraction, w: TorchWin) -> Fraction | None:
    p = w.p
    if mistake in ("rounded_up", "unrounded"):
        if p == "same" or w.ceil:
            return None
        assert isinstance(p, int)
        reach = (n + 2 * p - w.d * (w.k - 1) - 1) / w.s
        return Fraction(math.ceil(reach) + 1) if mistake == "rounded_up" else reach + 1
    if mistake == "swapped":
        return Fraction(math.ceil(n / w.s)) if p == 0 else torch_right(n, w, p=0)
    if p == "same" or w.d == 1:
        return None
    return torch_right(n, w, d=1)


def torch_run(h: int, windows: list[TorchWin], mistake: str, chosen: set[int]) -> Outcome | None:
    found = _chain(h, windows, torch_right, lambda n, w: torch_mistake(mistake, n, w), chosen)
    if found is None:
        return None
    (n, first), c = found, windows[-1].channels
    kind = kind_of(mistake, Win(first.name, first.pooling, 0, 0, 0, "", 0))
    return Outcome(kind, int(n * n * c), (Fraction(c), n, n), first.name)


@dataclass
class TorchShapeModel:
    model: Any
    size: tuple[int, int, int, int]
    windows: list[TorchWin]
    counts: list[int]
    units: int
    bias: bool
    n_in: int
    before_pooling: int | None


@st.composite
def torch_shape_models(draw: st.DrawFn) -> TorchShapeModel:
    """Input (1, c, h, h), one or two Conv2d each maybe pooled, Flatten, Linear (built on meta)."""
    rng = draw(st.randoms(use_true_random=False))
    h = draw(st.integers(7, 30))
    c_in = c = draw(st.integers(1, 3))
    layers: list[Any] = []
    windows: list[TorchWin] = []
    counts: list[int] = []
    n = h
    before_pooling = None
    for _ in range(draw(st.integers(1, 2))):
        k = draw(st.integers(1, 5))
        s, d = rng.choice([(1, 1), (2, 1), (3, 1), (1, 2), (1, 3)])
        paddings: list[int | str] = [0, 0, 1, 2, "same"] if s == 1 else [0, 0, 1, 2]
        p = rng.choice(paddings)
        f = draw(st.integers(1, 8))
        w = TorchWin(str(len(layers)), pooling=False, k=k, s=s, d=d, p=p, ceil=False, channels=f)
        value = torch_right(Fraction(n), w)
        assume(value >= 1)
        layers.append(nn.Conv2d(c, f, k, stride=s, padding=p, dilation=d))
        windows.append(w)
        counts.append((k * k * c + 1) * f)
        n, c = int(value), f
        before_pooling = None
        if draw(st.booleans()):
            q = draw(st.integers(2, 3))
            pw = TorchWin(
                str(len(layers)),
                pooling=True,
                k=q,
                s=q,
                d=1,
                p=0,
                ceil=rng.random() < 0.3,
                channels=c,
            )
            value = torch_right(Fraction(n), pw)
            assume(value >= 1)
            layers.append(nn.MaxPool2d(q, ceil_mode=pw.ceil))
            windows.append(pw)
            before_pooling = n * n * c
            n = int(value)
    units = draw(st.integers(1, 12))
    bias = draw(st.booleans())
    n_in = n * n * c
    counts.append(n_in * units + units * bias)
    with torch.device("meta"):
        model = nn.Sequential(*layers, nn.Flatten(), nn.Linear(n_in, units, bias=bias))
    return TorchShapeModel(
        model, (1, c_in, h, h), windows, counts, units, bias, n_in, before_pooling
    )


def torch_outcomes(sm: TorchShapeModel) -> list[tuple[str, set[int], Outcome]]:
    found = []
    for mistake, chosen in itertools.product(MISTAKES, list(torch_choices(sm.windows))):
        out = torch_run(sm.size[-1], sm.windows, mistake, chosen) if chosen else None
        if out is not None:
            found.append((mistake, chosen, out))
    return found


def torch_choices(windows: list[TorchWin]) -> Iterator[set[int]]:
    every = set(range(len(windows)))
    yield every
    yield {i for i in every if not windows[i].pooling}
    yield {i for i in every if windows[i].pooling}
    for i in every:
        yield {i}


TORCH_SHAPES = settings(SHAPES, max_examples=20)
EVEN_SAME = "ignore:Using padding='same' with even kernel lengths:UserWarning"
"""torch warns (once) that 'same' padding with an even kernel pads a copy of the input."""


@pytest.mark.filterwarnings(EVEN_SAME)
@TORCH_SHAPES
@given(sm=torch_shape_models(), data=st.data())
def test_property_a_torch_shape_mistake_is_named(sm: TorchShapeModel, data: st.DataObject) -> None:
    found = torch_outcomes(sm)
    assume(found)
    rng = data.draw(st.randoms(use_true_random=False))
    kind = rng.choice(sorted({o.kind for _, _, o in found}))
    mistake, _, injected = rng.choice([f for f in found if f[2].kind == kind])
    assume(injected.size not in (sm.n_in, sm.before_pooling))
    out = next(o for _, _, o in found if o.size == injected.size)
    event(out.kind.value)
    b = cnnexplain.explain(sm.model, input_size=sm.size)
    assert b.rows[-2].output_shape == (1, sm.n_in)  # torch's own lengths, as the test computes
    counts = list(sm.counts)
    counts[-1] = out.size * sm.units + sm.units * sm.bias
    d = cnnexplain.diagnose(b, per_layer=counts)
    linear = str(len(b.rows) - 1)
    assert [(f.layer, f.kind, f.amount) for f in d.findings] == [
        (linear, out.kind, (sm.n_in - out.size) * sm.units)
    ], (mistake, str(d))
    detail = d.findings[0].detail
    dims = "·".join(f"{float(x):g}" if x.denominator != 1 else str(x) for x in out.dims)
    assert detail.startswith(f"the flatten size was taken as {dims} = {out.size:,}, not ")
    firsts = {o.first for _, _, o in found if o.size == out.size}
    assert any(f"the first wrong length is H of '{f}', computed as " in detail for f in firsts)
    assert "where PyTorch has" in detail


@pytest.mark.filterwarnings(EVEN_SAME)
@TORCH_SHAPES
@given(sm=torch_shape_models())
def test_property_right_torch_lengths_give_no_finding(sm: TorchShapeModel) -> None:
    d = cnnexplain.diagnose(cnnexplain.explain(sm.model, input_size=sm.size), per_layer=sm.counts)
    assert d.findings == ()


def torch_conv_flatten(*layers: nn.Module, n_in: int) -> nn.Sequential:
    with torch.device("meta"):
        return nn.Sequential(*layers, nn.Flatten(), nn.Linear(n_in, 10))


TORCH_EXAMPLES = [
    (
        torch_conv_flatten(nn.Conv2d(1, 8, 3, stride=2), n_in=8 * 13 * 13),
        28,
        8 * 14 * 14,
        K.MISSING_FLOOR,
        (
            "the flatten size was taken as 8·14·14 = 1,568, not 8·13·13 = 1,352: the first wrong "
            "length is H of '0', computed as ⌈(28−3)/2⌉+1 = 14 where PyTorch has "
            "⌊(28−3)/2⌋+1 = 13 (a window that does not fit is dropped, so the division rounds down)"
        ),
    ),
    (
        torch_conv_flatten(nn.Conv2d(1, 8, 4), nn.MaxPool2d(2), n_in=8 * 12 * 12),
        28,
        8 * 13 * 13,
        K.MISSING_POOLING_FLOOR,
        (
            "the flatten size was taken as 8·13·13 = 1,352, not 8·12·12 = 1,152: the first wrong "
            "length is H of '1', computed as ⌈(25−2)/2⌉+1 = 13 where PyTorch has "
            "⌊(25−2)/2⌋+1 = 12 (with ceil_mode=False an incomplete pooling window is dropped, "
            "so the division rounds down)"
        ),
    ),
    (
        torch_conv_flatten(nn.Conv2d(1, 8, 3, padding=1), n_in=8 * 28 * 28),
        28,
        8 * 26 * 26,
        K.PADDING_SWAPPED,
        (
            "the flatten size was taken as 8·26·26 = 5,408, not 8·28·28 = 6,272: the first wrong "
            "length is H of '0', computed as ⌊(28−3)/1⌋+1 = 26 where PyTorch has "
            "⌊(28+1+1−3)/1⌋+1 = 28 ('0' has padding=1, which adds 1 on each side first)"
        ),
    ),
    (
        torch_conv_flatten(nn.Conv2d(1, 8, 3, padding="same"), n_in=8 * 28 * 28),
        28,
        8 * 26 * 26,
        K.PADDING_SWAPPED,
        (
            "the flatten size was taken as 8·26·26 = 5,408, not 8·28·28 = 6,272: the first wrong "
            "length is H of '0', computed as ⌊(28−3)/1⌋+1 = 26 where PyTorch has ⌈28/1⌉ = 28 "
            "('0' has padding='same', which pads the input to keep the length)"
        ),
    ),
    (
        torch_conv_flatten(nn.Conv2d(1, 8, 3, dilation=2), n_in=8 * 24 * 24),
        28,
        8 * 26 * 26,
        K.FORGOTTEN_DILATION,
        (
            "the flatten size was taken as 8·26·26 = 5,408, not 8·24·24 = 4,608: the first wrong "
            "length is H of '0', computed as ⌊(28−3)/1⌋+1 = 26 where PyTorch has "
            "⌊(28−(2·(3−1)+1))/1⌋+1 = 24 (with dilation=2 the 3-wide kernel spans "
            "2·(3−1)+1 = 5)"
        ),
    ),
]


@pytest.mark.parametrize(("model", "h", "size", "kind", "detail"), TORCH_EXAMPLES)
def test_each_torch_shape_mistake_names_the_first_wrong_length(
    model: nn.Sequential, h: int, size: int, kind: FindingKind, detail: str
) -> None:
    b = cnnexplain.explain(model, input_size=(1, 1, h, h))
    conv, dense = (r for r in b.rows if r.params)
    d = cnnexplain.diagnose(b, per_layer=[conv.params, (size + 1) * 10])
    n_in = dense.params // 10 - 1
    assert [(f.layer, f.kind, f.amount, f.detail) for f in d.findings] == [
        (str(len(b.rows) - 1), kind, (n_in - size) * 10, detail)
    ]


def test_torch_ceil_mode_pooling_is_right_rounded_up() -> None:
    """With ceil_mode=True rounding up is right: no floor mistake is offered for that pooling."""
    model = torch_conv_flatten(
        nn.Conv2d(1, 8, 4), nn.MaxPool2d(2, ceil_mode=True), n_in=8 * 13 * 13
    )
    b = cnnexplain.explain(model, input_size=(1, 1, 28, 28))
    d = cnnexplain.diagnose(b, per_layer=[136, (8 * 12 * 12 + 1) * 10])
    assert [f.kind for f in d.findings] != [K.MISSING_POOLING_FLOOR]
    assert cnnexplain.diagnose(b, per_layer=[136, (8 * 13 * 13 + 1) * 10]).findings == ()


def test_a_torch_diagnosis_speaks_of_pytorch() -> None:
    model = torch_conv_flatten(nn.Conv2d(1, 8, 3, stride=2), n_in=8 * 13 * 13)
    d = cnnexplain.diagnose(cnnexplain.explain(model, input_size=(1, 1, 28, 28)), per_layer=[80, 5])
    assert d.headline().startswith("The hand count, 85, is 13,525 short of PyTorch's 13,610")
    assert "where PyTorch has (1352+1)·10 = 13,530" in d.findings[0].detail
