"""The hand figures a learner may have written for one layer, and the mistakes behind each.

For each layer with parameters: the right figure, then every combination of the
known conceptual mistakes that apply to it (a bias left out, input channels
forgotten, a wrong flatten size, BatchNormalization statistics left out), then
nothing at all (the layer skipped).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from cnnexplain._breakdown import LayerRow
from cnnexplain._diagnose.findings import FindingKind
from cnnexplain._diagnose.shape_mistakes import flatten_mistakes
from cnnexplain._framework import Framework
from cnnexplain._rules.protocol import Family

__all__ = ["SYSTEMATIC", "Candidate", "Concept", "candidates", "skipped"]

SYSTEMATIC = (
    FindingKind.MISSING_BIAS,
    FindingKind.FORGOTTEN_INPUT_CHANNELS,
    FindingKind.BATCHNORM_STATISTICS,
    FindingKind.QKV_BIAS_FORGOTTEN,
    FindingKind.LAYERNORM_ONE_VECTOR,
    FindingKind.RMSNORM_TWO_VECTORS,
    FindingKind.KV_HEADS_AS_QUERY_HEADS,
    FindingKind.SWIGLU_AS_TWO_MATRICES,
    FindingKind.EXPERTS_COUNTED_ONCE,
)
"""Mistakes a learner tends to repeat on every layer they apply to."""

_BIAS_UNIT = {Family.DENSE: "unit", Family.CONV: "filter"}
"""What each bias belongs to, by family (PyTorch's Linear: an output feature)."""


@dataclass(frozen=True)
class Concept:
    kind: FindingKind
    amount: int
    detail: str


@dataclass(frozen=True)
class Candidate:
    """A hand figure a learner may have computed for a layer, and the mistakes behind it."""

    hand: int
    concepts: tuple[Concept, ...] = ()
    exact_only: bool = False  # no slip or typo on top (a skipped or zero-parameter layer)

    @property
    def systematic(self) -> frozenset[FindingKind]:
        return frozenset(c.kind for c in self.concepts if c.kind in SYSTEMATIC)

    @property
    def others(self) -> int:
        return sum(c.kind not in SYSTEMATIC for c in self.concepts)


def dims_text(shape: Sequence[int]) -> str:
    return "·".join(str(d) for d in shape)


def earlier_sizes(rows: Sequence[LayerRow], index: int) -> list[tuple[int, str, str]]:
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


def _flatten_options(
    rows: Sequence[LayerRow], index: int, kernel: tuple[int, ...]
) -> list[tuple[int, Concept | None]]:
    """Kernel sizes of a Dense layer counted with a wrong input size, and why.

    The size of an earlier tensor (before pooling, before Flatten), or a flatten
    size reached with a shape mistake (`flatten_mistakes`).
    """
    n_in, units = kernel
    seen = {n_in}
    out: list[tuple[int, Concept | None]] = []
    for size, text, source in earlier_sizes(rows, index):
        if size in seen:
            continue
        seen.add(size)
        detail = (
            f"the input size was taken as {text} = {size:,} (what enters "
            f"'{source}') instead of the {n_in:,} values that reach this layer"
        )
        out.append(
            (size * units, Concept(FindingKind.WRONG_FLATTEN_SIZE, (n_in - size) * units, detail))
        )
    for mistake in flatten_mistakes(rows, index):
        if mistake.size in seen:
            continue
        seen.add(mistake.size)
        amount = (n_in - mistake.size) * units
        out.append((mistake.size * units, Concept(mistake.kind, amount, mistake.detail)))
    return out


def _missing_bias(row: LayerRow, size: int) -> Concept:
    """The biases left out: one per unit, filter, output feature or output channel."""
    per = _BIAS_UNIT.get(row.family, "output channel") if row.family else "output channel"
    if row.family is Family.DENSE and row.framework is Framework.TORCH:
        per = "output feature"
    return Concept(
        FindingKind.MISSING_BIAS, size, f"the {size:,} biases, one per {per}, were not counted"
    )


def candidates(rows: Sequence[LayerRow], index: int) -> list[Candidate]:
    """The figures a learner may have written for ``rows[index]``, right one first."""
    row = rows[index]
    if row.params == 0:
        return [Candidate(0)]
    weights = {w.name: w for w in row.weights}
    if sum(w.size for w in row.weights) != row.params or len(weights) != len(row.weights):
        return [Candidate(row.params), skipped(row)]
    torch = row.framework is Framework.TORCH
    kernel, bias = weights.get("weight" if torch else "kernel"), weights.get("bias")

    bias_options: list[Concept | None] = [None]
    if bias is not None:
        bias_options.append(_missing_bias(row, bias.size))

    kernel_options: list[tuple[int, Concept | None]] = []
    if kernel is not None:
        kernel_options.append((kernel.size, None))
        c_axis = (
            1 if torch else -2
        )  # torch's weight (out, in/groups, k...), Keras's (k..., in, out)
        convolution = row.family is Family.CONV
        if convolution and len(kernel.shape) >= 3 and kernel.shape[c_axis] > 1:  # noqa: PLR2004
            c_in = kernel.shape[c_axis]
            reduced = kernel.size // c_in
            short = tuple(d for i, d in enumerate(kernel.shape) if i != c_axis % len(kernel.shape))
            kernel_options.append(
                (
                    reduced,
                    Concept(
                        FindingKind.FORGOTTEN_INPUT_CHANNELS,
                        kernel.size - reduced,
                        f"the kernel was counted as {dims_text(short)} = {reduced:,}, leaving out "
                        f"its {c_in} input channels: it is {dims_text(kernel.shape)} = "
                        f"{kernel.size:,}",
                    ),
                )
            )
        dense = row.family is Family.DENSE and len(kernel.shape) == 2  # noqa: PLR2004
        if dense and not torch:
            kernel_options += _flatten_options(rows, index, kernel.shape)
        if dense and torch:
            units, n_in = kernel.shape  # torch's weight is (out_features, in_features)
            kernel_options += _flatten_options(rows, index, (n_in, units))
    else:
        kernel_options.append((0, None))

    stats_options: list[Concept | None] = [None]
    stats = [w for w in row.weights if not w.trainable and w.name.startswith("moving_")]
    if row.family is Family.BATCH_NORM and stats:
        size = sum(w.size for w in stats)
        names = " and ".join(w.name for w in stats)
        stats_options.append(
            Concept(
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
        out.append(Candidate(hand, concepts))
    out.sort(key=lambda c: len(c.concepts))
    out.append(skipped(row))
    return out


def skipped(row: LayerRow) -> Candidate:
    return Candidate(
        0,
        (
            Concept(
                FindingKind.SKIPPED_LAYER,
                row.params,
                f"nothing was counted for it, but it has {row.formula.text(compact=True)} = "
                f"{row.params:,} parameters",
            ),
        ),
        exact_only=True,
    )
