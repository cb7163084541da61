"""Mistakes in counting a block of layers by hand: transformer blocks, embeddings, heads.

A learner counting a transformer gives one number per block (or a running total
after each): the embeddings, every decoder block, the final norm, the head. The
wrong figures of such a unit come from its leaves: a LayerNorm counted as one
vector, the QKV biases forgotten, grouped-query attention's key/value
projections counted with the query's width, a SwiGLU MLP counted with two
matrices, the experts of a mixture counted once, the position embeddings left
out, or a head tied to the token embedding counted again. Leaves are recognised
by their weights' names and shapes and by the names of their siblings
(``q_proj``/``k_proj``/``v_proj``, ``gate_proj``/``up_proj``/``down_proj``...),
as transformer code names them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cnnexplain._breakdown import LayerRow
from cnnexplain._diagnose.findings import FindingKind
from cnnexplain._diagnose.hand_figures import Candidate, Concept
from cnnexplain._diagnose.layer_mistakes import attribute
from cnnexplain._framework import Framework
from cnnexplain._rules.protocol import Family, Weight

__all__ = ["BLOCK_KINDS", "block_candidates", "tied_head"]

K = FindingKind

BLOCK_KINDS = (
    K.POSITION_EMBEDDINGS_FORGOTTEN,
    K.QKV_BIAS_FORGOTTEN,
    K.LAYERNORM_ONE_VECTOR,
    K.RMSNORM_TWO_VECTORS,
    K.KV_HEADS_AS_QUERY_HEADS,
    K.SWIGLU_AS_TWO_MATRICES,
    K.EXPERTS_COUNTED_ONCE,
)
"""The mistakes searched inside a unit, in the order their amounts are attributed."""

_QKV = {
    "c_attn",
    "qkv",
    "qkv_proj",
    "wqkv",
    "query_key_value",
    "in_proj",
    "q_proj",
    "k_proj",
    "v_proj",
    "query",
    "key",
    "value",
    "to_q",
    "to_k",
    "to_v",
}
_QKV_TRIPLES = (("q_proj", "k_proj", "v_proj"), ("query", "key", "value"), ("to_q", "to_k", "to_v"))
_SWIGLU = (("gate_proj", "up_proj", "down_proj"), ("w1", "w3", "w2"))
_POSITION = {"wpe", "pos_emb", "pos_embed", "pos_embedding", "position_embeddings"}


@dataclass(frozen=True)
class _Leaf:
    row: LayerRow
    parent: LayerRow | None
    path: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.row.name.lower().rsplit("/", 1)[-1]

    def sibling(self, name: str) -> LayerRow | None:
        if self.parent is None:
            return None
        return next((c for c in self.parent.children if c.name.lower() == name), None)

    @property
    def norm_vectors(self) -> int:
        """How many vectors a LayerNorm/RMSNorm leaf holds, else 0."""
        w = self.row.weights
        named = "norm" in self.name or "norm" in self.row.kind.lower()
        if self.row.family is Family.BATCH_NORM or not named or not w:
            return 0
        if any(len(x.shape) != 1 or x.size != w[0].size for x in w) or len(w) > 2:  # noqa: PLR2004
            return 0
        return len(w)

    @property
    def position(self) -> bool:
        w = self.row.weights
        named = self.name in _POSITION or self.name.startswith("position_embedding")
        return named and len(w) == 1 and len(w[0].shape) == 2  # noqa: PLR2004

    def query_sibling(self) -> LayerRow | None:
        """The query projection, when this leaf is a narrower key or value projection."""
        for q, k, v in _QKV_TRIPLES:
            if self.name in (k, v) and (query := self.sibling(q)) is not None:
                return query if query.params > self.row.params else None
        return None

    @property
    def gate(self) -> bool:
        return any(self.name == g and all(self.sibling(n) for n in (u, d)) for g, u, d in _SWIGLU)

    def experts(self) -> int:
        """How many experts this leaf holds (fused) or 1; 0 for a second or later expert."""
        if "experts" not in self.path:
            return 1
        after = self.path[self.path.index("experts") + 1 :]
        if after and after[0].isdigit():
            return 0 if int(after[0]) > 0 else 1
        firsts = {x.shape[0] for x in self.row.weights if len(x.shape) >= 3}  # noqa: PLR2004
        return firsts.pop() if len(firsts) == 1 else 1


def _leaves(row: LayerRow, parent: LayerRow | None, path: tuple[str, ...]) -> Iterator[_Leaf]:
    here = (*path, row.name.lower())
    if not row.children:
        if row.params:
            yield _Leaf(row, parent, here)
        return
    for child in row.children:
        yield from _leaves(child, row, here)


def _weight_count(leaf: _Leaf, w: Weight, chosen: frozenset[FindingKind]) -> int:
    size = w.size
    if K.POSITION_EMBEDDINGS_FORGOTTEN in chosen and leaf.position:
        return 0
    is_bias = len(w.shape) == 1 and "bias" in w.name.lower()
    qkv_bias = is_bias and (leaf.name in _QKV or w.name == "in_proj_bias")
    if K.QKV_BIAS_FORGOTTEN in chosen and qkv_bias:
        return 0
    query = leaf.query_sibling()
    if K.KV_HEADS_AS_QUERY_HEADS in chosen and query is not None:
        twin = next((x for x in query.weights if x.name == w.name), None)
        size = twin.size if twin is not None else size
    if K.SWIGLU_AS_TWO_MATRICES in chosen:
        if leaf.gate:
            return 0
        if w.name == "gate_up_proj":
            size //= 2
    if K.EXPERTS_COUNTED_ONCE in chosen:
        experts = leaf.experts()
        size = 0 if experts == 0 else size // experts
    return size


def _leaf_count(leaf: _Leaf, chosen: frozenset[FindingKind]) -> int:
    vectors = leaf.norm_vectors
    if vectors:
        d = leaf.row.weights[0].size
        if K.LAYERNORM_ONE_VECTOR in chosen and vectors == 2:  # noqa: PLR2004
            return d
        if K.RMSNORM_TWO_VECTORS in chosen and vectors == 1:
            return 2 * d
        return leaf.row.params
    own = sum(w.size for w in leaf.row.weights)
    rest = leaf.row.params - own
    return rest + sum(_weight_count(leaf, w, chosen) for w in leaf.row.weights)


def _names(leaves: list[_Leaf]) -> str:
    """The leaves' names; a module's own parameters (``(parameters)``) go by the module's."""
    names = sorted(
        {
            leaf.parent.name if leaf.row.name.startswith("(") and leaf.parent else leaf.row.name
            for leaf in leaves
        }
    )
    return ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")  # noqa: PLR2004


