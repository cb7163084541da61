"""Explain a saved model whose config names no layers, from its weights file.

A library model (a KerasHub task or backbone) or a subclassed model saves its
constructor arguments, not its layers: only its Python code builds them, and
cnnexplain never runs code from a file. Its ``model.weights.h5`` still lists
every variable by layer path (``layers/gpt2_backbone/layers/transformer_decoder/
_feedforward_intermediate_dense/vars/0``), each stored once even when two layers
share it (a tied embedding). So the model is explained from that tree:

- a row per stored layer, named as the file records it, its class read from the
  config where a nested config names it (``GPT2Backbone``), else from the group's
  key where Keras keys it by class (``layers/reversible_embedding``);
- a sublayer of a class with a rule (``Dense``, ``Embedding``, ``LayerNormalization``...)
  gets its rule's formula over a config read from its weights' shapes;
- any other weight is the product of its shape, each dimension named by the
  integer argument of the model's config it equals (``vocabulary_size·hidden_dim``);
  sizes no argument gives are counted in `Breakdown.from_shapes`.

Shapes of activations are unknown: the file records none for such a model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cnnexplain._breakdown import Breakdown
from cnnexplain._files.model_file import SavedModel, WeightGroup, file_error
from cnnexplain._graph.model import Part
from cnnexplain._graph.parts import UNNAMED, dimension_names, explain_parts
from cnnexplain._rules.registry import rule_kinds
from cnnexplain._shapes import Weight

__all__ = ["explain_weights"]

_SOURCE = "the file"
_LISTS = ("layers", "_layer_checkpoint_dependencies")
_MAX_DEPTH = 60


def _camel(key: str) -> str:
    """The class a Keras layers-list key spells (``reversible_embedding_2``: ReversibleEmbedding).

    Examples:
        >>> _camel("reversible_embedding_2"), _camel("gpt2_backbone")
        ('ReversibleEmbedding', 'Gpt2Backbone')
    """
    stem = re.sub(r"_\d+$", "", key)
    return "".join(part[:1].upper() + part[1:] for part in stem.split("_") if part)


def _snake(name: str) -> str:
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _configs(value: Any, found: dict[str, tuple[str, Mapping[str, Any]]], depth: int = 0) -> None:
    """Every nested serialized object with a name: its class and config, by name."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, Mapping):
        config = value.get("config")
        kind = value.get("class_name")
        if isinstance(kind, str) and isinstance(config, Mapping):
            name = config.get("name")
            if isinstance(name, str):
                found.setdefault(name, (kind, config))
        for item in value.values():
            _configs(item, found, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _configs(item, found, depth + 1)


class _Reader:
    def __init__(self, configs: Mapping[str, tuple[str, Mapping[str, Any]]]) -> None:
        self.configs = configs
        self.known = {_snake(kind): kind for kind in rule_kinds()}

    def kind(self, group: WeightGroup, key: str, *, listed: bool) -> tuple[str, Mapping[str, Any]]:
        """A group's class and config: the config's, the class its key spells, or unnamed."""
        if group.name is not None and group.name in self.configs:
            return self.configs[group.name]
        stem = re.sub(r"_\d+$", "", key)
        if stem in self.known:
            return self.known[stem], {}
        return (_camel(key) if listed else UNNAMED), {}

    def parts(
        self, group: WeightGroup, *, trainable: bool, depth: int = 0, listed: bool = False
    ) -> tuple[Part, ...]:
        """A group's own variables, then a part per sublayer group that holds weights.

        ``listed``: the group is a model's list of layers, keyed by class (``dense_1``).
        """
        if depth > _MAX_DEPTH:
            return ()
        found = [
            Part(path, None, weights=(Weight(path, shape, trainable),))
            for path, shape in group.shapes
        ]
        for key, sub in group.groups.items():
            weights = tuple(Weight(p, s, trainable) for p, s in sub.all_shapes())
            if not weights:
                continue  # an InputLayer, a Dropout: nothing stored, nothing to count
            if key in _LISTS or key.startswith("vars/"):  # a list of layers: its layers
                in_list = key in _LISTS
                found.extend(self.parts(sub, trainable=trainable, depth=depth + 1, listed=in_list))
                continue
            kind, config = self.kind(sub, key, listed=listed)
            inner = self.parts(sub, trainable=trainable, depth=depth + 1)
            name = sub.name or key
            found.append(Part(name, kind, dict(config), weights=weights, parts=inner))
        return tuple(found)


def explain_weights(saved: SavedModel, *, expand: bool = False) -> Breakdown:
    """The breakdown of a model file whose config names no layers, from its weights file.

    Raises:
        ModelFileError: if the file holds no weights to read the layers from.
    """
    root = saved.weights
    if root is None:
        raise file_error(
            saved.path,
            f"config.json describes a {saved.class_name}, whose layers only its Python code "
            f"builds, and {saved.no_weights or 'the file holds no weights'}, so there is "
            "nothing to read them from.",
        )
    configs: dict[str, tuple[str, Mapping[str, Any]]] = {}
    _configs(saved.config, configs)
    trainable = saved.config.get("trainable", True) is not False
    reader = _Reader(configs)
    parts = reader.parts(root, trainable=trainable)
    merged: dict[str, Any] = {}  # every integer argument of the model and its sub-configs
    for config in [saved.config, *(c for _, c in configs.values())]:
        merged.update({k: v for k, v in config.items() if k not in merged})
    names = dimension_names(merged, None)
    _, rows = explain_parts(
        str(saved.config.get("name") or saved.class_name),
        saved.class_name,
        parts,
        _SOURCE,
        None,
        names=names,
    )
    stored = sum(Weight(p, s).size for p, s in root.all_shapes())

    def verifier(b: Breakdown) -> None:
        if b.total != stored:
            raise file_error(
                saved.path,
                f"the rows add up to {b.total:,} parameters but {saved.weights_from} holds "
                f"{stored:,}.",
            )

    name = saved.config.get("name")
    breakdown = Breakdown(
        name if isinstance(name, str) else saved.class_name,
        tuple(rows),
        (),
        (),
        expand,
        source=saved.path,
        _verifier=verifier,
    )
    breakdown.verify()
    return breakdown
