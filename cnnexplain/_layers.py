"""The package's layers: each subsystem's rank, and the imports allowed to run upward.

Imports run one way, from values up to the entry points: a module may import its
own subsystem and any subsystem of a lower rank. ``tests/test_layers.py`` parses
every module and fails on any other import, naming the file and the line; an
import of a higher rank is allowed only inside a function, and only when
`LAZY_UPWARD` lists it with its reason. Nothing imports this module: it is data
for that test and for the contributing page.

Examples:
    >>> RANKS["_formula"] < RANKS["_rules"] < RANKS["_graph"] < RANKS["_render"]
    True
"""

from __future__ import annotations

__all__ = ["LAZY_UPWARD", "RANKS"]

RANKS: dict[str, int] = {
    # leaf values: import nothing of the package
    "_layers": 0,  # this table
    "_errors": 0,
    "_escape": 0,
    "_framework": 0,
    # values: formulas, shape arithmetic, argument checks
    "_formula": 1,
    "_shapes": 1,
    "_arguments": 1,
    # rules: protocol, registry, neutral families, Keras and torch readers
    "_rules": 2,
    # results
    "_breakdown": 3,
    "_training": 3,
    "_mac_basis": 3,
    # the model graph and its evaluation
    "_graph": 4,
    # sources into the graph
    "_live": 5,
    "_files": 5,
    "spec": 5,
    # what is computed from a breakdown
    "_costs": 6,
    "_diagnose": 6,
    # views
    "_render": 7,
    # entry points
    "_explain": 8,
    "_explain_code": 8,
    "_cli": 8,
    "_summary": 8,
    # the package's face: the public names and ``python -m cnnexplain``
    "__main__": 9,
    "__init__": 9,
}
"""Subsystem (top-level module or folder of ``cnnexplain``) → its rank."""

LAZY_UPWARD: dict[tuple[str, str], str] = {
    ("_breakdown", "_render"): "Breakdown's to_text/to_markdown/... facades call their renderer",
    ("_breakdown", "_costs"): "Breakdown.costs() computes the costs on demand",
    ("_costs", "_render"): "Costs' to_text/to_markdown facades call their renderer",
    ("_diagnose", "_explain"): "diagnose(model) explains a model it is given",
    ("spec", "_live"): "spec's to_keras()/verification build the model in Keras",
}
"""(importing subsystem, imported subsystem) → why the import runs upward, inside a function."""
