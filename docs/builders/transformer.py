"""The "Count a transformer by hand" page: equations, drawing and exercises from breakdowns.

Every number here is read from a `Breakdown` of a real model (Hugging Face
``transformers`` or KerasHub, built from a configuration, never from
downloaded weights) and checked: a term that does not add up to the model's
total raises, so the site does not build.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cnnexplain import Breakdown, LayerRow, explain

if TYPE_CHECKING:
    from builders.attention_svg import Part


def _n(value: int) -> str:
    """A count for LaTeX: ``124{,}439{,}808``."""
    return f"{value:,}".replace(",", "{,}")


def rows_of(breakdown: Breakdown) -> dict[str, LayerRow]:
    """Every row of a breakdown by its path (``transformer/h/0/attn``)."""
    return dict(breakdown.walk())


@dataclass(frozen=True)
class Gpt2Terms:
    """GPT-2's count as its four terms, each read from a breakdown row."""

    vocab: int
    positions: int
    width: int
    layers: int
    inner: int
    token: int
    position: int
    block: int
    final_norm: int
    total: int


def gpt2_terms(
    breakdown: Breakdown,
    *,
    vocab: int,
    positions: int,
    width: int,
    layers: int,
    inner: int,
    paths: tuple[str, str, str, str],
) -> Gpt2Terms:
    """The terms of ``V·d + P·d + L·block + 2·d``, checked against the breakdown.

    Args:
        breakdown: the model's breakdown.
        vocab: V, the vocabulary size.
        positions: P, the number of positions.
        width: d, the model's width.
        layers: L, the number of blocks.
        inner: the MLP's hidden width.
        paths: the rows of the token embedding, position embedding, first block
            and final LayerNorm.

    Raises:
        ValueError: if a term is not its formula, a block differs from the first
            or the terms do not add up to the total.
    """
    rows = rows_of(breakdown)
    token, position, block, final_norm = (rows[p].params for p in paths)
    d, f = width, inner
    symbolic = 4 * d * d + 2 * d * f + 9 * d + f
    checks = {
        "V·d": (token, vocab * d),
        "P·d": (position, positions * d),
        "2·d": (final_norm, 2 * d),
        "4d² + 2d·f + 9d + f": (block, symbolic),
    }
    for name, (got, want) in checks.items():
        if got != want:
            raise ValueError(f"the term {name} is {got:,} in the model, {want:,} by formula")
    block_path = paths[2]
    first = block_path.rstrip("0123456789")
    siblings = [
        r.params for p, r in rows.items() if p.startswith(first) and p[len(first) :].isdigit()
    ]
    if len(siblings) != layers or set(siblings) != {block}:
        raise ValueError(f"expected {layers} blocks of {block:,}, found {siblings}")
    total = token + position + layers * block + final_norm
    if total != breakdown.total:
        raise ValueError(f"the terms add up to {total:,}, the model has {breakdown.total:,}")
    return Gpt2Terms(vocab, positions, d, layers, f, token, position, block, final_norm, total)


def gpt2_equation(t: Gpt2Terms) -> str:
    """The whole count, in symbols then in numbers, as display math."""
    return "\n\n".join(
        [
            r"$$N = V \cdot d + P \cdot d + L \cdot N_{\mathrm{block}} + 2 \cdot d$$",
            (
                f"$${t.vocab} \\cdot {t.width} + {t.positions} \\cdot {t.width} + "
                f"{t.layers} \\cdot {_n(t.block)} + 2 \\cdot {t.width} = "
                f"{_n(t.token)} + {_n(t.position)} + {_n(t.layers * t.block)} + "
                f"{_n(t.final_norm)} = {_n(t.total)}$$"
            ),
        ]
    )


