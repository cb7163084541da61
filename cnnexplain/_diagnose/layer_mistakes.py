"""Mistakes in counting one layer of a kind beyond Dense and Conv: recurrent, separable, shared.

Each function returns the wrong figures a learner may have written for one row,
as `Candidate`s whose concepts carry the learner's term and the true one. The
layer is recognised by its family (`Family`) and its weights' names and shapes,
never by its class name.

Examples:
    >>> from cnnexplain import explain, spec
    >>> rows = explain(spec.Sequential([spec.Input((10, 16)), spec.Dense(8)])).rows
    >>> [(c.hand, c.concepts[0].kind.value) for c in dense_flattened(rows[0])]
    [(1288, 'dense_input_flattened')]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

from cnnexplain._breakdown import LayerRow
from cnnexplain._diagnose.findings import FindingKind
from cnnexplain._diagnose.hand_figures import Candidate, Concept, dims_text
from cnnexplain._framework import Framework
from cnnexplain._rules.protocol import Family

__all__ = ["attribute", "dense_flattened", "layer_extras"]

K = FindingKind


def attribute(
    kinds: Sequence[FindingKind],
    hand: Callable[[frozenset[FindingKind]], int],
    detail: Callable[[FindingKind, frozenset[FindingKind]], str],
) -> list[Candidate]:
    """Every non-empty combination of ``kinds``, each as a candidate.

    ``hand(chosen)`` is the learner's figure under the chosen mistakes; each
    mistake's amount is the change it makes, taken in the order of ``kinds``, so
    that the amounts of a candidate add up to the true count minus its figure.
    ``detail(kind, chosen)`` describes one mistake within a combination.
    """
    out: list[Candidate] = []
    for n in range(1, len(kinds) + 1):
        for combo in itertools.combinations(kinds, n):
            chosen = frozenset(combo)
            concepts = []
            applied: frozenset[FindingKind] = frozenset()
            for kind in combo:
                before = hand(applied)
                applied |= {kind}
                amount = before - hand(applied)
                concepts.append(Concept(kind, amount, detail(kind, chosen)))
            if any(c.amount == 0 for c in concepts):
                continue
            out.append(Candidate(hand(chosen), tuple(concepts)))
    return out


def _dims(shape: object) -> list[int] | None:
    if not isinstance(shape, tuple) or len(shape) < 3:  # noqa: PLR2004 - batch + at least 2 axes
        return None
    dims = list(shape[1:])
    if not all(isinstance(d, int) for d in dims):
        return None
    return dims


def dense_flattened(row: LayerRow) -> list[Candidate]:
    """A Dense/Linear layer on an N-D input counted as if its input were flattened."""
    if row.family is not Family.DENSE or not row.params:
        return []
    dims = _dims(row.input_shape)
    weights = {w.name: w for w in row.weights}
    kernel = weights.get("weight" if row.framework is Framework.TORCH else "kernel")
    if dims is None or kernel is None or len(kernel.shape) != 2:  # noqa: PLR2004
        return []
    n_in, units = kernel.shape
    if row.framework is Framework.TORCH:
        units, n_in = kernel.shape
    flat = math.prod(dims)
    bias = weights.get("bias")
    b = bias.size if bias is not None else 0
    hand = flat * units + b
    if flat == n_in:
        return []
    shown = f"({', '.join(str(d) for d in dims)})"
    detail = (
        f"the {shown} input was counted as if flattened, {dims_text(dims)}·{units} = "
        f"{flat * units:,} weights; {row.kind} acts on the last axis only, so its kernel is "
        f"{n_in}·{units} = {n_in * units:,}, shared by every position of the other axes"
    )
    return [Candidate(hand, (Concept(K.DENSE_INPUT_FLATTENED, row.params - hand, detail),))]


# ---------------------------------------------------------------------------
# Recurrent layers


def _recurrent(row: LayerRow) -> tuple[int, int, int, int] | None:
    """``(input size, hidden size, gates, bias vectors per gate)``, or None."""
    w = {x.name: x for x in row.weights}
    if row.framework is Framework.TORCH:
        if set(w) - {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}:
            return None
        ih, hh = w.get("weight_ih_l0"), w.get("weight_hh_l0")
        if ih is None or hh is None:
            return None
        h = hh.shape[1]
        gates, i = hh.shape[0] // h, ih.shape[1]
        biases = sum(n in w for n in ("bias_ih_l0", "bias_hh_l0"))
        return i, h, gates, biases
    kernel, recurrent, bias = w.get("kernel"), w.get("recurrent_kernel"), w.get("bias")
    if kernel is None or recurrent is None or set(w) - {"kernel", "recurrent_kernel", "bias"}:
        return None
    h = recurrent.shape[0]
    gates, i = recurrent.shape[1] // h, kernel.shape[0]
    biases = 0 if bias is None else bias.size // (gates * h)
    return i, h, gates, biases


_RECURRENT = {4: ("an", "LSTM"), 3: ("a", "GRU")}


def _recurrent_name(gates: int, *, article: bool = True) -> str:
    a, name = _RECURRENT.get(gates, ("a", "recurrent layer"))
    return f"{a} {name}" if article else name


def recurrent(row: LayerRow) -> list[Candidate]:  # noqa: C901 - one closure per term
    """An LSTM or GRU counted with its gates forgotten, the other bias convention, i/h swapped."""
    found = _recurrent(row)
    if found is None or found[2] < 2:  # noqa: PLR2004 - a simple RNN has no gates to forget
        return []
    i, h, gates, nb = found
    torch = row.framework is Framework.TORCH
    simple_nb = 2 if torch else 1  # torch's RNN keeps bias_ih and bias_hh; Keras's SimpleRNN one

    def setup(chosen: frozenset[FindingKind]) -> tuple[int, int, int]:
        g = 1 if K.RNN_GATES_FORGOTTEN in chosen else gates
        b = simple_nb if K.RNN_GATES_FORGOTTEN in chosen else nb
        if K.RNN_BIAS_CONVENTION in chosen:
            b = 1 if b == 2 else 2  # noqa: PLR2004
        a = i if K.RNN_INPUT_HIDDEN_SWAPPED in chosen else h
        return g, b, a

    def hand(chosen: frozenset[FindingKind]) -> int:
        g, b, a = setup(chosen)
        return g * (a * (i + h) + b * a)

    def term(g: int, b: int, a: int) -> str:
        bias = "" if b == 0 else (f" + {a}" if b == 1 else f" + {b}·{a}")
        return f"{g}·({a}·({i}+{h}){bias}) = {g * (a * (i + h) + b * a):,}"

    right = term(gates, nb, h)
    owner = f"{row.framework.shown}'s {_recurrent_name(gates, article=False)}"

    def detail(kind: FindingKind, chosen: frozenset[FindingKind]) -> str:
        g, b, a = setup(chosen)
        written = f"it was counted as {term(g, b, a)} where {owner} has {right}"
        if kind is K.RNN_GATES_FORGOTTEN:
            return (
                f"{written}: counted as one simple RNN, but {_recurrent_name(gates)} has "
                f"{gates} gates, each with its own input weights, recurrent weights and biases"
            )
        if kind is K.RNN_BIAS_CONVENTION:
            if torch:
                why = "PyTorch keeps two bias vectors per gate (bias_ih and bias_hh)"
            elif gates == 3 and nb == 2:  # noqa: PLR2004
                why = (
                    "Keras's GRU with reset_after=True (the default) keeps two bias vectors "
                    "per gate, one for the input and one for the recurrent part"
                )
            elif gates == 3:  # noqa: PLR2004
                why = "Keras's GRU with reset_after=False keeps one bias vector per gate"
            else:
                why = "Keras's LSTM keeps one bias vector per gate (PyTorch's keeps two)"
            return f"{written}: {why}"
        return (
            f"{written}: the input size ({i}) and the hidden size ({h}) were swapped; each gate "
            f"has h·(i+h) weights and its biases are h long"
        )

    kinds = [K.RNN_GATES_FORGOTTEN, K.RNN_INPUT_HIDDEN_SWAPPED]
    if nb:
        kinds.insert(1, K.RNN_BIAS_CONVENTION)
    return [c for c in attribute(kinds, hand, detail) if c.hand != row.params]


# ---------------------------------------------------------------------------
# Separable and depthwise convolutions, shared layers


def separable(row: LayerRow) -> list[Candidate]:
    """A separable convolution counted as an ordinary one (with or without its bias)."""
    w = {x.name: x for x in row.weights}
    depthwise, pointwise = w.get("depthwise_kernel"), w.get("pointwise_kernel")
    if depthwise is None or pointwise is None:
        return []
    kernel, (c_in, _m) = depthwise.shape[:-2], depthwise.shape[-2:]
    filters = pointwise.shape[-1]
    bias = w.get("bias")
    b = bias.size if bias is not None else 0
    ordinary = math.prod(kernel) * c_in * filters
    detail = (
        f"it was counted as an ordinary convolution, {dims_text((*kernel, c_in, filters))} = "
        f"{ordinary:,} weights; a separable convolution filters each input channel on its own "
        f"({dims_text(depthwise.shape)} = {depthwise.size:,}), then mixes channels with 1×1 "
        f"filters ({dims_text(pointwise.shape)} = {pointwise.size:,})"
    )
    amount = depthwise.size + pointwise.size - ordinary
    return [Candidate(ordinary + b, (Concept(K.SEPARABLE_AS_ORDINARY, amount, detail),))]


def depthwise(row: LayerRow) -> list[Candidate]:
    """A depthwise convolution counted as an ordinary one (each filter over every channel)."""
    w = {x.name: x for x in row.weights}
    torch = row.framework is Framework.TORCH
    kernel = w.get("weight" if torch else "kernel")
    if kernel is None or "pointwise_kernel" in w:
        return []
    if torch:
        groups, c_in = row.config.get("groups"), row.config.get("in_channels")
        if not isinstance(c_in, int) or groups != c_in or c_in < 2:  # noqa: PLR2004
            return []
        out_channels, window = kernel.shape[0], kernel.shape[2:]
    else:
        if row.family is not Family.DEPTHWISE or len(kernel.shape) < 3:  # noqa: PLR2004
            return []
        window, (c_in, m) = kernel.shape[:-2], kernel.shape[-2:]
        out_channels = c_in * m
        if c_in < 2:  # noqa: PLR2004
            return []
    ordinary = math.prod(window) * c_in * out_channels
    detail = (
        f"it was counted as an ordinary convolution, {dims_text((*window, c_in, out_channels))}"
        f" = {ordinary:,} weights, each filter spanning all {c_in} input channels; a depthwise "
        f"filter sees one channel, so the kernel is {dims_text(kernel.shape)} = {kernel.size:,}"
    )
    hand = row.params - kernel.size + ordinary
    return [Candidate(hand, (Concept(K.DEPTHWISE_AS_ORDINARY, kernel.size - ordinary, detail),))]


def shared(row: LayerRow) -> list[Candidate]:
    """A layer called several times counted once per call."""
    if row.calls < 2 or not row.params:  # noqa: PLR2004
        return []
    hand = row.calls * row.params
    detail = (
        f"it was counted once per call, {row.calls}·{row.params:,} = {hand:,}; the layer is "
        f"called {row.calls} times but its weights exist once, so they count once: {row.params:,}"
    )
    return [Candidate(hand, (Concept(K.SHARED_LAYER_PER_CALL, row.params - hand, detail),))]


def layer_extras(row: LayerRow) -> list[Candidate]:
    """Every wrong figure of this module's kinds for one row."""
    return [*dense_flattened(row), *recurrent(row), *separable(row), *depthwise(row), *shared(row)]
