"""``keras.ops`` operations in functional models: their output shapes against Keras's.

One Keras functional model per case (built once, in a session fixture): the
operation's outputs are the model's outputs, and each float output whose last
length is known also feeds a Dense, so the config records the shape and
cnnexplain must agree with it. The operation gets no row and adds nothing.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import cnnexplain
from cnnexplain import SpecError
from cnnexplain._graph.evaluate import explain_graph
from cnnexplain._graph.model import LayerNode, parse_model
from cnnexplain._graph.operations import OPS, operation

Build = Callable[..., Any]
"""``(ops, *inputs) -> tensor or list of tensors``."""


@dataclass(frozen=True)
class Case:
    id: str
    inputs: tuple[tuple[int | None, ...], ...]
    build: Build
    dtype: str = "float32"


A = (4, 1, 6)
B = (6,)
C = (3, 5)
D = (1, 5)
IMG = (4, 4, 8)
QKV = (3, 2, 4)
SEQ = (None, 6)
ONES52 = np.ones((5, 2), "float32")
ACTIVATIONS = (
    "relu", "gelu", "silu", "sigmoid", "tanh", "elu", "selu", "softplus", "relu6", "leaky_relu",
    "hard_sigmoid", "log_sigmoid", "softsign",
)  # fmt: skip


def _t(x: Any, perm: tuple[int, ...]) -> Any:
    import keras

    return keras.ops.transpose(x, perm)


CASES = [
    # reshape, squeeze, expand_dims, transpose, moveaxis, flatten-like
    Case("reshape(-1,6)", (A,), lambda o, x: o.reshape(x, (-1, 6))),
    Case("reshape(-1,4,6)", (A,), lambda o, x: o.reshape(x, (-1, 4, 6))),
    Case("reshape(-1,15)", (C,), lambda o, x: o.reshape(x, (-1, 15))),
    Case("reshape(-1,5,3)", (C,), lambda o, x: o.reshape(x, (-1, 5, 3))),
    Case("squeeze(2)", (A,), lambda o, x: o.squeeze(x, axis=2)),
    Case("squeeze(-2)", (A,), lambda o, x: o.squeeze(x, axis=-2)),
    Case("squeeze()", (A,), lambda o, x: o.squeeze(x)),
    Case("expand_dims(1)", (B,), lambda o, x: o.expand_dims(x, 1)),
    Case("expand_dims(-1)", (B,), lambda o, x: o.expand_dims(x, -1)),
    Case("expand_dims((1,3))", (C,), lambda o, x: o.expand_dims(x, (1, 3))),
    Case("transpose(0,2,1)", (C,), lambda o, x: o.transpose(x, (0, 2, 1))),
    Case("transpose()", (C,), lambda o, x: o.transpose(x)),
    Case("moveaxis(1,2)", (C,), lambda o, x: o.moveaxis(x, 1, 2)),
    Case("moveaxis([1,3],[3,1])", (A,), lambda o, x: o.moveaxis(x, [1, 3], [3, 1])),
    Case("swapaxes(1,2)", (C,), lambda o, x: o.swapaxes(x, 1, 2)),
    Case("ravel", (C,), lambda o, x: o.ravel(x)),
    Case("broadcast_to", (D,), lambda o, x: o.broadcast_to(x, (2, 3, 5))),
    # joining and splitting
    Case("concatenate(1)", (C, C), lambda o, x, y: o.concatenate([x, y], axis=1)),
    Case("concatenate(-1)", (C, C), lambda o, x, y: o.concatenate([x, y], axis=-1)),
    Case("stack(1)", (B, B), lambda o, x, y: o.stack([x, y], axis=1)),
    Case("stack(-1)", (C, C), lambda o, x, y: o.stack([x, y, x], axis=-1)),
    Case("append(1)", (C, C), lambda o, x, y: o.append(x, y, axis=1)),
    Case("split(3)", (B,), lambda o, x: o.split(x, 3, axis=1)),
    Case("split([1,3])", (C,), lambda o, x: o.split(x, [1, 3], axis=-1)),
    Case("array_split(2)", (C,), lambda o, x: o.array_split(x, 2, axis=-1)),
    Case("hsplit", (B,), lambda o, x: o.hsplit(x, 2)),
    Case("vsplit([1])", (C,), lambda o, x: o.vsplit(x[0], [1])),
    Case("unstack(1)", (C,), lambda o, x: o.unstack(x, axis=1)),
    Case("unstack(2)", (C,), lambda o, x: o.unstack(x, num=5, axis=2)),
    # __getitem__ and slice
    Case("x[:,0]", (A,), lambda _o, x: x[:, 0]),
    Case("x[:,-1,:]", (C,), lambda _o, x: x[:, -1, :]),
    Case("x[...,0]", (C,), lambda _o, x: x[..., 0]),
    Case("x[:,None]", (C,), lambda _o, x: x[:, None]),
    Case("x[:,1:]", (C,), lambda _o, x: x[:, 1:]),
    Case("x[:,::2]", (C,), lambda _o, x: x[:, ::2]),
    Case("x[:,1:3,2:]", (C,), lambda _o, x: x[:, 1:3, 2:]),
    Case("x[:,:,None,2]", (C,), lambda _o, x: x[:, :, None, 2]),
    Case("x[:,1:3,...,None,2]", (A,), lambda _o, x: x[:, 1:3, ..., None, 2]),
    Case("x[0]", (B,), lambda _o, x: x[0]),
    Case("x[:,-2:,::-1]", (C,), lambda _o, x: x[:, -2:, ::-1]),
    Case("slice", (C,), lambda o, x: o.slice(x, [0, 1, 0], [2, 2, 5])),
    # reductions
    Case("sum(1)", (C,), lambda o, x: o.sum(x, axis=1)),
    Case("sum((1,2),keepdims)", (A,), lambda o, x: o.sum(x, axis=(1, 2), keepdims=True)),
    Case("mean(-1,keepdims)", (C,), lambda o, x: o.mean(x, axis=-1, keepdims=True)),
    Case("max((1,2))", (C,), lambda o, x: o.max(x, axis=(1, 2))),
    Case("min(None)", (C,), lambda o, x: o.min(x)),
    Case("min(None,keepdims)", (C,), lambda o, x: o.min(x, keepdims=True)),
    Case("prod(1)", (C,), lambda o, x: o.prod(x, axis=1)),
    Case("any(1)", (C,), lambda o, x: o.any(x > 0, axis=1)),
    Case("all(-1,keepdims)", (C,), lambda o, x: o.all(x > 0, axis=-1, keepdims=True)),
    Case("argmax(-1)", (C,), lambda o, x: o.argmax(x, axis=-1)),
    Case("argmin(1,keepdims)", (C,), lambda o, x: o.argmin(x, axis=1, keepdims=True)),
    Case("std(1)", (C,), lambda o, x: o.std(x, axis=1)),
    Case("var(-1,keepdims)", (C,), lambda o, x: o.var(x, axis=-1, keepdims=True)),
    Case("logsumexp(1)", (C,), lambda o, x: o.logsumexp(x, axis=1)),
    Case("norm(-1)", (C,), lambda o, x: o.norm(x, axis=-1)),
    Case("norm((1,2),keepdims)", (C,), lambda o, x: o.norm(x, axis=(1, 2), keepdims=True)),
    Case("amax(1)", (C,), lambda o, x: o.amax(x, axis=1)),
    Case("median(1)", (C,), lambda o, x: o.median(x, axis=1)),
    Case("count_nonzero(1)", (C,), lambda o, x: o.count_nonzero(x, axis=1)),
    Case("average(1)", (C,), lambda o, x: o.average(x, axis=1)),
    Case("moments([1])", (C,), lambda o, x: list(o.moments(x, axes=[1]))),
    # matmul, dot, tensordot, einsum
    Case("x@xT", (C,), lambda o, x: o.matmul(x, _t(x, (0, 2, 1)))),
    Case("x@W", (C,), lambda o, x: o.matmul(x, ONES52)),
    Case("x@v(1-D)", (C,), lambda o, x: o.matmul(x, np.ones(5, "float32"))),
    Case("v(1-D)@x", (C,), lambda o, x: o.matmul(np.ones(3, "float32"), x)),
    Case("batch@", (QKV, (4, 2)), lambda o, x, w: o.matmul(x, w)),
    Case("dot", (C,), lambda o, x: o.dot(x, ONES52)),
    Case("tensordot(1)", (C,), lambda o, x: o.tensordot(x, ONES52, axes=1)),
    Case("tensordot([[2],[0]])", (C,), lambda o, x: o.tensordot(x, ONES52, axes=[[2], [0]])),
    Case("einsum(bij,bjk->bik)", (C,), lambda o, x: o.einsum("bij,bjk->bik", x, _t(x, (0, 2, 1)))),
    Case("einsum(bij->bji)", (C,), lambda o, x: o.einsum("bij->bji", x)),
    Case("einsum(bij->b)", (C,), lambda o, x: o.einsum("bij->b", x)),
    Case("einsum(bijk,bk->bij)", (A, B), lambda o, x, y: o.einsum("bijk,bk->bij", x, y)),
    Case("einsum(...j,jk->...k)", (C,), lambda o, x: o.einsum("...j,jk->...k", x, ONES52)),
    Case("einsum(bi,bi)", (B, B), lambda o, x, y: o.einsum("bi,bi", x, y)),
    Case("einsum(abcd,aecd->acbe)", (QKV, QKV), lambda o, q, k: o.einsum("abcd,aecd->acbe", q, k)),
    # cast, clip, where, arithmetic, comparisons
    Case("cast", (C,), lambda o, x: o.cast(x, "float16")),
    Case("clip", (C,), lambda o, x: o.clip(x, 0.0, 1.0)),
    Case("where(3-way)", (C, D), lambda o, x, y: o.where(x > 0, x, y)),
    Case("where(scalar)", (C,), lambda o, x: o.where(x > 0, x, 0.0)),
    Case("where(1-D)", (C, D), lambda o, x, y: o.where(y > 0, np.ones(5, "float32"), x)),
    Case("x+d", (C, D), lambda _o, x, y: x + y),
    Case("x-2", (C,), lambda _o, x: x - 2),
    Case("2**x", (C,), lambda _o, x: 2**x),
    Case("x/d", (C, D), lambda _o, x, y: x / y),
    Case("x*b", (C, (3, 1)), lambda _o, x, y: x * y),
    Case("-x", (C,), lambda _o, x: -x),
    Case("abs", (C,), lambda _o, x: abs(x)),
    Case("x>d", (C, D), lambda _o, x, y: x > y),
    Case("x==0", (C,), lambda o, x: o.equal(x, 0)),
    Case("maximum", (C, D), lambda o, x, y: o.maximum(x, y)),
    Case("x+const", (C,), lambda o, x: x + o.convert_to_tensor(np.ones(5, "float32"))),
    Case("sqrt", (C,), lambda o, x: o.sqrt(x)),
    Case("floor_divide", (C,), lambda o, x: o.floor_divide(x, 2.0)),
    # activations
    *(Case(name, (C,), lambda o, x, n=name: getattr(o, n)(x)) for name in ACTIVATIONS),
    Case("softmax(1)", (C,), lambda o, x: o.softmax(x, axis=1)),
    Case("log_softmax", (C,), lambda o, x: o.log_softmax(x)),
    Case("glu", (A,), lambda o, x: o.glu(x)),
    # more shapes from keras.io examples
    Case("tile", (C,), lambda o, x: o.tile(x, (1, 2, 1))),
    Case("tile(short)", (C,), lambda o, x: o.tile(x, (3,))),
    Case("repeat(1)", (C,), lambda o, x: o.repeat(x, 2, axis=1)),
    Case("pad", (C,), lambda o, x: o.pad(x, [[0, 0], [1, 2], [0, 0]])),
    Case("top_k", (C,), lambda o, x: list(o.top_k(x, 2))),
    Case("one_hot", ((7,),), lambda o, x: o.one_hot(x, 10), dtype="int32"),
    Case("multi_hot", ((7,),), lambda o, x: o.multi_hot(x, 10), dtype="int32"),
    Case("one_hot(axis=1)", ((7,),), lambda o, x: o.one_hot(x, 4, axis=1), dtype="int32"),
    Case("take", (C,), lambda o, x: o.take(x, [0, 2], axis=1)),
    Case("take_along_axis", (C,), lambda o, x: o.take_along_axis(x, o.argsort(x, 1), axis=1)),
    Case("hstack", (C, C), lambda o, x, y: o.hstack([x, y])),
    Case("vstack", (C, C), lambda o, x, y: o.vstack([x, y])),
    Case("rgb_to_grayscale", ((8, 8, 3),), lambda o, x: o.image.rgb_to_grayscale(x)),
    Case("resize", ((8, 8, 3),), lambda o, x: o.image.resize(x, (4, 6))),
    Case("depth_to_space", (IMG,), lambda o, x: o.depth_to_space(x, 2)),
    Case("space_to_depth", (IMG,), lambda o, x: o.space_to_depth(x, 2)),
    Case("max_pool(2)", ((8, 8, 3),), lambda o, x: o.max_pool(x, 2)),
    Case("max_pool(3,2,same)", ((7, 9, 3),), lambda o, x: o.max_pool(x, 3, 2, padding="same")),
    Case("average_pool(1-D)", ((9, 4),), lambda o, x: o.average_pool(x, 3, strides=2)),
    Case("extract_patches(4)", ((8, 8, 3),), lambda o, x: o.image.extract_patches(x, 4)),
    Case(
        "extract_patches(3,2,same)",
        ((9, 7, 2),),
        lambda o, x: o.image.extract_patches(x, (3, 2), strides=2, padding="same"),
    ),
    # unknown lengths (a variable-length sequence) stay unknown, as Keras keeps them
    Case("seq:reshape(-1,2,3)", (SEQ,), lambda o, x: o.reshape(x, (-1, 2, 3))),
    Case("seq:x[:,1:]", (SEQ,), lambda _o, x: x[:, 1:]),
    Case("seq:concatenate(1)", (SEQ, SEQ), lambda o, x, y: o.concatenate([x, y], axis=1)),
    Case("seq:split(2,1)", (SEQ,), lambda o, x: o.split(x, 2, axis=1)),
    Case("seq:mean(1)", (SEQ,), lambda o, x: o.mean(x, axis=1)),
    Case("seq:tile", (SEQ,), lambda o, x: o.tile(x, (1, 2, 1))),
    Case("seq:pad", (SEQ,), lambda o, x: o.pad(x, [[0, 0], [1, 1], [0, 0]])),
    Case("seq:x@xT", (SEQ,), lambda o, x: o.matmul(x, _t(x, (0, 2, 1)))),
    Case("seq:max_pool", (SEQ,), lambda o, x: o.max_pool(x, 2)),
    Case("sort(1)", (C,), lambda o, x: o.sort(x, axis=1)),
    Case("cumsum(1)", (C,), lambda o, x: o.cumsum(x, axis=1)),
    Case("cumsum()", (C,), lambda o, x: o.cumsum(x)),
    Case("flip", (C,), lambda o, x: o.flip(x, axis=1)),
    Case("roll", (C,), lambda o, x: o.roll(x, 1, axis=1)),
    Case("stop_gradient", (C,), lambda o, x: o.stop_gradient(x)),
    Case("zeros_like", (C,), lambda o, x: o.zeros_like(x)),
    Case("full_like", (C,), lambda o, x: o.full_like(x, 2.0)),
    Case("rms_normalization", (C,), lambda o, x: o.rms_normalization(x)),
    Case(
        "dot_product_attention",
        (QKV, QKV, QKV),
        lambda o, q, k, v: o.dot_product_attention(q, k, v),
    ),
]


@dataclass
class Built:
    model: Any
    op_shapes: list[tuple[int | None, ...]]
    dense: int
    breakdown: cnnexplain.Breakdown | None
    error: Exception | None


def _build(keras: Any, case: Case) -> Built:
    inputs = [keras.Input(s, dtype=case.dtype) for s in case.inputs]
    out = case.build(keras.ops, *inputs)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    heads = [
        keras.layers.Dense(2)(o)
        for o in outs
        if o.dtype.startswith("float") and len(o.shape) >= 2 and o.shape[-1] is not None
    ]
    model = keras.Model(inputs, [*outs, *heads])
    try:
        breakdown, error = cnnexplain.explain(model), None
    except Exception as err:  # noqa: BLE001 - reported by the test of that case
        breakdown, error = None, err
    return Built(model, [tuple(o.shape) for o in outs], len(heads), breakdown, error)


@pytest.fixture(scope="session")
def built(keras: Any) -> dict[str, Built]:
    """Every case's model, built and explained once."""
    return {case.id: _build(keras, case) for case in CASES}


