"""Which shape family each ``keras.ops`` operation belongs to, and the names of its call arguments.

One row per Keras 3 operation class: its family (``_families.py``), the
parameters of its ``call`` in order (the tensors and any argument Keras
records in the call rather than in the config), and the options that set the
family to that operation (which argument is the axis, whether ``keepdims``
exists, how many outputs). Names and parameters follow
``keras/src/ops/{numpy,core,nn,math,image,linalg}.py``.

Examples:
    >>> OPS["Squeeze"].family.__name__, OPS["Where"].params
    ('squeeze', ('condition', 'x1', 'x2'))
    >>> OPS["Moments"].options
    {'axis': 'axes', 'outputs': 2}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cnnexplain._graph.operations import compute as f
from cnnexplain._graph.operations import rearrange as r
from cnnexplain._graph.operations.call import Result

__all__ = ["ELEMENTWISE", "OPS", "Op"]


@dataclass(frozen=True)
class Op:
    """One operation class: its shape family, call parameters and family options."""

    family: Callable[..., Result]
    params: tuple[str, ...] = ("x",)
    options: Mapping[str, Any] = field(default_factory=dict)


def _rows(
    names: str, family: Callable[..., Result], params: tuple[str, ...] = ("x",), **options: Any
) -> dict[str, Op]:
    return {name: Op(family, params, options) for name in names.split()}


_UNARY = """
    Abs Absolute Angle Arccos Arccosh Arcsin Arcsinh Arctan Arctanh BitwiseInvert BitwiseNot
    Cbrt Ceil Clip Conj Conjugate Copy Cos Cosh Deg2rad EmptyLike Exp Exp2 Expm1 Fabs Fliplr
    Flipud Floor I0 Imag Isfinite Isinf Isnan Isneginf Isposinf Isreal Log Log10 Log1p Log2
    LogicalNot NanToNum Negative OnesLike Rad2deg Real Reciprocal Round Sign Signbit Sin Sinc
    Sinh Sqrt Square Tan Tanh Tril Triu Trunc ZerosLike
    Cast ConvertToTensor SaturateCast Erf Erfc Erfinv Rsqrt
    Celu Elu Gelu HardShrink HardSigmoid HardSilu HardTanh LeakyRelu LogSigmoid Relu Relu6 Selu
    Sigmoid Silu SoftShrink Softplus Softsign SparsePlus SparseSigmoid Squareplus TanhShrink
    Threshold
"""
"""Element-wise functions of one tensor, casts and the activations: the shape is kept."""

_BINARY = """
    Add Arctan2 Divide DivideNoNan Equal FloorDivide Fmax Fmin Fmod Gcd Greater GreaterEqual
    Heaviside Hypot Lcm Ldexp Less LessEqual Logaddexp Logaddexp2 LogicalAnd LogicalOr LogicalXor
    Maximum Minimum Mod Multiply Nextafter NotEqual Power Subtract TrueDivide
"""
"""Element-wise functions of two tensors (or numbers): the inputs broadcast."""

_REDUCE = """
    All Amax Amin Any Argmax Argmin Logsumexp Max Mean Median Min Nanargmax Nanargmin Nanmax
    Nanmean Nanmedian Nanmin Nanprod Nanstd Nansum Nanvar Norm Prod Ptp Std Sum Var
