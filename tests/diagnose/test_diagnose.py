"""diagnose(): the seed's 242, each mistake kind on Keras models, random injected mistakes, errors.

Hand counts here are built from Keras's own figures (``count_params()``, weight
shapes), with one known mistake applied, so no expected count is typed.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import load_example, seed_spec
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import cnnexplain
from cnnexplain import DiagnosisError, FindingKind, spec

K = FindingKind
DOCS = Path(__file__).parents[2] / "docs"

# ---------------------------------------------------------------------------
# Keras models and their figures


def build_bn_cnn(keras: Any) -> Any:
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            layers.Conv2D(12, 3, name="conv1"),
            layers.BatchNormalization(name="bn1"),
            layers.MaxPooling2D(2, name="pool1"),
            layers.Conv2D(24, 3, padding="same", name="conv2"),
            layers.BatchNormalization(name="bn2"),
            layers.MaxPooling2D(2, name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dropout(0.5, name="drop"),
            layers.Dense(17, name="head"),
        ],
        name="bn_cnn",
    )


def build_conv1d(keras: Any) -> Any:
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((50, 4)),
            layers.Conv1D(13, 5, name="conv"),
            layers.MaxPooling1D(2, name="pool"),
            layers.Flatten(name="flatten"),
            layers.Dense(7, name="dense"),
        ],
        name="signal",
    )


def build_functional(keras: Any) -> Any:
    layers = keras.layers
    x = keras.Input((12, 12, 2), name="image")
    y = layers.Conv2D(9, 3, name="conv")(x)
    y = layers.AveragePooling2D(2, name="pool")(y)
    y = layers.Flatten(name="flatten")(y)
    y = layers.Dense(11, name="hidden")(y)
    out = layers.Dense(3, use_bias=False, name="out")(y)
    return keras.Model(x, out, name="functional")


@pytest.fixture(scope="session")
def models(keras: Any, seed_model: Any) -> dict[str, Any]:
    return {
        "seed": seed_model,
        "bn_cnn": build_bn_cnn(keras),
        "conv1d": build_conv1d(keras),
        "functional": build_functional(keras),
    }


MODELS = ["seed", "bn_cnn", "conv1d", "functional"]


@dataclass
class Layer:
    """One Keras layer's figures, read from Keras."""

    name: str
    kind: str
    params: int
    weights: dict[str, tuple[int, ...]] = field(default_factory=dict)
    input_shape: tuple[int, ...] = ()


def keras_layers(model: Any) -> list[Layer]:
    out = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        weights = {w.name: tuple(int(d) for d in w.shape) for w in layer.weights}
        shape = tuple(int(d) for d in layer.input.shape[1:])
        out.append(Layer(layer.name, type(layer).__name__, layer.count_params(), weights, shape))
    return out


def size(shape: Sequence[int]) -> int:
    return math.prod(shape)


def with_params(layers: list[Layer]) -> list[Layer]:
    return [layer for layer in layers if layer.params]


def triples(d: cnnexplain.Diagnosis) -> list[tuple[str, FindingKind, int]]:
    return [(f.layer, f.kind, f.amount) for f in d.findings]


def check_invariants(d: cnnexplain.Diagnosis) -> None:
    assert sum(f.amount for f in d.findings) == d.gap == d.expected - d.claimed
    assert d.explained == (d.unexplained == 0 and K.UNEXPLAINED not in {f.kind for f in d.findings})
    json.dumps(d.to_dict())


# ---------------------------------------------------------------------------
# The seed: 288 -> 540,988 -> 541,988 against 542,230


SEED_RUNNING = [288, 540_988, 541_988]  # the learner's running totals, as posted