def test_cases_are_many_and_distinct() -> None:
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_operation_shape(case: Case, built: dict[str, Built]) -> None:
    b = built[case.id]
    if b.error is not None:
        raise b.error
    assert b.breakdown is not None
    n = len(b.op_shapes)
    assert list(b.breakdown.output_shapes[:n]) == b.op_shapes
    # the operation adds no row and no parameter: only the Dense heads have rows
    assert [r.kind for r in b.breakdown.rows] == ["Dense"] * b.dense
    assert b.breakdown.total == b.model.count_params()
    used = {layer["class_name"] for layer in b.model.get_config()["layers"]}
    assert used - {"InputLayer", "Dense"} <= set(OPS), "every operation here has a rule"


def _config(keras: Any, build: Build, *shapes: tuple[int, ...], head: bool = True) -> Any:
    inputs = [keras.Input(s) for s in shapes]
    out = build(keras.ops, *inputs)
    outs = [keras.layers.Dense(2)(out)] if head else [out]
    return keras.Model(inputs, outs).get_config()


def _node(config: Any, class_name: str) -> Any:
    return next(layer for layer in config["layers"] if layer["class_name"] == class_name)


def _explain(config: Any) -> cnnexplain.Breakdown:
    return explain_graph(parse_model("Functional", config))


