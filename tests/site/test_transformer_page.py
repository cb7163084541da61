"""The "Count a transformer by hand" page follows its models: change a width, the page changes.

The page's GPT-2 modules (docs/examples/gpt2_torch.py, gpt2_keras.py) are run
as the page runs them, once as shown and once with a narrower configuration
written into their source; the page's builders (docs/builders/transformer.py)
then give other numbers, still equal to the framework's own count, and refuse a
term that does not match the model.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cnnexplain

DOCS = Path(__file__).parent.parent.parent / "docs"
TORCH_PATHS = ("transformer/wte", "transformer/wpe", "transformer/h/0", "transformer/ln_f")
KERAS_PATHS = ("token_embedding", "position_embedding", "transformer_layer_0", "layer_norm")


@pytest.fixture(scope="module")
def builders() -> Iterator[Any]:
    """docs/builders/transformer.py, which imports its neighbour from ``docs/``."""
    sys.path.insert(0, str(DOCS))
    try:
        yield importlib.import_module("builders.transformer")
    finally:
        sys.path.remove(str(DOCS))


def run_example(name: str, replace: tuple[str, str] | None = None) -> dict[str, Any]:
    """Run ``docs/examples/<name>.py`` as the page shows it, or with one text replaced."""
    source = (DOCS / "examples" / f"{name}.py").read_text()
    if replace is not None:
        assert replace[0] in source, f"{replace[0]!r} is no longer in {name}.py"
        source = source.replace(*replace)
    namespace: dict[str, Any] = {}
    exec(compile(source, f"{name}.py", "exec"), namespace)  # noqa: S102
    return namespace


def torch_page_numbers(builders: Any, ns: dict[str, Any]) -> tuple[int, str, str]:
    """The page's PyTorch total and its two equations, for one run of the example."""
    model, config = ns["model"], ns["config"]
    breakdown = cnnexplain.explain(model)
    assert breakdown.total == sum(p.numel() for p in model.parameters())
    terms = builders.gpt2_terms(
        breakdown,
        vocab=config.vocab_size,
        positions=config.n_positions,
        width=config.n_embd,
        layers=config.n_layer,
        inner=config.n_inner or 4 * config.n_embd,
        paths=TORCH_PATHS,
    )
    return breakdown.total, builders.gpt2_equation(terms), builders.block_equation(terms)


def test_a_narrower_gpt2_changes_the_torch_numbers(builders: Any) -> None:
    pytest.importorskip("transformers")
    shown = torch_page_numbers(builders, run_example("gpt2_torch"))
    narrow = run_example(
        "gpt2_torch", ("GPT2Config()", "GPT2Config(n_embd=256, n_head=4, n_layer=3)")
    )
    changed = torch_page_numbers(builders, narrow)
    assert changed[0] == sum(p.numel() for p in narrow["model"].parameters())
    assert changed[0] != shown[0]
    assert changed[1] != shown[1]
    assert changed[2] != shown[2]
    assert f"{changed[0]:,}".replace(",", "{,}") in changed[1]
    assert r"12 \cdot 256^2 + 13 \cdot 256" in changed[2]


def test_a_wrong_term_stops_the_build(builders: Any) -> None:
    pytest.importorskip("transformers")
    ns = run_example("gpt2_torch", ("GPT2Config()", "GPT2Config(n_embd=64, n_head=4, n_layer=2)"))
    breakdown = cnnexplain.explain(ns["model"])
    config = ns["config"]
    sizes = {
        "vocab": config.vocab_size,
        "positions": config.n_positions,
        "width": 64,
        "layers": 2,
        "inner": 256,
    }
    assert builders.gpt2_terms(breakdown, paths=TORCH_PATHS, **sizes).total == breakdown.total
    with pytest.raises(ValueError, match=r"the term P·d is"):
        builders.gpt2_terms(breakdown, paths=TORCH_PATHS, **{**sizes, "positions": 1})
    with pytest.raises(ValueError, match=r"expected 3 blocks"):
        builders.gpt2_terms(breakdown, paths=TORCH_PATHS, **{**sizes, "layers": 3})
    with pytest.raises(ValueError, match=r"the term 4d² \+ 2d·f \+ 9d \+ f is"):
        builders.gpt2_terms(breakdown, paths=TORCH_PATHS, **{**sizes, "inner": 255})


