"""Property tests: random models, described with `cnnexplain.spec`, against Keras.

Hypothesis draws small random models, valid by construction (the generators
track shapes with their own arithmetic, independent of the rules), and
``explain(verify=True)`` builds each one in Keras from the same config and
compares every row's parameters, trainable parameters and output shapes, and
the totals. Examples are derandomized so CI runs the same models every time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnnexplain import Breakdown, spec

pytestmark = pytest.mark.usefixtures("keras")

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

Draw = Callable[[st.SearchStrategy[Any]], Any]
MAX_LENGTH = 12


def pick(draw: Draw, options: list[str]) -> str:
    """One of ``options``, uniformly: Hypothesis's own choices favour some options."""
    return str(draw(st.randoms(use_true_random=False)).choice(options))


def _check(model: spec.Model) -> Breakdown:
    b = model.explain(verify=True)
    assert sum(r.params for r in b.rows) == b.total == int(b.formula)
    assert b.trainable + b.non_trainable == b.total
    for row in b.rows:
        assert int(row.formula) == row.params
        assert sum(w.size for w in row.weights) == row.params
    return b


# --- Sequences: (steps, features) -----------------------------------------------------------


def _recurrent(draw: Draw, *, sequences: bool) -> spec.Layer:
    kind = pick(draw, ["SimpleRNN", "LSTM", "GRU"])
    kwargs: dict[str, Any] = {
        "use_bias": draw(st.booleans()),
        "return_sequences": sequences,
    }
    if kind == "GRU":
        kwargs["reset_after"] = draw(st.booleans())
    layer: spec.Layer = getattr(spec, kind)(draw(st.integers(1, 4)), **kwargs)
    return layer


Seq = tuple[int, int]
"""A sequence shape: (steps, features)."""
SeqLayer = tuple[spec.Layer, Seq] | None


def _seq_recurrent(draw: Draw, s: Seq) -> SeqLayer:
    layer = _recurrent(draw, sequences=True)
    return layer, (s[0], layer.kwargs["units"])


def _seq_bidirectional(draw: Draw, s: Seq) -> SeqLayer:
    inner = _recurrent(draw, sequences=True)
    merge = draw(st.sampled_from(["concat", "sum", "mul", "ave"]))
    units = inner.kwargs["units"] * (2 if merge == "concat" else 1)
    return spec.Bidirectional(inner, merge_mode=merge), (s[0], units)