def test_shape_steps_show_the_arithmetic() -> None:
    def steps(class_name: str, config: dict[str, Any], *ins: tuple[int | None, ...]) -> str:
        node = LayerNode("op", class_name, config, trainable=True, operation=True)
        node.calls = [[(f"x{i}", 0, 0) for i in range(len(ins))]]
        return "; ".join(operation(node, 0, list(ins)).shape_steps)

    assert (
        steps("Squeeze", {"axis": 1}, (None, 1, 64)) == "squeeze axis 1: (None, 1, 64) → (None, 64)"
    )
    assert steps("Reshape", {"newshape": [-1, 8]}, (2, 4, 6)) == (
        "reshape to (-1, 8) (-1 = 48/8 = 6): (2, 4, 6) → (6, 8)"
    )
    assert steps("Concatenate", {"axis": -1}, (None, 3), (None, 5)) == (
        "concatenate on axis 1 (3+5 = 8): (None, 3), (None, 5) → (None, 8)"
    )
    assert steps("Mean", {"axis": [1], "keepdims": True}, (None, 4, 6)) == (
        "mean over axis 1, keepdims: (None, 4, 6) → (None, 1, 6)"
    )
    assert steps("Einsum", {"subscripts": "bij,bjk->bik"}, (None, 3, 5), (None, 5, 2)) == (
        "einsum 'bij,bjk->bik' (b=None, i=3, j=5, k=2): (None, 3, 5), (None, 5, 2) → (None, 3, 2)"
    )