def block_equation(t: Gpt2Terms) -> str:
    """One block's count in symbols, expanded, and for GPT-2's numbers."""
    d, f = t.width, t.inner
    parts = [
        (
            r"$$N_{\mathrm{block}} = 2d + 3 \cdot (d + 1) \cdot d + (d + 1) \cdot d + 2d"
            r" + (d + 1) \cdot d_{\mathrm{ff}} + (d_{\mathrm{ff}} + 1) \cdot d$$"
        ),
        r"$$N_{\mathrm{block}} = 4d^2 + 2 \cdot d \cdot d_{\mathrm{ff}} + 9d + d_{\mathrm{ff}}$$",
    ]
    if f == 4 * d:
        parts.append(
            r"$$d_{\mathrm{ff}} = 4d: \quad N_{\mathrm{block}} = 12d^2 + 13d = "
            f"12 \\cdot {d}^2 + 13 \\cdot {d} = {_n(12 * d * d + 13 * d)}$$"
        )
    else:
        parts.append(
            f"$$4 \\cdot {d}^2 + 2 \\cdot {d} \\cdot {f} + 9 \\cdot {d} + {f} = {_n(t.block)}$$"
        )
    return "\n\n".join(parts)


def _part(rows: dict[str, LayerRow], path: str, role: str, group: str) -> Part:
    from builders.attention_svg import Part  # noqa: PLC0415

    row = rows[path]
    shapes = tuple(tuple(int(n) for n in w.shape) for w in row.weights)
    return Part(path.rsplit("/", 1)[-1], role, shapes, row.params, group)


def keras_block_parts(breakdown: Breakdown, block: str) -> list[Part]:
    """A KerasHub `TransformerDecoder`'s layers, its attention cut into Q, K, V and O.

    Raises:
        ValueError: if the parts do not add up to the block's count.
    """
    from builders.attention_svg import Part  # noqa: PLC0415

    rows = rows_of(breakdown)
    attention = rows[f"{block}/self_attention"]
    by_name: dict[str, list[Any]] = {}
    for w in attention.weights:
        by_name.setdefault(w.name.split("/")[0], []).append(w)
    projections = []
    for key, role in (("query", "Q"), ("key", "K"), ("value", "V"), ("attention_output", "O")):
        weights = by_name[key]
        shapes = tuple(tuple(int(n) for n in w.shape) for w in weights)
        count = sum(_prod(s) for s in shapes)
        projections.append(Part(key, role, shapes, count, "attention"))
    parts = [
        _part(rows, f"{block}/self_attention_layer_norm", "LayerNorm", "norm"),
        *projections[:3],
        Part("softmax(QKᵀ/√dₕ)·V", "attention", (), 0, "none"),
        projections[3],
        _part(rows, f"{block}/feedforward_layer_norm", "LayerNorm", "norm"),
        _part(rows, f"{block}/feedforward_intermediate_dense", "MLP up", "mlp"),
        _part(rows, f"{block}/feedforward_output_dense", "MLP down", "mlp"),
    ]
    if sum(p.params for p in parts) != rows[block].params:
        raise ValueError(f"the drawn parts do not add up to {block}'s {rows[block].params:,}")
    return parts


def _prod(shape: tuple[int, ...]) -> int:
    out = 1
    for n in shape:
        out *= n
    return out


def block_figure(breakdown: Breakdown, block: str, title: str) -> str:
    """The drawn block in a figure."""
    from builders.attention_svg import block_svg  # noqa: PLC0415

    svg = block_svg(keras_block_parts(breakdown, block), title=title)
    return f'<figure class="model-drawing">{svg}</figure>'


# Exercises: each a tiny model in both frameworks; question and answer read from it.


@dataclass(frozen=True)
class Exercise:
    """One exercise in both frameworks: a model builder and the text it gives."""

    title: str
    keras: Callable[[], tuple[str, str]]
    torch: Callable[[], tuple[str, str]]


