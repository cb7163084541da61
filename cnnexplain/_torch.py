"""The torch adapter: explain a live ``torch.nn.Module`` and verify the breakdown against it.

Like the Keras adapter it looks at torch only when torch is already imported
(a module can't exist otherwise) and imports it inside functions, so
``import cnnexplain`` never loads torch. It runs the module once to record
each submodule's input and output shapes (forward hooks): on the meta device
where it can (shapes only, no compute, no activation memory, the module's
own parameters left untouched), else on the CPU under ``torch.no_grad()`` as
torchinfo does. An LSTM, GRU or RNN runs one time step on meta and its output
sequence is extended to the input's length, so hundreds of steps cost one.
It then hands a plain-data tree (`cnnexplain._torch_tree`) to the rules.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from cnnexplain._breakdown import Breakdown, LayerRow
from cnnexplain._errors import SpecError, VerificationError
from cnnexplain._rules._base import Weight
from cnnexplain._shapes import Shape
from cnnexplain._torch_rules import find_torch_rule
from cnnexplain._torch_tree import OWN_PARAMETERS, Call, ModuleNode, evaluate_tree

__all__ = ["capture", "explain_torch", "is_torch_module", "verify_torch"]

_SIMPLE = (bool, int, float, str, type(None))


def is_torch_module(obj: object) -> bool:
    """True for a ``torch.nn.Module``, checked without importing torch."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def _plain(value: Any) -> Any:
    """A stored argument as plain data (tuples of ints...), or ``...`` when it is not."""
    if isinstance(value, _SIMPLE):
        return value
    if isinstance(value, (tuple, list)):
        items = [_plain(v) for v in value]
        return ... if ... in items else tuple(items)
    return ...


def _config(module: Any) -> dict[str, Any]:
    """The module's arguments as it stores them, plus a True/False per parameter slot."""
    config: dict[str, Any] = {}
    for key, value in vars(module).items():
        if key.startswith("_") or key == "training":
            continue
        plain = _plain(value)
        if plain is not ...:
            config[key] = plain
    for key, value in module._parameters.items():  # noqa: SLF001
        config.setdefault(key, value is not None)
    return config


def _dtype_name(dtype: Any) -> str:
    return str(dtype).removeprefix("torch.")


def _tensors(value: Any) -> Iterator[Any]:
    """Every tensor in a call's arguments or outputs, in order (tuples, lists, dicts)."""
    torch = sys.modules["torch"]
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _tensors(v)
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _tensors(v)


def _shapes(value: Any) -> tuple[Shape, ...]:
    return tuple(tuple(int(d) for d in t.shape) for t in _tensors(value))


class _Recorder:
    """Forward hooks on every submodule, recording each call's shapes."""

    def __init__(self, root: Any, *, one_step: bool) -> None:
        self.calls: dict[int, list[Call]] = {}
        self.dtypes: dict[int, str] = {}
        self.handles: list[Any] = []
        self.pending: dict[int, list[tuple[tuple[Shape, ...], dict[str, Any]]]] = {}
        torch = sys.modules["torch"]
        for module in root.modules():
            self.handles.append(module.register_forward_pre_hook(self._before, with_kwargs=True))
            if one_step and isinstance(module, torch.nn.RNNBase):
                self.handles.append(module.register_forward_pre_hook(_one_step, with_kwargs=True))
                self.handles.append(module.register_forward_hook(_all_steps, with_kwargs=True))
            self.handles.append(module.register_forward_hook(self._after, with_kwargs=True))

    def _before(self, module: Any, args: Any, kwargs: Any) -> None:
        scalars = {k: _plain(v) for k, v in kwargs.items()}
        scalars = {k: v for k, v in scalars.items() if v is not ...}
        scalars["args"] = tuple(None if v is ... else v for v in map(_plain, args))
        self.pending.setdefault(id(module), []).append((_shapes((args, kwargs)), scalars))

    def _after(self, module: Any, args: Any, kwargs: Any, output: Any) -> None:  # noqa: ARG002
        inputs, scalars = self.pending[id(module)].pop()
        self.calls.setdefault(id(module), []).append(Call(inputs, _shapes(output), scalars))
        first = next(_tensors(output), None)
        if first is not None:
            self.dtypes.setdefault(id(module), _dtype_name(first.dtype))

    def remove(self) -> None:
        """Remove every hook."""
        for handle in self.handles:
            handle.remove()

    def rekey(self, originals: dict[int, int]) -> None:
        """Key the records by the original modules' ids (the run was on a copy)."""
        self.calls = {originals[k]: v for k, v in self.calls.items() if k in originals}
        self.dtypes = {originals[k]: v for k, v in self.dtypes.items() if k in originals}