def test_operation_without_rule_takes_the_recorded_shape(keras: Any) -> None:
    config = _config(keras, lambda o, x: o.diff(x, axis=1), C)
    assert _node(config, "Diff")["class_name"] not in OPS
    b = _explain(config)
    assert [r.input_shape for r in b.rows] == [(None, 2, 5)]
    graph = parse_model("Functional", config)
    node = next(n for n in graph.layers if n.class_name == "Diff")
    result = operation(node, 0, [(None, 3, 5)])
    assert result.outputs == ((None, 2, 5),)
    assert result.note == "keras.ops operation Diff: no shape rule for the keras.ops operation Diff"
    assert result.shape_steps == ("output (None, 2, 5) as the config records it",)


def test_operation_without_rule_nor_recorded_shape(keras: Any) -> None:
    config = _config(keras, lambda o, x: o.diff(x, axis=1), C, head=False)
    with pytest.raises(
        SpecError, match=r"^Operation 'diff\w*' \(Diff\): cnnexplain has no shape rule"
    ):
        _explain(config)


def _tamper(config: Any, class_name: str, change: Callable[[dict[str, Any]], None]) -> Any:
    config = json.loads(json.dumps(config))  # as a file holds it: lists, not tuples
    change(_node(config, class_name))
    return config


@dataclass(frozen=True)
class Bad:
    id: str
    build: Build
    shape: tuple[int, ...]
    class_name: str
    change: dict[str, Any]
    message: str


