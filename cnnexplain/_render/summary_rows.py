"""A `Breakdown` read under torchinfo's names: one `SummaryRow` per module, root first.

torchinfo's ``summary_list`` holds a ``LayerInfo`` per module call; these rows
carry the same attribute names (``class_name``, ``var_name``, ``depth``,
``depth_index``, ``input_size``, ``output_size``, ``num_params``,
``trainable_params``, ``macs``, ``kernel_size``) for each module once, in
registration order, with our formula beside them. ``macs`` follows torchinfo's
convention: the whole input batch, bias additions included.

Examples:
    >>> import torch
    >>> from cnnexplain import explain
    >>> b = explain(torch.nn.Sequential(torch.nn.Linear(3, 2)), input_size=(4, 3))
    >>> [(r.class_name, r.depth, r.num_params, r.macs) for r in summary_rows(b)]
    [('Sequential', 0, 8, 32), ('Linear', 1, 8, 32)]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from cnnexplain._formula import Formula, total_of
from cnnexplain._shapes import Shape

if TYPE_CHECKING:
    from cnnexplain._breakdown import Breakdown, LayerRow
    from cnnexplain._costs import RowCost

__all__ = ["SHARED", "SummaryRow", "is_single_module", "summary_rows", "torchinfo_macs"]

SHARED = "shared: the same module as"
"""How the torch adapter's note starts on a module listed again under another name."""


@dataclass(frozen=True)
class SummaryRow:
    """One module as torchinfo's ``LayerInfo`` names it, plus its formula.

    Attributes:
        class_name: the module's class (``Conv2d``).
        var_name: its attribute name in its parent (``conv1``); the model's own class name
            for the root.
        depth: 0 for the model, 1 for its children...
        depth_index: its rank among the rows of its depth so far (torchinfo's ``1-3``).
        path: its path in the tree (``layer1/0/conv1``), empty for the root.
        input_size: the shape of its first input as a list (the batch included), or a
            list of them for several inputs.
        output_size: the same for its output.
        num_params: its parameters (a container's: all under it, each tensor once).
        trainable_params: the part of ``num_params`` gradients update.
        macs: multiply-accumulates of all its calls on the whole input batch, bias
            additions included (torchinfo's convention); a container's add up its
            children's; None when unknown.
        macs_complete: False when a part's MACs are unknown (``macs`` is then a lower bound).
        kernel_size: its ``kernel_size`` argument as a list, or None.
        groups: its ``groups`` argument, or None.
        calls: how many times it ran in the forward pass.
        formula: the formula of ``num_params``.
        is_leaf_layer: whether it has no child rows.
        is_recursive: whether it is a module already listed under another name (shared),
            torchinfo's ``(recursive)``.
        weights: each weight's name and shape (torchinfo's ``verbose=2`` rows).
    """

    class_name: str
    var_name: str
    depth: int
    depth_index: int
    path: str
    input_size: list[Any]
    output_size: list[Any]
    num_params: int
    trainable_params: int
    macs: int | None
    macs_complete: bool
    kernel_size: list[int] | None
    groups: int | None
    calls: int
    formula: Formula
    is_leaf_layer: bool
    is_recursive: bool = False
    weights: tuple[tuple[str, tuple[int, ...]], ...] = ()

    @property
    def trainable(self) -> str:
        """Torchinfo's wording: ``True``, ``False``, ``Partial``, or ``--`` without parameters."""
        if self.num_params == 0:
            return "--"
        if self.trainable_params == 0:
            return "False"
        return "True" if self.trainable_params == self.num_params else "Partial"


def _size(shape: Shape | list[Shape] | tuple[Shape, ...]) -> list[Any]:
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (tuple, list)):
        shapes = list(shape)
        return [list(s) for s in shapes] if len(shapes) > 1 else list(shapes[0])
    return list(shape)


def _kernel(config: Any) -> list[int] | None:
    kernel = config.get("kernel_size")
    if isinstance(kernel, int) and not isinstance(kernel, bool):
        return [kernel]
    if isinstance(kernel, tuple) and all(isinstance(k, int) for k in kernel):
        return list(kernel)
    return None


def is_single_module(b: Breakdown) -> bool:
    """Whether ``b`` is one module explained on its own (its row is the model)."""
    return len(b.rows) == 1 and b.rows[0].name == b.name and not b.rows[0].children


def torchinfo_macs(b: Breakdown) -> tuple[RowCost, ...]:
    """Each top row's costs on torchinfo's basis: the input's batch, bias additions included."""
    return b.costs(batch_size=b.examples, include_bias=True).rows


def summary_rows(b: Breakdown) -> list[SummaryRow]:
    """The model's row (depth 0) and every module under it, depth first."""
    costs = torchinfo_macs(b)
    counters: dict[int, int] = {}

    def make(row: LayerRow, cost: RowCost, depth: int, path: str) -> SummaryRow:
        counters[depth] = counters.get(depth, 0) + 1
        groups = row.config.get("groups")
        return SummaryRow(
            class_name=row.kind,
            var_name=row.name,
            depth=depth,
            depth_index=counters[depth],
            path=path,
            input_size=_size(row.input_shape),
            output_size=_size(row.output_shape),
            num_params=row.params,
            trainable_params=row.trainable,
            macs=cost.macs,
            macs_complete=cost.macs_complete,
            kernel_size=_kernel(row.config),
            groups=groups if isinstance(groups, int) and not isinstance(groups, bool) else None,
            calls=row.calls,
            formula=row.formula,
            is_leaf_layer=not row.children,
            is_recursive=row.note.startswith(SHARED),
            weights=tuple((w.name, w.shape) for w in row.weights),
        )

    def visit(row: LayerRow, cost: RowCost, depth: int, prefix: str) -> Iterator[SummaryRow]:
        path = f"{prefix}{row.name}"
        yield make(row, cost, depth, path)
        for child, child_cost in zip(row.children, cost.children, strict=True):
            yield from visit(child, child_cost, depth + 1, f"{path}/")

    if is_single_module(b):
        rows = list(visit(b.rows[0], costs[0], 0, ""))
        return [replace(rows[0], path=""), *rows[1:]]
    known = [c.macs for c in costs if c.macs is not None]
    root = SummaryRow(
        class_name=b.name,
        var_name=b.name,
        depth=0,
        depth_index=1,
        path="",
        input_size=_size(b.input_shapes),
        output_size=_size(b.output_shapes),
        num_params=b.total,
        trainable_params=b.trainable,
        macs=sum(known),
        macs_complete=all(c.macs_complete for c in costs),
        kernel_size=None,
        groups=None,
        calls=1,
        formula=total_of([r.formula for r in b.rows]),
        is_leaf_layer=not b.rows,
    )
    counters[0] = 1
    out = [root]
    for row, cost in zip(b.rows, costs, strict=True):
        out += visit(row, cost, 1, "")
    return out
