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
from typing import Any

from cnnexplain._breakdown import Breakdown, LayerRow
from cnnexplain._errors import VerificationError
from cnnexplain._framework import Framework
from cnnexplain._graph.torch_tree import OWN_PARAMETERS, Call, ModuleNode, evaluate_tree
from cnnexplain._live.torch_run import (
    Recorder,
    dtype_name,
    inputs_for,
    lazy_modules,
    materialized,
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


def _config(module: Any) -> dict[str, Any]:
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
    if find_torch_rule(type(module).__name__) is not None:  # a ruled container: its parts' slots
        for name, sub in module.named_modules(remove_duplicate=False):
            for key, value in sub._parameters.items() if name else ():  # noqa: SLF001
                config.setdefault(f"{name}.{key}", value is not None)
    return config


def _covered(module: Any) -> list[tuple[str, Any]]:
    """The parameters a module's row covers: its own, or all under it for a ruled container."""
    recurse = find_torch_rule(type(module).__name__) is not None
    return list(module.named_parameters(recurse=recurse, remove_duplicate=False))


def _node(  # noqa: PLR0917 - the recursion carries its bookkeeping
    module: Any,
    name: str,
    path: str,
    recorder: Recorder,
    modules: dict[int, str],
    owners: dict[int, str],
) -> ModuleNode:
    kind = type(module).__name__
    if id(module) in modules:
        return ModuleNode(name, path, kind, {}, same_as=modules[id(module)])
    modules[id(module)] = path or kind
    config = _config(module)
    params: list[Weight] = []
    shared: dict[str, str] = {}
    seen_here: set[int] = set()
    for pname, p in _covered(module):
        if id(p) in seen_here:
            continue
        seen_here.add(id(p))
        params.append(Weight(pname, tuple(int(d) for d in p.shape), bool(p.requires_grad)))
        where = f"{path}.{pname}" if path else pname
        if id(p) in owners:
            shared[pname] = owners[id(p)]
        else:
            owners[id(p)] = where
    recurse = find_torch_rule(kind) is not None
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
    )
    calls = node.calls
    if calls:
        config["call_kwargs"] = calls[0].kwargs
    if not recurse:
        node.children = [
            _node(child, cname, f"{path}.{cname}" if path else cname, recorder, modules, owners)
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

    Raises:
        SpecError: if neither input is given or the module fails on it.
    """
    tree, device, _ = _measure(module, input_size, input_data, dtypes)
    return tree, device


def _measure(
    module: Any,
    input_size: Any,
    input_data: Any,
    dtypes: Sequence[Any] | None,
    forward_kwargs: Mapping[str, Any] | None = None,
) -> tuple[ModuleNode, str, Any]:
    """The measured tree, where it ran, and the module counted (a materialised copy if lazy)."""
    module = unwrapped(module)
    args, kwargs = inputs_for(module, input_size, input_data, dtypes)
    kwargs = {**kwargs, **(forward_kwargs or {})}
    lazy = lazy_modules(module)
    counted = materialized(module, args, kwargs) if lazy else module
    recorder, device = run(counted, args, kwargs)
    tree = _node(counted, "", "", recorder, {}, {})
    if lazy:
        nodes = _nodes(tree)
        for path, class_name in lazy.items():
            nodes[path].config["lazy"] = class_name
    return tree, device, counted


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
    tree, _, counted = _measure(module, input_size, input_data, dtypes, forward_kwargs)
    rows = evaluate_tree(tree)
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
    )
    if verify:
        breakdown.verify()
    return breakdown


def _check(path: str, what: str, expected: object, got: object) -> None:
    if expected != got:
        raise VerificationError(path, what, expected, got, framework=Framework.TORCH.shown)


def _expected(module: Any) -> dict[str, tuple[int, int]]:
    """Each module path's (params, trainable), counting each tensor and module once."""
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
        for p in m.parameters(recurse=False):
            if id(p) not in seen_params:
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
    counts = _expected(module)
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
