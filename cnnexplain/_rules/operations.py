"""Operations in functional configs (``x + 3``, ``x * y``): ``keras.ops`` calls, not layers.

An operation holds no weights, so it adds nothing to the count and gets no
row (Keras's ``model.layers`` skips it too); only its output shape matters,
for the layers after it. Element-wise operations broadcast their tensor
inputs as NumPy does; for any other operation the shape is the one the
consuming layers record in the config.
"""

from __future__ import annotations

from cnnexplain._errors import SpecError
from cnnexplain._formula import Term
from cnnexplain._graph import LayerNode
from cnnexplain._rules._base import Explained, fmt_shape
from cnnexplain._shapes import Shape

__all__ = ["ELEMENTWISE", "broadcast", "operation"]

ELEMENTWISE = frozenset(
    {
        "Abs", "Add", "Divide", "Equal", "Exp", "Greater", "GreaterEqual", "Less", "LessEqual",
        "Log", "LogicalAnd", "LogicalNot", "LogicalOr", "Maximum", "Minimum", "Multiply",
        "Negative", "NotEqual", "Power", "Relu", "Sigmoid", "Sqrt", "Square", "Subtract", "Tanh",
        "TrueDivide",
    }
)  # fmt: skip


def broadcast(shapes: list[Shape]) -> Shape | None:
    """NumPy broadcasting of shapes aligned on the right; None if they don't broadcast."""
    rank = max(len(s) for s in shapes)
    out: list[int | None] = []
    for i in range(1, rank + 1):
        dims = {s[-i] for s in shapes if len(s) >= i} - {1}
        known = {d for d in dims if d is not None}
        if len(known) > 1:
            return None
        if known:
            out.append(known.pop())
        else:
            out.append(None if None in dims else 1)
    return tuple(reversed(out))


def operation(node: LayerNode, k: int, inputs: list[Shape]) -> Explained:
    """No weights; the output shape by broadcasting, or as the config records it.

    Raises:
        SpecError: for an operation whose output shape is neither computed nor recorded.
    """
    recorded = [node.recorded[key] for key in sorted(node.recorded) if key[0] == k]
    what = f"keras.ops operation {node.class_name}"
    if node.class_name in ELEMENTWISE and inputs:
        shape = broadcast(inputs)
        if shape is not None and (not recorded or recorded == [shape]):
            step = f"element-wise over {', '.join(fmt_shape(s) for s in inputs)}"
            return Explained(Term(0), (), (shape,), (f"{step} → {fmt_shape(shape)}",), what)
    if recorded:
        step = f"output {', '.join(fmt_shape(s) for s in recorded)} as the config records it"
        return Explained(Term(0), (), tuple(recorded), (step,), what)
    raise SpecError(
        f"Operation '{node.name}' ({node.class_name}): its output shape is not recorded in the "
        "config, and cnnexplain has no rule for it.",
        layer=node.name,
    )
