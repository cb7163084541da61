"""What `diagnose` reports: the kinds of mistake and one `Finding` per mistake found."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

__all__ = ["Finding", "FindingKind", "Mode"]

Mode = Literal["running", "per_layer"]
"""How a hand count is given: running totals or one count per layer."""


class FindingKind(str, Enum):
    """What kind of mistake a `Finding` reports (a string enum: ``"missing_bias"``...).

    Examples:
        >>> from cnnexplain import FindingKind
        >>> FindingKind("missing_bias") is FindingKind.MISSING_BIAS
        True
        >>> FindingKind.BATCHNORM_STATISTICS.label
        'BatchNormalization statistics left out'
        >>> FindingKind("missing bias")
        Traceback (most recent call last):
        ...
        ValueError: 'missing bias' is not a valid FindingKind
    """

    MISSING_BIAS = "missing_bias"
    """The layer's bias vector was left out: ``k·k·C_in·F`` instead of ``(k·k·C_in+1)·F``."""
    FORGOTTEN_INPUT_CHANNELS = "forgotten_input_channels"
    """A convolution counted as ``k_h·k_w·F`` (+F): each filter spans all ``C_in`` channels."""
    WRONG_FLATTEN_SIZE = "wrong_flatten_size"
    """A Dense layer counted with the size of an earlier tensor (e.g. before pooling)."""
    MISSING_FLOOR = "missing_floor"
    """A convolution's length computed as ``⌈(n−k)/s⌉+1`` or ``(n−k)/s+1``, not ``⌊(n−k)/s⌋+1``.

    The wrong length carries on to the flatten size, so the Dense after it is miscounted.
    """
    MISSING_POOLING_FLOOR = "missing_pooling_floor"
    """A pooling's length rounded up (``⌈13/2⌉ = 7``) or not rounded, where Keras drops
    the incomplete window (``⌊(13−2)/2⌋+1 = 6``); the flatten size is then wrong."""
    PADDING_SWAPPED = "padding_swapped"
    """``same`` arithmetic (``⌈n/s⌉``) used for ``padding='valid'``, or the other way round;
    the flatten size is then wrong."""
    FORGOTTEN_DILATION = "forgotten_dilation"
    """A dilated kernel taken as ``k`` wide, not ``d·(k−1)+1``; the flatten size is then wrong."""
    ZERO_PARAMETER_LAYER_COUNTED = "zero_parameter_layer_counted"
    """Parameters counted for a layer that has none (pooling, Flatten, Dropout...)."""
    BATCHNORM_STATISTICS = "batchnorm_statistics"
    """BatchNormalization counted as ``2·C``; Keras also counts its moving statistics (``4·C``)."""
    SKIPPED_LAYER = "skipped_layer"
    """A layer with parameters counted as having none."""
    DIGIT_TYPO = "digit_typo"
    """A number written with two digits swapped, one digit wrong, left out or repeated."""
    ARITHMETIC_SLIP = "arithmetic_slip"
    """A sum or product off by one digit's worth (a dropped carry, a misread digit)."""
    DENSE_INPUT_FLATTENED = "dense_input_flattened"
    """A Dense layer on an N-D input counted as if its input were flattened:
    ``(10·16+1)·8`` where Dense acts on the last axis only, ``(16+1)·8``."""
    RNN_GATES_FORGOTTEN = "rnn_gates_forgotten"
    """An LSTM or GRU counted as one simple RNN: its 4 (LSTM) or 3 (GRU) gates forgotten."""
    RNN_BIAS_CONVENTION = "rnn_bias_convention"
    """An LSTM's or GRU's biases counted with the other convention: PyTorch (and Keras's GRU
    with ``reset_after=True``) keep two bias vectors per gate, Keras's LSTM one."""
    RNN_INPUT_HIDDEN_SWAPPED = "rnn_input_hidden_swapped"
    """A recurrent layer counted with its input size and hidden size swapped."""
    SEPARABLE_AS_ORDINARY = "separable_as_ordinary"
    """A separable convolution counted as an ordinary one (``k·k·C·F+F``), not depthwise then
    pointwise (``k·k·C·m + C·m·F + F``)."""
    DEPTHWISE_AS_ORDINARY = "depthwise_as_ordinary"
    """A depthwise convolution counted as an ordinary one: each filter spans one input channel,
    not all of them."""
    SHARED_LAYER_PER_CALL = "shared_layer_per_call"
    """A layer called several times counted once per call: its weights exist once."""
    TIED_HEAD_COUNTED_TWICE = "tied_head_counted_twice"
    """An output head tied to the token embedding counted again (``V·d`` twice)."""
    POSITION_EMBEDDINGS_FORGOTTEN = "position_embeddings_forgotten"
    """The learned position embeddings (``P·d``) left out."""
    QKV_BIAS_FORGOTTEN = "qkv_bias_forgotten"
    """The biases of the query, key and value projections left out."""
    LAYERNORM_ONE_VECTOR = "layernorm_one_vector"
    """A LayerNorm counted as one vector (``d``): it has a scale and a shift (``2·d``)."""
    RMSNORM_TWO_VECTORS = "rmsnorm_two_vectors"
    """An RMSNorm counted as two vectors (``2·d``): it has a scale only (``d``)."""
    KV_HEADS_AS_QUERY_HEADS = "kv_heads_as_query_heads"
    """Grouped-query attention's key and value projections counted with as many heads as the
    queries (``d·d``), not ``d·(h_kv·d_head)``."""
    SWIGLU_AS_TWO_MATRICES = "swiglu_as_two_matrices"
    """A SwiGLU MLP (gate, up and down projections) counted as a two-matrix MLP."""
    EXPERTS_COUNTED_ONCE = "experts_counted_once"
    """A mixture-of-experts layer counted with one expert, not ``E``."""
    UNEXPLAINED = "unexplained"
    """The part of the gap no known mistake accounts for."""

    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        """A short human name, e.g. ``missing bias``."""
        return _LABELS[self]


