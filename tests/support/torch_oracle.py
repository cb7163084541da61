"""PyTorch as the oracle: explain one module and compare with ``numel()`` and a real forward."""

from __future__ import annotations

from typing import Any

import torch

from cnnexplain import Breakdown, explain

torch.set_num_threads(1)  # tiny forwards: threads only contend on a shared 2-core machine


def shapes(value: Any) -> list[tuple[int, ...]]:
    """The shapes of every tensor in a forward's output, in order."""
    if isinstance(value, torch.Tensor):
        return [tuple(value.shape)]
    if isinstance(value, (tuple, list)):
        return [s for v in value for s in shapes(v)]
    return []


def check_module(module: torch.nn.Module, *inputs: Any, **kwargs: Any) -> Breakdown:
    """One module: its row's count equals ``numel()``, its output shapes a real CPU forward's.

    The breakdown is verified (every weight's shape by name, the recorded meta shapes)
    as ``explain`` does by default; the real forward here is a second, independent check.
    """
    b = explain(module, input_data=inputs if len(inputs) != 1 else inputs[0], **kwargs)
    (row,) = b.rows
    expected = sum(p.numel() for p in module.parameters())
    assert row.params == expected, (module, row)
    assert int(row.formula) == row.params
    assert row.explained, row
    assert sorted((w.name, w.shape) for w in row.weights) == sorted(
        (n, tuple(p.shape)) for n, p in module.named_parameters()
    )
    with torch.no_grad():
        real = shapes(module(*inputs))
    got = row.output_shape if isinstance(row.output_shape, list) else [row.output_shape]
    assert got == real, (module, row.output_shape, real)
    return b
