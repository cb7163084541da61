"""Drawn models: the SVG of the question's model (golden), its alt text, any model drawn."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from saved_models import Saved, saved

import cnnexplain
from cnnexplain import spec
from cnnexplain._cli import main
from cnnexplain._render.svg import alt_text

__all__ = ["saved"]  # the fixture, imported for pytest

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def test_seed_svg_golden(seed_model: Any, golden: Callable[[str, str], None]) -> None:
    b = cnnexplain.explain(seed_model)
    svg = b.to_svg()
    golden("seed.svg", svg)
    root = parse(svg)
    # The alt text is the drawing's numbers, as Keras counts them.
    desc = root.find("svg:desc", NS)
    assert desc is not None
    assert desc.text == alt_text(b)
    for layer in seed_model.layers:
        shape = "×".join(str(d) for d in layer.output.shape[1:])
        count = layer.count_params()
        said = f"{count:,} parameters" if count else "no parameters"
        assert re.search(rf"{layer.name} \([^)]*\): {shape}, [^.]*{said}\.", desc.text), layer.name
    title = root.find("svg:title", NS)
    assert title is not None
    assert f"{seed_model.count_params():,} parameters" in (title.text or "")
    labels = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    i = labels.index("26×26×32")  # under the convolution: shape, count, formula
    assert labels[i + 1 : i + 3] == ["320 parameters", "(3·3·1+1)·32"]
    assert labels.count("no parameters") == 2  # pool, flatten


def test_dark_mode_colours_follow_the_page(seed_model: Any) -> None:
    svg = cnnexplain.explain(seed_model).to_svg()
    root = parse(svg)
    for text in root.iter("{http://www.w3.org/2000/svg}text"):
        assert "fill" not in text.attrib  # from the stylesheet: currentColor
    style = root.find("svg:style", NS)
    assert style is not None
    assert ".cx text { fill: currentColor;" in (style.text or "")
    assert not re.search(r"#000\b|black|#fff\b|white", svg)


def test_volumes_are_scaled_to_their_shapes(seed_model: Any) -> None:
    root = parse(cnnexplain.explain(seed_model).to_svg())
    fronts = []
    for group in root.iter("{http://www.w3.org/2000/svg}g"):
        front = group.find("svg:polygon[@class='front']", NS)
        assert front is not None
        xs, ys = zip(
            *(map(float, p.split(",")) for p in front.attrib["points"].split()), strict=True
        )
        fronts.append((round(max(xs) - min(xs), 1), round(max(ys) - min(ys), 1)))
    (_, input_h), (conv_w, conv_h), (pool_w, pool_h), *_ = fronts
    assert len(fronts) == len(seed_model.layers) + 1  # the input and one box per layer
    assert input_h > conv_h > pool_h  # 28, 26, 13: heights follow H
    assert conv_w == pool_w > fronts[0][0]  # 32 channels wider than 1
    assert len(root.findall(".//svg:polygon[@class='window']", NS)) == 2  # conv and pool


def test_cli_writes_the_svg(saved: Saved, capsys: pytest.CaptureFixture[str]) -> None:
    model, path = saved("seed")
    assert main([str(path), "--format", "svg"]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == (cnnexplain.explain(model).to_svg(), "")
    assert main([str(path), "--format", "svg", "--costs"]) == 2
    assert capsys.readouterr().err == (
        "cnnexplain: error: --costs and --diagnose have no SVG form; "
        "use --format text, markdown or json.\n"
    )


def test_any_model_is_drawn(saved: Saved, capsys: pytest.CaptureFixture[str]) -> None:
    _, path = saved("ResNet50")  # branches: drawn as a column of layers
    assert main([str(path), "--format", "svg"]) == 0
    root = parse(capsys.readouterr().out)
    cards = root.findall(".//svg:rect[@class='card']", NS)
    b = cnnexplain.explain(path)
    assert len(cards) == len(b.rows) + 1  # the input and every layer
    nested, _ = saved("nested")
    svg = cnnexplain.explain(nested, expand=True).to_svg(id_prefix="n")
    assert 'id="n-title"' in svg
    parse(svg)


@st.composite
def chains(draw: st.DrawFn) -> spec.Sequential:
    """Random chains of Conv1D/2D, pooling, BatchNormalization, Flatten and Dense layers."""
    rank = draw(st.sampled_from([1, 2]))
    size = draw(st.integers(4, 64))
    shape = (size,) * rank + (draw(st.integers(1, 8)),)
    layers: list[spec.Layer] = []
    for i in range(draw(st.integers(0, 3))):
        conv = spec.Conv1D if rank == 1 else spec.Conv2D
        layers.append(conv(draw(st.integers(1, 64)), 3, padding="same", name=f"c{i}"))
        if draw(st.booleans()):
            layers.append(spec.BatchNormalization(name=f"bn{i}"))
        if draw(st.booleans()) and size >= 2:
            pool = spec.MaxPooling1D if rank == 1 else spec.MaxPooling2D
            layers.append(pool(2, name=f"p{i}"))
            size //= 2
    layers.append(spec.Flatten(name="flat"))
    layers += [spec.Dense(draw(st.integers(1, 500)), name=f"d{i}") for i in range(2)]
    return spec.Sequential([spec.Input(shape), *layers], name=draw(st.sampled_from(["m", "a b"])))


@settings(
    max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(model=chains())
def test_property_every_chain_is_drawn_as_volumes(model: spec.Sequential) -> None:
    b = cnnexplain.explain(model)
    root = parse(b.to_svg())
    boxes = root.findall(".//svg:g", NS)
    assert len(boxes) == len(b.rows) + 1
    assert root.findall(".//svg:rect[@class='card']", NS) == []
    width, height = (float(root.attrib[k]) for k in ("width", "height"))
    for polygon in root.iter("{http://www.w3.org/2000/svg}polygon"):
        for point in polygon.attrib["points"].split():
            x, y = map(float, point.split(","))
            assert 0 <= x <= width
            assert 0 <= y <= height


def test_channels_first_volumes_read_h_w_from_the_right_axes() -> None:
    model = spec.Sequential(
        [
            spec.Input((1, 28, 28)),
            spec.Conv2D(32, 3, data_format="channels_first", name="conv"),
            spec.MaxPooling2D(2, data_format="channels_first", name="pool"),
        ],
        name="first",
    )
    root = parse(cnnexplain.explain(model).to_svg())
    heights = []
    for group in root.iter("{http://www.w3.org/2000/svg}g"):
        front = group.find("svg:polygon[@class='front']", NS)
        assert front is not None
        ys = [float(p.split(",")[1]) for p in front.attrib["points"].split()]
        heights.append(round(max(ys) - min(ys), 1))
    assert heights[0] > heights[1] > heights[2]  # 28, 26, 13 (not 1, 32, 32)
    assert len(root.findall(".//svg:polygon[@class='window']", NS)) == 2