BAD = [
    Bad("squeeze-not-1", lambda o, x: o.squeeze(x, 2), A, "Squeeze", {"axis": 3},
        r"axis 3 of \(None, 4, 1, 6\) has length 6, not 1"),
    Bad("squeeze-axis-range", lambda o, x: o.squeeze(x, 2), A, "Squeeze", {"axis": 7},
        r"axis 7 is out of range for an input of rank 4"),
    Bad("reshape-size", lambda o, x: o.reshape(x[0], (-1, 5)), C, "Reshape",
        {"newshape": [-1, 4]}, r"values cannot fill a shape with 4 per -1"),
    Bad("reshape-total", lambda o, x: o.reshape(x[0], (-1, 5)), C, "Reshape",
        {"newshape": [2, 5]}, r"the input \(3, 5\) holds 15 values, not 10"),
    Bad("reshape-two-minus-one", lambda o, x: o.reshape(x, (-1, 5)), C, "Reshape",
        {"newshape": [-1, -1]}, r"at most one length may be -1"),
    Bad("transpose-perm", lambda o, x: o.transpose(x, (0, 2, 1)), C, "Transpose",
        {"axes": [0, 1, 1]}, r"must be a permutation of the 3 axes"),
    Bad("sum-axis-type", lambda o, x: o.sum(x, 1), C, "Sum", {"axis": "rows"},
        r"'axis' must be an integer or a list"),
    Bad("einsum-spec", lambda o, x: o.einsum("bij->bji", x), C, "Einsum",
        {"subscripts": "bi->ib"}, r"'bi' names 2 axes but the operand is \(None, 3, 5\)"),
    Bad("split-uneven", lambda o, x: o.split(x, 3, axis=1)[0], B, "Split",
        {"indices_or_sections": 4}, r"axis 1 of length 6 does not split in 4"),
    Bad("pad-width", lambda o, x: o.pad(x, [[0, 0], [1, 1], [0, 0]]), C, "Pad",
        {"pad_width": [[0, 0], [1]]}, r"'pad_width' must give \(before, after\)"),
    Bad("recorded-disagrees", lambda o, x: o.sum(x, 1), C, "Sum", {"axis": 2},
        r"computes its output shape \(None, 3\) from its arguments, but the config "
        r"records \(None, 5\)"),
]  # fmt: skip