def test_a_narrower_keras_gpt2_changes_the_drawing(builders: Any, keras: Any) -> None:
    del keras  # imported first, with the environment conftest sets
    pytest.importorskip("keras_hub")
    small = (
        ("vocabulary_size=50257", "vocabulary_size=500"),
        ("num_layers=12", "num_layers=2"),
        ("max_sequence_length=1024", "max_sequence_length=64"),
    )
    drawings = []
    for hidden, heads, inner in ((96, 4, 384), (128, 8, 512)):
        source = (DOCS / "examples" / "gpt2_keras.py").read_text()
        for old, new in (
            *small,
            ("num_heads=12", f"num_heads={heads}"),
            ("hidden_dim=768", f"hidden_dim={hidden}"),
            ("intermediate_dim=3072", f"intermediate_dim={inner}"),
        ):
            assert old in source
            source = source.replace(old, new)
        ns: dict[str, Any] = {}
        exec(compile(source, "gpt2_keras.py", "exec"), ns)  # noqa: S102
        backbone = ns["backbone"]
        breakdown = cnnexplain.explain(backbone)
        terms = builders.gpt2_terms(
            breakdown,
            vocab=500,
            positions=64,
            width=hidden,
            layers=2,
            inner=inner,
            paths=KERAS_PATHS,
        )
        assert terms.total == backbone.count_params()
        figure = builders.block_figure(breakdown, "transformer_layer_0", "A <small> block")
        svg = ET.fromstring(figure)[0]  # noqa: S314 (our own output)
        assert svg.tag == "{http://www.w3.org/2000/svg}svg"
        assert "<script" not in figure
        assert "&lt;small&gt;" in figure
        assert f"{hidden}×{heads}×{hidden // heads}" in figure
        counts = [int(n.replace(",", "")) for n in re.findall(r"([\d,]+) parameters", figure)]
        assert sum(counts) == terms.block * 2  # each box once in the drawing, once in its desc
        drawings.append(figure)
    assert drawings[0] != drawings[1]


@pytest.fixture(scope="module")
def llm_blocks() -> Iterator[Any]:
    """docs/builders/llm_blocks.py, as the "Modern LLM blocks" page imports it."""
    sys.path.insert(0, str(DOCS))
    try:
        yield importlib.import_module("builders.llm_blocks")
    finally:
        sys.path.remove(str(DOCS))


def small_llama(**changes: Any) -> Any:
    transformers = pytest.importorskip("transformers")
    sizes = {
        "vocab_size": 1000,
        "hidden_size": 64,
        "intermediate_size": 172,
        "num_hidden_layers": 2,
        "num_attention_heads": 16,
        "num_key_value_heads": 16,
        "bos_token_id": 0,
        "eos_token_id": 0,
    }
    return transformers.LlamaConfig(**{**sizes, **changes})


def test_each_change_is_its_built_difference(llm_blocks: Any) -> None:
    table = llm_blocks.changes_table(small_llama())
    layers, d, heads, dh, f, vocab = 2, 64, 16, 4, 172, 1000
    assert f"The base has {llm_blocks.count(small_llama()):,} parameters." in table
    assert f"| {-2 * layers * d * (heads - 8) * dh:+,} |" in table  # GQA, 8 key/value heads
    assert f"| {-vocab * d:+,} |" in table  # the tied head
    assert f"| {layers * (2 * f + d):+,} |" in table  # MLP biases
    assert f"| {layers * (7 * 3 * d * f + d * 8):+,} |" in table  # 8 experts and a router
    wider = llm_blocks.changes_table(small_llama(hidden_size=128))
    assert f"| {-vocab * 128:+,} |" in wider
    assert wider != table


def test_a_wrong_change_formula_stops_the_build(
    llm_blocks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = dataclasses.replace(llm_blocks.CHANGES[1], formula=lambda c, _: -c.vocab_size)
    monkeypatch.setattr(llm_blocks, "CHANGES", (wrong,))
    with pytest.raises(ValueError, match="the head tied to the token embedding: built"):
        llm_blocks.changes_table(small_llama())
