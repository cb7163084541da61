"""Running a torch module once to record its shapes: inputs, a meta copy, hooks, fallbacks.

It runs the module on the meta device where it can (a copy whose parameters
and buffers are meta tensors, factory calls inside ``forward`` made on meta
too: shapes only, no compute, no activation memory, the module itself left
untouched), else on the CPU under ``torch.no_grad()`` as torchinfo does. An
LSTM, GRU or RNN runs one time step on meta and its output sequence is
extended to the input's length, so hundreds of steps cost one. Torch is read
from ``sys.modules``: this module is imported only once a module exists.
"""

from __future__ import annotations

import contextlib
import sys
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from cnnexplain._arguments import received
from cnnexplain._errors import SpecError
from cnnexplain._graph.torch_tree import Call
from cnnexplain._rules.protocol import fmt_shape
from cnnexplain._rules.torch import core, norm
from cnnexplain._shapes import Shape

__all__ = [
    "Recorder",
    "dtype_name",
    "inputs_for",
    "lazy_modules",
    "materialized",
    "no_forward",
    "on_cpu",
    "plain",
    "run",
    "unwrapped",
]

_SIMPLE = (bool, int, float, str, type(None))


def plain(value: Any) -> Any:
    """A stored argument as plain data (tuples of ints...), or ``...`` when it is not."""
    if isinstance(value, _SIMPLE):
        return value
    if isinstance(value, (tuple, list)):
        items = [plain(v) for v in value]
        return ... if ... in items else tuple(items)
    return ...


def dtype_name(dtype: Any) -> str:
    return str(dtype).removeprefix("torch.")


def _tensors(value: Any) -> Iterator[Any]:
    """Every tensor in a call's arguments or outputs, in order (tuples, lists, dicts)."""
    torch = sys.modules["torch"]
    if isinstance(value, torch.Tensor):
        yield value
    elif _is_packed(value):  # its data only: batch sizes and sort orders are bookkeeping
        yield value.data
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _tensors(v)
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _tensors(v)


def _shapes(value: Any) -> tuple[Shape, ...]:
    return tuple(tuple(int(d) for d in t.shape) for t in _tensors(value))


def _is_packed(value: object) -> bool:
    """True for a ``torch.nn.utils.rnn.PackedSequence``."""
    rnn = sys.modules.get("torch.nn.utils.rnn")
    return rnn is not None and isinstance(value, rnn.PackedSequence)


def _packing(module: Any, args: Any) -> tuple[Shape, dict[str, int]] | None:
    """A PackedSequence first argument as the padded shape it stands for, and its sizes.

    ``(T, N, features)`` (``(N, T, features)`` for ``batch_first``): the
    shape a recurrent rule reads; ``steps`` S is the number of real time steps
    in all (the packed data's first axis).
    """
    if not args or not _is_packed(args[0]):
        return None
    packed = args[0]
    batch, longest = int(packed.batch_sizes[0]), len(packed.batch_sizes)
    features = tuple(int(d) for d in packed.data.shape[1:])
    first = getattr(module, "batch_first", False) is True
    padded = (batch, longest, *features) if first else (longest, batch, *features)
    return padded, {"batch": batch, "longest": longest, "steps": int(packed.data.shape[0])}


