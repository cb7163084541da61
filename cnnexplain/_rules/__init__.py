"""One rule per Keras layer kind; importing this package registers them all."""

from __future__ import annotations

from cnnexplain._rules import conv, core, merge, norm, pooling
from cnnexplain._rules._base import RULES, Explained, LayerArgs, Rule, Weight, find_rule

__all__ = [
    "RULES",
    "Explained",
    "LayerArgs",
    "Rule",
    "Weight",
    "conv",
    "core",
    "find_rule",
    "merge",
    "norm",
    "pooling",
]