def _seq_conv(draw: Draw, s: Seq, *, separable: bool) -> SeqLayer:
    kernel, strides = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    padding = draw(st.sampled_from(["valid", "same"] if separable else ["valid", "same", "causal"]))
    if padding == "valid" and kernel > s[0]:
        padding = "same"
    out = -(-s[0] // strides) if padding != "valid" else (s[0] - kernel) // strides + 1
    filters = draw(st.integers(1, 4))
    kwargs = {"strides": strides, "padding": padding, "use_bias": draw(st.booleans())}
    if separable:
        kwargs["depth_multiplier"] = draw(st.integers(1, 2))
        return spec.SeparableConv1D(filters, kernel, **kwargs), (out, filters)
    return spec.Conv1D(filters, kernel, **kwargs), (out, filters)


def transpose_length(n: int, kernel: int, strides: int, padding: str, op: int | None) -> int:
    """Keras's transposed-convolution length, written out independently of the rules."""
    if op is None:
        return (n - 1) * strides + max(kernel, strides) if padding == "valid" else n * strides
    return (n - 1) * strides + (kernel if padding == "valid" else kernel % 2) + op


def _seq_transpose(draw: Draw, s: Seq) -> SeqLayer:
    kernel, strides = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    padding = draw(st.sampled_from(["valid", "same"]))
    op = draw(st.sampled_from([None, *range(strides)]))
    out = transpose_length(s[0], kernel, strides, padding, op)
    if not 1 <= out <= MAX_LENGTH:
        return None
    filters = draw(st.integers(1, 3))
    layer = spec.Conv1DTranspose(
        filters, kernel, strides=strides, padding=padding, output_padding=op
    )
    return layer, (out, filters)


def _seq_dense(draw: Draw, s: Seq) -> SeqLayer:
    units = draw(st.integers(1, 4))
    return spec.Dense(units, use_bias=draw(st.booleans())), (s[0], units)


def _seq_einsum(draw: Draw, s: Seq) -> SeqLayer:
    units = draw(st.integers(1, 4))
    bias = draw(st.sampled_from([None, "d"]))
    return spec.EinsumDense("abc,cd->abd", (s[0], units), bias_axes=bias), (s[0], units)


def _seq_layer_norm(draw: Draw, s: Seq) -> SeqLayer:
    axis = draw(st.sampled_from([-1, [1, 2]]))
    kwargs = {"center": draw(st.booleans()), "scale": draw(st.booleans())}
    return spec.LayerNormalization(axis=axis, **kwargs), s


def _groups(draw: Draw, channels: int) -> int:
    return int(draw(st.sampled_from([g for g in range(1, channels + 1) if channels % g == 0])))


def _seq_cropping(draw: Draw, s: Seq) -> SeqLayer:
    if s[0] <= 2:
        return None
    a = draw(st.integers(0, 1))
    return spec.Cropping1D((a, 1)), (s[0] - a - 1, s[1])


def _seq_time_distributed(draw: Draw, s: Seq) -> SeqLayer:
    units = draw(st.integers(1, 4))
    return spec.TimeDistributed(spec.Dense(units)), (s[0], units)


SEQUENCE_LAYERS: dict[str, Callable[[Draw, Seq], SeqLayer]] = {
    "recurrent": _seq_recurrent,
    "bidirectional": _seq_bidirectional,
    "conv1d": lambda d, s: _seq_conv(d, s, separable=False),
    "separable1d": lambda d, s: _seq_conv(d, s, separable=True),
    "conv1d_transpose": _seq_transpose,
    "dense": _seq_dense,
    "einsum": _seq_einsum,
    "layer_norm": _seq_layer_norm,
    "group_norm": lambda d, s: (spec.GroupNormalization(groups=_groups(d, s[1])), s),
    "unit_norm": lambda _d, s: (spec.UnitNormalization(), s),
    "prelu": lambda d, s: (spec.PReLU(shared_axes=d(st.sampled_from([None, 1]))), s),
    "cropping": _seq_cropping,
    "up_sampling": lambda _d, s: (
        (spec.UpSampling1D(2), (2 * s[0], s[1])) if 2 * s[0] <= MAX_LENGTH else None
    ),
    "permute": lambda _d, s: (spec.Permute((2, 1)), (s[1], s[0])) if s[0] <= 6 else None,
    "time_distributed": _seq_time_distributed,
}


def _sequence_layer(draw: Draw, s: Seq) -> tuple[spec.Layer, Seq]:
    """One layer for a (steps, features) input and the (steps, features) it gives."""
    made = SEQUENCE_LAYERS[pick(draw, sorted(SEQUENCE_LAYERS))](draw, s)
    return made if made is not None else (spec.Dropout(0.2), s)


def _sequence_head(draw: Draw) -> list[spec.Layer]:
    head = pick(draw, ["recurrent", "bidirectional", "pool", "flatten", "none"])
    if head == "recurrent":
        return [_recurrent(draw, sequences=False)]
    if head == "bidirectional":
        return [spec.Bidirectional(_recurrent(draw, sequences=False))]
    if head == "pool":
        return [spec.GlobalAveragePooling1D(), spec.Dense(draw(st.integers(1, 3)))]
    if head == "flatten":
        return [spec.Flatten(), spec.Dense(draw(st.integers(1, 3)))]
    return []


@st.composite
def sequence_models(draw: Draw) -> spec.Model:
    """(steps, features) inputs, or token ids through an Embedding, then sequence layers."""
    steps = draw(st.integers(2, 6))
    layers: list[Any] = []
    if draw(st.booleans()):
        features = draw(st.integers(1, 5))
        layers.append(spec.Input((steps, features)))
    else:
        features = draw(st.integers(1, 4))
        layers += [spec.Input((steps,)), spec.Embedding(draw(st.integers(2, 30)), features)]
    shape = (steps, features)
    for _ in range(draw(st.integers(1, 4))):
        layer, shape = _sequence_layer(draw, shape)
        layers.append(layer)
    layers += _sequence_head(draw)
    return spec.Sequential(layers, name="sequence")


# --- Images: (height, width, channels) --------------------------------------------------------


def _window(draw: Draw, h: int, w: int) -> tuple[int, int, str, int, int]:
    """Kernel, strides, padding and output lengths of a window that fits."""
    kernel = draw(st.integers(1, 3))
    strides = draw(st.integers(1, 2))
    padding = draw(st.sampled_from(["valid", "same"]))
    if padding == "valid" and kernel > min(h, w):
        padding = "same"
    if padding == "same":
        return kernel, strides, padding, -(-h // strides), -(-w // strides)
    return kernel, strides, padding, (h - kernel) // strides + 1, (w - kernel) // strides + 1


Image = tuple[int, int, int]
"""An image shape: (height, width, channels)."""
ImageLayer = tuple[spec.Layer, Image] | None


def _img_conv(draw: Draw, s: Image, kind: str) -> ImageLayer:
    kernel, strides, padding, h, w = _window(draw, s[0], s[1])
    kwargs: dict[str, Any] = {"strides": strides, "padding": padding}
    kwargs["use_bias"] = draw(st.booleans())
    if kind == "depthwise":
        m = draw(st.integers(1, 2))
        return spec.DepthwiseConv2D(kernel, depth_multiplier=m, **kwargs), (h, w, s[2] * m)
    filters = draw(st.integers(1, 4))
    if kind == "separable":
        kwargs["depth_multiplier"] = draw(st.integers(1, 2))
        return spec.SeparableConv2D(filters, kernel, **kwargs), (h, w, filters)
    return spec.Conv2D(filters, kernel, **kwargs), (h, w, filters)


def _img_transpose(draw: Draw, s: Image) -> ImageLayer:
    kernel, strides = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    padding = draw(st.sampled_from(["valid", "same"]))
    h, w = (transpose_length(n, kernel, strides, padding, None) for n in s[:2])
    if max(h, w) > MAX_LENGTH:
        return None
    filters = draw(st.integers(1, 3))
    return spec.Conv2DTranspose(filters, kernel, strides=strides, padding=padding), (h, w, filters)


def _img_resizing(draw: Draw, s: Image) -> ImageLayer:
    h, w = draw(st.integers(2, 8)), draw(st.integers(2, 8))
    return spec.Resizing(h, w), (h, w, s[2])


IMAGE_LAYERS: dict[str, Callable[[Draw, Image], ImageLayer]] = {
    "conv": lambda d, s: _img_conv(d, s, "conv"),
    "separable": lambda d, s: _img_conv(d, s, "separable"),
    "depthwise": lambda d, s: _img_conv(d, s, "depthwise"),
    "transpose": _img_transpose,
    "batch_norm": lambda d, s: (spec.BatchNormalization(center=d(st.booleans())), s),
    "layer_norm": lambda d, s: (
        spec.LayerNormalization(axis=d(st.sampled_from([-1, [1, 2, 3]]))),
        s,
    ),
    "group_norm": lambda d, s: (spec.GroupNormalization(groups=_groups(d, s[2])), s),
    "cropping": lambda _d, s: (
        (spec.Cropping2D(((1, 0), (0, 1))), (s[0] - 1, s[1] - 1, s[2])) if min(s[:2]) > 2 else None
    ),
    "up_sampling": lambda _d, s: (
        (spec.UpSampling2D(2), (2 * s[0], 2 * s[1], s[2])) if 2 * max(s[:2]) <= MAX_LENGTH else None
    ),
    "zero_padding": lambda _d, s: (
        (spec.ZeroPadding2D(1), (s[0] + 2, s[1] + 2, s[2]))
        if max(s[:2]) + 2 <= MAX_LENGTH
        else None
    ),
    "pool": lambda _d, s: (
        (spec.MaxPooling2D(2), (s[0] // 2, s[1] // 2, s[2])) if min(s[:2]) >= 2 else None
    ),
    "prelu": lambda _d, s: (spec.PReLU(shared_axes=[1, 2]), s),
    "rescaling": lambda _d, s: (spec.Rescaling(1 / 255), s),
    "resizing": _img_resizing,
}


def _image_layer(draw: Draw, s: Image) -> tuple[spec.Layer, Image]:
    made = IMAGE_LAYERS[pick(draw, sorted(IMAGE_LAYERS))](draw, s)
    return made if made is not None else (spec.Dropout(0.1), s)


@st.composite
def image_models(draw: Draw) -> spec.Model:
    h, w, c = draw(st.integers(3, 8)), draw(st.integers(3, 8)), draw(st.integers(1, 3))
    layers: list[Any] = [spec.Input((h, w, c))]
    shape = (h, w, c)
    for _ in range(draw(st.integers(1, 4))):
        layer, shape = _image_layer(draw, shape)
        layers.append(layer)
    head = pick(draw, ["flatten", "pool", "none"])
    if head == "flatten":
        layers += [spec.Flatten(), spec.Dense(draw(st.integers(1, 4)))]
    elif head == "pool":
        layers += [spec.GlobalAveragePooling2D(), spec.Dense(draw(st.integers(1, 4)))]
    return spec.Sequential(layers, name="image")


@st.composite
def video_models(draw: Draw) -> spec.Model:
    """(steps, height, width, channels): ConvLSTM2D and TimeDistributed layers."""
    t, h, w, c = (draw(st.integers(2, 3)), draw(st.integers(3, 6)), draw(st.integers(3, 6)), 2)
    layers: list[Any] = [spec.Input((t, h, w, c))]
    if draw(st.booleans()):
        kernel, strides, padding, h, w = _window(draw, h, w)
        filters = draw(st.integers(1, 3))
        layers.append(
            spec.TimeDistributed(spec.Conv2D(filters, kernel, strides=strides, padding=padding))
        )
        c = filters
    kernel, strides, padding, h, w = _window(draw, h, w)
    layers.append(
        spec.ConvLSTM2D(
            draw(st.integers(1, 3)),
            kernel,
            strides=strides,
            padding=padding,
            use_bias=draw(st.booleans()),
            return_sequences=draw(st.booleans()),
        )
    )
    return spec.Sequential(layers, name="video")


# --- Functional models with several inputs ------------------------------------------------------


MERGES = ["mha", "mha_key", "gqa", "attention", "additive", "dot", "add", "concatenate"]


@st.composite
def attention_models(draw: Draw, kind: str | None = None) -> spec.Model:
    """Two inputs merged by attention, Dot, Add or Concatenate, after per-branch layers."""
    tq, tv = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    dq, dv = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    q = spec.Input((tq, dq), name="query")
    v = spec.Input((tv, dv), name="value")
    kind = kind or pick(draw, MERGES)
    if kind in ("mha", "mha_key"):
        layer = spec.MultiHeadAttention(
            draw(st.integers(1, 3)),
            draw(st.integers(1, 4)),
            value_dim=draw(st.sampled_from([None, 2, 3])),
            use_bias=draw(st.booleans()),
            output_shape=draw(st.sampled_from([None, 2, (2, 2)])),
        )
        out = layer(q, v, v) if kind == "mha_key" else layer(q, v)
    elif kind == "gqa":
        kv = draw(st.integers(1, 2))
        heads = kv * draw(st.integers(1, 2))
        layer = spec.GroupQueryAttention(draw(st.integers(1, 3)), heads, kv)
        out = layer(q, spec.Dense(dq)(v))
    elif kind in ("attention", "additive", "dot"):
        key = spec.Dense(dq)(v)
        if kind == "attention":
            merge = spec.Attention(
                use_scale=draw(st.booleans()), score_mode=draw(st.sampled_from(["dot", "concat"]))
            )
            out = merge([q, key])
        elif kind == "additive":
            out = spec.AdditiveAttention(use_scale=draw(st.booleans()))([q, key])
        else:
            out = spec.Dot((2, 2))([q, key])
    else:
        a = _recurrent(draw, sequences=False)(q)
        b = spec.Dense(a.layer.kwargs["units"])(spec.Flatten()(v))
        out = spec.Add()([a, b]) if kind == "add" else spec.Concatenate()([a, b])
    if draw(st.booleans()):
        out = spec.LayerNormalization()(out)
    return spec.Model([q, v], out, name="attention")


def _sequential_cnn(draw: Draw) -> spec.Model:
    h = w = draw(st.integers(6, 16))
    c = draw(st.integers(1, 3))
    layers: list[Any] = [spec.Input((h, w, c))]
    for _ in range(draw(st.integers(1, 3))):
        kernel, strides, padding, h, w = _window(draw, h, w)
        layers.append(
            spec.Conv2D(draw(st.integers(1, 8)), kernel, strides=strides, padding=padding)
        )
        if draw(st.booleans()):
            layers.append(spec.BatchNormalization())
        if min(h, w) >= 2 and draw(st.booleans()):
            pool = draw(st.sampled_from(["MaxPooling2D", "AveragePooling2D"]))
            layers.append(getattr(spec, pool)(2))
            h, w = h // 2, w // 2
        if draw(st.booleans()):
            layers.append(spec.Dropout(0.25))
    layers.append(spec.Flatten())
    layers.extend(
        spec.Dense(draw(st.integers(1, 32)), use_bias=draw(st.booleans()))
        for _ in range(draw(st.integers(1, 2)))
    )
    return spec.Sequential(layers, name="cnn")


@SETTINGS
@given(
    st.sampled_from([sequence_models, image_models, video_models, attention_models]).flatmap(
        lambda family: family()
    ),
)
def test_random_models_match_keras(model: spec.Model) -> None:
    _check(model)


@pytest.mark.parametrize("kind", MERGES)
@settings(SETTINGS, max_examples=10)
@given(st.data())
def test_random_merges_match_keras(kind: str, data: st.DataObject) -> None:
    """Every way of merging two inputs, whatever the draws above favoured."""
    _check(data.draw(attention_models(kind)))


@settings(SETTINGS, max_examples=100)
@given(st.data())
def test_random_sequential_cnns_match_keras(data: st.DataObject) -> None:
    b = _check(_sequential_cnn(data.draw))
    flat = next(r for r in b.rows if r.kind == "Flatten")
    assert flat.output_shape[1] is not None
