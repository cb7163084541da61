"""One rule per Keras layer kind, in modules imported when a kind is first looked up.

`find_rule` imports the module `_table` names for a kind; `all_rules` (and
``RULES``, the same mapping) imports them all, for the docs and the tests.
"""

from __future__ import annotations

from cnnexplain._rules.protocol import Explained, LayerArgs, Rule, Weight
from cnnexplain._rules.registry import all_rules, find_rule, rule_doc

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    RULES: Mapping[str, Rule]

__all__ = [
    "RULES",
    "Explained",
    "LayerArgs",
    "Rule",
    "Weight",
    "all_rules",
    "find_rule",
    "rule_doc",
]


def __getattr__(name: str) -> object:
    if name == "RULES":  # every rule: importing the name imports every rule module
        return all_rules()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