@pytest.mark.parametrize("bad", BAD, ids=[b.id for b in BAD])
def test_bad_arguments(keras: Any, bad: Bad) -> None:
    config = _config(keras, bad.build, bad.shape)
    config = _tamper(config, bad.class_name, lambda n: n["config"].update(bad.change))
    pattern = rf"^Operation '\w+' \({bad.class_name}\): .*{bad.message}"
    with pytest.raises(SpecError, match=pattern) as err:
        _explain(config)
    assert err.value.layer is not None


def test_elementwise_inputs_that_do_not_broadcast(keras: Any) -> None:
    config = _config(keras, lambda _o, x, y: x + y, C, D)
    config = _tamper(config, "InputLayer", lambda n: n["config"].update(batch_shape=[None, 3, 4]))
    with pytest.raises(
        SpecError, match=r"^Operation 'add\w*' \(Add\): its inputs do not broadcast"
    ):
        _explain(config)


JUNK: list[Any] = [
    None, -5, -1, 0, 1, 3, 2.5, True, "a", "same", [], [0], [1, "b"], [[0]], [[0, 1], [1]],
    [-1, -1], [0, 9], [0, 2, 1], {"a": 1}, {"class_name": "__slice__", "config": {"start": "a"}},
    {"class_name": "__keras_tensor__", "config": {"shape": ["x"], "keras_history": [[1], 0]}},
]  # fmt: skip
KEYS = sorted(
    {
        "axis", "keepdims", "newshape", "shape", "axes", "source", "destination", "axis1",
        "axis2", "indices_or_sections", "num", "subscripts", "repeats", "pad_width", "k",
        "num_classes", "size", "data_format", "block_size", "pool_size", "strides", "padding",
        "dilation_rate", "start_indices",
    }
)  # fmt: skip
SHAPES: list[tuple[int | None, ...]] = [(None, 3, 5), (), (2,), (None, 1, 4, 4, 2), (0, 3)]


def test_no_arguments_escape_as_anything_but_spec_error() -> None:
    """Every rule, fed junk arguments and shapes, returns shapes or raises a SpecError."""
    rng = random.Random(10)  # noqa: S311 - reproducible test inputs, not secrets
    outcomes = {"computed": 0, "refused": 0}
    for class_name, op in sorted(OPS.items()):
        for trial in range(24):
            config = {key: rng.choice(JUNK) for key in rng.sample(KEYS, rng.randint(0, 6))}
            ins = [rng.choice(SHAPES) for _ in op.params]
            node = LayerNode("op", class_name, config, trainable=True, operation=True)
            node.calls = [[(f"x{i}", 0, 0) for i in range(len(ins))]]
            if trial % 2:
                tensors = [
                    {"class_name": "__keras_tensor__", "config": {"keras_history": [f"x{i}", 0, 0]}}
                    for i in range(len(ins))
                ]
                node.call_args = [([*tensors[:1], rng.choice(JUNK), *tensors[1:]], {})]
            try:
                result = operation(node, 0, ins)
            except SpecError:
                outcomes["refused"] += 1
            else:
                assert all(isinstance(s, tuple) for s in result.outputs), (class_name, config)
                outcomes["computed"] += 1
    assert outcomes["computed"] > 0
    assert outcomes["refused"] > 0


