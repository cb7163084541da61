"""The torch adapter: explain a live ``torch.nn.Module`` and verify the breakdown against it.

Like the Keras adapter it looks at torch only when torch is already imported
(a module can't exist otherwise) and imports it inside functions, so
``import cnnexplain`` never loads torch. `cnnexplain._live.torch_run` runs the
module once to record each submodule's input and output shapes (on a meta
copy where it can, else on the CPU) and materialises lazy modules on a copy;
this module reads the measured modules into a plain-data tree
(`cnnexplain._graph.torch_tree`), which the rules turn into rows, and verifies
every row against the module: ``numel`` counts, weight and output shapes.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cnnexplain._breakdown import Breakdown, LayerRow
from cnnexplain._errors import SpecError, VerificationError
from cnnexplain._framework import Framework
from cnnexplain._graph.torch_static import NO_INPUT_NOTE, Unrun, from_arguments
from cnnexplain._graph.torch_tree import OWN_PARAMETERS, Call, ModuleNode, evaluate_tree
from cnnexplain._live.torch_run import (
    Recorder,
    dtype_name,
    inputs_for,
    lazy_modules,
    materialized,
    no_forward,
    plain,
    run,
    unwrapped,
)
from cnnexplain._mac_basis import model_examples
from cnnexplain._rules.protocol import Weight
from cnnexplain._rules.registry import find_torch_rule

__all__ = ["capture", "explain_torch", "is_torch_module", "verify_torch"]


def is_torch_module(obj: object) -> bool:
    """True for a ``torch.nn.Module``, checked without importing torch."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def _ruled_class(module: Any) -> str | None:
    """The class whose rule counts ``module``: its own, else its nearest ruled torch ancestor's.

    An ancestor's rule is taken only when the weights it implies from the
    module's arguments are exactly the module's parameters (names and shapes).
    """
    cls = type(module)
    if find_torch_rule(cls.__name__) is not None and cls.__module__.startswith("torch."):
        return cls.__name__
    for base in cls.__mro__:  # itself first: a class of its own named like torch's (RMSNorm)
        rule = find_torch_rule(base.__name__)
        if rule is None or (base is not cls and not base.__module__.startswith("torch.")):
            continue
        config = _config(module, base.__name__)
        params = tuple(
            Weight(n, tuple(int(d) for d in p.shape))
            for n, p in module.named_parameters(remove_duplicate=False)
        )
        found = from_arguments(rule, cls.__name__, base.__name__, config, params)
        if found is not None:
            return base.__name__
        if base is not cls:
            return None
    return None


def _config(module: Any, ruled: str | None) -> dict[str, Any]:
    """The module's arguments as it stores them, plus a True/False per parameter slot."""
    config: dict[str, Any] = {}
    for key, value in vars(module).items():
        if key.startswith("_") or key == "training":
            continue
        value_ = plain(value)
        if value_ is not ...:
            config[key] = value_
    for key, value in module._parameters.items():  # noqa: SLF001
        config.setdefault(key, value is not None)
    if ruled is not None:  # a ruled container: its parts' slots
        for name, sub in module.named_modules(remove_duplicate=False):
            for key, value in sub._parameters.items() if name else ():  # noqa: SLF001
                config.setdefault(f"{name}.{key}", value is not None)
    return config


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _sizes(module: Any) -> dict[str, int]:
    """The int sizes a module stores: its attributes, then those of a config object it holds.

    A config object is any attribute that is neither a module nor a tensor and
    holds int attributes itself (Hugging Face's ``self.config``).
    """
    torch = sys.modules["torch"]
    found: dict[str, int] = {}
    held: list[Any] = []
    for key, value in vars(module).items():
        if key.startswith("_") or key == "training":
            continue
        if _is_int(value):
            found[key] = value
        elif hasattr(value, "__dict__") and not isinstance(
            value, (torch.nn.Module, torch.Tensor, type)
        ):
            held.append(value)
    for obj in held:
        for key, value in vars(obj).items():
            if not key.startswith("_") and _is_int(value):
                found.setdefault(key, value)
    return found


