"""PyTorch as the user's code sees it in `explain_code`: ``torch``, ``torch.nn``, ``F``, no torch.

``import torch``, ``import torch.nn as nn``, ``import torch.nn.functional as F``,
``from torchinfo import summary`` resolve to plain module objects built here
(a scoped ``__import__``: the real ``sys.modules`` is never touched). Tensors
hold shapes only (`cnnexplain._explain_code.torch_tensor`). A layer stores its
arguments as torch does (`cnnexplain._explain_code.torch_layers`); its
parameters' shapes and every output shape come from its torch rule
(`cnnexplain._rules.torch`), the same rule the real adapter uses. Each call a
top-level module's first forward makes is recorded, as the adapter's hooks
record a real run, and the model is explained from that record by
`cnnexplain._graph.torch_tree`: counts and shapes from the same rules and
arithmetic as ``cnnexplain.explain(real_module, input_size=...)``.

What cannot be modeled raises `CodeError` (the caller adds the user's line).
"""

from __future__ import annotations

import contextlib
import contextvars
import difflib
import sys
import types
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

from cnnexplain._breakdown import Breakdown
from cnnexplain._errors import CodeError, SpecError
from cnnexplain._explain_code.keras_calls import FILENAME
from cnnexplain._explain_code.stand_in import StandInModule
from cnnexplain._explain_code.torch_layers import BUILDERS, bind, extra_repr
from cnnexplain._explain_code.torch_tensor import (
    Parameter,
    Size,
    Tensor,
    broadcast,
    matmul,
    sizes_of,
    tensor_from_data,
)
from cnnexplain._graph.torch_static import NO_INPUT_NOTE, stand_ins
from cnnexplain._graph.torch_tree import Call, ModuleNode, evaluate_tree
from cnnexplain._mac_basis import model_examples
from cnnexplain._rules.protocol import Explained, LayerArgs, NoRule, Weight
from cnnexplain._rules.registry import find_torch_rule
from cnnexplain._shapes import Shape

__all__ = [
    "RUN",
    "Module",
    "TorchRun",
    "active",
    "build_tree",
    "explain_module",
    "models",
    "outer_line",
]

# ---------------------------------------------------------------------------
# The run: the models built, each one's first forward pass recorded


@dataclass
class TorchRun:
    """One run of user code: the modules it builds and what their first forward passes did."""

    modules: list[tuple[int, Module]] = field(default_factory=list)
    """Every module built, with the user's line, in the order built."""
    depth: int = 0
    """How many module calls are open (0: the user's code itself calls)."""
    recording: dict[int, list[Call]] | None = None
    """The calls of the top-level forward being recorded, by module id."""
    order: dict[int, int] = field(default_factory=dict)
    recorded: dict[int, tuple[dict[int, list[Call]], dict[int, int]]] = field(default_factory=dict)
    """Top-level module id → the calls (and first-call order) of its first forward."""


RUN: contextvars.ContextVar[TorchRun] = contextvars.ContextVar("cnnexplain_torch_run")


def _run() -> TorchRun:
    run = RUN.get(None)
    if run is None:  # pragma: no cover - only explain_code builds these objects
        run = TorchRun()
        RUN.set(run)
    return run


@contextlib.contextmanager
def active(run: TorchRun) -> Iterator[TorchRun]:
    """Make ``run`` the one the stand-in records into, for the ``with`` block."""
    token = RUN.set(run)
    try:
        yield run
    finally:
        RUN.reset(token)


def outer_line() -> int:
    """The user's line at the outermost frame (``model = Net()``, not a line of ``__init__``)."""
    frame = sys._getframe(1)  # noqa: SLF001 - the only way to find the caller's line
    line = 0
    while frame is not None:
        if frame.f_code.co_filename == FILENAME:
            line = frame.f_lineno
        frame = frame.f_back  # type: ignore[assignment]
    return line


