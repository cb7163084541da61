"""The PyTorch models the pages show (docs/examples/*_torch.py) and the side-by-side tables.

The modules are imported as the pages import them (``load_example``); their
totals are checked against PyTorch's own ``numel()``, the tables against the
Keras counts of the same models (described with `cnnexplain.spec`, so no
TensorFlow is needed here), and each table's check is shown to fail.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch_models
from conftest import load_example, seed_spec
from torch import nn

import cnnexplain
from cnnexplain import spec


def numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.fixture(scope="module")
def frameworks() -> Any:
    return load_example("frameworks")


def test_the_seed_module_counts_as_pytorch_and_keras_do(frameworks: Any) -> None:
    net = load_example("seed_torch").define_net()
    b = cnnexplain.explain(net, input_size=(1, 1, 28, 28))
    assert b.total == numel(net)
    assert net(torch.zeros(1, 1, 28, 28)).shape == (1, 10)
    keras_b = cnnexplain.explain(seed_spec())
    table = frameworks.side_by_side(keras_b, b)
    assert f"| **total** | | **{keras_b.total:,}** | | | **{numel(net):,}** |" in table
    wrong = nn.Sequential(nn.Conv2d(1, 32, 3), nn.Flatten(), nn.Linear(32 * 26 * 26, 10))
    with pytest.raises(ValueError, match="expected to differ only for"):
        frameworks.side_by_side(keras_b, cnnexplain.explain(wrong, input_size=(1, 1, 28, 28)))


def test_the_resnet_block_module_is_torchvisions_basic_block(frameworks: Any) -> None:
    block_net = load_example("resnet_block_torch").block_net
    b = cnnexplain.explain(block_net, input_size=(1, 16, 32, 32))
    downsample = nn.Sequential(nn.Conv2d(16, 32, 1, stride=2, bias=False), nn.BatchNorm2d(32))
    reference = torch_models.BasicBlock(16, 32, stride=2, downsample=downsample)
    assert b.total == numel(block_net) == numel(reference)
    assert b.non_trainable == 0
    x = torch.zeros(1, 16, 32, 32)
    assert block_net.eval()(x).shape == reference.eval()(x).shape == (1, 32, 16, 16)
    buffers = {w.name for row in b.rows for w in row.buffers}
    assert buffers == {"running_mean", "running_var", "num_batches_tracked"}
    # The page's table pairs the nested shortcut's layers with Keras's flat ones.
    keras_like = cnnexplain.explain(block_net, input_size=(1, 16, 32, 32))
    with pytest.raises(ValueError, match=r"expected to differ only for \('BatchNorm2d',\)"):
        frameworks.side_by_side(keras_like, b, differ=("BatchNorm2d",))
    assert "`downsample.1` (BatchNorm2d)" in frameworks.side_by_side(keras_like, b)


def test_contrast_refuses_equal_counts(frameworks: Any) -> None:
    bn = cnnexplain.explain(nn.Sequential(nn.BatchNorm2d(4)), input_size=(1, 4, 5, 5))
    keras_bn = cnnexplain.explain(
        spec.Sequential([spec.Input((5, 5, 4)), spec.BatchNormalization()])
    )
    table = frameworks.contrast(keras_bn, bn, "BatchNorm2d")
    assert f"| parameters | {4 * 4} | {2 * 4} |" in table
    with pytest.raises(ValueError, match="both count"):
        frameworks.contrast(bn, bn, "BatchNorm2d")


def test_same_outputs_finds_the_exact_padding(frameworks: Any, keras: Any) -> None:
    conv = keras.layers.Conv2D(2, 3, strides=2, padding="same")
    conv.build((None, 10, 10, 1))  # an odd total of padding: 0 before, 1 after
    nets = {
        "symmetric": nn.Sequential(nn.Conv2d(1, 2, 3, stride=2, padding=1)),
        "explicit": nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(1, 2, 3, stride=2)),
    }
    image = np.random.default_rng(1).random((10, 10, 1), dtype=np.float32)
    assert "| explicit | (1, 2, 5, 5) |" in frameworks.same_outputs(
        conv, nets, image, exact="explicit"
    )
    with pytest.raises(ValueError, match="symmetric: largest difference"):
        frameworks.same_outputs(conv, nets, image, exact="symmetric")


def test_the_fewer_parameters_variants_count_as_in_keras(keras: Any) -> None:
    del keras  # imported before the page module imports it
    torch_variants = load_example("variants_torch").VARIANTS
    keras_variants = load_example("variants").VARIANTS
    assert [v.key for v in keras_variants] == list(torch_variants)
    for v in keras_variants:
        net = torch_variants[v.key]()
        b = cnnexplain.explain(net, input_size=(1, 1, 28, 28))
        assert b.total == numel(net) == v.build().count_params(), v.key


def test_the_mistakes_models_count_as_in_keras_but_batchnorm_and_lstm(keras: Any) -> None:
    del keras  # imported before the page module imports it
    torch_models_page = load_example("mistake_models_torch")
    keras_models_page = load_example("mistake_models")
    assert {"with_batchnorm", "recurrent"} == torch_models_page.COUNTED_OTHERWISE
    for name, size in torch_models_page.INPUT_SIZES.items():
        net = getattr(torch_models_page, name)()
        b = cnnexplain.explain(net, input_size=size)
        model = getattr(keras_models_page, name)(name)
        assert b.total == numel(net), name
        otherwise = name in torch_models_page.COUNTED_OTHERWISE
        assert (b.total == model.count_params()) != otherwise, name
        trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        if name == "recurrent":  # nn.LSTM's second bias vector per gate, Keras's LSTM has one
            trainable += net.rnn.bias_hh_l0.numel()
        assert b.total == trainable, name


# Every page that teaches with a model shows it in both frameworks. A page added
# to the nav must be listed here or among the others, so none is forgotten.
TEACHING_PAGES = (
    "index.md",
    "tutorial.md",
    "conv-arithmetic.md",
    "resnet-block.md",
    "transformer.md",
    "llm-blocks.md",
    "diagnose.md",
    "mistakes.md",
    "exercises.md",
    "posted-code.md",
    "costs.md",
    "fewer-parameters.md",
    "frameworks.md",
    "formulas.md",
    "layers.md",
    "custom-layers.md",
)
TORCH_ONLY_PAGES = ("layers-torch.md", "torchinfo.md")  # all PyTorch: no tabs to switch
REFERENCE_PAGES = ("cli.md", "reference/api.md")  # a section on PyTorch modules
OTHER_PAGES = ("playground.md", "contributing.md", "security.md")  # one editor for both; how-tos
DOCS = Path(__file__).parents[2] / "docs"
_TAB = re.compile(r'^(?P<indent> *)=== "(?P<label>[^"]+)"\n', re.MULTILINE)


def nav_pages(config: str) -> list[str]:
    """The pages ``mkdocs.yml``'s nav lists (each entry ends in ``.md``).

    Examples:
        >>> nav_pages('nav:\\n  - Home: index.md\\n  - Ref:\\n      - "A: b": ref/a.md\\n')
        ['index.md', 'ref/a.md']
    """
    return re.findall(r"^\s*- [^\n]*:\s*(\S+\.md)\s*$", config, re.MULTILINE)


def pytorch_tabs(text: str) -> list[str]:
    """The body of each ``=== "PyTorch"`` content tab of a page's Markdown.

    Examples:
        >>> pytorch_tabs('=== "Keras"\\n\\n    k\\n\\n=== "PyTorch"\\n\\n    t = 1\\n\\nafter\\n')
        ['    t = 1\\n']
    """
    bodies = []
    for match in _TAB.finditer(text):
        if match["label"] != "PyTorch":
            continue
        inside = " " * (len(match["indent"]) + 4)
        lines = []
        for line in text[match.end() :].splitlines(keepends=True):
            if line.strip() and not line.startswith(inside):
                break
            lines.append(line)
        bodies.append("".join(lines).strip("\n") + "\n")
    return bodies


def test_every_page_of_the_nav_is_classified() -> None:
    config = (DOCS.parent / "mkdocs.yml").read_text(encoding="utf-8")
    listed = TEACHING_PAGES + TORCH_ONLY_PAGES + REFERENCE_PAGES + OTHER_PAGES
    assert sorted(nav_pages(config)) == sorted(listed)


@pytest.mark.parametrize("page", TEACHING_PAGES)
def test_every_teaching_page_has_a_live_verified_pytorch_tab(page: str) -> None:
    tabs = pytorch_tabs((DOCS / page).read_text(encoding="utf-8"))
    assert tabs, f"{page} has no PyTorch tab"
    live = [t for t in tabs if 'exec="1"' in t]
    assert live, f"{page}: no PyTorch tab computes its figures while the site builds"
    for tab in tabs:
        assert "verify=False" not in tab, f"{page}: a PyTorch tab turns verification off"


@pytest.mark.parametrize("page", REFERENCE_PAGES)
def test_the_reference_pages_cover_torch_modules(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    assert "## PyTorch modules" in text
    assert "input_size=" in text
    if page == "reference/api.md":
        assert "input_data=(" in text  # shown, not only described


def test_the_tab_reader_can_fail() -> None:
    assert pytorch_tabs('=== "Keras"\n\n    k\n\nafter\n') == []
    nested = '??? note\n\n    === "PyTorch"\n\n        t\n\n    back\n'
    assert pytorch_tabs(nested) == ["        t\n"]


@pytest.fixture(scope="module")
def layers_torch() -> Any:
    return load_example("layers_torch")


def test_every_torch_rule_has_a_reference_example(layers_torch: Any) -> None:
    assert layers_torch.rules_without_example() == []
    assert set(layers_torch.TORCH_EXAMPLES) <= set(layers_torch.TORCH_RULES)


def test_the_reference_examples_count_as_numel(layers_torch: Any) -> None:
    for examples in layers_torch.TORCH_EXAMPLES.values():
        for example in examples:
            module = example.module()
            b = example.breakdown()
            assert b.total == numel(module), example.code
            assert b.rows[0].kind == type(module).__name__, example.code


def test_the_numel_check_of_an_example_can_fail(
    layers_torch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = cnnexplain.explain(nn.Linear(8, 2), input_size=(1, 8))
    monkeypatch.setattr(layers_torch, "explain", lambda *_, **__: other)
    with pytest.raises(ValueError, match="against numel"):
        layers_torch.TorchExample("nn.Linear(4, 2)", (1, 4)).breakdown()


def test_the_torch_exercises_match_the_keras_ones() -> None:
    keras_page = load_example("exercises")
    torch_page = load_example("exercises_torch")
    pairs = zip(keras_page.EXERCISES, torch_page.TORCH_EXERCISES, strict=True)
    for keras_exercise, torch_exercise in pairs:
        assert keras_exercise.title == torch_exercise.title
        module = torch_exercise.module()
        b = cnnexplain.explain(module, input_size=torch_exercise.input_size)
        assert b.total == numel(module) == torch_exercise.breakdown().total
        keras_total = keras_exercise.model().explain().total
        if torch_exercise.title == "BatchNormalization":  # the statistics: 2·C in Keras
            bn = module.bn
            assert keras_total - b.total == bn.running_mean.numel() + bn.running_var.numel()
        else:
            assert keras_total == b.total, torch_exercise.title
        assert torch_exercise.question(b)
        assert torch_exercise.answer(b)


def test_the_posted_code_slips_are_one_spec_error() -> None:
    no_flatten = nn.Sequential(nn.Conv2d(1, 32, 3), nn.MaxPool2d(2), nn.Linear(5408, 100))
    wrong_size = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 26 * 26, 100)
    )
    for net, where in ((no_flatten, "'2' (Linear)"), (wrong_size, "'3' (Linear)")):
        with pytest.raises(cnnexplain.SpecError, match="mat1 and mat2") as caught:
            cnnexplain.explain(net, input_size=(1, 1, 28, 28))
        message = str(caught.value)
        assert "\n" not in message
        assert f"submodule {where}" in message
        assert "in_features=" in message
