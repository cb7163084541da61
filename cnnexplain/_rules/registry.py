"""The registry of rules, one class for both frameworks: a layer class name to the rule reading it.

Keras and torch share class names with different arguments (``Embedding``,
``LSTM``, ``Flatten``), so each framework has its own `Registry`; both refuse a
second rule for a name, as PyTorch's ``flop_counter`` registry does. Keras rules
are imported one module at a time, when a kind is first looked up (the module
table is ``cnnexplain._rules.keras.table``); torch rules all at once, on first use.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import TypeVar

from cnnexplain._rules.protocol import Explained, Family, LayerArgs, Rule
from cnnexplain._shapes import Shape

__all__ = [
    "KERAS",
    "REGISTERED",
    "TORCH",
    "TORCH_RULES",
    "Registry",
    "all_rules",
    "find_rule",
    "find_torch_rule",
    "rule",
    "rule_doc",
    "rule_kinds",
    "torch_rule",
]

_R = TypeVar("_R", bound=Rule)


class Registry:
    """The rules of one framework by class name; a second rule for a name is refused.

    Args:
        framework: the framework's name, for messages (``"Keras"``, ``"torch"``).
        package: the package whose modules register the rules.
        table: module (relative to ``package``) → the kinds it registers, read once
            when a kind is first looked up; without it, the package itself is
            imported on first use and registers every rule.

    Examples:
        >>> demo = Registry("demo", package="cnnexplain._rules")
        >>> @demo.register("Thing")
        ... def thing(args, inputs): ...
        >>> demo.find("Thing") is thing, demo.find("Other")
        (True, None)
        >>> demo.register("Thing")(thing)
        Traceback (most recent call last):
        ...
        RuntimeError: two demo rules for Thing
    """

    def __init__(
        self,
        framework: str,
        *,
        package: str,
        table: Callable[[], Mapping[str, tuple[str, ...]]] | None = None,
    ) -> None:
        self.framework = framework
        self.rules: dict[str, Rule] = {}
        """The rules of the modules imported so far, by class name."""
        self._package = package
        self._table = table
        self._module_of: dict[str, str] = {}
        self._all: dict[str, Rule] = {}
        self._loaded = False

    def register(self, *class_names: str, family: Family | None = None) -> Callable[[_R], _R]:
        """A decorator registering a rule for the given class names.

        ``family`` says what those layers are (`Family`), for the readers that ask
        (costs, drawings, the diagnosis): each result the rule returns carries it.
        """

        def add(fn: _R) -> _R:
            registered: Rule = fn if family is None else _tagged(fn, family)
            for name in class_names:
                if name in self.rules:
                    raise RuntimeError(f"two {self.framework} rules for {name}")
                self.rules[name] = registered
            return fn

        return add

    def kinds(self) -> Mapping[str, str]:
        """Class name → the module registering its rule (empty without a table)."""
        if not self._module_of and self._table is not None:
            table = self._table()
            self._module_of.update({kind: m for m, kinds in table.items() for kind in kinds})
        return self._module_of

    def find(self, class_name: str) -> Rule | None:
        """The rule for a class name, or ``None``; imports its module on first use."""
        fn = self.rules.get(class_name)
        if fn is not None:
            return fn
        if self._table is None:
            if not self._loaded:
                self._loaded = True
                importlib.import_module(self._package)
            return self.rules.get(class_name)
        module = self.kinds().get(class_name)
        if module is not None:
            importlib.import_module(f"{self._package}.{module}")
        return self.rules.get(class_name)

    def all(self) -> Mapping[str, Rule]:
        """Every rule by class name, in the table's order (imports every rule module)."""
        if self._table is None:
            self.find("")
            return self.rules
        if not self._all:
            for kind in self.kinds():
                fn = self.find(kind)
                if fn is None:
                    raise RuntimeError(
                        f"{self._package}.table lists {kind}, which no rule registers"
                    )
                self._all[kind] = fn
        return self._all


def _tagged(fn: Rule, family: Family) -> Rule:
    """``fn`` whose results carry ``family`` unless they name one themselves."""

    @functools.wraps(fn)
    def rule(args: LayerArgs, inputs: list[Shape]) -> Explained:
        found = fn(args, inputs)
        return found if found.family is not None else dataclasses.replace(found, family=family)

    return rule


def _keras_table() -> Mapping[str, tuple[str, ...]]:
    from cnnexplain._rules.keras.table import RULE_MODULES  # noqa: PLC0415 - read on first lookup

    return RULE_MODULES


KERAS = Registry("Keras", package="cnnexplain._rules.keras", table=_keras_table)
"""Keras layer class name → rule (``"Conv2D"``, ``"LSTM"``...)."""
TORCH = Registry("torch", package="cnnexplain._rules.torch")
"""``torch.nn`` class name → rule (``"Conv2d"``, ``"LSTM"``...)."""

rule = KERAS.register
find_rule = KERAS.find
all_rules = KERAS.all
REGISTERED = KERAS.rules
torch_rule = TORCH.register
find_torch_rule = TORCH.find
TORCH_RULES = TORCH.rules


def rule_kinds() -> tuple[str, ...]:
    """Every Keras layer kind with a rule, in the table's order, without importing any rule."""
    return tuple(KERAS.kinds())


def rule_doc(class_name: str) -> str:
    """The docstring of the Keras rule for ``class_name``: its formula in symbols, then the symbols.

    The first line starts with the formula in double backquotes, as in
    ```(k_h·k_w·C_in/g+1)·F`` parameters`; the Layer reference page is built from it.

    Examples:
        >>> rule_doc("LSTM").splitlines()[0]
        '``4·(n·(m+n)+n)``: four gates, each a Dense over [input, previous output].'
    """
    fn = find_rule(class_name)
    if fn is None:
        raise KeyError(f"no rule for {class_name}")
    return inspect.cleandoc(fn.__doc__ or "")