"""
"""Reductions with ``axis`` and ``keepdims``."""

OPS: dict[str, Op] = {
    **_rows(_UNARY, f.same),
    **_rows("FullLike", f.same, ("x", "fill_value")),
    **_rows("StopGradient", f.same, ("variable",), x="variable"),
    **_rows("Flip LogSoftmax Normalize Roll Softmax Sparsemax", f.same, axis="axis"),
    **_rows("LayerNorm", f.same, ("x", "gamma", "beta"), axis="axis"),
    **_rows("RMSNorm", f.same, ("x", "scale"), axis="axis"),
    **_rows("BatchNorm", f.same, ("x", "mean", "variance", "offset", "scale"), axis="axis"),
    **_rows(
        "DotProductAttention",
        f.same,
        ("query", "key", "value", "bias", "mask", "scale"),
        x="query",
    ),
    **_rows("GaussianBlur HSVToRGB RGBToHSV", f.same, ("images",), x="images"),
    **_rows("SliceUpdate", f.same, ("inputs", "start_indices", "updates"), x="inputs"),
    **_rows("ScatterUpdate", f.same, ("inputs", "indices", "updates"), x="inputs"),
    **_rows("Argsort Cumprod Cumsum Nancumprod Nancumsum Sort", f.along_axis),
    **_rows("Ravel", f.flatten),
    **_rows(_BINARY, f.elementwise, ("x1", "x2")),
    **_rows(
        "BitwiseAnd BitwiseLeftShift BitwiseOr BitwiseRightShift BitwiseXor LeftShift RightShift",
        f.elementwise,
        ("x", "y"),
    ),
    **_rows("Isclose", f.elementwise, ("x1", "x2", "rtol", "atol")),
    **_rows("Where", f.elementwise, ("condition", "x1", "x2")),
    **_rows(_REDUCE, f.reduce),
    **_rows("CountNonzero", f.reduce, keepdims=None),
    **_rows("Moments", f.reduce, axis="axes", outputs=2),
    **_rows("Average", f.average, ("x", "weights")),
    **_rows("Reshape", r.reshape),
    **_rows("BroadcastTo", r.broadcast_to),
    **_rows("Squeeze", r.squeeze),
    **_rows("ExpandDims", r.expand_dims),
    **_rows("Transpose", r.transpose),
    **_rows("Moveaxis", r.moveaxis),
    **_rows("Swapaxes", r.swapaxes),
    **_rows("Concatenate", r.concatenate, ("*xs",)),
    **_rows("Hstack", r.concatenate, ("*xs",), on=1),
    **_rows("Vstack", r.concatenate, ("*xs",), on=0),
    **_rows("Append", r.append, ("x1", "x2")),
    **_rows("Stack", r.stack, ("*x",)),
    **_rows("Split", r.split),
    **_rows("ArraySplit", r.split, uneven=True),
    **_rows("Hsplit", r.split, on=1),
    **_rows("Vsplit", r.split, on=0),
    **_rows("Unstack", r.unstack),
    **_rows("GetItem", r.get_item, ("x", "key")),
    **_rows("Slice", r.slice_, ("inputs", "start_indices")),
    **_rows("Matmul", f.matmul, ("x1", "x2")),
    **_rows("Dot", f.dot, ("x1", "x2")),
    **_rows("Tensordot", f.tensordot, ("x1", "x2")),
    **_rows("Einsum", f.einsum, ("*operands",)),
    **_rows("Tile", r.tile),
    **_rows("Repeat", r.repeat),
    **_rows("Pad", r.pad, ("x", "constant_values")),
    **_rows("Take", f.take, ("x", "indices")),
    **_rows("TakeAlongAxis", f.take_along_axis, ("x", "indices")),
    **_rows("RGBToGrayscale", f.grayscale, ("images",)),
    **_rows("TopK", f.top_k),
    **_rows("OneHot", f.one_hot),
    **_rows("MultiHot", f.one_hot, ("inputs",), x="inputs", multi=True),
    **_rows("Resize", f.resize, ("images",)),
    **_rows("DepthToSpace", f.depth_to_space),
    **_rows("SpaceToDepth", f.depth_to_space, inverse=True),
    **_rows("Glu", f.glu),
    **_rows("AveragePool MaxPool", f.windows, ("inputs",)),
    **_rows("ExtractPatches", f.windows, ("images",), x="images", size="size", patches=True),
}
"""Every operation class with a shape rule, by Keras class name."""

ELEMENTWISE = frozenset(
    name for name, op in OPS.items() if op.family in (f.same, f.elementwise) and not op.options
)
"""Operations that act element by element (the shape of their broadcast inputs)."""