def _tensors(value: Any) -> Iterator[Tensor]:
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _tensors(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _tensors(v)


def _shapes(value: Any) -> tuple[Shape, ...]:
    return tuple(tuple(t.shape) for t in _tensors(value))


_SIMPLE = (bool, int, float, str, type(None))


def _plain(value: Any) -> Any:
    if isinstance(value, _SIMPLE):
        return value
    if isinstance(value, (tuple, list)):
        items = [_plain(v) for v in value]
        return ... if ... in items else tuple(items)
    return ...


def _scalars(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    scalars = {k: _plain(v) for k, v in kwargs.items()}
    scalars = {k: v for k, v in scalars.items() if v is not ...}
    scalars["args"] = tuple(None if v is ... else v for v in map(_plain, args))
    return scalars


# ---------------------------------------------------------------------------
# Modules


def _addindent(text: str) -> str:
    lines = text.split("\n")
    return lines[0] if len(lines) == 1 else "\n".join([lines[0], *("  " + li for li in lines[1:])])


class Module:
    """``torch.nn.Module``: submodules and parameters registered as attributes, in order."""

    _class_name = "Module"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        del args, kwargs
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "training", True)
        if "_line" not in self.__dict__:
            object.__setattr__(self, "_line", outer_line())
            _run().modules.append((self._line, self))

    def _ensure(self) -> None:
        if "_modules" not in self.__dict__:
            raise CodeError(
                f"AttributeError: cannot assign module before Module.__init__() call "
                f"(add super().__init__() at the top of {type(self).__name__}.__init__)"
            )

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, (Module, Parameter)):
            self._ensure()
        for store in ("_modules", "_parameters", "_buffers"):
            self.__dict__.get(store, {}).pop(name, None)
        if isinstance(value, Module):
            self._modules[name] = value
            value.__dict__.setdefault("_name", name)  # what its rule's messages call it
        elif isinstance(value, Parameter):
            self._parameters[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        for store in ("_modules", "_parameters", "_buffers"):
            found = self.__dict__.get(store, {})
            if name in found:
                return found[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in ("_modules", "_parameters", "_buffers"):
            if name in self.__dict__.get(store, {}):
                del self.__dict__[store][name]
                return
        object.__delattr__(self, name)

    # -- registration
    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` under ``name``."""
        self._ensure()
        if module is not None:
            self._modules[name] = module
            module.__dict__.setdefault("_name", name)

    register_module = add_module

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` under ``name``."""
        self._ensure()
        if param is not None:
            self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:  # noqa: FBT001, FBT002
        """Register a buffer (never counted)."""
        del persistent
        self._ensure()
        if isinstance(tensor, Tensor):
            self._buffers[name] = tensor

    # -- walking
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Each direct submodule with its name."""
        seen: set[int] = set()
        for name, module in self._modules.items():
            if id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """Each direct submodule."""
        for _, module in self.named_children():
            yield module

    def named_modules(
        self, memo: set[int] | None = None, prefix: str = ""
    ) -> Iterator[tuple[str, Module]]:
        """This module and every module under it, each once, with its dotted path."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        """This module and every module under it, each once."""
        for _, module in self.named_modules():
            yield module

    def named_parameters(
        self,
        prefix: str = "",
        recurse: bool = True,  # noqa: FBT001, FBT002 - torch's signature
        remove_duplicate: bool = True,  # noqa: FBT001, FBT002
    ) -> Iterator[tuple[str, Parameter]]:
        """Each parameter with its dotted name (a shared tensor once)."""
        seen: set[int] = set()
        walk = self.named_modules() if recurse else iter([("", self)])
        for path, module in walk:
            for name, p in module._parameters.items():  # noqa: SLF001 - the same class
                if remove_duplicate and id(p) in seen:
                    continue
                seen.add(id(p))
                full = f"{path}.{name}" if path else name
                yield (f"{prefix}.{full}" if prefix else full), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:  # noqa: FBT001, FBT002
        """Each parameter (a shared tensor once)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:  # noqa: FBT001, FBT002
        """Each buffer with its dotted name."""
        walk = self.named_modules() if recurse else iter([("", self)])
        for path, module in walk:
            for name, b in module._buffers.items():  # noqa: SLF001 - the same class
                full = f"{path}.{name}" if path else name
                yield (f"{prefix}.{full}" if prefix else full), b

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:  # noqa: FBT001, FBT002
        """Each buffer."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        """The module at a dotted path."""
        module = self
        for part in target.split(".") if target else ():
            module = module._modules[part]
        return module

    # -- accepted, nothing done
    def _self(self, *args: Any, **kwargs: Any) -> Module:
        del args, kwargs
        return self

    to = cuda = cpu = float = double = half = requires_grad_ = share_memory = _self

    def train(self, mode: bool = True) -> Module:  # noqa: FBT001, FBT002
        """Set training mode (it changes no count)."""
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode (it changes no count)."""
        return self.train(mode=False)

    def zero_grad(self, set_to_none: bool = True) -> None:  # noqa: FBT001, FBT002
        """Nothing to clear."""
        del set_to_none

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """``fn`` on every submodule, then on this one (initialisers change no count)."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def state_dict(self, *args: Any, **kwargs: Any) -> OrderedDict[str, Tensor]:
        """The parameters and buffers by name (shapes only)."""
        del args, kwargs
        return OrderedDict([*self.named_parameters(), *self.named_buffers()])

    def load_state_dict(self, *args: Any, **kwargs: Any) -> Any:
        """Refused: there are no weights here."""
        del args, kwargs
        raise CodeError(
            "load_state_dict() loads weights, and there are none here: cnnexplain counts "
            "parameters from the code, so leave out the loading"
        )

    def extra_repr(self) -> str:
        """What ``print`` shows inside the parentheses."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): {_addindent(repr(m))}" for name, m in self._modules.items()]
        lines = extra_lines + child_lines
        main = type(self).__name__ + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self._modules, *self._parameters})

    # -- calls
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """``forward`` must be defined by a subclass."""
        del args, kwargs
        raise CodeError(
            f"NotImplementedError: Module [{type(self).__name__}] is missing the required "
            '"forward" function'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._ensure()
        run = _run()
        top = run.depth == 0
        started = top and id(self) not in run.recorded
        if started:
            run.recording, run.order = {}, {}
        recording = run.recording
        if recording is not None:
            run.order.setdefault(id(self), len(run.order))
        inputs = _shapes((args, kwargs))
        scalars = _scalars(args, kwargs) if recording is not None else {}
        run.depth += 1
        try:
            out = self.forward(*args, **kwargs)
        finally:
            run.depth -= 1
            if started:
                run.recording = None
        if recording is not None:
            recording.setdefault(id(self), []).append(Call(inputs, _shapes(out), scalars))
        if started:
            run.recorded[id(self)] = (recording or {}, dict(run.order))
        return out


class _Leaf(Module):
    """A ``torch.nn`` layer: its arguments stored as torch stores them, its rule counts it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        kind = self._class_name
        config = bind(kind, args, kwargs)
        object.__setattr__(self, "_config", config)
        for key, value in config.items():
            if "." not in key and key not in ("weight", "bias") and not key.endswith("_weight"):
                object.__setattr__(self, key, value)
        for weight in _weights_of(kind, config):
            if "." in weight.name:  # a part's: MultiheadAttention's out_proj
                continue
            self._parameters[weight.name] = Parameter(Tensor(weight.shape))
        if kind == "MultiheadAttention":
            out = Linear(
                config["embed_dim"], config["embed_dim"], bias=bool(config["in_proj_bias"])
            )
            run = _run()
            run.modules = [(line, m) for line, m in run.modules if m is not out]
            object.__setattr__(out, "_repr_name", "NonDynamicallyQuantizableLinear")
            self._modules["out_proj"] = out
        for key in ("bias", "weight"):
            if key in config and not config[key] and key not in self._parameters:
                object.__setattr__(self, key, None)

    def extra_repr(self) -> str:
        return extra_repr(self._class_name, self._config)

    def __repr__(self) -> str:
        text = super().__repr__()
        shown = self.__dict__.get("_repr_name")
        return text.replace(type(self).__name__, shown, 1) if shown else text

    def _rule_config(self) -> dict[str, Any]:
        """The arguments the rule reads: as torch stores them, each parameter slot True."""
        config = dict(self._config)
        for name in self._parameters:
            config.setdefault(name, True)
        return config

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        kind = self._class_name
        config = self._rule_config()
        config["call_kwargs"] = _scalars(args, kwargs)
        result = apply_rule(kind, config, _shapes((args, kwargs)), self.__dict__.get("_name", kind))
        outputs = [Tensor(s) for s in result.outputs]
        if kind == "LSTM":
            sequence, h, c = outputs
            return sequence, (h, c)
        if kind in ("RNN", "GRU"):
            return outputs[0], outputs[1]
        if kind == "MultiheadAttention":
            return outputs[0], outputs[1] if len(outputs) > 1 else None
        if len(outputs) == 2 and self._config.get("return_indices"):  # noqa: PLR2004
            return outputs[0], outputs[1].long()
        return outputs[0]


def _weights_of(kind: str, config: dict[str, Any]) -> tuple[Weight, ...]:
    """The parameters a layer holds: its rule's weights on a stand-in input from its arguments.

    A layer no stand-in fits holds none (a pooling window larger than any stand-in):
    its rule checks its arguments when it is called.
    """
    rule = find_torch_rule(kind)
    if rule is None:  # pragma: no cover - every builder has a rule
        return ()
    for inputs in stand_ins(kind, config, ()):
        weights = _tried(rule, kind, config, inputs)
        if weights is not None:
            return weights
    return ()


def _tried(
    rule: Any, kind: str, config: dict[str, Any], inputs: list[Shape]
) -> tuple[Weight, ...] | None:
    try:
        return tuple(rule(LayerArgs(kind, kind, config), inputs).weights)
    except (SpecError, NoRule, ValueError, TypeError, ZeroDivisionError, IndexError):
        return None


def apply_rule(
    kind: str, config: dict[str, Any], inputs: Sequence[Shape], name: str = ""
) -> Explained:
    """``kind``'s torch rule on ``inputs``: its output shapes are the layer's."""
    rule = find_torch_rule(kind)
    if rule is None:  # pragma: no cover - every builder has a rule
        raise CodeError(f"torch.nn.{kind} has no rule in cnnexplain")
    try:
        return rule(LayerArgs(name or kind, kind, config), list(inputs))
    except NoRule as err:
        raise CodeError(str(err).rstrip(".")) from None


def _leaf_class(kind: str) -> type[_Leaf]:
    return type(kind, (_Leaf,), {"_class_name": kind, "__module__": "torch.nn"})


LEAVES: dict[str, type[_Leaf]] = {kind: _leaf_class(kind) for kind in BUILDERS}
Linear = LEAVES["Linear"]


class Sequential(Module):
    """``nn.Sequential(*modules)`` or ``nn.Sequential(OrderedDict(...))``."""

    _class_name = "Sequential"

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], dict):
            for name, module in args[0].items():
                self.add_module(str(name), _module(module, "Sequential"))
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), _module(module, "Sequential"))

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end."""
        self.add_module(str(len(self._modules)), _module(module, "Sequential"))
        return self

    def __getitem__(self, index: Any) -> Any:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        return items[index][1]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleList(Module):
    """``nn.ModuleList(modules)``: a list of submodules."""

    _class_name = "ModuleList"

    def __init__(self, modules: Any = None) -> None:
        super().__init__()
        for module in modules or ():
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end."""
        self.add_module(str(len(self._modules)), _module(module, "ModuleList"))
        return self

    def extend(self, modules: Any) -> ModuleList:
        """Add each of ``modules``."""
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, index: Any) -> Any:
        values = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(values[index])
        return values[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleDict(Module):
    """``nn.ModuleDict(modules)``: submodules by name."""

    _class_name = "ModuleDict"

    def __init__(self, modules: Any = None) -> None:
        super().__init__()
        for name, module in dict(modules or {}).items():
            self[name] = module

    def __setitem__(self, name: str, module: Module) -> None:
        self.add_module(name, _module(module, "ModuleDict"))

    def __getitem__(self, name: str) -> Module:
        module: Module = self._modules[name]
        return module

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def keys(self) -> Any:
        """The names."""
        return self._modules.keys()

    def values(self) -> Any:
        """The modules."""
        return self._modules.values()

    def items(self) -> Any:
        """(name, module) pairs."""
        return self._modules.items()


def _module(value: Any, where: str) -> Module:
    if not isinstance(value, Module):
        raise CodeError(f"TypeError: {where} takes modules, got {type(value).__name__}")
    return value


# ---------------------------------------------------------------------------
# The module tree as data, explained by the torch rules


def _ruled_as(module: Module) -> str | None:
    for cls in type(module).__mro__:
        if issubclass(cls, _Leaf) and cls is not _Leaf and cls.__module__ == "torch.nn":
            return cls._class_name
    return None


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _tree(  # noqa: C901, PLR0917 - the recursion carries its bookkeeping
    module: Module,
    name: str,
    path: str,
    calls: dict[int, list[Call]],
    seen: dict[int, str],
    owners: dict[int, str],
) -> ModuleNode:
    kind = type(module).__name__
    if isinstance(module, _Leaf) and "_repr_name" in module.__dict__:
        kind = module.__dict__["_repr_name"]
    if id(module) in seen:
        return ModuleNode(name, path, kind, {}, same_as=seen[id(module)])
    seen[id(module)] = path or kind
    ruled = _ruled_as(module)
    config: dict[str, Any] = {}
    if isinstance(module, _Leaf) and ruled is not None:
        config = module._rule_config()  # noqa: SLF001
    for key, value in vars(module).items():
        if not key.startswith("_") and key != "training" and _plain(value) is not ...:
            config.setdefault(key, _plain(value))
    for key, value in module._parameters.items():  # noqa: SLF001
        config.setdefault(key, value is not None)
    params: list[Weight] = []
    shared: dict[str, str] = {}
    held = module.named_parameters(recurse=ruled is not None, remove_duplicate=False)
    kept: set[int] = set()
    for pname, p in held:
        if id(p) in kept:
            continue
        kept.add(id(p))
        params.append(Weight(pname, tuple(p.shape), bool(p.requires_grad)))
        where = f"{path}.{pname}" if path else pname
        owner = owners.setdefault(id(p), where)
        if owner != where:
            shared[pname] = owner
    own_forward = ruled is not None and type(module).forward is not LEAVES[ruled].forward
    buffers = tuple(
        Weight(b, tuple(t.shape), trainable=False) for b, t in module.named_buffers(recurse=False)
    )
    config["dtype"] = "float32"
    node = ModuleNode(
        name,
        path,
        kind,
        config,
        tuple(params),
        shared,
        buffers,
        calls.get(id(module), []),
        ruled_as=ruled,
        own_forward=own_forward,
        sizes={k: v for k, v in vars(module).items() if not k.startswith("_") and _is_size(v)},
    )
    if node.calls:
        config["call_kwargs"] = node.calls[0].kwargs
    if ruled is None:
        node.children = [
            _tree(child, cname, f"{path}.{cname}" if path else cname, calls, seen, owners)
            for cname, child in module._modules.items()  # noqa: SLF001
        ]
    return node


def _owners(module: Module, order: dict[int, int]) -> dict[int, str]:
    """Where each parameter is counted: the first module in call order whose row covers it."""
    best: dict[int, tuple[int, int, str]] = {}
    position = 0
    visited: set[int] = set()

    def visit(m: Module, path: str) -> None:
        nonlocal position
        if id(m) in visited:
            return
        visited.add(id(m))
        ruled = _ruled_as(m)
        rank = order.get(id(m), len(order) + position)
        for pname, p in m.named_parameters(recurse=ruled is not None, remove_duplicate=False):
            where = f"{path}.{pname}" if path else pname
            if id(p) not in best or (rank, position) < best[id(p)][:2]:
                best[id(p)] = (rank, position, where)
            position += 1
        if ruled is None:
            for cname, child in m._modules.items():  # noqa: SLF001
                visit(child, f"{path}.{cname}" if path else cname)

    visit(module, "")
    return {k: v[2] for k, v in best.items()}


def explain_module(module: Module) -> Breakdown:
    """The breakdown of ``module``, from its first top-level forward pass (or its arguments)."""
    run = _run()
    record = run.recorded.get(id(module))
    calls, order = record if record is not None else ({}, {})
    tree = _tree(module, "", "", calls, {}, _owners(module, order))
    rows = evaluate_tree(tree, ran=record is not None)
    root = tree.calls[0] if tree.calls else Call((), ())
    examples = model_examples(None if tree.children else rows[0], root.inputs)
    return Breakdown(
        type(module).__name__,
        tuple(rows),
        root.inputs,
        root.outputs,
        examples=examples,
        note="" if record is not None else NO_INPUT_NOTE,
    )


def models(run: TorchRun) -> list[tuple[int, Module]]:
    """The models the code built: modules no other module holds, run or holding parameters.

    (A loss such as ``nn.CrossEntropyLoss()`` is not a model: it holds nothing and
    the code never runs it on an input alone... unless it does, as a model.)
    """
    inside: set[int] = set()
    for _, module in run.modules:
        for _, sub in module.named_modules():
            if sub is not module:
                inside.add(id(sub))
    found = []
    for line, module in run.modules:
        if id(module) in inside or isinstance(module, _Loss):
            continue
        if id(module) in run.recorded or next(module.parameters(), None) is not None:
            found.append((line, module))
    return found


# ---------------------------------------------------------------------------
# Losses and optimizers: accepted, nothing trained


class _Loss(Module):
    """A loss module: it holds no parameter and counts nothing; calling it gives a scalar."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        del args, kwargs
        super().__init__()

    def forward(self, *args: Any, **kwargs: Any) -> Tensor:
        del args, kwargs
        return Tensor(())


_LOSSES = (
    "CrossEntropyLoss",
    "NLLLoss",
    "MSELoss",
    "L1Loss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "SmoothL1Loss",
    "HuberLoss",
    "KLDivLoss",
    "CTCLoss",
)


class Optimizer:
    """A ``torch.optim`` optimizer: it changes no count; ``step()``, ``zero_grad()`` do nothing."""

    def __init__(self, params: Any = None, *args: Any, **kwargs: Any) -> None:
        del args
        self.param_groups = [{"params": list(params or ()), **kwargs}]

    def step(self, *args: Any, **kwargs: Any) -> None:
        """Nothing trains here."""
        del args, kwargs

    def zero_grad(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to clear."""
        del args, kwargs


# ---------------------------------------------------------------------------
# torch.nn.functional and torch's functions


def _on(kind: str, x: Any, config: dict[str, Any]) -> Tensor:
    if not isinstance(x, Tensor):
        raise CodeError(f"TypeError: {kind.lower()}() expects a tensor, got {type(x).__name__}")
    return Tensor(apply_rule(kind, config, [tuple(x.shape)]).outputs[0])


def _same(x: Any, *args: Any, **kwargs: Any) -> Tensor:
    del args, kwargs
    if not isinstance(x, Tensor):
        raise CodeError(f"TypeError: expected a tensor, got {type(x).__name__}")
    return Tensor(x.shape, x.dtype)


def _pool(kind: str) -> Callable[..., Any]:
    def functional(x: Any, *args: Any, **kwargs: Any) -> Any:
        config = bind(kind, args, kwargs)
        out = _on(kind, x, config)
        return (out, out.long()) if config.get("return_indices") else out

    functional.__name__ = kind
    return functional


def _flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    if not isinstance(x, Tensor):
        raise CodeError(f"TypeError: flatten() expects a tensor, got {type(x).__name__}")
    if not x.shape:
        return Tensor((1,), x.dtype)
    return _on("Flatten", x, {"start_dim": start_dim, "end_dim": end_dim})


def _along(tensors: Sequence[Any], dim: int, *, new: bool) -> Tensor:
    items = list(tensors)
    if not items or not all(isinstance(t, Tensor) for t in items):
        raise CodeError("TypeError: cat() and stack() take a sequence of tensors")
    shapes = [tuple(t.shape) for t in items]
    rank = len(shapes[0]) + (1 if new else 0)
    if not -rank <= dim < rank:
        raise CodeError(
            f"IndexError: Dimension out of range (expected to be in range of [{-rank}, "
            f"{rank - 1}], but got {dim})"
        )
    axis = dim % rank
    if new:
        if len(set(shapes)) > 1:
            raise CodeError(
                f"RuntimeError: stack expects each tensor to be equal size, got {shapes}"
            )
        return Tensor((*shapes[0][:axis], len(items), *shapes[0][axis:]), items[0].dtype)
    for shape in shapes[1:]:
        rest = shape[:axis] + shape[axis + 1 :]
        if len(shape) != len(shapes[0]) or rest != shapes[0][:axis] + shapes[0][axis + 1 :]:
            raise CodeError(
                f"RuntimeError: Sizes of tensors must match except in dimension {axis}: "
                f"{list(shapes[0])} and {list(shape)}"
            )
    length = sum(s[axis] for s in shapes)
    return Tensor((*shapes[0][:axis], length, *shapes[0][axis + 1 :]), items[0].dtype)


def _cat(tensors: Sequence[Any], dim: int = 0, **kwargs: Any) -> Tensor:
    del kwargs
    return _along(tensors, dim, new=False)


def _stack(tensors: Sequence[Any], dim: int = 0, **kwargs: Any) -> Tensor:
    del kwargs
    return _along(tensors, dim, new=True)


def _dtype_kw(kwargs: dict[str, Any], default: str = "float32") -> str:
    dtype = kwargs.get("dtype")
    return default if dtype is None else str(getattr(dtype, "name", dtype))


def _maker(default: str = "float32") -> Callable[..., Tensor]:
    def make(*size: Any, **kwargs: Any) -> Tensor:
        if "size" in kwargs:
            size = (kwargs.pop("size"),)
        return Tensor(sizes_of(size), _dtype_kw(kwargs, default))

    return make


def _like(x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    del args
    return Tensor(x.shape, _dtype_kw(kwargs, x.dtype))


def _randint(*args: Any, **kwargs: Any) -> Tensor:
    size = kwargs.pop("size", None)
    if size is None:
        size = args[-1] if args else None
    if size is None:
        raise CodeError("TypeError: randint() needs a size, e.g. torch.randint(0, 100, (1, 20))")
    return Tensor(sizes_of((size,)), _dtype_kw(kwargs, "int64"))


def _full(size: Any, fill_value: Any, **kwargs: Any) -> Tensor:
    del fill_value
    return Tensor(sizes_of((size,)), _dtype_kw(kwargs))


def _arange(*args: Any, **kwargs: Any) -> Tensor:
    bounds = [a for a in args if isinstance(a, (int, float))]
    start, end, step = (0, bounds[0], 1) if len(bounds) == 1 else (*bounds, 1)[:3]
    length = max(0, -(-(end - start) // step))
    return Tensor((int(length),), _dtype_kw(kwargs, "int64"))


def _tensor(data: Any, **kwargs: Any) -> Tensor:
    dtype = kwargs.get("dtype")
    return tensor_from_data(data, None if dtype is None else str(getattr(dtype, "name", dtype)))


class _NoGrad(contextlib.ContextDecorator):
    """``torch.no_grad()``: nothing to differentiate here; a context and a decorator."""

    def __init__(self, *args: Any) -> None:
        del args

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        del exc


def _seed(*args: Any, **kwargs: Any) -> None:
    del args, kwargs


@dataclass(frozen=True)
class _Dtype:
    name: str

    def __repr__(self) -> str:
        return f"torch.{self.name}"


_DTYPES = {
    "float32": "float32",
    "float": "float32",
    "float64": "float64",
    "double": "float64",
    "float16": "float16",
    "half": "float16",
    "bfloat16": "bfloat16",
    "int64": "int64",
    "long": "int64",
    "int32": "int32",
    "int": "int32",
    "bool": "bool",
    "uint8": "uint8",
}


def _device(kind: Any = "cpu", *args: Any) -> str:
    del args
    return str(kind)


def _summary(model: Any, *args: Any, **kwargs: Any) -> _Summary:
    """``torchinfo.summary(model, input_size=...)``: runs the model, prints cnnexplain's table."""
    if not isinstance(model, Module):
        raise CodeError(f"TypeError: summary() takes a model, got {type(model).__name__}")
    input_size = kwargs.pop("input_size", args[0] if args else None)
    input_data = kwargs.pop("input_data", args[1] if len(args) > 1 else None)
    if input_data is not None:
        data = input_data if isinstance(input_data, (list, tuple)) else [input_data]
        model(*data)
    elif input_size is not None:
        sizes = input_size
        if isinstance(sizes, list) and sizes and isinstance(sizes[0], (tuple, list)):
            model(*(Tensor(sizes_of((s,))) for s in sizes))
        else:
            model(Tensor(sizes_of((sizes,))))
    breakdown = explain_module(model)
    text = breakdown.to_text()
    if kwargs.get("verbose", 1) != 0:
        _session_write(text + "\n")
    return _Summary(breakdown)


def _torchsummary(model: Any, input_size: Any, batch_size: int = -1, device: Any = None) -> None:
    """``torchsummary.summary(model, (C, H, W))``: the input without its batch axis."""
    del device
    batch = batch_size if isinstance(batch_size, int) and batch_size > 0 else 1
    if isinstance(input_size, list) and input_size and isinstance(input_size[0], (tuple, list)):
        model(*(Tensor((batch, *sizes_of((s,)))) for s in input_size))
    else:
        model(Tensor((batch, *sizes_of((input_size,)))))
    _session_write(explain_module(model).to_text() + "\n")


def _session_write(text: str) -> None:
    from cnnexplain._explain_code.keras_calls import session  # noqa: PLC0415 - same subsystem

    session().write(text)


class _Summary:
    """What ``torchinfo.summary`` returns: prints as cnnexplain's table, with its totals."""

    def __init__(self, breakdown: Breakdown) -> None:
        self.breakdown = breakdown
        self.total_params = breakdown.total
        self.trainable_params = breakdown.trainable

    def __repr__(self) -> str:
        return self.breakdown.to_text()


# ---------------------------------------------------------------------------
# The module tree


class _Inert:
    """A torch object that never changes a count (an initializer, a scheduler...)."""

    def __init__(self, path: str) -> None:
        self._path = path

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        del kwargs
        return args[0] if args and isinstance(args[0], Tensor) else self

    def __getattr__(self, name: str) -> _Inert:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Inert(f"{self._path}.{name}")

    def __repr__(self) -> str:
        return f"<{self._path}>"


class _InertNamespace(StandInModule):
    def __init__(self, name: str) -> None:
        super().__init__(name, {}, lambda m, a: f"{m}.{a}")

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _Inert(f"{self.__name__}.{attr}")


def _no_layer(module: str, attr: str) -> str:
    close = difflib.get_close_matches(attr, [*LEAVES, "Sequential", "ModuleList", "Module"], n=1)
    hint = f"did you mean {close[0]}?" if close else "the Layer reference lists the layers it knows"
    return f"{module} has no layer '{attr}' that cnnexplain can model; {hint}"


def _no_function(module: str, attr: str) -> str:
    return (
        f"{module}.{attr} is not something cnnexplain's stand-in of PyTorch can run "
        "(it runs model-building code: layers, forward passes, shapes)"
    )


def _no_data(module: str, attr: str) -> str:
    return (
        f"{module}.{attr}: there are no data sets here; cnnexplain counts parameters "
        "without data, so leave out the data loading and training"
    )


_F_SAME = (
    "relu",
    "relu_",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "celu",
    "gelu",
    "silu",
    "mish",
    "sigmoid",
    "tanh",
    "hardswish",
    "hardtanh",
    "softplus",
    "softmax",
    "log_softmax",
    "softmin",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "alpha_dropout",
    "normalize",
)


def _functional() -> dict[str, Any]:
    names: dict[str, Any] = dict.fromkeys(_F_SAME, _same)
    for rank in (1, 2, 3):
        for kind, fname in (("Max", "max"), ("Avg", "avg")):
            names[f"{fname}_pool{rank}d"] = _pool(f"{kind}Pool{rank}d")
            names[f"adaptive_{fname}_pool{rank}d"] = _pool(f"Adaptive{kind}Pool{rank}d")
    return names


def build_tree() -> dict[str, types.ModuleType]:
    """``torch``, ``torch.nn``, ``torch.nn.functional``, ``torchinfo``..., as fresh modules."""
    functional = StandInModule("torch.nn.functional", _functional(), _no_function)
    init = _InertNamespace("torch.nn.init")
    nn_names: dict[str, Any] = {
        **LEAVES,
        "Module": Module,
        "Sequential": Sequential,
        "ModuleList": ModuleList,
        "ModuleDict": ModuleDict,
        "Parameter": Parameter,
        "functional": functional,
        "init": init,
        **{name: type(name, (_Loss,), {"__module__": "torch.nn"}) for name in _LOSSES},
    }
    nn = StandInModule("torch.nn", nn_names, _no_layer)
    optim = StandInModule(
        "torch.optim",
        {
            **{
                name: type(name, (Optimizer,), {"__module__": "torch.optim"})
                for name in (
                    "SGD",
                    "Adam",
                    "AdamW",
                    "RMSprop",
                    "Adagrad",
                    "Adadelta",
                    "Adamax",
                    "NAdam",
                    "RAdam",
                )
            },
            "Optimizer": Optimizer,
            "lr_scheduler": _InertNamespace("torch.optim.lr_scheduler"),
        },
        _no_function,
    )
    cuda = StandInModule(
        "torch.cuda",
        {
            "is_available": lambda: False,
            "device_count": lambda: 0,
            "manual_seed": _seed,
            "manual_seed_all": _seed,
        },
        _no_function,
    )
    utils_data = StandInModule("torch.utils.data", {}, _no_data)
    utils = StandInModule("torch.utils", {"data": utils_data}, _no_data)
    make = _maker()
    torch_names: dict[str, Any] = {
        "__version__": "2.13.0",
        "nn": nn,
        "optim": optim,
        "cuda": cuda,
        "utils": utils,
        "Tensor": Tensor,
        "Size": Size,
        "randn": make,
        "rand": make,
        "zeros": make,
        "ones": make,
        "empty": make,
        "randn_like": _like,
        "rand_like": _like,
        "zeros_like": _like,
        "ones_like": _like,
        "empty_like": _like,
        "randint": _randint,
        "full": _full,
        "arange": _arange,
        "tensor": _tensor,
        "as_tensor": _tensor,
        "cat": _cat,
        "concat": _cat,
        "concatenate": _cat,
        "stack": _stack,
        "flatten": _flatten,
        "matmul": matmul,
        "bmm": matmul,
        "broadcast_shapes": lambda *s: Size(broadcast(*(tuple(x) for x in s))),
        "manual_seed": _seed,
        "no_grad": _NoGrad,
        "inference_mode": _NoGrad,
        "enable_grad": _NoGrad,
        "set_grad_enabled": _NoGrad,
        "device": _device,
        **{name: _Dtype(value) for name, value in _DTYPES.items()},
        **dict.fromkeys(("relu", "sigmoid", "tanh", "softmax", "log_softmax", "exp", "abs"), _same),
        **{
            name: (lambda x, *a, _n=name, **k: getattr(x, _n)(*a, **k))
            for name in (
                "reshape",
                "transpose",
                "permute",
                "squeeze",
                "unsqueeze",
                "mean",
                "sum",
                "max",
                "min",
                "argmax",
                "chunk",
                "split",
            )
        },
    }
    torch = StandInModule("torch", torch_names, _no_function)
    torchinfo = StandInModule("torchinfo", {"summary": _summary}, _no_function)
    torchsummary = StandInModule("torchsummary", {"summary": _torchsummary}, _no_function)
    return {
        "torch": torch,
        "torch.nn": nn,
        "torch.nn.functional": functional,
        "torch.nn.init": init,
        "torch.optim": optim,
        "torch.optim.lr_scheduler": optim.lr_scheduler,
        "torch.cuda": cuda,
        "torch.utils": utils,
        "torch.utils.data": utils_data,
        "torchinfo": torchinfo,
        "torchsummary": torchsummary,
    }


def imported(tree: dict[str, types.ModuleType], name: str, fromlist: Any) -> Any:
    """What ``import name`` (with ``fromlist``) gives from ``tree``.

    Raises:
        CodeError: a module the stand-in does not have.
    """
    top = name.split(".", 1)[0]
    if name not in tree:
        if top in ("torchvision", "torchtext", "torchaudio"):
            raise CodeError(
                f"{top} is not available here: there are no data sets or pretrained models; "
                "write the model's layers with torch.nn and cnnexplain counts them"
            )
        raise CodeError(
            f"cnnexplain's PyTorch has no module '{name}' (it has {', '.join(sorted(tree))})"
        )
    return tree[name] if fromlist else tree[top]