def _each(hit: list[_Leaf], what: str) -> str:
    return f"the {what}" if len(hit) == 1 else f"each of the {len(hit)} {what}s"


def _detail(kind: FindingKind, leaves: list[_Leaf]) -> str:  # noqa: PLR0911
    one = frozenset({kind})
    hit = [x for x in leaves if _leaf_count(x, one) != x.row.params]
    true = sum(x.row.params for x in hit)
    learner = sum(_leaf_count(x, one) for x in hit)
    if kind is K.POSITION_EMBEDDINGS_FORGOTTEN:
        shapes = " + ".join("·".join(map(str, x.row.weights[0].shape)) for x in hit)
        return (
            f"the position embeddings ({_names(hit)}: P·d = {shapes} = {true:,}) were not "
            "counted: each position has its own learned vector, added to the token's"
        )
    if kind is K.QKV_BIAS_FORGOTTEN:
        return (
            f"the biases of the query, key and value projections ({_names(hit)}: "
            f"{true - learner:,}) were not counted: {learner:,} where they have {true:,}"
        )
    if kind is K.LAYERNORM_ONE_VECTOR:
        d = hit[0].row.weights[0].size
        return (
            f"{_each(hit, 'LayerNorm')} ({_names(hit)}) was counted as one vector, d = "
            f"{d}; a LayerNorm has a scale and a shift, 2·d = {2 * d} ({learner:,} counted, "
            f"{true:,} in all)"
        )
    if kind is K.RMSNORM_TWO_VECTORS:
        d = hit[0].row.weights[0].size
        return (
            f"{_each(hit, 'RMSNorm')} ({_names(hit)}) was counted as two vectors, 2·d = "
            f"{2 * d}; an RMSNorm has a scale only, d = {d} ({learner:,} counted, {true:,} in all)"
        )
    if kind is K.KV_HEADS_AS_QUERY_HEADS:
        return (
            f"the key and value projections ({_names(hit)}) were counted as wide as the query "
            f"projection, {learner:,}; with grouped-query attention they have fewer heads: "
            f"{true:,}"
        )
    if kind is K.SWIGLU_AS_TWO_MATRICES:
        # the whole MLP: the gate and its up and down siblings
        parents = {id(x.parent) for x in hit}
        triple = {name for names in _SWIGLU for name in names}
        mlp = [x for x in leaves if id(x.parent) in parents and (x in hit or x.name in triple)]
        true = sum(x.row.params for x in mlp)
        learner = sum(_leaf_count(x, one) for x in mlp)
        return (
            f"the MLP was counted with two matrices, {learner:,}; SwiGLU has three (gate, up "
            f"and down projections): {true:,}, the gate ({_names(hit)}) adding {true - learner:,}"
        )
    if kind is K.EXPERTS_COUNTED_ONCE:
        experts = max((x.experts() for x in hit), default=1)
        count = f"{experts} experts" if experts > 1 else "every expert"
        return (
            f"one expert was counted, {learner:,}; the layer has {count} "
            f"({_names(hit)}), {true:,} in all"
        )
    raise AssertionError(kind)  # pragma: no cover


