"""What a row's MACs formula counts once, and the bias additions beside it.

A rule's MACs formula (`cnnexplain._rules.families`) counts one item of the row's
input: one example along axis 0 for most layers, one sequence for a recurrent
layer or a ``MultiheadAttention`` whose batch is axis 1 (``batch_first=False``).
A torch forward records real shapes, so a row's MACs for the whole recorded
pass are its formula times the number of items it saw, and per example they
are that divided by the batch of the model's input (`model_examples`). Layers
then agree on one basis even where their axis 0 differs: a sequence-first LSTM
between layers whose axis 0 is the batch, or a Linear on a ``(N·T, F)``
reshape. Keras shapes carry no batch, so there each row's formula is already
per example.

Bias additions (``include_bias=True``, torchinfo's convention) are one addition
per output element of a layer holding a bias; a recurrent layer adds its biases
at every step; a normalization's shift is already in its MACs (``a·x + b``).

Examples:
    >>> from cnnexplain._breakdown import LayerRow
    >>> from cnnexplain._formula import Term
    >>> from cnnexplain._rules.protocol import Weight
    >>> row = LayerRow("fc", "Linear", 10, 10, 0, (8, 2), Term(10),
    ...                weights=(Weight("weight", (2, 4)), Weight("bias", (2,))),
    ...                input_shape=(8, 4), framework=Framework.TORCH)
    >>> row_items(row), bias_additions(row, 8)
    (8, 2)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from cnnexplain._framework import Framework
from cnnexplain._rules.protocol import Family
from cnnexplain._shapes import Shape

if TYPE_CHECKING:
    from cnnexplain._breakdown import LayerRow

__all__ = ["bias_additions", "model_examples", "row_items"]

_RECURRENT = (Family.RECURRENT, Family.RECURRENT_CELL)
_SEQUENCE_FIRST = (Family.RECURRENT, Family.ATTENTION)
"""torch modules whose 3-D input is (L, N, F), or (N, L, F) with ``batch_first``."""


def _first(shape: Shape | list[Shape]) -> Shape:
    if isinstance(shape, list):
        return shape[0] if shape else ()
    return shape


def _unbatched(row: LayerRow, shape: Shape) -> bool:
    """Whether torch reads ``shape`` as one example without a batch axis."""
    kernel = row.config.get("kernel_size")
    if isinstance(kernel, tuple):  # ConvNd, pooling: (C, *spatial) without the batch
        return len(shape) == len(kernel) + 1
    if row.family in (*_SEQUENCE_FIRST, Family.RECURRENT_CELL):
        return len(shape) < (3 if row.family in _SEQUENCE_FIRST else 2)
    return len(shape) < 2  # noqa: PLR2004 - Linear and element-wise layers on one vector


def _packed_sizes(row: LayerRow) -> dict[str, int] | None:
    """The sizes of a PackedSequence input the row's first call received, if it got one."""
    call = row.config.get("call_kwargs")
    packed = call.get("packed") if isinstance(call, dict) else None
    return packed if isinstance(packed, dict) else None


def row_items(row: LayerRow) -> int:
    """How many items of one call the row's MACs formula counts once each (1 for Keras).

    Examples:
        >>> from cnnexplain._breakdown import LayerRow
        >>> from cnnexplain._formula import Term
        >>> lstm = LayerRow("lstm", "LSTM", 0, 0, 0, (100, 7, 6), Term(0),
        ...                 input_shape=(100, 7, 4), framework=Framework.TORCH,
        ...                 config={"batch_first": False}, family=Family.RECURRENT)
        >>> row_items(lstm)
        7
    """
    if row.framework is not Framework.TORCH or _packed_sizes(
        row
    ):  # packed: counted for the whole batch
        return 1
    shape = _first(row.input_shape)
    if not shape or any(d is None for d in shape) or _unbatched(row, shape):
        return 1
    if row.family in _SEQUENCE_FIRST and row.config.get("batch_first") is not True:
        return shape[1] or 1
    return shape[0] or 1


def model_examples(root_row: LayerRow | None, inputs: tuple[Shape, ...]) -> int:
    """The examples a torch forward ran on: the batch of the model's first input.

    ``root_row`` is the row of a module explained on its own (no children), whose
    batch axis its class fixes (axis 1 for a sequence-first LSTM); a model's batch
    is its first input's axis 0.
    """
    if root_row is not None:
        packed = _packed_sizes(root_row)
        return int(packed["batch"]) if packed else row_items(root_row)
    shape = inputs[0] if inputs else ()
    if len(shape) < 2 or shape[0] is None:  # noqa: PLR2004
        return 1
    return shape[0]


def _is_bias(name: str) -> bool:
    last = name.replace("/", ".").rsplit(".", 1)[-1]
    return last.startswith("bias") and last not in ("bias_k", "bias_v")


def bias_additions(row: LayerRow, macs: int | None) -> int | None:
    """Additions of the row's biases for one item of one call, or None when unknown.

    ``macs`` is the row's MACs for one item of one call (its formula's value).
    """
    biases = [w for w in row.weights if _is_bias(w.name)]
    if not biases or row.family in (Family.NORM, Family.BATCH_NORM):
        return 0
    if row.family is Family.ATTENTION and row.framework is Framework.TORCH:
        return _attention_biases(row)
    if row.family is Family.ATTENTION or (row.family is None and "Attention" in row.kind):
        return None  # Keras's attention layers (and one no rule read): not derived
    if row.family in _RECURRENT:
        kernels = sum(w.size for w in row.weights if not _is_bias(w.name))
        if macs is None or not kernels or macs % kernels:
            return None
        return macs // kernels * sum(w.size for w in biases)  # every step adds every bias
    return _output_elements(row)


def _output_elements(row: LayerRow) -> int | None:
    """The elements of one item of the row's first output."""
    out = _first(row.output_shape)
    if not out or any(d is None for d in out[1:]):
        return None
    dims = (
        out
        if row.framework is Framework.TORCH and _unbatched(row, _first(row.input_shape))
        else out[1:]
    )
    return math.prod(d or 0 for d in dims)


def _attention_biases(row: LayerRow) -> int | None:
    """Torch MultiheadAttention: q, k, v biases over their inputs' lengths, out_proj's over q's."""
    shapes = row.input_shape if isinstance(row.input_shape, list) else [row.input_shape]
    if len(shapes) < 3:  # noqa: PLR2004
        return None
    axis = 1 if row.config.get("batch_first") is True and len(shapes[0]) == 3 else 0  # noqa: PLR2004
    t_q, t_k, t_v = (s[axis] for s in shapes[:3])
    e = row.config.get("embed_dim")
    if not isinstance(e, int) or None in (t_q, t_k, t_v):
        return None
    names = {w.name for w in row.weights}
    total = 0
    if "in_proj_bias" in names:
        total += e * ((t_q or 0) + (t_k or 0) + (t_v or 0))
    if "out_proj.bias" in names:
        total += e * (t_q or 0)
    return total