_LABELS = {
    FindingKind.MISSING_BIAS: "missing bias",
    FindingKind.FORGOTTEN_INPUT_CHANNELS: "forgotten input channels",
    FindingKind.WRONG_FLATTEN_SIZE: "wrong flatten size",
    FindingKind.MISSING_FLOOR: "missing floor",
    FindingKind.MISSING_POOLING_FLOOR: "pooling not rounded down",
    FindingKind.PADDING_SWAPPED: "same and valid padding swapped",
    FindingKind.FORGOTTEN_DILATION: "forgotten dilation",
    FindingKind.ZERO_PARAMETER_LAYER_COUNTED: "parameters counted for a layer without any",
    FindingKind.BATCHNORM_STATISTICS: "BatchNormalization statistics left out",
    FindingKind.SKIPPED_LAYER: "layer counted as 0",
    FindingKind.DIGIT_TYPO: "digit typo",
    FindingKind.ARITHMETIC_SLIP: "arithmetic slip",
    FindingKind.DENSE_INPUT_FLATTENED: "Dense input counted as flattened",
    FindingKind.RNN_GATES_FORGOTTEN: "gates forgotten",
    FindingKind.RNN_BIAS_CONVENTION: "bias convention of the other framework",
    FindingKind.RNN_INPUT_HIDDEN_SWAPPED: "input and hidden sizes swapped",
    FindingKind.SEPARABLE_AS_ORDINARY: "separable convolution counted as ordinary",
    FindingKind.DEPTHWISE_AS_ORDINARY: "depthwise convolution counted as ordinary",
    FindingKind.SHARED_LAYER_PER_CALL: "shared layer counted per call",
    FindingKind.TIED_HEAD_COUNTED_TWICE: "tied head counted twice",
    FindingKind.POSITION_EMBEDDINGS_FORGOTTEN: "position embeddings forgotten",
    FindingKind.QKV_BIAS_FORGOTTEN: "QKV biases forgotten",
    FindingKind.LAYERNORM_ONE_VECTOR: "LayerNorm counted as one vector",
    FindingKind.RMSNORM_TWO_VECTORS: "RMSNorm counted as two vectors",
    FindingKind.KV_HEADS_AS_QUERY_HEADS: "key/value heads counted as query heads",
    FindingKind.SWIGLU_AS_TWO_MATRICES: "SwiGLU counted as two matrices",
    FindingKind.EXPERTS_COUNTED_ONCE: "experts counted once",
    FindingKind.UNEXPLAINED: "unexplained",
}


@dataclass(frozen=True)
class Finding:
    """One mistake in a hand count and its share of the gap.

    Attributes:
        layer: the layer's name.
        layer_kind: its Keras class name (``Conv2D``).
        kind: what went wrong.
        amount: its share of the gap, Keras's count minus the hand count:
            positive when parameters were missed, negative when too many were counted.
        detail: one sentence with the numbers, e.g. ``the 32 biases, one per filter,
            were not counted``.
        step: the position (from 1) in the numbers given to `diagnose`.
    """

    layer: str
    layer_kind: str
    kind: FindingKind
    amount: int
    detail: str
    step: int

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data."""
        return {
            "layer": self.layer,
            "layer_kind": self.layer_kind,
            "step": self.step,
            "kind": self.kind.value,
            "amount": self.amount,
            "detail": self.detail,
        }