class Recorder:
    """Forward hooks on every submodule, recording each call's shapes."""

    def __init__(self, root: Any, *, one_step: bool) -> None:
        self.calls: dict[int, list[Call]] = {}
        self.dtypes: dict[int, str] = {}
        self.order: dict[int, int] = {}
        """Each module's place in the order of first calls."""
        self.handles: list[Any] = []
        self.pending: dict[int, list[tuple[tuple[Shape, ...], dict[str, Any]]]] = {}
        self.paths = {id(m): path for path, m in root.named_modules(remove_duplicate=False)}
        self.open: list[tuple[Any, tuple[Shape, ...]]] = []
        """The modules whose forward has started and not returned, innermost last."""
        torch = sys.modules["torch"]
        for module in root.modules():
            self.handles.append(module.register_forward_pre_hook(self._before, with_kwargs=True))
            if one_step and isinstance(module, torch.nn.RNNBase):
                self.handles.append(module.register_forward_pre_hook(_one_step, with_kwargs=True))
                self.handles.append(module.register_forward_hook(_all_steps, with_kwargs=True))
            self.handles.append(module.register_forward_hook(self._after, with_kwargs=True))

    def _before(self, module: Any, args: Any, kwargs: Any) -> None:
        self.order.setdefault(id(module), len(self.order))
        scalars = {k: plain(v) for k, v in kwargs.items()}
        scalars = {k: v for k, v in scalars.items() if v is not ...}
        scalars["args"] = tuple(None if v is ... else v for v in map(plain, args))
        shapes = _shapes((args, kwargs))
        packing = _packing(module, args)
        if packing is not None:
            shapes = (packing[0], *shapes[1:])
            scalars["packed"] = packing[1]
        self.pending.setdefault(id(module), []).append((shapes, scalars))
        self.open.append((module, shapes))

    def _after(self, module: Any, args: Any, kwargs: Any, output: Any) -> None:  # noqa: ARG002
        self.open.pop()
        inputs, scalars = self.pending[id(module)].pop()
        self.calls.setdefault(id(module), []).append(Call(inputs, _shapes(output), scalars))
        first = next(_tensors(output), None)
        if first is not None:
            self.dtypes.setdefault(id(module), dtype_name(first.dtype))

    def remove(self) -> None:
        """Remove every hook."""
        for handle in self.handles:
            handle.remove()

    def rekey(self, originals: dict[int, int]) -> None:
        """Key the records by the original modules' ids (the run was on a copy)."""
        self.calls = {originals[k]: v for k, v in self.calls.items() if k in originals}
        self.dtypes = {originals[k]: v for k, v in self.dtypes.items() if k in originals}
        self.order = {originals[k]: v for k, v in self.order.items() if k in originals}


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


def unwrapped(module: Any) -> Any:
    """The module a ``torch.compile`` wrapper compiles (same parameters); others as they are.

    Raises:
        SpecError: for a TorchScript module, whose submodules are compiled code.
    """
    torch = sys.modules["torch"]
    original = getattr(module, "_orig_mod", None)
    if type(module).__name__ == "OptimizedModule" and isinstance(original, torch.nn.Module):
        return original
    if isinstance(module, torch.jit.ScriptModule):
        raise SpecError(
            f"{type(module).__name__} is a TorchScript module (torch.jit.script or trace), "
            "whose submodules are compiled code that cannot be hooked: explain the "
            "nn.Module you scripted instead."
        )
    return module


