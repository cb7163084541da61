"""What the Keras and PyTorch stand-ins share: a module of known names that refuses the rest.

Examples:
    >>> layers = StandInModule("keras.layers", {"Dense": object}, lambda m, a: f"{m} has no {a}.")
    >>> layers.Conv2d
    Traceback (most recent call last):
    ...
    cnnexplain.CodeError: keras.layers has no Conv2d.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from cnnexplain._errors import CodeError

__all__ = ["StandInModule"]


class StandInModule(types.ModuleType):
    """A module of a stand-in's tree: its known names, and one sentence for any other.

    Args:
        name: the module's dotted name, as the user's code imports it.
        names: what the module holds.
        missing: the sentence for a name it lacks, given the module's and the name.
    """

    def __init__(
        self, name: str, names: dict[str, Any], missing: Callable[[str, str], str]
    ) -> None:
        super().__init__(name)
        self.__dict__.update(names)
        self._missing = missing

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise CodeError(self._missing(self.__name__, attr))
