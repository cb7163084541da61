"""The tutorial's animated convolution (docs/conv_animation.py): its numbers are torch's.

The SVG is parsed as XML; every value it writes (each output cell, each
channel's sum of products at each position) is compared with
``torch.nn.functional.conv2d`` on the same input, filter and bias.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import types
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

DOCS = Path(__file__).parents[2] / "docs"
SVG = "{http://www.w3.org/2000/svg}"


def _module() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("conv_animation", DOCS / "conv_animation.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


conv_animation = _module()


def _int(text: str | None) -> int:
    assert text is not None
    return int(text.replace("−", "-"))


@pytest.fixture(scope="module")
def drawn() -> tuple[object, ET.Element]:
    numbers = conv_animation.conv_numbers()
    return numbers, ET.fromstring(conv_animation.animated_conv_svg(numbers))  # noqa: S314 - ours


def _torch_conv(numbers: object, *, per_channel: bool = False) -> list[list[list[int]]]:
    torch = pytest.importorskip("torch")
    x = torch.tensor([numbers.inputs], dtype=torch.float64)  # type: ignore[attr-defined]
    w = torch.tensor([numbers.weights], dtype=torch.float64)  # type: ignore[attr-defined]
    if per_channel:  # one output per input channel, no bias: each channel's sum of products
        out = torch.nn.functional.conv2d(x, w.transpose(0, 1), groups=x.shape[1])
    else:
        bias = torch.tensor([numbers.bias], dtype=torch.float64)  # type: ignore[attr-defined]
        out = torch.nn.functional.conv2d(x, w, bias, stride=1, padding=0)
    return [[[int(v) for v in row] for row in channel] for channel in out[0].tolist()]


def test_outputs_equal_torch_conv2d(drawn: tuple[object, ET.Element]) -> None:
    numbers, root = drawn
    (expected,) = _torch_conv(numbers)
    assert len(expected) == conv_animation.OUT
    cells = {
        (int(t.get("data-row", "")), int(t.get("data-col", ""))): _int(t.text)
        for t in root.iter(f"{SVG}text")
        if "out" in (t.get("class") or "").split()
    }
    assert cells == {(r, c): v for r, row in enumerate(expected) for c, v in enumerate(row)}
    assert numbers.outputs == expected  # type: ignore[attr-defined]


def test_every_positions_sums_equal_torch(drawn: tuple[object, ET.Element]) -> None:
    numbers, root = drawn
    per_channel = _torch_conv(numbers, per_channel=True)
    (expected,) = _torch_conv(numbers)
    frames = [g for g in root.iter(f"{SVG}g") if "fr" in (g.get("class") or "").split()]
    assert len(frames) == conv_animation.OUT**2
    for frame in frames:
        row, col = (int(n) for n in frame.get("data-position", "").split(","))
        sums = {
            int(t.get("data-channel", "")): _int(re.sub(r"^sum = ", "", t.text or ""))
            for t in frame.iter(f"{SVG}text")
            if t.get("data-channel") is not None
        }
        assert sums == {ch: per_channel[ch][row][col] for ch in range(len(per_channel))}
        equation = [t.text or "" for t in frame.iter(f"{SVG}text") if "=" in (t.text or "")]
        assert equation[-1].endswith(f"= {expected[row][col]}".replace("-", "−")), equation


def test_title_desc_and_animation(drawn: tuple[object, ET.Element]) -> None:
    numbers, root = drawn
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None
    assert "3×3×3 filter" in (title.text or "")
    assert desc is not None
    assert desc.text == conv_animation.alt_text(numbers)
    outputs = ", ".join(str(v).replace("-", "−") for v in numbers.outputs[0])  # type: ignore[attr-defined]
    assert f"row by row: {outputs};" in (desc.text or "")
    labelled = (root.get("aria-labelledby") or "").split()
    assert labelled == [title.get("id"), desc.get("id")]
    style = root.find(f"{SVG}style")
    assert style is not None
    css = style.text or ""
    assert "@keyframes cv-frame" in css
    assert css.count("animation-delay") == conv_animation.OUT**2 - 1
    # Reduced motion: no animation, the first position and every output shown (and last,
    # so that it overrides the animated rules).
    reduced = css[css.index("@media (prefers-reduced-motion: reduce)") :]
    assert "animation: none" in reduced
    assert ".cv .fr.f0, .cv .out { opacity: 1 !important; }" in reduced
    assert "@keyframes" not in reduced


def test_figure_has_a_caption() -> None:
    html = conv_animation.figure()
    assert html.startswith('<figure class="conv-animation">')
    assert "27 products" in html
    assert "<figcaption>" in html
