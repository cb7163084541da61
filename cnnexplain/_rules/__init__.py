"""One rule per Keras layer kind; importing this package registers them all."""

from __future__ import annotations

from cnnexplain._rules import (
    activations,
    applications,
    attention,
    conv,
    core,
    dot,
    einsum,
    embedding,
    merge,
    norm,
    normalization_more,
    pooling,
    preprocessing,
    recurrent,
    reshaping,
    separable,
    transpose,
    wrappers,
)
from cnnexplain._rules._base import RULES, Explained, LayerArgs, Rule, Weight, find_rule, rule_doc

__all__ = [
    "RULES",
    "Explained",
    "LayerArgs",
    "Rule",
    "Weight",
    "activations",
    "applications",
    "attention",
    "conv",
    "core",
    "dot",
    "einsum",
    "embedding",
    "find_rule",
    "merge",
    "norm",
    "normalization_more",
    "pooling",
    "preprocessing",
    "recurrent",
    "reshaping",
    "rule_doc",
    "separable",
    "transpose",
    "wrappers",
]