def _covered(module: Any, ruled: str | None) -> list[tuple[str, Any]]:
    """The parameters a module's row covers: its own, or all under it for a ruled container."""
    return list(module.named_parameters(recurse=ruled is not None, remove_duplicate=False))


def _ruled_classes(root: Any) -> dict[int, str | None]:
    """`_ruled_class` of every module under ``root``, by id."""
    return {id(m): _ruled_class(m) for m in root.modules()}


def _owners(root: Any, order: dict[int, int], ruled_of: dict[int, str | None]) -> dict[int, str]:
    """Where each parameter is counted: the first module (in call order) whose row covers it.

    Modules the forward never calls come after every called one, in registration
    order; so a tied matrix is counted where the forward first uses it.
    """
    best: dict[int, tuple[int, int, str]] = {}
    seen: set[int] = set()
    position = 0

    def visit(module: Any, path: str) -> None:
        nonlocal position
        if id(module) in seen:
            return
        seen.add(id(module))
        ruled = ruled_of[id(module)]
        rank = order.get(id(module), len(order) + position)
        for pname, p in _covered(module, ruled):
            where = f"{path}.{pname}" if path else pname
            key = (rank, position, where)
            if id(p) not in best or key[:2] < best[id(p)][:2]:
                best[id(p)] = key
            position += 1
        if ruled is None:
            for cname, child in module.named_children():
                visit(child, f"{path}.{cname}" if path else cname)

    visit(root, "")
    return {k: v[2] for k, v in best.items()}


def _node(  # noqa: PLR0917 - the recursion carries its bookkeeping
    module: Any,
    name: str,
    path: str,
    recorder: Recorder | Unrun,
    modules: dict[int, str],
    owners: dict[int, str],
    ruled_of: dict[int, str | None],
) -> ModuleNode:
    kind = type(module).__name__
    if id(module) in modules:
        return ModuleNode(name, path, kind, {}, same_as=modules[id(module)])
    modules[id(module)] = path or kind
    ruled = ruled_of[id(module)]
    config = _config(module, ruled)
    params: list[Weight] = []
    shared: dict[str, str] = {}
    seen_here: set[int] = set()
    for pname, p in _covered(module, ruled):
        if id(p) in seen_here:
            continue
        seen_here.add(id(p))
        params.append(Weight(pname, tuple(int(d) for d in p.shape), bool(p.requires_grad)))
        where = f"{path}.{pname}" if path else pname
        owner = owners.setdefault(id(p), where)
        if owner != where:
            shared[pname] = owner
    recurse = ruled is not None
    own_forward = False
    if ruled is not None and ruled != kind:
        base = getattr(sys.modules["torch"].nn, ruled, None)
        own_forward = base is None or type(module).forward is not base.forward
    buffers = tuple(
        Weight(b, tuple(int(d) for d in t.shape), trainable=False)
        for b, t in module.named_buffers(recurse=recurse)
    )
    first = next(iter(module.parameters()), None)
    config["dtype"] = (
        dtype_name(first.dtype) if first is not None else recorder.dtypes.get(id(module))
    )
    node = ModuleNode(
        name,
        path,
        kind,
        config,
        tuple(params),
        shared,
        buffers,
        recorder.calls.get(id(module), []),
        ruled_as=ruled,
        own_forward=own_forward,
        sizes=_sizes(module),
    )
    calls = node.calls
    if calls:
        config["call_kwargs"] = calls[0].kwargs
    if not recurse:
        node.children = [
            _node(
                child,
                cname,
                f"{path}.{cname}" if path else cname,
                recorder,
                modules,
                owners,
                ruled_of,
            )
            for cname, child in module.named_children()
        ]
    return node


def capture(
    module: Any,
    *,
    input_size: Any = None,
    input_data: Any = None,
    dtypes: Sequence[Any] | None = None,
) -> tuple[ModuleNode, str]:
    """Run ``module`` once and return its measured tree and where it ran (``"meta"``, ``"cpu"``).

    Where is ``""`` when it could not run at all (the tree then holds no calls).

    Raises:
        SpecError: if neither input is given or the module fails on it.
    """
    measured = _measure(module, input_size, input_data, dtypes)
    return measured.tree, measured.device