def _tiny_gpt2_keras() -> tuple[str, str]:
    import keras_hub  # noqa: PLC0415

    backbone = keras_hub.models.GPT2Backbone(
        vocabulary_size=1000,
        num_layers=2,
        num_heads=4,
        hidden_dim=64,
        intermediate_dim=256,
        max_sequence_length=128,
        name="tiny_gpt2",
    )
    b = explain(backbone)
    return _tiny_gpt2_text(
        b,
        "`GPT2Backbone(vocabulary_size=1000, num_layers=2, num_heads=4, "
        "hidden_dim=64, intermediate_dim=256, max_sequence_length=128)`",
        backbone.count_params(),
        (1000, 128, 64, 2, 256),
        ("token_embedding", "position_embedding", "transformer_layer_0", "layer_norm"),
    )


def _tiny_gpt2_torch() -> tuple[str, str]:
    import torch  # noqa: PLC0415
    from transformers import GPT2Config, GPT2Model  # noqa: PLC0415

    config = GPT2Config(
        vocab_size=1000,
        n_positions=128,
        n_embd=64,
        n_layer=2,
        n_head=4,
        bos_token_id=0,
        eos_token_id=0,
    )
    with torch.device("meta"):
        model = GPT2Model(config)
    b = explain(model)
    numel = sum(p.numel() for p in model.parameters())
    return _tiny_gpt2_text(
        b,
        "`GPT2Model(GPT2Config(vocab_size=1000, n_positions=128, n_embd=64, n_layer=2, n_head=4))`",
        numel,
        (1000, 128, 64, 2, 256),
        ("wte", "wpe", "h/0", "ln_f"),
    )


def _tiny_gpt2_text(
    b: Breakdown, code: str, oracle: int, sizes: tuple[int, ...], paths: tuple[str, ...]
) -> tuple[str, str]:
    vocab, positions, width, layers, inner = sizes
    t = gpt2_terms(
        b,
        vocab=vocab,
        positions=positions,
        width=width,
        layers=layers,
        inner=inner,
        paths=(paths[0], paths[1], paths[2], paths[3]),
    )
    if t.total != oracle:
        raise ValueError(f"{t.total:,} against the framework's {oracle:,}")
    question = f"A GPT-2 made small: {code}. How many parameters?"
    answer = (
        f"**{t.total:,}**: $V \\cdot d = {_n(t.token)}$, $P \\cdot d = {_n(t.position)}$, "
        f"{t.layers} blocks of $12d^2 + 13d = {_n(t.block)}$ and the final LayerNorm's "
        f"$2d = {t.final_norm}$."
    )
    return question, answer


def _gqa_text(count: int, formula: str, *, heads: int, kv: int, dh: int, d: int) -> str:
    return (
        f"**{count:,}** $= {formula}$: the query and output projections are "
        f"$d \\cdot h \\cdot d_h$ each ({d} · {heads} · {dh}), the key and value only "
        f"$d \\cdot h_{{kv}} \\cdot d_h$ ({d} · {kv} · {dh}): {heads // kv} query heads "
        "share each key/value head."
    )


def _gqa_keras() -> tuple[str, str]:
    import keras  # noqa: PLC0415

    layer = keras.layers.GroupQueryAttention(
        head_dim=16, num_query_heads=8, num_key_value_heads=2, use_bias=False, name="gqa"
    )
    x = keras.Input((10, 128))
    model = keras.Model(x, layer(x, x), name="gqa_model")
    row = explain(model).rows[-1]
    if row.params != model.count_params():
        raise ValueError(f"{row.params} against count_params() {model.count_params()}")
    question = (
        "`GroupQueryAttention(head_dim=16, num_query_heads=8, num_key_value_heads=2, "
        "use_bias=False)` on 128-wide tokens. How many parameters?"
    )
    return question, _gqa_text(row.params, row.formula.latex(), heads=8, kv=2, dh=16, d=128)