def test_seed_running_totals_explained_exactly(seed_model: Any) -> None:
    d = cnnexplain.diagnose(seed_model, running=SEED_RUNNING)
    assert d.expected == seed_model.count_params() == 542_230
    assert (d.claimed, d.gap) == (541_988, 242)
    conv, hidden, output = (seed_model.get_layer(n) for n in ("conv", "hidden", "output"))
    assert triples(d) == [
        ("conv", K.MISSING_BIAS, conv.bias.shape[0]),
        ("hidden", K.MISSING_BIAS, hidden.bias.shape[0]),
        ("hidden", K.ARITHMETIC_SLIP, 100),
        ("output", K.MISSING_BIAS, output.bias.shape[0]),
    ]
    assert [f.amount for f in d.findings] == [32, 100, 100, 10]
    assert [f.step for f in d.findings] == [1, 2, 2, 3]
    assert d.layers == ("conv", "hidden", "output")
    assert d.claimed_counts == (288, 540_700, 1_000)
    assert d.expected_counts == (320, 540_900, 1_010)
    assert d.explained
    check_invariants(d)
    assert str(d) == (
        "The hand count, 541,988, is 242 short of Keras's 542,230 for model 'mnist'.\n"
        "  conv (Conv2D), missing bias, +32: the 32 biases, one per filter, were not counted.\n"
        "  hidden (Dense), missing bias, +100: the 100 biases, one per unit, were not counted.\n"
        "  hidden (Dense), arithmetic slip, +100: 288 + 540,800 = 541,088, but 540,988 was "
        "written: the step added 540,700 instead of 540,800 (as if the running total 288 had "
        "been read as 188).\n"
        "  output (Dense), missing bias, +10: the 10 biases, one per unit, were not counted.\n"
        "  32 + 100 + 100 + 10 = 242."
    )


def test_seed_renderings(seed_model: Any, golden: Callable[[str, str], None]) -> None:
    d = cnnexplain.diagnose(seed_model, running=SEED_RUNNING)
    golden("diagnose_seed.md", d.to_markdown())
    golden("diagnose_seed.json", json.dumps(d.to_dict(), indent=2, ensure_ascii=False) + "\n")


def test_seed_per_layer_and_every_row(seed_model: Any) -> None:
    # The learner's per-layer figures (3·3·32, 5408·100, 100·10), then the same with
    # a number for the pooling and flatten layers too.
    short = cnnexplain.diagnose(seed_model, per_layer=[288, 540_800, 1_000])
    assert [(f.layer, f.kind) for f in short.findings] == [
        ("conv", K.MISSING_BIAS),
        ("hidden", K.MISSING_BIAS),
        ("output", K.MISSING_BIAS),
    ]
    every = cnnexplain.diagnose(seed_model, running=[288, 288, 288, 540_988, 541_988])
    assert triples(every) == triples(cnnexplain.diagnose(seed_model, running=SEED_RUNNING))
    assert every.layers == ("conv", "pool", "flatten", "hidden", "output")


def test_a_right_count_has_no_findings(seed_model: Any) -> None:
    layers = keras_layers(seed_model)
    d = cnnexplain.diagnose(seed_model, per_layer=[layer.params for layer in layers])
    assert d.findings == ()
    assert d.gap == 0
    assert str(d) == "The hand count matches Keras's 542,230 parameters for model 'mnist'."


# ---------------------------------------------------------------------------
# Each mistake kind, on several Keras models (figures from Keras)


def right_counts(model: Any) -> list[int]:
    return [layer.params for layer in with_params(keras_layers(model))]


def running(counts: Sequence[int]) -> list[int]:
    return list(itertools.accumulate(counts))


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("mode", ["per_layer", "running"])
def test_missing_bias_on_each_layer(models: dict[str, Any], name: str, mode: str) -> None:
    model = models[name]
    layers = with_params(keras_layers(model))
    tried = 0
    for i, layer in enumerate(layers):
        if "bias" not in layer.weights:
            continue
        counts = right_counts(model)
        bias = size(layer.weights["bias"])
        counts[i] -= bias
        hand = counts if mode == "per_layer" else running(counts)
        d = cnnexplain.diagnose(model, **{mode: hand})
        assert triples(d) == [(layer.name, K.MISSING_BIAS, bias)]
        check_invariants(d)
        tried += 1
    assert tried >= 2


@pytest.mark.parametrize("name", MODELS)
def test_missing_bias_everywhere(models: dict[str, Any], name: str) -> None:
    model = models[name]
    layers = with_params(keras_layers(model))
    counts = [
        layer.params - (size(layer.weights["bias"]) if "bias" in layer.weights else 0)
        for layer in layers
    ]
    expected = [
        (layer.name, K.MISSING_BIAS, size(layer.weights["bias"]))
        for layer in layers
        if "bias" in layer.weights
    ]
    d = cnnexplain.diagnose(model, running=running(counts))
    assert triples(d) == expected
    check_invariants(d)