@dataclass(frozen=True)
class _Measured:
    tree: ModuleNode
    device: str
    """Where it ran: ``"meta"``, ``"cpu"``, or ``""`` when it did not run."""
    counted: Any
    """The module counted: a materialised copy when it holds lazy modules."""
    note: str = ""


def _measure(
    module: Any,
    input_size: Any,
    input_data: Any,
    dtypes: Sequence[Any] | None,
    forward_kwargs: Mapping[str, Any] | None = None,
) -> _Measured:
    """The measured tree, where it ran, the module counted and what to know about the run."""
    module = unwrapped(module)
    torch = sys.modules["torch"]
    if type(module).forward is torch.nn.Module.forward and (input_size or input_data is not None):
        note = (
            no_forward(type(module))
            .replace("so it cannot be run to record its shapes", "so the input was not run")
            .removesuffix(".")
        )
        note += " (counts from its modules' arguments, output shapes and MACs unknown)"
        return _Measured(_unrun(module), "", module, note)
    args, kwargs = inputs_for(module, input_size, input_data, dtypes)
    kwargs = {**kwargs, **(forward_kwargs or {})}
    lazy = lazy_modules(module)
    counted = materialized(module, args, kwargs) if lazy else module
    recorder, device, note = run(counted, args, kwargs)
    tree = tree_of(counted, recorder if recorder is not None else Unrun())
    if lazy:
        nodes = _nodes(tree)
        for path, class_name in lazy.items():
            nodes[path].config["lazy"] = class_name
    return _Measured(tree, device, counted, note)


def tree_of(module: Any, recorder: Recorder | Unrun) -> ModuleNode:
    """The module as a plain-data tree, with what ``recorder`` measured of each submodule."""
    ruled_of = _ruled_classes(module)
    owners = _owners(module, recorder.order, ruled_of)
    return _node(module, "", "", recorder, {}, owners, ruled_of)


def _unrun(module: Any) -> ModuleNode:
    """The tree of a module explained without an input: its structure and arguments only.

    Raises:
        SpecError: if a lazy module's parameters are not materialised yet.
    """
    lazy = lazy_modules(module)
    if lazy:
        listed = ", ".join(f"'{p or type(module).__name__}' ({c})" for p, c in lazy.items())
        raise SpecError(
            f"The {type(module).__name__} module holds lazy modules whose parameters have no "
            f"shape until a first forward pass ({listed}): give input_size= (batch included) "
            "or input_data= as its forward takes it, and they are materialised on a meta copy."
        )
    return tree_of(module, Unrun())


def explain_torch(
    module: Any,
    *,
    input_size: Any = None,
    input_data: Any = None,
    dtypes: Sequence[Any] | None = None,
    verify: bool = True,
    expand: bool = False,
    forward_kwargs: Mapping[str, Any] | None = None,
) -> Breakdown:
    """Explain a ``torch.nn.Module``; verify every row against it unless told not to.

    ``forward_kwargs`` are keyword arguments for ``forward`` beside the inputs (torchinfo's
    ``**kwargs``).
    """
    module = unwrapped(module)
    note = NO_INPUT_NOTE
    ran = input_size is not None or input_data is not None
    if ran:
        measured = _measure(module, input_size, input_data, dtypes, forward_kwargs)
        tree, counted, note = measured.tree, measured.counted, measured.note
        ran = measured.device != ""
    else:
        tree, counted = _unrun(module), module
    rows = evaluate_tree(tree, ran=ran)
    root = tree.calls[0] if tree.calls else Call((), ())
    examples = model_examples(None if tree.children else rows[0], root.inputs)
    breakdown = Breakdown(
        type(module).__name__,
        tuple(rows),
        root.inputs,
        root.outputs,
        expand,
        source=counted,
        _verifier=lambda b: verify_torch(b, counted, tree),
        examples=examples,
        note=note,
    )
    if verify:
        breakdown.verify()
    return breakdown