def no_forward(cls: type) -> str:
    """The sentence for a module class without ``forward``: a base class, or a holder."""
    where = f"torch.nn.{cls.__name__}" if cls.__module__.startswith("torch.nn") else cls.__name__
    below: list[type] = cls.__subclasses__()
    subclasses = sorted(
        {
            c.__name__
            for c in below
            if c.__module__.startswith("torch.nn.modules") and not c.__name__.startswith("_")
        }
        - {"Container", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"}
    )
    if where.startswith("torch.nn") and subclasses and len(subclasses) < 10:  # noqa: PLR2004
        what = f"it is the base class of {', '.join(subclasses)}: explain one of those"
    else:
        what = "explain the module whose forward() calls what it holds"
    return f"{where} defines no forward(), so it cannot be run to record its shapes: {what}."


def inputs_for(
    module: Any, input_size: Any, input_data: Any, dtypes: Sequence[Any] | None
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Positional and keyword arguments for the forward pass, as torchinfo takes them.

    Raises:
        SpecError: if the module has no ``forward`` or the inputs are malformed.
    """
    torch = sys.modules["torch"]
    if type(module).forward is torch.nn.Module.forward:
        raise SpecError(no_forward(type(module)))
    if input_data is not None and (input_size is not None or dtypes is not None):
        given = "input_size" if input_size is not None else "dtypes"
        value = received(input_size if given == "input_size" else dtypes)
        raise SpecError(
            f"explain() takes input_size= (with dtypes=) or input_data=, not both: input_data "
            f"carries its own shapes and dtypes. Received: input_data and {given}={value}.",
            argument=given,
        )
    if input_data is not None:
        if isinstance(input_data, Mapping):
            return (), dict(input_data)
        if isinstance(input_data, (tuple, list)) and not hasattr(input_data, "_fields"):
            return tuple(input_data), {}
        return (input_data,), {}
    if input_size is None:
        raise SpecError(
            f"explain() needs input_size= (batch included, e.g. (1, 3, 224, 224)) or "
            f"input_data= to run the {type(module).__name__} module. Received: neither."
        )
    sizes = _sizes(input_size)
    default = _default_dtype(module)
    kinds = _dtypes(dtypes, len(sizes)) if dtypes is not None else [default] * len(sizes)
    # On meta: no memory, whatever the size; `on_cpu` makes zeros only if a CPU run is needed.
    return tuple(
        torch.empty(tuple(s), dtype=d, device="meta") for s, d in zip(sizes, kinds, strict=True)
    ), {}


def _sizes(input_size: Any) -> list[tuple[int, ...]]:
    """``input_size`` as a list of shapes (one per input), each checked.

    Raises:
        SpecError: unless it is a shape or a list of shapes of positive integers.
    """

    def positive(d: object) -> bool:
        return isinstance(d, int) and not isinstance(d, bool) and d >= 1

    nested = isinstance(input_size, (tuple, list)) and input_size
    sizes = input_size if nested and isinstance(input_size[0], (tuple, list)) else [input_size]
    for size in sizes:
        if not isinstance(size, (tuple, list)) or not all(positive(d) for d in size):
            raise SpecError(
                "input_size must be a shape of positive integers, batch included (e.g. "
                f"(1, 3, 224, 224)), or a list of such shapes. Received: "
                f"input_size={received(input_size)}.",
                argument="input_size",
            )
    return [tuple(size) for size in sizes]


def _dtypes(dtypes: Any, count: int) -> list[Any]:
    """``dtypes`` checked: a list of torch dtypes, one per input.

    Raises:
        SpecError: unless it is a list or tuple of ``count`` ``torch.dtype`` values.
    """
    torch = sys.modules["torch"]
    if not isinstance(dtypes, (list, tuple)) or len(dtypes) != count:
        raise SpecError(
            f"dtypes must be a list of torch dtypes, one per input ({count}), e.g. "
            f"[torch.long]. Received: dtypes={received(dtypes)}.",
            argument="dtypes",
        )
    for i, kind in enumerate(dtypes):
        if not isinstance(kind, torch.dtype):
            raise SpecError(
                f"dtypes[{i}] must be a torch dtype such as torch.float32 or torch.long. "
                f"Received: dtypes[{i}]={kind!r} of type {type(kind).__name__}.",
                argument="dtypes",
            )
    return list(dtypes)


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
    duplicate = _copy_module(module, memo, copy.deepcopy)
    _cache_forwards(duplicate)
    return duplicate, {id(memo[k]): k for k in originals if k in memo}


_IMMUTABLE = (int, float, complex, str, bytes, bool, type(None), type, range)


def _copy_module(module: Any, memo: dict[int, Any], deepcopy: Any) -> Any:
    """``copy.deepcopy(module, memo)``, module by module and about four times faster.

    Its parameters, buffers and submodules come from ``memo`` or are copied the same
    way; torch's own bookkeeping (hook dicts, the non-persistent buffer set) is copied
    one level, so hooks added to the copy stay off the original; immutable values are
    shared; anything else (a list, a tensor kept as a plain attribute) is deep-copied,
    so a forward that changes it changes the copy only.
    """
    if id(module) in memo:
        return memo[id(module)]
    duplicate = object.__new__(type(module))
    memo[id(module)] = duplicate
    state: dict[str, Any] = {}
    for key, value in vars(module).items():
        if key in ("_parameters", "_buffers"):
            state[key] = {n: None if t is None else memo.get(id(t)) for n, t in value.items()}
        elif key == "_modules":
            state[key] = {
                n: None if m is None else _copy_module(m, memo, deepcopy) for n, m in value.items()
            }
        elif isinstance(value, _IMMUTABLE) or (
            isinstance(value, tuple) and all(isinstance(v, _IMMUTABLE) for v in value)
        ):
            state[key] = value
        elif key.startswith("_") and type(value) in (dict, set, OrderedDict):
            state[key] = type(value)(value)
        else:
            state[key] = deepcopy(value, memo)
    vars(duplicate).update(state)
    return duplicate


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
            if not kwargs and len(args) == 1 and isinstance(args[0], torch.Tensor):
                key: Any = key_of(args[0])  # the usual call: one tensor, no tree to flatten
            else:
                leaves, structure = tree_flatten((args, kwargs))
                key = (str(structure), tuple(key_of(leaf) for leaf in leaves))
            if key not in seen:  # meta tensors hold no data: the first outputs serve again
                seen[key] = forward(*args, **kwargs)
            return seen[key]

        return call

    for module in root.modules():
        if next(module.children(), None) is None:
            object.__setattr__(module, "forward", cached(_fast(module)))


_SAME_SHAPE = frozenset({*core.KEEPS_SHAPE, *norm.KEEPS_SHAPE})
"""torch.nn classes whose output is a tensor of their input's shape and dtype, and whose only
condition on that input is one _expected_input or _check_input_dim checks (their rules say)."""


def _keeps_shape(module: Any) -> bool:
    """Whether ``module`` is one of torch's own `_SAME_SHAPE` classes, its forward untouched."""
    cls = type(module)
    own = getattr(sys.modules["torch"].nn, cls.__name__, None)
    return cls.__name__ in _SAME_SHAPE and cls is own and "forward" not in vars(module)


def _same_shape(module: Any, forward: Any) -> Any:
    """``forward`` on meta for a `_SAME_SHAPE` module: an empty tensor like its input.

    Meta kernels are Python: BatchNorm's alone were two thirds of a ResNet-50's run.
    Its input is checked as torch checks it (``_check_input_dim``, ``num_features``);
    any other call, or an input those checks refuse, runs the real ``forward``.
    """
    torch = sys.modules["torch"]

    def call(*args: Any, **kwargs: Any) -> Any:
        if kwargs or len(args) != 1 or not isinstance(args[0], torch.Tensor):
            return forward(*args, **kwargs)
        (x,) = args
        check = getattr(module, "_check_input_dim", None)
        if check is not None:
            check(x)  # torch's own ValueError for an input of the wrong rank
        if _expected_input(module, (tuple(x.shape),)):
            return forward(x)  # torch's own error for the wrong number of channels
        return torch.empty_like(x)

    return call


def _fast(module: Any) -> Any:
    """A leaf's forward on meta, answered without its kernel where its arguments give the shape."""
    if _keeps_shape(module):
        return _same_shape(module, module.forward)
    if _is_plain_linear(module):
        return _linear_shape(module, module.forward)
    return module.forward


def _is_plain_linear(module: Any) -> bool:
    """Whether ``module`` is torch's own ``nn.Linear``, its forward untouched."""
    torch = sys.modules["torch"]
    return type(module) is torch.nn.Linear and "forward" not in vars(module)


def _linear_shape(module: Any, forward: Any) -> Any:
    """``forward`` on meta for a Linear: an empty ``(*, out_features)`` tensor, no kernel.

    The meta ``addmm`` is a Python decomposition, most of a deep MLP's run. An
    input whose last axis is ``in_features`` and whose dtype is the weight's
    gives torch's output shape and dtype; any other call runs the real
    ``forward``, so a wrong input still raises torch's own error.
    """
    torch = sys.modules["torch"]
    n_in, n_out = module.in_features, module.out_features

    def call(*args: Any, **kwargs: Any) -> Any:
        if kwargs or len(args) != 1 or not isinstance(args[0], torch.Tensor):
            return forward(*args, **kwargs)
        (x,) = args
        weight = module.weight
        if x.dim() == 0 or x.shape[-1] != n_in or x.dtype != weight.dtype or not x.is_meta:
            return forward(x)
        return torch.empty((*x.shape[:-1], n_out), dtype=x.dtype, device="meta")

    return call


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield


CPU_LIMIT = 2**26
"""Bytes of input the CPU fallback may materialise (64 MiB): beyond it, counts only."""


def _elements(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int, int]:
    """The number of elements and of bytes of the meta tensors among the inputs."""
    tensors = [t for t in _tensors((args, kwargs)) if t.is_meta]
    return sum(t.numel() for t in tensors), sum(t.numel() * t.element_size() for t in tensors)


def on_cpu(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any] | None:
    """The inputs with each meta tensor made a CPU tensor of zeros; None beyond `CPU_LIMIT`."""
    torch = sys.modules["torch"]
    if _elements(args, kwargs)[1] > CPU_LIMIT:
        return None

    def cpu(value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            return torch.zeros_like(value, device="cpu") if value.is_meta else value
        if isinstance(value, tuple) and not hasattr(value, "_fields"):
            return tuple(cpu(v) for v in value)
        if isinstance(value, list):
            return [cpu(v) for v in value]
        if isinstance(value, dict):
            return {k: cpu(v) for k, v in value.items()}
        return value

    return cpu(args), cpu(kwargs)


def _where(recorder: Recorder) -> str:
    """The innermost submodule running when a forward failed: `` in its submodule 'x' (Cls)``."""
    if not recorder.open:
        return ""
    inner, _ = recorder.open[-1]
    path = recorder.paths.get(id(inner), "")
    return f" in its submodule '{path}' ({type(inner).__name__})" if path else ""


def run(
    module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Recorder | None, str, str]:
    """Run the module once with hooks: a meta copy of it, else itself on the CPU without gradients.

    Returns the recorder (None when nothing could run), where it ran (``"meta"``,
    ``"cpu"`` or ``""``) and a note saying why it did not run on meta. The module
    itself is never moved, changed or switched between train and eval. When the
    meta run fails and the failing submodule's arguments name the mismatch (a
    Linear given the wrong width), that is the user's input: one sentence. Else
    the meta device is to blame (an op without a meta kernel, ``.item()``): the
    module runs on the CPU when its inputs fit in `CPU_LIMIT` bytes (meta inputs
    made zeros there), and otherwise nothing runs and the note says why.

    Raises:
        SpecError: naming the submodule, when the input is wrong for it.
    """
    torch = sys.modules["torch"]
    # First as it is; then with tensors the forward makes (torch.zeros(n, 51)) made on meta
    # too, which a CPU tensor meeting a meta one calls for (the mode slows every op).
    for device_mode in (False, True):
        recorder = None
        try:
            duplicate, originals = _meta_copy(module)
            recorder = Recorder(duplicate, one_step=True)
            try:
                with torch.no_grad(), torch.device("meta") if device_mode else _nothing():
                    duplicate(*_to_meta(args), **_to_meta(kwargs))
            finally:
                recorder.remove()
            recorder.rekey(originals)
        except Exception as err:  # noqa: BLE001 - a failure on meta: next way, or the CPU
            on_meta, meta_recorder = err, recorder
        else:
            return recorder, "meta", ""
    mistake = False  # the user's input, as the failing module's arguments say
    if meta_recorder is not None and meta_recorder.open:
        mistake = bool(_expected_input(*meta_recorder.open[-1]))
    where = _where(meta_recorder) if meta_recorder is not None else ""
    why = (
        f"the forward could not run on the meta device{where} "
        f"({type(on_meta).__name__}: {_first_line(on_meta)})"
    )
    if any(t.is_meta for t in (*module.parameters(), *module.buffers())):
        if mistake and meta_recorder is not None:
            raise _failed(module, on_meta, meta_recorder) from on_meta
        note = (
            f"{why}, and its parameters are meta tensors, which cannot run on the CPU: "
            "counts from arguments, output shapes and MACs unknown"
        )
        return None, "", note
    cpu = on_cpu(args, kwargs)  # small: torch's own message on the CPU names the mistake
    if cpu is None and mistake and meta_recorder is not None:
        raise _failed(module, on_meta, meta_recorder) from on_meta
    if cpu is None:
        count, size = _elements(args, kwargs)
        note = (
            f"{why}, and its input ({count:,} elements, {size:,} bytes) is too large to "
            f"materialise on the CPU (limit {CPU_LIMIT:,} bytes): counts from arguments, "
            "output shapes and MACs unknown"
        )
        return None, "", note
    cpu_args, cpu_kwargs = cpu
    recorder = Recorder(module, one_step=False)
    try:
        with torch.no_grad():
            module(*cpu_args, **cpu_kwargs)
    except Exception as err:
        raise _failed(module, err, recorder) from err
    finally:
        recorder.remove()
    made = _elements(args, kwargs)[0]
    made_note = f"; its input made as {made:,} zeros on the CPU" if made else ""
    return recorder, "cpu", f"{why}, so it ran on the CPU{made_note}"


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else ""


def _failed(module: Any, err: Exception, recorder: Recorder | None = None) -> SpecError:
    """One sentence: the module that failed (the innermost one running), its input, why."""
    where = ""
    if recorder is not None and recorder.open:
        inner, shapes = recorder.open[-1]
        path = recorder.paths.get(id(inner), "")
        received = ", ".join(fmt_shape(s) for s in shapes) or "no tensor"
        if path:
            where = f" in its submodule '{path}' ({type(inner).__name__}), given {received}"
            expected = _expected_input(inner, shapes)
            if expected:
                where += f": {expected}"
    return SpecError(
        f"The {type(module).__name__} module fails on the given input{where}, so its shapes "
        f"cannot be recorded: {type(err).__name__}: {err}. Check input_size (batch "
        "included), dtypes, or pass input_data=."
    )


# The argument that fixes one length of a module's first input, by the module's class.
_EXPECTS = ("in_features", "in_channels", "num_features", "embed_dim", "input_size")


def _checked_axis(module: Any, attribute: str, shape: Shape) -> int | None:
    """The axis of ``shape`` that ``attribute`` fixes, or None when the input has no such axis."""
    if attribute == "in_channels":  # Conv*d: (N, C, ...) or unbatched (C, ...)
        rank = len(getattr(module, "kernel_size", ()))
        return 1 if len(shape) == rank + 2 else 0 if len(shape) == rank + 1 else None
    if attribute == "num_features":  # BatchNorm*d, InstanceNorm*d: (N, C, ...)
        return 1 if len(shape) >= 2 else None  # noqa: PLR2004 - batch and channels
    return -1 if shape else None  # Linear, MultiheadAttention, RNNs: the last axis


def _expected_input(module: Any, shapes: tuple[Shape, ...]) -> str:
    """What the failing module expected of its input, when its arguments say it plainly.

    Examples:
        >>> class Linear:
        ...     in_features = 5400
        >>> _expected_input(Linear(), ((1, 5408),))
        'in_features=5400, but the last axis of its input is 5408'
        >>> _expected_input(Linear(), ((1, 5400),))
        ''
    """
    shape = shapes[0] if shapes else ()
    for attribute in _EXPECTS:
        wanted = getattr(module, attribute, None)
        if not isinstance(wanted, int) or isinstance(wanted, bool):
            continue
        axis = _checked_axis(module, attribute, shape)
        if axis is not None and shape[axis] != wanted:
            name = "the last axis" if axis == -1 else f"axis {axis}"
            return f"{attribute}={wanted}, but {name} of its input is {shape[axis]}"
        return ""
    return ""


def lazy_modules(module: Any) -> dict[str, str]:
    """Path → class name of each lazy submodule whose parameters are not yet materialised."""
    torch = sys.modules["torch"]
    mixin = torch.nn.modules.lazy.LazyModuleMixin
    return {
        path: type(m).__name__
        for path, m in module.named_modules()
        if isinstance(m, mixin) and m.has_uninitialized_params()
    }


def _lazy_memo(module: Any, device: str) -> dict[int, Any]:
    """A deepcopy memo: fresh uninitialised tensors for the lazy ones (they can't be copied).

    On ``"meta"`` the other parameters and buffers become meta tensors too; on
    ``"cpu"`` they are copied as they are.
    """
    torch = sys.modules["torch"]
    is_lazy = torch.nn.parameter.is_lazy
    memo: dict[int, Any] = {}
    for p in module.parameters():
        if is_lazy(p):
            memo[id(p)] = torch.nn.UninitializedParameter(p.requires_grad, device, p.dtype)
        elif device == "meta":
            memo[id(p)] = torch.nn.Parameter(p.to("meta"), requires_grad=p.requires_grad)
    for b in module.buffers():
        if is_lazy(b):
            memo[id(b)] = torch.nn.UninitializedBuffer(device=device, dtype=b.dtype)
        elif device == "meta":
            memo[id(b)] = b.to("meta")
    return memo


def materialized(module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """A copy of a module with lazy parameters (``LazyLinear``...), materialised by its forward.

    The copy is made on the meta device (no data copied; uninitialised tensors
    become uninitialised meta tensors) and run there, so each lazy module
    infers its shapes from its input and becomes its ``cls_to_become``
    (``Linear``...), as torch does on a first call. Where the module cannot
    run on meta, a CPU copy is run instead. The module itself stays
    uninitialised.

    Raises:
        SpecError: if the forward fails on the given input either way.
    """
    import copy  # noqa: PLC0415

    torch = sys.modules["torch"]
    try:
        duplicate = copy.deepcopy(module, _lazy_memo(module, "meta"))
        with torch.no_grad(), torch.device("meta"):
            duplicate(*_to_meta(args), **_to_meta(kwargs))
    except Exception:  # noqa: BLE001 - any failure on meta falls back to a real run
        cpu = on_cpu(args, kwargs)
        if cpu is None:
            raise SpecError(
                f"The {type(module).__name__} module holds lazy modules "
                f"({', '.join(lazy_modules(module).values())}) whose shapes come from a first "
                f"forward pass, which fails on the meta device, and its input is too large "
                f"to run on the CPU (over {CPU_LIMIT:,} bytes): give a smaller input_size."
            ) from None
        duplicate = copy.deepcopy(module, _lazy_memo(module, "cpu"))
        try:
            with torch.no_grad():
                duplicate(*cpu[0], **cpu[1])
        except Exception as err:
            raise SpecError(
                f"The {type(module).__name__} module holds lazy modules "
                f"({', '.join(lazy_modules(module).values())}) whose shapes come from a first "
                f"forward pass, and that pass fails on the given input: "
                f"{type(err).__name__}: {err}. Check input_size (batch included) or input_data."
            ) from err
    return duplicate