def _gqa_torch() -> tuple[str, str]:
    import torch  # noqa: PLC0415
    from transformers import LlamaConfig  # noqa: PLC0415
    from transformers.models.llama.modeling_llama import LlamaAttention  # noqa: PLC0415

    config = LlamaConfig(hidden_size=128, num_attention_heads=8, num_key_value_heads=2, head_dim=16)
    with torch.device("meta"):
        attention = LlamaAttention(config, layer_idx=0)
    b = explain(attention)
    numel = sum(p.numel() for p in attention.parameters())
    if b.total != numel:
        raise ValueError(f"{b.total} against numel() {numel}")
    question = (
        "Llama's attention with `hidden_size=128, num_attention_heads=8, "
        "num_key_value_heads=2, head_dim=16` (no biases). How many parameters?"
    )
    formula = " + ".join(r.formula.latex() for r in b.rows if r.params)
    return question, _gqa_text(b.total, formula, heads=8, kv=2, dh=16, d=128)


def _tied_keras() -> tuple[str, str]:
    import keras_hub  # noqa: PLC0415

    backbone = keras_hub.models.GPT2Backbone(
        vocabulary_size=1000,
        num_layers=2,
        num_heads=4,
        hidden_dim=64,
        intermediate_dim=256,
        max_sequence_length=128,
        name="tied_gpt2",
    )
    model = keras_hub.models.GPT2CausalLM(backbone=backbone, preprocessor=None)
    b = explain(model)
    head = rows_of(b)["token_embedding"]
    question = (
        "The small GPT-2 of exercise 1 with its language-model head, "
        "`GPT2CausalLM(backbone=backbone, preprocessor=None)`. How many parameters does "
        "the head add?"
    )
    answer = (
        f"**{head.params}**: the head multiplies by the token embedding's matrix "
        f"transposed, so the model has {b.total:,} parameters, as many as the backbone "
        f"({backbone.count_params():,}). cnnexplain's row says: {head.note}."
    )
    return question, answer


def _tied_torch() -> tuple[str, str]:
    import torch  # noqa: PLC0415
    from transformers import GPT2Config, GPT2LMHeadModel  # noqa: PLC0415

    totals = {}
    for tie in (True, False):
        config = GPT2Config(
            vocab_size=1000,
            n_positions=128,
            n_embd=64,
            n_layer=2,
            n_head=4,
            tie_word_embeddings=tie,
            bos_token_id=0,
            eos_token_id=0,
        )
        with torch.device("meta"):
            model = GPT2LMHeadModel(config)
        b = explain(model)
        if b.total != sum(p.numel() for p in model.parameters()):
            raise ValueError("the total is not numel()'s")
        totals[tie] = b.total
    question = (
        "The small GPT-2 of exercise 1 as `GPT2LMHeadModel`, once with the default "
        "`tie_word_embeddings=True` and once with `False`. How many parameters each?"
    )
    answer = (
        f"**{totals[True]:,}** tied and **{totals[False]:,}** untied: the untied head is "
        f"a matrix of its own, $V \\cdot d = {_n(totals[False] - totals[True])}$ "
        "(GPT-2's `lm_head` has no bias)."
    )
    return question, answer


EXERCISES = (
    Exercise("A small GPT-2", _tiny_gpt2_keras, _tiny_gpt2_torch),
    Exercise("Grouped-query attention", _gqa_keras, _gqa_torch),
    Exercise("A tied head", _tied_keras, _tied_torch),
)


def _tab(label: str, question: str, answer: str) -> list[str]:
    return [
        f'=== "{label}"',
        "",
        f"    {question}",
        "",
        '    ??? success "Answer"',
        "",
        f"        {answer}",
        "",
    ]


def exercises_markdown() -> str:
    """Every exercise in a Keras and a PyTorch tab, the answer collapsed in each."""
    parts: list[str] = []
    for i, exercise in enumerate(EXERCISES, start=1):
        parts += [f"### {i}. {exercise.title}", ""]
        parts += _tab("Keras", *exercise.keras())
        parts += _tab("PyTorch", *exercise.torch())
    return "\n".join(parts)
