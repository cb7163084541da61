"""Operations in functional configs (``x + 3``, ``x[:, 0]``, ``keras.ops.squeeze(x, 1)``).

An operation holds no weights, so it adds nothing to the count and gets no
row (Keras's ``model.layers`` skips it too); only its output shape matters,
for the layers after it. Each operation class Keras 3 records has a row in one
table (``_table.py``) naming its shape family (``_families.py``: broadcast,
reduce, reshape, get_item, einsum...), which computes the shape from the
recorded arguments and shows each step. Where the config also records the
output shape (as its consumers' input), the two must agree; an operation
without a rule takes the recorded shape, with a note saying so.

Examples:
    >>> from cnnexplain._graph.model import LayerNode
    >>> node = LayerNode("squeeze", "Squeeze", {"name": "squeeze", "axis": 1}, True,
    ...                  calls=[[("x", 0, 0)]], operation=True)
    >>> result = operation(node, 0, [(None, 1, 64)])
    >>> result.outputs, result.shape_steps
    (((None, 64),), ('squeeze axis 1: (None, 1, 64) → (None, 64)',))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cnnexplain._errors import SpecError
from cnnexplain._formula import Term
from cnnexplain._graph.model import LayerNode, TensorRef
from cnnexplain._graph.operations.call import (
    NoShapeRule,
    OpCall,
    Tensor,
    bind,
    broadcast,
    decode,
)
from cnnexplain._graph.operations.table import ELEMENTWISE, OPS
from cnnexplain._rules.protocol import Explained, fmt_shape
from cnnexplain._shapes import Shape

__all__ = ["ELEMENTWISE", "OPS", "broadcast", "operation"]


_REF_PARTS = 3
"""``keras_history``: (layer, call, output)."""


def _recorded(node: LayerNode, k: int) -> dict[int, Shape]:
    return {j: shape for (call, j), shape in node.recorded.items() if call == k}


def _op_call(node: LayerNode, k: int, inputs: list[Shape], params: tuple[str, ...]) -> OpCall:
    """The call's arguments by name, each tensor replaced by its (computed) shape."""
    known: dict[TensorRef, Shape] = dict(zip(node.calls[k], inputs, strict=False))

    def tensor(config: Mapping[str, Any]) -> Tensor:
        history = list(config.get("keras_history") or [])
        if len(history) == _REF_PARTS and all(isinstance(i, int) for i in history[1:]):
            ref = (str(history[0]), int(history[1]), int(history[2]))
            if ref in known:
                return Tensor(known[ref])
        shape = config.get("shape")
        if not isinstance(shape, (list, tuple)) or not all(
            d is None or (isinstance(d, int) and not isinstance(d, bool) and d >= 0) for d in shape
        ):
            raise SpecError(
                f"Operation '{node.name}' ({node.class_name}): a tensor argument has no "
                "recorded shape and comes from no computed layer.",
                layer=node.name,
            )
        return Tensor(tuple(shape))

    if k < len(node.call_args):
        args, kwargs = node.call_args[k]
        positional = decode(list(args) if isinstance(args, (list, tuple)) else [args], tensor)
        named = decode(dict(kwargs) if isinstance(kwargs, Mapping) else {}, tensor)
        call = bind(params, positional, named)
    else:
        call = bind(params, [Tensor(s) for s in inputs], {})
    config = decode({key: v for key, v in node.config.items() if key != "name"}, tensor)
    return OpCall(node.name, node.class_name, config, call, params)


def _as_recorded(node: LayerNode, recorded: dict[int, Shape], why: str) -> Explained:
    """The recorded output shapes, for an operation cnnexplain computes no shape for."""
    what = f"keras.ops operation {node.class_name}"
    if not recorded:
        raise SpecError(
            f"Operation '{node.name}' ({node.class_name}): cnnexplain has no shape rule for "
            f"{why}, and the config records no output shape for it.",
            layer=node.name,
        )
    count = max(recorded) + 1
    missing = [j for j in range(count) if j not in recorded]
    if missing:
        raise SpecError(
            f"Operation '{node.name}' ({node.class_name}): cnnexplain has no shape rule for "
            f"{why}, and the config records no shape for its output {missing[0]}.",
            layer=node.name,
        )
    outputs = tuple(recorded[j] for j in range(count))
    step = f"output {', '.join(fmt_shape(s) for s in outputs)} as the config records it"
    return Explained(Term(0), (), outputs, (step,), f"{what}: no shape rule for {why}")


def operation(node: LayerNode, k: int, inputs: list[Shape]) -> Explained:
    """No weights; the output shapes of call ``k`` by the operation's shape rule.

    Raises:
        SpecError: for bad arguments, for a computed shape the config contradicts,
            or for an operation without rule whose output shape is not recorded.
    """
    recorded = _recorded(node, k)
    spec = OPS.get(node.class_name)
    if spec is None:
        return _as_recorded(node, recorded, f"the keras.ops operation {node.class_name}")
    op = _op_call(node, k, inputs, spec.params)
    try:
        outputs, steps = spec.family(op, **spec.options)
    except NoShapeRule as missing:
        return _as_recorded(node, recorded, f"{node.class_name} with {missing.what}")
    for j, shape in sorted(recorded.items()):
        if j >= len(outputs):
            raise SpecError(
                f"Operation '{node.name}' ({node.class_name}) has {len(outputs)} outputs, but "
                f"the config uses its output {j}.",
                layer=node.name,
            )
        if outputs[j] != shape:
            which = f"output {j}" if len(outputs) > 1 else "output"
            raise SpecError(
                f"Operation '{node.name}' ({node.class_name}): cnnexplain computes its {which} "
                f"shape {fmt_shape(outputs[j])} from its arguments, but the config records "
                f"{fmt_shape(shape)}; the config contradicts itself.",
                layer=node.name,
            )
    return Explained(
        Term(0), (), tuple(outputs), tuple(steps), f"keras.ops operation {node.class_name}"
    )