@pytest.mark.parametrize("name", ["bn_cnn", "conv1d", "functional"])
def test_forgotten_input_channels(models: dict[str, Any], name: str) -> None:
    model = models[name]
    layers = with_params(keras_layers(model))
    convs = [
        (i, layer)
        for i, layer in enumerate(layers)
        if layer.kind.startswith("Conv") and layer.weights["kernel"][-2] > 1
    ]
    assert convs
    for i, layer in convs:
        kernel = layer.weights["kernel"]
        c_in = kernel[-2]
        for keep_bias in (True, False):
            counts = right_counts(model)
            counts[i] = size(kernel) // c_in + (size(layer.weights["bias"]) if keep_bias else 0)
            d = cnnexplain.diagnose(model, per_layer=counts)
            expected = [
                (layer.name, K.FORGOTTEN_INPUT_CHANNELS, size(kernel) - size(kernel) // c_in)
            ]
            if not keep_bias:
                expected.append((layer.name, K.MISSING_BIAS, size(layer.weights["bias"])))
            assert triples(d) == expected
            check_invariants(d)


def _dense_after_pooling(model: Any) -> tuple[int, Layer, Any]:
    """The first Dense after Flatten, its index among layers with parameters, and the pooling."""
    layers = keras_layers(model)
    pools = [layer for layer in model.layers if "Pooling" in type(layer).__name__]
    dense = next(layer for layer in layers if layer.kind == "Dense")
    return with_params(layers).index(dense), dense, pools[-1]


@pytest.mark.parametrize("name", MODELS)
def test_wrong_flatten_size(models: dict[str, Any], name: str) -> None:
    model = models[name]
    i, dense, pool = _dense_after_pooling(model)
    before_pooling = size(tuple(int(d) for d in pool.input.shape[1:]))
    units = dense.weights["kernel"][1]
    counts = right_counts(model)
    counts[i] = before_pooling * units + size(dense.weights.get("bias", ()))
    d = cnnexplain.diagnose(model, per_layer=counts)
    n_in = dense.weights["kernel"][0]
    assert triples(d) == [(dense.name, K.WRONG_FLATTEN_SIZE, (n_in - before_pooling) * units)]
    assert d.gap < 0
    assert f"instead of the {n_in:,} values" in d.findings[0].detail
    check_invariants(d)


@pytest.mark.parametrize("name", MODELS)
def test_layers_without_parameters_counted(models: dict[str, Any], name: str) -> None:
    model = models[name]
    layers = keras_layers(model)
    zero = [i for i, layer in enumerate(layers) if layer.params == 0]
    assert zero
    for i in zero:
        counts = [layer.params for layer in layers]
        counts[i] = layers[i].input_shape[-1] * 4  # as if it held four numbers per channel
        d = cnnexplain.diagnose(model, running=running(counts))
        assert triples(d) == [(layers[i].name, K.ZERO_PARAMETER_LAYER_COUNTED, -counts[i])]
        assert d.layers == tuple(layer.name for layer in layers)
        check_invariants(d)


def test_batchnorm_counted_as_two_c(models: dict[str, Any]) -> None:
    model = models["bn_cnn"]
    layers = with_params(keras_layers(model))
    bns = [i for i, layer in enumerate(layers) if layer.kind == "BatchNormalization"]
    assert len(bns) == 2
    trainable = {"gamma", "beta"}

    def two_c(layer: Layer) -> int:
        return sum(size(s) for n, s in layer.weights.items() if n in trainable)

    def stats(layer: Layer) -> int:
        return sum(size(s) for n, s in layer.weights.items() if n not in trainable)

    for chosen in ([bns[0]], [bns[1]], bns):
        counts = right_counts(model)
        for i in chosen:
            counts[i] = two_c(layers[i])
        d = cnnexplain.diagnose(model, per_layer=counts)
        assert triples(d) == [
            (layers[i].name, K.BATCHNORM_STATISTICS, stats(layers[i])) for i in chosen
        ]
        assert "moving_mean and moving_variance" in d.findings[0].detail
        check_invariants(d)


@pytest.mark.parametrize("name", MODELS)
def test_skipped_layer(models: dict[str, Any], name: str) -> None:
    model = models[name]
    layers = with_params(keras_layers(model))
    for i, layer in enumerate(layers):
        counts = right_counts(model)
        counts[i] = 0
        d = cnnexplain.diagnose(model, running=running(counts))
        assert triples(d) == [(layer.name, K.SKIPPED_LAYER, layer.params)]
        check_invariants(d)


def swaps(n: int) -> list[int]:
    """``n`` with one pair of different adjacent digits swapped, last pair first."""
    s = str(n)
    return [
        int(s[:j] + s[j + 1] + s[j] + s[j + 2 :])
        for j in reversed(range(len(s) - 1))
        if s[j] != s[j + 1] and not (j == 0 and s[j + 1] == "0")
    ]


def swap_digits(n: int) -> int | None:
    return next(iter(swaps(n)), None)


@pytest.mark.parametrize("name", MODELS)
def test_digit_typo_in_a_per_layer_count(models: dict[str, Any], name: str) -> None:
    model = models[name]
    layers = with_params(keras_layers(model))
    i = max(range(len(layers)), key=lambda j: layers[j].params)
    counts = right_counts(model)
    swapped = swap_digits(counts[i])
    assert swapped is not None
    right, counts[i] = counts[i], swapped
    d = cnnexplain.diagnose(model, per_layer=counts)
    assert triples(d) == [(layers[i].name, K.DIGIT_TYPO, right - swapped)]
    assert d.findings[0].detail == f"{right:,} was written as {swapped:,} (two digits swapped)"
    check_invariants(d)


@pytest.mark.parametrize("name", MODELS)
def test_digit_typo_in_a_running_total(models: dict[str, Any], name: str) -> None:
    model = models[name]
    layers = with_params(keras_layers(model))
    totals = running(right_counts(model))
    k = len(totals) - 1  # the last total: the claimed count itself
    swapped = next(t for t in swaps(totals[k]) if t >= totals[k - 1])
    written = [*totals[:k], swapped]
    d = cnnexplain.diagnose(model, running=written)
    assert triples(d) == [(layers[k].name, K.DIGIT_TYPO, totals[k] - swapped)]
    check_invariants(d)


def test_digit_typo_not_carried_on_leaves_the_total_right(models: dict[str, Any]) -> None:
    model = models["bn_cnn"]
    layers = with_params(keras_layers(model))
    totals = running(right_counts(model))
    k = next(j for j in range(len(totals) - 1) if swap_digits(totals[j]) is not None)
    swapped = swap_digits(totals[k])
    assert swapped is not None
    written = [*totals[:k], swapped, *totals[k + 1 :]]
    assert all(b >= a for a, b in itertools.pairwise(written))
    d = cnnexplain.diagnose(model, running=written)
    assert d.gap == 0
    assert triples(d) == [(layers[k].name, K.DIGIT_TYPO, 0)]
    assert "the next step went on from the right total" in d.findings[0].detail


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("slip", [-200, 1_000, 30])
def test_arithmetic_slip_in_a_running_sum(models: dict[str, Any], name: str, slip: int) -> None:
    model = models[name]
    layers = with_params(keras_layers(model))
    totals = running(right_counts(model))
    # The addition of the largest layer goes wrong by one digit's worth and is carried on.
    k = max(range(1, len(layers)), key=lambda j: layers[j].params)
    written = [t + slip if j >= k else t for j, t in enumerate(totals)]
    d = cnnexplain.diagnose(model, running=written)
    assert triples(d) == [(layers[k].name, K.ARITHMETIC_SLIP, -slip)]
    right = totals[k]
    sum_text = f"{totals[k - 1]:,} + {layers[k].params:,} = {right:,}"
    assert d.findings[0].detail.startswith(f"{sum_text}, but {right + slip:,} was written")
    check_invariants(d)


@pytest.mark.parametrize("name", MODELS)
def test_unexplained_remainder_is_reported_not_guessed(models: dict[str, Any], name: str) -> None:
    model = models[name]
    layers = with_params(keras_layers(model))
    counts = right_counts(model)
    i = max(range(len(layers)), key=lambda j: layers[j].params)
    counts[i] = counts[i] // 3 + 7
    d = cnnexplain.diagnose(model, per_layer=counts)
    assert triples(d) == [(layers[i].name, K.UNEXPLAINED, layers[i].params - counts[i])]
    assert not d.explained
    assert d.unexplained == d.gap
    assert "no known mistake accounts for" in d.findings[0].detail
    check_invariants(d)


def test_a_breakdown_is_accepted(seed_model: Any) -> None:
    b = cnnexplain.explain(seed_model)
    d = cnnexplain.diagnose(b, running=SEED_RUNNING)
    assert d.breakdown is b
    assert triples(d) == triples(cnnexplain.diagnose(seed_model, running=SEED_RUNNING))


# ---------------------------------------------------------------------------
# Random models, random injected mistakes (specs: no TensorFlow, fast)


@dataclass
class Part:
    """One layer of a random model and the figures a hand count would use."""

    name: str
    kind: str
    params: int
    variants: dict[str, tuple[int, list[tuple[FindingKind, int]]]] = field(default_factory=dict)
    """Mistake name -> (hand figure, the findings it should give)."""


@dataclass
class RandomModel:
    model: spec.Sequential
    parts: list[Part]


def conv_block(
    draw: st.DrawFn, b: int, h: int, c: int
) -> tuple[list[spec.Layer], list[Part], int, int, int | None]:
    """Conv2D, maybe BatchNormalization and pooling: layers, parts, h, c, size before pooling."""
    f = draw(st.integers(1, 40))
    k = draw(st.integers(1, min(3, h)))
    bias = draw(st.booleans())
    layers: list[spec.Layer] = [spec.Conv2D(f, k, use_bias=bias, name=f"conv{b}")]
    kernel = k * k * c * f
    conv = Part(f"conv{b}", "Conv2D", kernel + f * bias)
    if bias:
        conv.variants["bias"] = (kernel, [(K.MISSING_BIAS, f)])
    if c > 1:
        fic = (K.FORGOTTEN_INPUT_CHANNELS, kernel - k * k * f)
        conv.variants["channels"] = (k * k * f + f * bias, [fic])
        if bias:
            conv.variants["channels+bias"] = (k * k * f, [fic, (K.MISSING_BIAS, f)])
    parts = [conv]
    h, c = h - k + 1, f
    if draw(st.booleans()):
        layers.append(spec.BatchNormalization(name=f"bn{b}"))
        bn = (2 * c, [(K.BATCHNORM_STATISTICS, 2 * c)])
        parts.append(Part(f"bn{b}", "BatchNormalization", 4 * c, {"bn": bn}))
    if h >= 2 and draw(st.booleans()):
        layers.append(spec.MaxPooling2D(2, name=f"pool{b}"))
        parts.append(Part(f"pool{b}", "MaxPooling2D", 0))
        return layers, parts, h // 2, c, h * h * c
    return layers, parts, h, c, None


@st.composite
def random_models(draw: st.DrawFn) -> RandomModel:
    """Conv2D blocks (optional BatchNormalization and pooling), Flatten, Dense layers.

    Each layer's count, and the hand figure of each mistake a learner could make
    on it, are computed here from the layer's arguments, apart from cnnexplain.
    """
    h = draw(st.integers(4, 12))
    c = draw(st.integers(1, 4))
    shape = (h, h, c)
    layers: list[spec.Layer] = []
    parts: list[Part] = []
    before = None
    for b in range(draw(st.integers(1, 2))):
        new_layers, new_parts, h, c, before = conv_block(draw, b, h, c)
        layers += new_layers
        parts += new_parts
    layers.append(spec.Flatten(name="flatten"))
    parts.append(Part("flatten", "Flatten", 0))
    n = h * h * c
    if draw(st.booleans()):
        layers.append(spec.Dropout(0.5, name="drop"))
        parts.append(Part("drop", "Dropout", 0))
    for d in range(draw(st.integers(1, 2))):
        units = draw(st.integers(1, 40))
        bias = draw(st.booleans())
        layers.append(spec.Dense(units, use_bias=bias, name=f"dense{d}"))
        part = Part(f"dense{d}", "Dense", n * units + units * bias)
        if bias:
            part.variants["bias"] = (n * units, [(K.MISSING_BIAS, units)])
        if d == 0 and before is not None:
            wrong = (K.WRONG_FLATTEN_SIZE, (n - before) * units)
            part.variants["flatten"] = (before * units + units * bias, [wrong])
            if bias:
                part.variants["flatten+bias"] = (before * units, [wrong, (K.MISSING_BIAS, units)])
        parts.append(part)
        n = units
    for part in parts:
        if part.params:
            part.variants["skip"] = (0, [(K.SKIPPED_LAYER, part.params)])
    model = spec.Sequential([spec.Input(shape), *layers], name="random")
    return RandomModel(model, parts)


def hand_numbers(counts: Sequence[int], *, as_running: bool) -> dict[str, list[int]]:
    return {"running": running(counts)} if as_running else {"per_layer": list(counts)}


def figures(part: Part) -> list[int]:
    """Every figure a learner may write for the layer without a slip: right or one mistake."""
    return [part.params, *(hand for hand, _ in part.variants.values())]


def choose_layers(data: st.DataObject, rm: RandomModel) -> list[Part]:
    """Every layer (zero-parameter ones included) or only the layers with parameters."""
    if data.draw(st.booleans()):
        return list(rm.parts)
    return [p for p in rm.parts if p.params]


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(rm=random_models(), data=st.data())
def test_property_rows_match_the_independent_counts(rm: RandomModel, data: st.DataObject) -> None:
    rows = cnnexplain.explain(rm.model).rows
    assert [(r.name, r.kind, r.params) for r in rows] == [
        (p.name, p.kind, p.params) for p in rm.parts
    ]
    layers = choose_layers(data, rm)
    as_running = data.draw(st.booleans())
    d = cnnexplain.diagnose(
        rm.model, **hand_numbers([p.params for p in layers], as_running=as_running)
    )
    assert d.findings == ()
    assert d.gap == 0


@PROPERTY
@given(rm=random_models(), data=st.data())
def test_property_one_injected_mistake_is_found(rm: RandomModel, data: st.DataObject) -> None:
    layers = choose_layers(data, rm)
    as_running = data.draw(st.booleans())
    counts = [p.params for p in layers]
    i = data.draw(st.integers(0, len(layers) - 1))
    part = layers[i]
    options = [*sorted(part.variants), "typo", "slip"] if part.params else ["zero"]
    mistake = data.draw(st.sampled_from(options))
    slip_like = {K.DIGIT_TYPO, K.ARITHMETIC_SLIP}
    if mistake == "zero":
        counts[i] = data.draw(st.integers(1, 10_000))
        expected = [(part.name, K.ZERO_PARAMETER_LAYER_COUNTED, -counts[i])]
    elif mistake == "typo":
        swapped = swap_digits(part.params)
        assume(swapped is not None and swapped not in figures(part))
        assert swapped is not None
        counts[i] = swapped
        expected = [(part.name, K.DIGIT_TYPO, part.params - swapped)]
    elif mistake == "slip":
        digit = data.draw(st.sampled_from([-9, -5, -2, -1, 1, 2, 3, 7, 9]))
        slip = digit * 10 ** data.draw(st.integers(0, 4))
        assume(part.params + slip >= 0 and part.params + slip not in figures(part))
        counts[i] = part.params + slip
        expected = [(part.name, K.ARITHMETIC_SLIP, -slip)]
    else:
        hand, found = part.variants[mistake]
        assume(figures(part).count(hand) == 1)  # no other figure, right or wrong, is the same
        counts[i] = hand
        expected = [(part.name, kind, amount) for kind, amount in found]
    d = cnnexplain.diagnose(rm.model, **hand_numbers(counts, as_running=as_running))
    check_invariants(d)
    got = triples(d)
    if expected[0][1] in slip_like:
        # A one-digit slip can also read as a typo and the other way round: same amount.
        assert [(n, a) for n, _, a in got] == [(n, a) for n, _, a in expected]
        assert all(k in slip_like for _, k, _ in got)
    else:
        assert got == expected


@PROPERTY
@given(rm=random_models(), data=st.data())
def test_property_a_systematic_mistake_is_found_on_every_layer(
    rm: RandomModel, data: st.DataObject
) -> None:
    mistake = data.draw(st.sampled_from(["bias", "channels", "bn"]))
    layers = choose_layers(data, rm)
    assume(any(mistake in p.variants for p in layers))
    # A layer where another mistake gives the same figure is ambiguous on its own.
    assume(
        all(figures(p).count(p.variants[mistake][0]) == 1 for p in layers if mistake in p.variants)
    )
    counts = [p.variants[mistake][0] if mistake in p.variants else p.params for p in layers]
    expected = [
        (p.name, kind, amount)
        for p in layers
        if mistake in p.variants
        for kind, amount in p.variants[mistake][1]
    ]
    d = cnnexplain.diagnose(rm.model, **hand_numbers(counts, as_running=data.draw(st.booleans())))
    check_invariants(d)
    assert triples(d) == expected


@PROPERTY
@given(rm=random_models(), data=st.data())
def test_property_random_mistakes_are_explained_and_add_up(
    rm: RandomModel, data: st.DataObject
) -> None:
    layers = choose_layers(data, rm)
    as_running = data.draw(st.booleans())
    counts = []
    choices = []
    for part in layers:
        choices.append(data.draw(st.sampled_from(["right", *sorted(part.variants)])))
        counts.append(part.params if choices[-1] == "right" else part.variants[choices[-1]][0])
    totals = running(counts) if as_running else counts
    if as_running and data.draw(st.booleans()):  # one addition slips by a digit, carried on
        k = data.draw(st.integers(0, len(totals) - 1))
        slip = data.draw(st.sampled_from([-1, 1])) * 10 ** data.draw(st.integers(0, 3))
        assume(counts[k] + slip >= 0)
        assume(choices[k] != "skip")  # a layer left out has no addition to slip in
        totals = [t + slip if j >= k else t for j, t in enumerate(totals)]
    d = cnnexplain.diagnose(rm.model, **{"running" if as_running else "per_layer": totals})
    check_invariants(d)
    assert d.explained, str(d)
    injected = sum(p.params for p in layers) - (totals[-1] if as_running else sum(totals))
    assert d.gap == injected


# ---------------------------------------------------------------------------
# The docs pages print their figures with docs/examples/diagnose_*.py: check those


def test_seed_page_shows_what_diagnose_finds(seed_model: Any) -> None:
    page = load_example("diagnose_seed")
    assert tuple(SEED_RUNNING) == page.RUNNING_TOTALS
    d = page.diagnosis(seed_model)
    assert triples(d) == triples(cnnexplain.diagnose(seed_model, running=SEED_RUNNING))
    text = (DOCS / "diagnose.md").read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"# Where did {d.gap} parameters go?"
    for i, name in enumerate(d.layers):
        assert f'page.step_report(d, "{name}")' in text
        report = page.step_report(d, name)
        names = [layer.name for layer in seed_model.layers]
        upto = seed_model.layers[: names.index(name) + 1]
        keras_total = sum(layer.count_params() for layer in upto)
        layer = seed_model.get_layer(name)
        row = f"| running total after `{name}` | {d.given[i]:,} | {keras_total:,} |"
        assert row in report
        row = f"| added by `{name}` | {d.claimed_counts[i]:,} | {layer.count_params():,} |"
        assert row in report
        assert f"`kernel` {'×'.join(str(n) for n in layer.kernel.shape)} = " in report
        for f in d.findings:
            if f.layer == name:
                assert f"- **{f.kind.label}** ({f.amount:+,}): {f.detail}." in report
    flatten = seed_model.get_layer("flatten")
    zero = page.zero_report(d, ("pool", "flatten"))
    assert f"= {flatten.output.shape[-1]} | 0 |" in zero
    totals = page.totals_report(d, seed_model)
    assert f"| Keras, `model.count_params()` | {seed_model.count_params():,} |" in totals
    assert f"| **gap** | **{d.gap:,}** |" in totals
    assert d.breakdown.formula.latex() in page.formula_math(d)


def test_seed_page_refuses_a_disagreement(seed_model: Any) -> None:
    page = load_example("diagnose_seed")
    d = page.diagnosis(seed_model)

    class Miscounted:
        def count_params(self) -> int:
            return int(d.expected) + 1

    with pytest.raises(ValueError, match="Keras counts 542,231 but cnnexplain 542,230"):
        page.totals_report(d, Miscounted())


def test_mistakes_page_has_one_verified_section_per_kind() -> None:
    """Each kind of finding has a section whose printed diagnosis `show` checks at build time."""
    text = (DOCS / "mistakes.md").read_text(encoding="utf-8")
    shown = re.findall(r'^print\(show\(d, "(\w+)", model\)\)$', text, re.MULTILINE)
    assert sorted(shown) == sorted(kind.value for kind in FindingKind)
    assert text.count("d = cnnexplain.diagnose(") == len(shown)


def test_mistakes_page_stops_on_a_wrong_diagnosis(keras: Any) -> None:
    del keras  # imported before the page modules import it
    page = load_example("diagnose_mistakes")
    models = load_example("mistake_models")
    model = models.small_cnn("no_bias")
    d = cnnexplain.diagnose(model, per_layer=[72, 13520])
    assert "Model `no_bias`, verified against Keras:" in page.show(d, "missing_bias", model)
    with pytest.raises(ValueError, match=r"expected digit_typo, found \[<FindingKind.MISSING_BIAS"):
        page.show(d, "digit_typo", model)


# ---------------------------------------------------------------------------
# Nonsense input


@pytest.mark.parametrize(
    ("kwargs", "message", "argument"),
    [
        (
            {},
            (
                "diagnose() needs the hand count: give running= (the running totals) or "
                "per_layer= (one count per layer)."
            ),
            None,
        ),
        (
            {"running": [288], "per_layer": [288]},
            (
                "diagnose() takes the hand count as running= or per_layer=, not both. "
                "Received: running=[288], per_layer=[288]."
            ),
            None,
        ),
        (
            {"running": [288, 540_988]},
            (
                "diagnose(): running has 2 totals but model 'mnist' has 3 layers with parameters "
                "(conv, hidden, output) and 5 layers in all; give one number per layer with "
                "parameters, or one per layer. Received: running=[288, 540988]."
            ),
            "running",
        ),
        (
            {"per_layer": []},
            (
                "diagnose(): per_layer has 0 counts but model 'mnist' has 3 layers with parameters "
                "(conv, hidden, output) and 5 layers in all; give one number per layer with "
                "parameters, or one per layer. Received: per_layer=[]."
            ),
            "per_layer",
        ),
        (
            {"per_layer": [288, -540_800, 1_000]},
            "diagnose(): per_layer[1] must not be negative. Received: per_layer[1]=-540800.",
            "per_layer",
        ),
        (
            {"running": [288, 540_988.5, 541_988]},
            "diagnose(): running[1] must be an integer. Received: running[1]=540988.5.",
            "running",
        ),
        (
            {"running": [288, True, 541_988]},
            "diagnose(): running[1] must be an integer. Received: running[1]=True.",
            "running",
        ),
        (
            {"running": [288, "540988", 541_988]},
            "diagnose(): running[1] must be an integer. Received: running[1]='540988'.",
            "running",
        ),
        (
            {"running": 541_988},
            "diagnose(): running must be a list of integers. Received: running=541988.",
            "running",
        ),
        (
            {"per_layer": "288 540800 1000"},
            (
                "diagnose(): per_layer must be a list of integers. "
                "Received: per_layer='288 540800 1000'."
            ),
            "per_layer",
        ),
        (
            {"running": [288, 540_988, 500_000]},
            (
                "diagnose(): running totals cannot decrease, but step 3 (layer 'output') goes from "
                "540,988 to 500,000. Received: running=[288, 540988, 500000]."
            ),
            "running",
        ),
    ],
)
def test_nonsense_is_refused_in_one_sentence(
    kwargs: dict[str, Any], message: str, argument: str | None
) -> None:
    with pytest.raises(DiagnosisError) as info:
        cnnexplain.diagnose(seed_spec(), **kwargs)
    assert str(info.value) == message
    assert info.value.argument == argument
    assert isinstance(info.value, cnnexplain.CnnexplainError)


def test_a_model_whose_layers_all_have_parameters() -> None:
    model = spec.Sequential([spec.Input((4,)), spec.Dense(3, name="a"), spec.Dense(2, name="b")])
    with pytest.raises(DiagnosisError, match=r"has 2 layers, all with parameters; give one "):
        cnnexplain.diagnose(model, per_layer=[15])


def test_something_that_is_not_a_model() -> None:
    with pytest.raises(cnnexplain.SpecError, match="Received: model of type int"):
        cnnexplain.diagnose(42, per_layer=[1])
