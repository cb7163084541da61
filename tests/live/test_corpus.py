"""The corpus (tests/support/corpus.py): every model explained live and from its ``.keras`` file.

Live, `explain` verifies every row (nested and part rows included) against
Keras; from the file, every explained row's weight shapes are checked against
the stored ones, and the totals must equal Keras's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import corpus
import pytest

from cnnexplain import explain

GOAL = 0.95
"""The share of corpus models that must be fully explained, live and from files."""


@pytest.fixture(scope="session")
def built(keras: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, Path]]:
    """Every corpus model, built once, and the savable ones saved once."""
    folder = tmp_path_factory.mktemp("corpus")
    found = {}
    for name, model in corpus.build(keras).items():
        path = folder / f"{name}.keras"
        if name in corpus.SAVABLE:
            model.save(path)
        found[name] = (model, path)
    return found


def _trainable(model: Any) -> int:
    return sum(int(w.numpy().size) for w in model.trainable_weights)


@pytest.mark.parametrize("name", corpus.NAMES)
def test_corpus_model_is_fully_explained_live(
    built: dict[str, tuple[Any, Path]], name: str
) -> None:
    model, _ = built[name]
    b = explain(model)  # verified against Keras, row by row
    assert (b.total, b.trainable) == (model.count_params(), _trainable(model))
    assert [p for p, row in b.walk() if not row.explained] == []
    assert int(b.formula) == b.total


@pytest.mark.parametrize("name", corpus.SAVABLE)
def test_corpus_file_totals_equal_keras(built: dict[str, tuple[Any, Path]], name: str) -> None:
    model, path = built[name]
    b = explain(path)  # every explained row checked against the stored weight shapes
    assert (b.total, b.trainable) == (model.count_params(), _trainable(model))
    live = explain(model, verify=False)
    for stored, computed in zip(b.output_shapes, live.output_shapes, strict=True):
        # A model output made by a layer without rule: no file records its shape ("?").
        assert stored in (computed, ())


def test_most_corpus_files_are_fully_explained(built: dict[str, tuple[Any, Path]]) -> None:
    explained = [name for name in corpus.SAVABLE if not explain(built[name][1]).unexplained]
    assert len(explained) >= GOAL * len(corpus.SAVABLE), sorted(
        set(corpus.SAVABLE) - set(explained)
    )


def test_corpus_is_large_and_varied() -> None:
    assert len(corpus.NAMES) >= 30
    assert len(corpus.NAMES) - len(corpus.SAVABLE) >= 3


def test_custom_block_rows_show_their_parts(built: dict[str, tuple[Any, Path]]) -> None:
    model, path = built["text_transformer"]
    for b in (explain(model), explain(path)):
        embedding, block = b.rows[0], b.rows[1]
        assert embedding.kind == "TokenAndPositionEmbedding"
        assert "explained from its parts" in embedding.note
        assert [c.kind for c in embedding.children] == ["Embedding", "Embedding"]
        assert str(embedding.formula) in ("50·16+12·16", "12·16+50·16")  # tracking order
        kinds = [c.kind for c in block.children]
        assert kinds[:2] == ["MultiHeadAttention", "Sequential"]
        assert block.params == int(block.formula) == sum(c.params for c in block.children)
    live = explain(model)
    assert live.rows[1].children[0].formula.text() == str(
        explain(model).rows[1].children[0].formula
    )
    assert live.rows[1].children[0].formula.symbols() == (
        "(d_q+1)·h·k+(d_k+1)·h·k+(d_v+1)·h·v+(h·v+1)·d_q"
    )


def test_weight_of_its_own_is_a_named_product(built: dict[str, tuple[Any, Path]]) -> None:
    model, _ = built["subclassed_vit"]
    b = explain(model)
    token = next(r for r in b.rows if r.name == "cls_token")
    assert (token.kind, str(token.formula), token.formula.symbols()) == (
        "Variable",
        "1·1·8",
        "cls_token",
    )
    assert "a trainable weight the layer creates itself, of shape (1, 1, 8)" in token.note


def test_conv_subclass_is_explained_by_its_base_rule(built: dict[str, tuple[Any, Path]]) -> None:
    model, path = built["standardized_conv"]
    live, saved = explain(model), explain(path)
    assert "a Conv2D subclass, explained by Conv2D's rule" in live.rows[0].note
    assert "are those of a Conv2D" in saved.rows[0].note
    assert str(live.rows[0].formula) == str(saved.rows[0].formula) == "(3·3·1+1)·8"
    assert live.rows[0].output_shape == saved.rows[0].output_shape == (None, 10, 10, 8)
