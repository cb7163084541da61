"""What a model costs: multiply-accumulates per example, and bytes to store, run and train it.

Conventions (the docs page "Is that a lot of parameters?" explains them):

- **MACs** are multiply-accumulates for **one example** (a batch of 1), at inference.
  ``flops`` is ``2·macs``: one multiply plus one add per MAC. (Papers differ: the
  ResNet paper's "FLOPs" are multiply-adds, i.e. MACs.)
- Counted: the products of convolutions (out positions × ``k_h·k_w·C_in/g·F``),
  transposed convolutions (in positions × ``k_h·k_w·C_in·F``), depthwise and
  separable convolutions, Dense and EinsumDense (on every position of an N-D input),
  recurrent layers (sequence length × gates × ``(m·n + n·n)``), attention
  (projections, ``QKᵀ`` and ``A·V``) and Dot.
- Normalizations at inference: BatchNormalization and Normalization count 1 MAC per
  output element (``y = a·x + b`` with per-channel ``a`` and ``b`` fixed; 0 once folded
  into the previous convolution, which deployment tools do); LayerNormalization,
  GroupNormalization, RMSNormalization and UnitNormalization count 2 (accumulating
  the variance or the sum of squares, then scaling), their statistics being computed
  per example.
- Not counted (0 MACs): bias additions, activations and every other element-wise
  layer (Add, Multiply, Rescaling, LayerScale, PReLU, dropout...), pooling
  (comparisons and additions), reshapes, padding, cropping, nearest-neighbour
  up-sampling and resizing, Embedding (a table lookup) and the random augmentation
  layers (identity at inference). Interpolating resizes and RandomCrop (which
  resizes at inference) are unknown.
- The MACs come from each layer's rule (`Explained.macs`), which its family in
  `cnnexplain._rules.families` computes for the Keras and the torch reader alike; this
  module only adds them up. A layer without a rule, or whose rule cannot give
  them, gets ``None`` (unknown), never a guess; totals add up the known rows and
  `Costs.unknown_macs` lists the others.
- A layer called several times (shared) costs its MACs and activations once per call,
  each call assumed to see the first call's shapes; its weights count once.

Memory:

- ``param_bytes``: every weight at the variable dtype of the layer's dtype policy
  (``float32`` 4 bytes; ``mixed_float16`` and ``mixed_bfloat16`` keep float32
  variables; ``float16``/``bfloat16`` 2; ``float64`` 8). A layer config without a
  ``dtype`` (specs) has Keras's default policy, float32.
- ``activation_bytes``: the elements of every layer output for one example, at the
  policy's compute dtype (``mixed_float16`` computes in float16). Every output counts
  as stored, even a Flatten that frameworks can keep as a view; the model's inputs don't.
- ``training_bytes(optimizer, batch_size=...)``: weights, plus one gradient and the
  optimizer's slots (`optimizer_slots`) per trainable weight at its variable dtype,
  plus activations × batch size (what the backward pass keeps). The optimizer's scalars
  (iteration count, learning rate) and framework workspace are left out.

Examples:
    >>> from cnnexplain import explain, spec
    >>> model = spec.Sequential([
    ...     spec.Input((28, 28, 1)),
    ...     spec.Conv2D(32, (3, 3), name="conv"),
    ...     spec.MaxPooling2D((2, 2), name="pool"),
    ...     spec.Flatten(name="flatten"),
    ...     spec.Dense(100, name="hidden"),
    ...     spec.Dense(10, name="output"),
    ... ], name="mnist")
    >>> costs = explain(model).costs()
    >>> [row.macs for row in costs.rows]
    [194688, 0, 0, 540800, 1000]
    >>> costs.rows[0].macs_formula.symbols()
    'H_out·W_out·k_h·k_w·C_in·F'
    >>> str(costs.rows[0].macs_formula)
    '26·26·3·3·1·32'
    >>> costs.macs, costs.flops
    (736488, 1472976)
    >>> costs.param_bytes, costs.activation_bytes
    (2168920, 130232)
    >>> costs.training_bytes("adam", batch_size=32)
    12843104
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cnnexplain import _publish
from cnnexplain._errors import SpecError
from cnnexplain._formula import Formula
from cnnexplain._framework import Framework
from cnnexplain._mac_basis import bias_additions, row_items
from cnnexplain._rules.registry import rule_kinds
from cnnexplain._shapes import Shape
from cnnexplain._training import Optimizer, TrainingMemory, optimizer_slots

if TYPE_CHECKING:
    from cnnexplain._breakdown import Breakdown, LayerRow

__all__ = [
    "DTYPE_POLICIES",
    "Costs",
    "Optimizer",
    "RowCost",
    "TrainingMemory",
    "costs_of",
    "optimizer_slots",
]

# ---------------------------------------------------------------------------------------
# Data types
# ---------------------------------------------------------------------------------------

_DTYPE_BYTES = {
    "float16": 2,
    "bfloat16": 2,
    "float32": 4,
    "float64": 8,
    "int8": 1,
    "uint8": 1,
    "int16": 2,
    "int32": 4,
    "int64": 8,
}

DTYPE_POLICIES: dict[str, tuple[str, str]] = {
    **{name: (name, name) for name in ("float16", "bfloat16", "float32", "float64")},
    "mixed_float16": ("float32", "float16"),
    "mixed_bfloat16": ("float32", "bfloat16"),
}
"""Keras dtype policy name → (variable dtype, compute dtype)."""

_WEIGHT_DTYPES = {("Normalization", "count"): "int64"}
"""Weights whose dtype doesn't follow the layer's policy."""


# ---------------------------------------------------------------------------------------
# Result objects
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowCost:
    """The costs of one layer row; ``None`` where a figure is unknown.

    Attributes:
        name: the layer's name.
        kind: its Keras class name.
        macs: multiply-accumulates per example (all calls of a shared layer), or per
            batch with ``costs(batch_size=...)``; a container's add up its children whose
            MACs are known (see `macs_complete`).
        macs_formula: the formula giving ``macs`` (for one call), when natural.
        param_bytes: bytes of all its weights at their variable dtype.
        trainable_bytes: the part of ``param_bytes`` that gradients update.
        activation_bytes: bytes of its outputs for one example (all calls).
        dtype_policy: the Keras dtype policy the bytes assume.
        calls: how many times the layer is called.
        children: the costs of a nested model's layers.
        note: why a figure is unknown, or what it assumes.
    """

    name: str
    kind: str
    macs: int | None
    macs_formula: Formula | None
    param_bytes: int | None
    trainable_bytes: int | None
    activation_bytes: int | None
    dtype_policy: str | None
    calls: int = 1
    children: tuple[RowCost, ...] = ()
    note: str = ""

    @property
    def flops(self) -> int | None:
        """``2·macs`` (one multiply and one add per MAC), or None when unknown."""
        return None if self.macs is None else 2 * self.macs

    @property
    def macs_complete(self) -> bool:
        """Whether this row's MACs and all of its children's are known.

        A container's ``macs`` add up its known children: at least that many when False.
        """
        return self.macs is not None and all(c.macs_complete for c in self.children)

    def walk(self, prefix: str = "") -> Iterator[tuple[str, RowCost]]:
        """This row and its descendants, each with its path (``outer/inner``)."""
        path = f"{prefix}{self.name}"
        yield path, self
        for child in self.children:
            yield from child.walk(f"{path}/")


def _known_sum(values: list[int | None]) -> int:
    return sum(v for v in values if v is not None)


@dataclass(frozen=True)
class Costs:
    """Per-row costs of a `Breakdown` and the model's totals.

    Totals add up the rows whose figure is known; ``unknown_macs`` and
    ``unknown_bytes`` name the rows left out, so a partial total never passes for
    a complete one.
    """

    name: str
    rows: tuple[RowCost, ...]
    dtype_policy: str | None = None
    """The policy forced on every layer by ``costs(dtype=...)``, or None (each layer's own)."""
    batch_size: int | None = None
    """The batch the MACs are counted for (``costs(batch_size=...)``), or None: per example."""
    include_bias: bool = False
    """Whether the MACs include bias additions (``costs(include_bias=True)``)."""

    def walk(self) -> Iterator[tuple[str, RowCost]]:
        """Every row with its path, nested rows after their model's row."""
        for row in self.rows:
            yield from row.walk()

    def _leaves(self) -> Iterator[tuple[str, RowCost]]:
        return ((p, r) for p, r in self.walk() if not r.children)

    @property
    def macs(self) -> int:
        """Multiply-accumulates per example (or per ``batch_size``), over the rows where known.

        At least this many when `unknown_macs` names rows left out.
        """
        return _known_sum([r.macs for r in self.rows])

    @property
    def macs_complete(self) -> bool:
        """Whether every row's MACs are known, so that `macs` is the whole count."""
        return not self.unknown_macs

    @property
    def flops(self) -> int:
        """``2·macs``: floating-point operations (one multiply, one add per MAC)."""
        return 2 * self.macs

    @property
    def param_bytes(self) -> int:
        """Bytes of every weight at its variable dtype."""
        return _known_sum([r.param_bytes for r in self.rows])

    @property
    def trainable_bytes(self) -> int:
        """Bytes of the weights gradients update."""
        return _known_sum([r.trainable_bytes for r in self.rows])

    @property
    def activation_bytes(self) -> int:
        """Bytes of every layer's outputs for one example."""
        return _known_sum([r.activation_bytes for r in self.rows])

    @property
    def unknown_macs(self) -> tuple[str, ...]:
        """Paths of the rows whose MACs are unknown (no MAC formula, unknown length...)."""
        return tuple(p for p, r in self._leaves() if r.macs is None)

    @property
    def unknown_bytes(self) -> tuple[str, ...]:
        """Paths of the rows whose parameter or activation bytes are unknown."""
        return tuple(
            p
            for p, r in self._leaves()
            if r.param_bytes is None or r.trainable_bytes is None or r.activation_bytes is None
        )

    def training_memory(
        self,
        optimizer: object = "adam",
        *,
        batch_size: int = 32,
        momentum: float = 0.0,
        centered: bool = False,
        amsgrad: bool = False,
    ) -> TrainingMemory:
        """Bytes to train the model, by part (see `training_bytes` for the arguments)."""
        from cnnexplain._arguments import flag, number  # noqa: PLC0415

        where = "training_memory()"
        opt, slots = optimizer_slots(
            optimizer,
            momentum=number(momentum, "momentum", where),
            centered=flag(centered, "centered", where),
            amsgrad=flag(amsgrad, "amsgrad", where),
        )
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise SpecError(
                f"batch_size must be a positive integer. Received: batch_size={batch_size!r}.",
                argument="batch_size",
            )
        trainable = self.trainable_bytes
        return TrainingMemory(
            optimizer=opt,
            slots=slots,
            batch_size=batch_size,
            weights_bytes=self.param_bytes,
            gradients_bytes=trainable,
            optimizer_bytes=slots * trainable,
            activations_bytes=batch_size * self.activation_bytes,
            unknown=self.unknown_bytes,
        )

    def training_bytes(
        self,
        optimizer: object = "adam",
        *,
        batch_size: int = 32,
        momentum: float = 0.0,
        centered: bool = False,
        amsgrad: bool = False,
    ) -> int:
        """Bytes to train: weights + gradients + optimizer slots + activations × batch size.

        Args:
            optimizer: ``"sgd"``, ``"adam"``, ``"adamw"``, ``"rmsprop"``, ``"adagrad"``...
                (an `Optimizer` name as Keras spells it), or a Keras optimizer object.
            batch_size: examples per step (Keras's ``fit`` defaults to 32).
            momentum: SGD's or RMSprop's momentum; non-zero adds a slot.
            centered: RMSprop's ``centered``; adds a slot.
            amsgrad: Adam's or AdamW's ``amsgrad``; adds a slot.

        Raises:
            SpecError: if the optimizer is unknown or ``batch_size`` is not a positive integer.
        """
        return self.training_memory(
            optimizer,
            batch_size=batch_size,
            momentum=momentum,
            centered=centered,
            amsgrad=amsgrad,
        ).total

    def to_text(self) -> str:
        """A table of the costs per layer, then the totals."""
        from cnnexplain._render.costs import text  # noqa: PLC0415

        return text(self)

    def to_markdown(self) -> str:
        """The table in Markdown."""
        from cnnexplain._render.costs import markdown  # noqa: PLC0415

        return markdown(self)

    def to_dict(self) -> dict[str, Any]:
        """Every figure as JSON-ready data (``None`` where a figure is unknown)."""
        from cnnexplain._render.costs import to_dict  # noqa: PLC0415

        return to_dict(self)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


# ---------------------------------------------------------------------------------------
# From a breakdown to its costs
# ---------------------------------------------------------------------------------------


def _policy_name(config: Mapping[str, Any]) -> str | None:
    """The dtype policy named in a Keras layer config; Keras's default when it names none."""
    if not config:
        return None
    value = config.get("dtype")
    if value is None:
        return "float32"
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        inner = value.get("config")
        name = inner.get("name") if isinstance(inner, Mapping) else None
        return name if isinstance(name, str) else None
    return None


def _shapes(value: Shape | list[Shape]) -> list[Shape]:
    if isinstance(value, list):
        return value
    return [value] if value else []


def _activation_elements(outputs: list[Shape]) -> int | None:
    total = 0
    for shape in outputs:
        dims = shape[1:]
        if any(d is None for d in dims):
            return None
        total += math.prod(d for d in dims if d is not None)
    return total


def _macs(row: LayerRow) -> tuple[Formula | None, str]:
    """The row's MACs, from its rule (`Explained.macs`), or None and why."""
    if row.macs is not None:
        return row.macs, ""
    if row.framework is Framework.KERAS and row.explained and row.kind in rule_kinds():
        if _unknown_length(row):
            return None, "MACs unknown: a length it needs is unknown"
        return None, "MACs unknown: its rule gives none for these arguments or shapes"
    return None, f"no MAC formula for {row.kind}: MACs unknown"


def _unknown_length(row: LayerRow) -> bool:
    """Whether a length (past the batch axis) of the row's inputs or outputs is unknown."""
    shapes = _shapes(row.input_shape) + _shapes(row.output_shape)
    return not shapes or any(None in shape[1:] for shape in shapes)


@dataclass(frozen=True)
class _Basis:
    """What a row's MACs are counted for: ``batch_size`` of the ``examples`` the pass ran on."""

    examples: int = 1
    batch_size: int = 1
    include_bias: bool = False

    def scale(self, row: LayerRow, formula: Formula) -> int | None:
        """The row's MACs (all its calls) on this basis, bias additions included if asked."""
        one = int(formula)
        if self.include_bias:
            bias = bias_additions(row, one)
            if bias is None:
                return None
            one += bias
        total = one * row_items(row) * row.calls * self.batch_size
        return (
            total // self.examples if total % self.examples == 0 else round(total / self.examples)
        )


def _container_cost(row: LayerRow, dtype: str | None, basis: _Basis) -> RowCost:
    """A nested model's or torch container's costs: the sum of its children's."""
    children = tuple(_row_cost(c, dtype, basis) for c in row.children)
    # A torch child's calls already include each of its module's calls; a Keras
    # nested model's layers record one call, whatever the outer model's count.
    times = 1 if row.framework is Framework.TORCH else row.calls
    return RowCost(
        name=row.name,
        kind=row.kind,
        macs=_known_sum([c.macs for c in children]) * times,
        macs_formula=None,
        param_bytes=_sum_or_none([c.param_bytes for c in children]),
        trainable_bytes=_sum_or_none([c.trainable_bytes for c in children]),
        activation_bytes=_sum_or_none([c.activation_bytes for c in children]),
        dtype_policy=dtype,
        calls=row.calls,
        children=children,
    )


def _param_bytes(
    row: LayerRow, variable: str | None, var_bytes: int | None
) -> tuple[int | None, int | None]:
    """Bytes of the row's parameters, and of its trainable ones (None: dtype unknown)."""
    if var_bytes is None:
        return None, None
    param_bytes = sum(
        w.size * _DTYPE_BYTES[_WEIGHT_DTYPES.get((row.kind, w.name), variable or "")]
        for w in row.weights
    )
    if not row.weights and row.params:
        param_bytes = row.params * var_bytes
    return param_bytes, row.trainable * var_bytes


def _row_cost(row: LayerRow, dtype: str | None, basis: _Basis) -> RowCost:
    if row.children:
        return _container_cost(row, dtype, basis)
    notes = []
    formula, note = _macs(row)
    if note:
        notes.append(note)
    elif basis.include_bias and bias_additions(row, int(formula or 0)) is None:
        notes.append("MACs unknown with include_bias=True: its bias additions are not derived")
    policy = dtype or _policy_name(row.config)
    variable, compute = DTYPE_POLICIES.get(policy or "", (policy, policy))
    var_bytes = _DTYPE_BYTES.get(variable or "")
    compute_bytes = _DTYPE_BYTES.get(compute or "")
    if var_bytes is None or compute_bytes is None:
        notes.append(f"bytes unknown: dtype policy {policy!r} is not one cnnexplain knows")
    param_bytes, trainable_bytes = _param_bytes(row, variable, var_bytes)
    elements = _activation_elements(_shapes(row.output_shape))
    if row.framework is Framework.TORCH and row.kind != "Parameter" and not row.output_shape:
        elements = None  # not run (no input given, or not called on it): shapes unknown
    activation = None
    if elements is not None and compute_bytes is not None:
        activation = elements * compute_bytes * row.calls
    elif elements is None:
        notes.append("activation bytes unknown: an output length is unknown")
    if row.calls > 1:
        notes.append(f"called {row.calls} times: MACs and activations count every call")
    return RowCost(
        name=row.name,
        kind=row.kind,
        macs=None if formula is None else basis.scale(row, formula),
        macs_formula=formula,
        param_bytes=param_bytes,
        trainable_bytes=trainable_bytes,
        activation_bytes=activation,
        dtype_policy=policy,
        calls=row.calls,
        note="; ".join(notes),
    )


def _sum_or_none(values: list[int | None]) -> int | None:
    return None if None in values else _known_sum(values)


def costs_of(
    breakdown: Breakdown,
    dtype: str | None = None,
    *,
    batch_size: int | None = None,
    include_bias: bool = False,
) -> Costs:
    """The costs of every row of ``breakdown`` and the totals.

    Args:
        breakdown: the model's breakdown.
        dtype: a Keras dtype policy name (``"float32"``, ``"mixed_float16"``, ...)
            to assume for every layer; None reads each layer's own policy.
        batch_size: None for MACs per example; a number of examples for MACs per
            batch of that size.
        include_bias: count one addition per bias element applied (torchinfo's
            convention); by default MACs are the products only.

    Raises:
        SpecError: if ``dtype`` is not a policy cnnexplain knows, or ``batch_size``
            is not a positive integer.
    """
    if dtype is not None and (not isinstance(dtype, str) or dtype not in DTYPE_POLICIES):
        names = ", ".join(repr(n) for n in DTYPE_POLICIES)
        raise SpecError(
            f"Unknown dtype policy: expected one of {names}. Received: dtype={dtype!r}.",
            argument="dtype",
        )
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise SpecError(
            "batch_size must be a positive integer, or None for MACs per example. "
            f"Received: batch_size={batch_size!r}.",
            argument="batch_size",
        )
    if not isinstance(include_bias, bool):
        raise SpecError(
            f"include_bias must be True or False. Received: include_bias={include_bias!r}.",
            argument="include_bias",
        )
    basis = _Basis(breakdown.examples, batch_size or 1, include_bias)
    rows = tuple(_row_cost(r, dtype, basis) for r in breakdown.rows)
    return Costs(breakdown.name, rows, dtype, batch_size, include_bias)


_publish(globals())