def _check(path: str, what: str, expected: object, got: object) -> None:
    if expected != got:
        raise VerificationError(path, what, expected, got, framework=Framework.TORCH.shown)


def _credited(tree: ModuleNode) -> set[str]:
    """The full name of each parameter the tree counts where it is (not shared from elsewhere)."""
    found: set[str] = set()
    for node in _nodes(tree).values():
        for weight in node.parameters:
            if weight.name not in node.shared:
                found.add(f"{node.path}.{weight.name}" if node.path else weight.name)
    return found


def _expected(module: Any, credited: set[str]) -> dict[str, tuple[int, int]]:
    """Each module path's (params, trainable), counting each tensor and module once.

    A tensor reachable under several names is counted under the one in ``credited``.
    """
    seen_params: set[int] = set()
    seen_modules: set[int] = set()
    counts: dict[str, tuple[int, int]] = {}

    def walk(m: Any, path: str) -> tuple[int, int]:
        if id(m) in seen_modules:
            counts[path] = (0, 0)
            return 0, 0
        seen_modules.add(id(m))
        total = trainable = 0
        own = 0
        for pname, p in m.named_parameters(recurse=False):
            if id(p) not in seen_params and (f"{path}.{pname}" if path else pname) in credited:
                seen_params.add(id(p))
                total += p.numel()
                own += p.numel()
                trainable += p.numel() if p.requires_grad else 0
        if own:
            counts[f"{path}.{OWN_PARAMETERS}" if path else OWN_PARAMETERS] = (own, trainable)
        for name, child in m.named_children():
            t, tr = walk(child, f"{path}.{name}" if path else name)
            total += t
            trainable += tr
        counts[path] = (total, trainable)
        return total, trainable

    walk(module, "")
    return counts


def _nodes(tree: ModuleNode) -> dict[str, ModuleNode]:
    found = {tree.path: tree}
    for child in tree.children:
        found.update(_nodes(child))
    return found


def verify_torch(b: Breakdown, module: Any, tree: ModuleNode) -> None:
    """Compare every row with the module: ``numel`` counts, weight and output shapes.

    Raises:
        VerificationError: naming the module path at the first figure that differs.
    """
    counts = _expected(module, _credited(tree))
    nodes = _nodes(tree)
    single = not tree.children
    for slashed, row in reversed(list(b.walk())):  # children first: name the deepest module
        path = "" if single else slashed.replace("/", ".")
        where = path or type(module).__name__
        if path not in counts:
            raise VerificationError(
                where, "presence", "no such module", "a row", framework=Framework.TORCH.shown
            )
        params, trainable = counts[path]
        _check(where, "params", params, row.params)
        _check(where, "trainable params", trainable, row.trainable)
        node = nodes.get(path)
        if node is None or node.same_as is not None or not row.explained:
            continue
        _verify_weights(where, row, module.get_submodule(path) if path else module)
        if node.calls and node.calls[0].outputs and row.shape_steps:
            outputs = node.calls[0].outputs
            expected = outputs[0] if len(outputs) == 1 else list(outputs)
            _check(where, "output_shape", expected, row.output_shape)
    total = sum(p.numel() for p in module.parameters())
    _check(f"model {b.name}", "total params", total, b.total)
    trainable_total = sum(p.numel() for p in module.parameters() if p.requires_grad)
    _check(f"model {b.name}", "trainable params", trainable_total, b.trainable)


def _verify_weights(where: str, row: LayerRow, module: Any) -> None:
    if row.kind == "Parameter" or row.children:
        return
    for weight in row.weights:
        try:
            tensor = module.get_parameter(weight.name)
        except AttributeError:
            raise VerificationError(
                where,
                f"weight {weight.name}",
                "no such parameter",
                weight.shape,
                framework=Framework.TORCH.shown,
            ) from None
        _check(where, f"shape of {weight.name}", tuple(tensor.shape), weight.shape)