def block_candidates(row: LayerRow) -> list[Candidate]:
    """The wrong figures of one unit (a block, an embedding, a norm), right one excluded."""
    leaves = list(_leaves(row, None, ()))
    if not leaves:
        return []
    if not row.children:
        leaves = [_Leaf(row, None, (row.name.lower(),))]
    kinds = [
        k
        for k in BLOCK_KINDS
        if any(_leaf_count(x, frozenset({k})) != x.row.params for x in leaves)
    ]
    if not kinds:
        return []

    def hand(chosen: frozenset[FindingKind]) -> int:
        return row.params + sum(_leaf_count(x, chosen) - x.row.params for x in leaves)

    details = {k: _detail(k, leaves) for k in kinds}
    return attribute(kinds, hand, lambda k, _chosen: details[k])


def tied_head(row: LayerRow) -> list[Candidate]:
    """A dense head without weights of its own (tied to an embedding) counted again."""
    if row.family is not Family.DENSE or row.params or row.children:
        return []
    config = row.config
    if row.framework is Framework.TORCH:
        n_in, n_out, bias = config.get("in_features"), config.get("out_features"), False
    else:
        shape = row.input_shape
        n_in = shape[-1] if isinstance(shape, tuple) and shape else None
        n_out, bias = config.get("units"), bool(config.get("use_bias"))
    if not isinstance(n_in, int) or not isinstance(n_out, int):
        return []
    hand = n_in * n_out + (n_out if bias else 0)
    source = row.reuses or "the token embedding"
    detail = (
        f"it was counted as its own {n_out:,}·{n_in:,} = {n_in * n_out:,} weights, but its weight"
        f" is {source}'s (tied): one matrix, already counted there, so the head adds 0"
    )
    return [Candidate(hand, (Concept(K.TIED_HEAD_COUNTED_TWICE, -hand, detail),), exact_only=False)]