def test_saved_file_gives_the_live_shapes(keras: Any, tmp_path: Path) -> None:
    """A ``.keras`` file holds the same operation nodes: read without Keras, same shapes."""
    o = keras.ops
    x = keras.Input((4, 1, 6))
    y = keras.Input((6,))
    z = o.squeeze(x, axis=2)
    z = o.einsum("bij,bj->bij", z, y)[:, 1:, None]
    z = o.concatenate([o.reshape(z, (-1, 3, 6)), o.mean(z, axis=-2)], axis=1)
    parts = o.split(z, 2, axis=-1)
    model = keras.Model([x, y], [keras.layers.Dense(3)(parts[1]), o.max(parts[0], axis=1)])
    path = tmp_path / "ops.keras"
    model.save(path)
    live, saved = cnnexplain.explain(model), cnnexplain.explain(path)
    assert saved.output_shapes == live.output_shapes == ((None, 6, 3), (None, 3))
    assert [(r.name, r.params, r.input_shape) for r in saved.rows] == [
        (r.name, r.params, r.input_shape) for r in live.rows
    ]


def test_tensor_index_takes_the_recorded_shape(keras: Any) -> None:
    """``x[i]`` with a tensor ``i`` has no rule: the recorded shape, else one sentence."""

    def index_by_tensor(node: dict[str, Any]) -> None:
        args = node["inbound_nodes"][0]["args"]
        args[1] = args[0]  # x[x]: the key is a tensor

    config = _config(keras, lambda _o, x: x[:, 0], C)
    b = _explain(_tamper(config, "GetItem", index_by_tensor))
    assert [r.input_shape for r in b.rows] == [(None, 5)]
    config = _tamper(
        _config(keras, lambda _o, x: x[:, 0], C, head=False), "GetItem", index_by_tensor
    )
    with pytest.raises(SpecError, match=r"no shape rule for GetItem with an index of type Tensor"):
        _explain(config)


INIT_ARGS: dict[str, tuple[Any, ...]] = {
    "BatchNorm": (-1,),
    "Cast": ("float16",),
    "Clip": (0.0, 1.0),
    "Roll": (1,),
    "SaturateCast": ("float16",),
    "Threshold": (0.5, 0.0),
}


def test_every_shape_keeping_or_broadcasting_row_agrees_with_keras(keras: Any) -> None:
    """Each element-wise or shape-keeping class, against its own ``compute_output_spec``."""
    from keras.src.ops import core, image, linalg, math, nn, numpy

    modules = (numpy, core, nn, math, image, linalg)
    shapes: list[tuple[int | None, ...]] = [(None, 3, 5), (5,), (3, 1)]
    vectors: list[tuple[int | None, ...]] = [(None, 3, 5), (5,), (5,), (5,), (5,)]  # *Norm
    attention: list[tuple[int | None, ...]] = [(None, 3, 2, 4)] * 3
    checked = 0
    for class_name, op in sorted(OPS.items()):
        cls = next(getattr(m, class_name) for m in modules if hasattr(m, class_name))
        if op.family.__name__ not in ("same", "elementwise", "along_axis"):
            continue
        instance = cls(*INIT_ARGS.get(class_name, ()))
        given = attention if class_name == "DotProductAttention" else shapes
        given = vectors if class_name.endswith("Norm") else given
        given = [(None, 4, 4, 3)] if op.params == ("images",) else given
        ins = given[: len(op.params)]
        spec = instance.compute_output_spec(*(keras.KerasTensor(s) for s in ins))
        specs = spec if isinstance(spec, (list, tuple)) else [spec]
        node = LayerNode("op", class_name, instance.get_config(), trainable=True, operation=True)
        node.calls = [[(f"x{i}", 0, 0) for i in range(len(ins))]]
        assert operation(node, 0, ins).outputs == tuple(tuple(s.shape) for s in specs), class_name
        checked += 1
    assert checked > 100