_STEPS = "_cnnexplain_steps"


def _time_axis(module: Any, x: Any) -> int:
    return 1 if module.batch_first and x.dim() == 3 else 0  # noqa: PLR2004


def _one_step(module: Any, args: Any, kwargs: Any) -> Any:
    """Run an RNN on the first time step only (its output's length is the input's)."""
    torch = sys.modules["torch"]
    if not args or not isinstance(args[0], torch.Tensor) or args[0].dim() not in (2, 3):
        return None
    x = args[0]
    axis = _time_axis(module, x)
    object.__setattr__(module, _STEPS, (axis, x.shape[axis]))
    return (x.narrow(axis, 0, 1), *args[1:]), kwargs


def _all_steps(module: Any, args: Any, kwargs: Any, output: Any) -> Any:  # noqa: ARG001
    steps = module.__dict__.pop(_STEPS, None)
    if steps is None:
        return None
    axis, length = steps
    sequence, *rest = output
    size = list(sequence.shape)
    size[axis] = length
    return (sequence.expand(*size), *rest)


def _inputs(
    module: Any, input_size: Any, input_data: Any, dtypes: Sequence[Any] | None
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Positional and keyword arguments for the forward pass, as torchinfo takes them."""
    torch = sys.modules["torch"]
    if input_data is not None:
        if isinstance(input_data, Mapping):
            return (), dict(input_data)
        if isinstance(input_data, (tuple, list)):
            return tuple(input_data), {}
        return (input_data,), {}
    if input_size is None:
        raise SpecError(
            f"explain() needs input_size= (batch included, e.g. (1, 3, 224, 224)) or "
            f"input_data= to run the {type(module).__name__} module. Received: neither."
        )
    sizes = input_size if input_size and isinstance(input_size[0], (tuple, list)) else [input_size]
    for size in sizes:
        if any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in size):
            raise SpecError(
                f"input_size must hold positive integers, batch included. Received: "
                f"input_size={input_size!r}."
            )
    default = _default_dtype(module)
    kinds = list(dtypes) if dtypes is not None else [default] * len(sizes)
    if len(kinds) != len(sizes):
        raise SpecError(
            f"dtypes must give one dtype per input ({len(sizes)}). Received: dtypes={dtypes!r}."
        )
    return tuple(torch.zeros(tuple(s), dtype=d) for s, d in zip(sizes, kinds, strict=True)), {}


def _default_dtype(module: Any) -> Any:
    """Integer indices for a model that starts with an Embedding, else the parameters' dtype."""
    torch = sys.modules["torch"]
    first = next(iter(module.children()), module)
    while next(iter(first.children()), None) is not None:
        first = next(iter(first.children()))
    if isinstance(first, (torch.nn.Embedding, torch.nn.EmbeddingBag)):
        return torch.long
    for p in module.parameters():
        if p.is_floating_point():
            return p.dtype
    return torch.get_default_dtype()


def _to_meta(value: Any) -> Any:
    torch = sys.modules["torch"]
    if isinstance(value, torch.Tensor):
        if value.is_sparse or value.layout != torch.strided:
            raise TypeError("a sparse tensor cannot run on meta")
        return value.to("meta")
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_to_meta(v) for v in value)
    if isinstance(value, list):
        return [_to_meta(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_meta(v) for k, v in value.items()}
    return value


def _meta_copy(module: Any) -> tuple[Any, dict[int, int]]:
    """A copy of ``module`` whose parameters and buffers are meta tensors (no data copied).

    Tied tensors and shared modules stay tied and shared in the copy. Returns the
    copy and, for each copied submodule's id, the id of the original it copies.
    """
    import copy  # noqa: PLC0415

    torch = sys.modules["torch"]
    memo: dict[int, Any] = {}
    for p in module.parameters():
        memo[id(p)] = torch.nn.Parameter(p.to("meta"), requires_grad=p.requires_grad)
    for b in module.buffers():
        memo[id(b)] = b.to("meta")
    originals = {id(m): m for m in module.modules()}
    duplicate = copy.deepcopy(module, memo)
    _cache_forwards(duplicate)
    return duplicate, {id(memo[k]): k for k in originals if k in memo}


def _cache_forwards(root: Any) -> None:
    """Make each leaf module of a meta copy answer a repeated call from its first one's shapes.

    A cell called at every step of a Python loop (an ``LSTMCell`` over 1,000 steps)
    then runs once per distinct input shape: meta kernels are Python code, and a
    repeated call with the same shapes, dtypes and scalar arguments has the same
    output shapes. Hooks still see every call.
    """
    torch = sys.modules["torch"]
    from torch.utils._pytree import tree_flatten  # noqa: PLC0415

    def key_of(leaf: Any) -> Any:
        if isinstance(leaf, torch.Tensor):
            return (tuple(leaf.shape), leaf.dtype, leaf.stride())
        return (type(leaf), leaf) if isinstance(leaf, _SIMPLE) else (type(leaf), id(leaf))

    def cached(forward: Any) -> Any:
        seen: dict[Any, Any] = {}

        def call(*args: Any, **kwargs: Any) -> Any:
            leaves, structure = tree_flatten((args, kwargs))
            key = (str(structure), tuple(key_of(leaf) for leaf in leaves))
            if key not in seen:  # meta tensors hold no data: the first outputs serve again
                seen[key] = forward(*args, **kwargs)
            return seen[key]

        return call

    for module in root.modules():
        if next(module.children(), None) is None:
            object.__setattr__(module, "forward", cached(module.forward))


def _run(module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[_Recorder, str]:
    """Run the module once with hooks: a meta copy of it, else itself on the CPU without gradients.

    The module itself is never moved, changed or switched between train and eval.
    """
    torch = sys.modules["torch"]
    try:
        duplicate, originals = _meta_copy(module)
        recorder = _Recorder(duplicate, one_step=True)
        try:
            with torch.no_grad():
                duplicate(*_to_meta(args), **_to_meta(kwargs))
        finally:
            recorder.remove()
        recorder.rekey(originals)
    except Exception:  # noqa: BLE001, S110 - any failure on meta falls back to a real run
        pass
    else:
        return recorder, "meta"
    recorder = _Recorder(module, one_step=False)
    try:
        with torch.no_grad():
            module(*args, **kwargs)
    except Exception as err:
        raise SpecError(
            f"The {type(module).__name__} module fails on the given input, so its shapes "
            f"cannot be recorded: {type(err).__name__}: {err}. Check input_size (batch "
            "included), dtypes, or pass input_data=."
        ) from err
    finally:
        recorder.remove()
    return recorder, "cpu"


def _covered(module: Any) -> list[tuple[str, Any]]:
    """The parameters a module's row covers: its own, or all under it for a ruled container."""
    recurse = find_torch_rule(type(module).__name__) is not None
    return list(module.named_parameters(recurse=recurse, remove_duplicate=False))


def _node(  # noqa: PLR0917 - the recursion carries its bookkeeping
    module: Any,
    name: str,
    path: str,
    recorder: _Recorder,
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
        _dtype_name(first.dtype) if first is not None else recorder.dtypes.get(id(module))
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
    args, kwargs = _inputs(module, input_size, input_data, dtypes)
    recorder, device = _run(module, args, kwargs)
    return _node(module, "", "", recorder, {}, {}), device


def explain_torch(
    module: Any,
    *,
    input_size: Any = None,
    input_data: Any = None,
    dtypes: Sequence[Any] | None = None,
    verify: bool = True,
    expand: bool = False,
) -> Breakdown:
    """Explain a ``torch.nn.Module``; verify every row against it unless told not to."""
    tree, _ = capture(module, input_size=input_size, input_data=input_data, dtypes=dtypes)
    rows = evaluate_tree(tree)
    root = tree.calls[0] if tree.calls else Call((), ())
    breakdown = Breakdown(
        type(module).__name__,
        tuple(rows),
        root.inputs,
        root.outputs,
        expand,
        source=module,
        _verifier=lambda b: verify_torch(b, module, tree),
    )
    if verify:
        breakdown.verify()
    return breakdown


def _check(path: str, what: str, expected: object, got: object) -> None:
    if expected != got:
        raise VerificationError(path, what, expected, got, framework="PyTorch")


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
                where, "presence", "no such module", "a row", framework="PyTorch"
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
                framework="PyTorch",
            ) from None
        _check(where, f"shape of {weight.name}", tuple(tensor.shape), weight.shape)
