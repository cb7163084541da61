"""`summary`: torchinfo's signature, cnnexplain's counts. The door for torchinfo users.

``from torchinfo import summary`` becomes ``from cnnexplain import summary``: the
same arguments (positional ``input_size``, ``input_data``, ``batch_dim``,
``col_names``, ``col_width``, ``depth``, ``device``, ``dtypes``, ``mode``,
``row_settings``, ``verbose``, forward ``**kwargs``), torchinfo's table with our
formula column, and a `Breakdown` that also answers torchinfo's attribute names
(``total_params``, ``trainable_params``, ``total_mult_adds``, ``summary_list``).
The module runs on a meta copy; the user's module keeps its device and each
submodule its train/eval flag.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from cnnexplain import _publish
from cnnexplain._breakdown import Breakdown
from cnnexplain._errors import SpecError
from cnnexplain._render.summary import COLUMNS, ROW_SETTINGS, TableOptions, table

__all__ = ["summary"]

_CACHE: dict[tuple[int, str], Breakdown] = {}


def _one_of(argument: str, value: object, allowed: Iterable[str]) -> tuple[str, ...]:
    """``value`` as a tuple of names from ``allowed``, or a one-sentence SpecError."""
    names = tuple(allowed)
    if isinstance(value, str) or not isinstance(value, Iterable):
        values: list[object] = [value]
    else:
        values = list(value)
    for item in values:
        if not isinstance(item, str) or item not in names:
            listed = ", ".join(repr(n) for n in names)
            raise SpecError(
                f"{argument} takes names among {listed}; {item!r} is not one. "
                f"Received: {argument}={value!r}.",
                argument=argument,
            )
    return tuple(str(v) for v in values)


def _integer(argument: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SpecError(
            f"{argument} must be an integer of at least {minimum}. Received: {argument}={value!r}.",
            argument=argument,
        )
    return value


def _dtypes(dtypes: Any) -> list[Any] | None:
    """Torch dtypes, from dtypes or tensor types (``torch.FloatTensor``) as torchinfo takes them."""
    if dtypes is None:
        return None
    torch = sys.modules["torch"]
    items = list(dtypes) if isinstance(dtypes, (list, tuple)) else [dtypes]
    out = []
    for item in items:
        dtype = item if isinstance(item, torch.dtype) else getattr(item, "dtype", None)
        if not isinstance(dtype, torch.dtype) or not isinstance(item, (torch.dtype, type)):
            raise SpecError(
                "dtypes takes a torch dtype (torch.long) or tensor type (torch.FloatTensor) "
                f"per input; {item!r} is neither. Received: dtypes={dtypes!r}.",
                argument="dtypes",
            )
        out.append(dtype)
    return out


def _device(device: Any) -> Any:
    torch = sys.modules["torch"]
    if device is None or isinstance(device, torch.device):
        return device
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise SpecError(
            f"device must name a torch device ('cpu', 'cuda:0'...): {err}. "
            f"Received: device={device!r}.",
            argument="device",
        ) from None


def _sizes(input_size: Any, batch_dim: int | None) -> Any:
    """Torchinfo's ``input_size`` (one shape or several), with a batch of 1 at ``batch_dim``."""
    if input_size is None:
        return None
    several = isinstance(input_size, (list, tuple)) and any(
        isinstance(s, (list, tuple)) for s in input_size
    )
    sizes = [tuple(s) for s in input_size] if several else [tuple(input_size)]
    if batch_dim is not None:
        for size in sizes:
            if not -len(size) - 1 <= batch_dim <= len(size):
                raise SpecError(
                    f"batch_dim={batch_dim} is not a position in input_size {list(size)}: "
                    "it says where to insert the batch axis of 1. "
                    f"Received: batch_dim={batch_dim!r}.",
                    argument="batch_dim",
                )
        sizes = [_insert(size, batch_dim) for size in sizes]
    return sizes if several else sizes[0]


def _signature(value: Any) -> Any:
    """What the forward pass depends on: tensors by shape and dtype, containers item by item."""
    torch = sys.modules["torch"]
    if isinstance(value, torch.Tensor):
        return ("tensor", tuple(value.shape), str(value.dtype))
    if isinstance(value, Mapping):
        return {str(k): _signature(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_signature(v) for v in value]
    return value


def _insert(size: tuple[Any, ...], batch_dim: int) -> tuple[Any, ...]:
    position = batch_dim if batch_dim >= 0 else len(size) + batch_dim + 1
    return (*size[:position], 1, *size[position:])


def _explain(
    model: Any,
    *,
    sizes: Any,
    input_data: Any,
    dtypes: list[Any] | None,
    mode: str,
    forward_kwargs: Mapping[str, Any],
) -> Breakdown:
    """Explain ``model`` in ``mode``; every submodule's train/eval flag restored afterwards."""
    from cnnexplain._live.torch import explain_torch  # noqa: PLC0415

    if sizes is None and input_data is None:
        return explain_torch(model, verify=True)

    flags = [(m, m.training) for m in model.modules()]
    try:
        model.train(mode == "train")
        return explain_torch(
            model,
            input_size=sizes,
            input_data=input_data,
            dtypes=dtypes,
            forward_kwargs=forward_kwargs,
        )
    finally:
        for module, training in flags:
            module.training = training


def summary(  # noqa: PLR0917 - torchinfo's signature, argument for argument
    model: Any,
    input_size: Any = None,
    input_data: Any = None,
    batch_dim: int | None = None,
    cache_forward_pass: bool | None = None,  # noqa: FBT001 - positional in torchinfo too
    col_names: Iterable[str] | None = None,
    col_width: int = 25,
    depth: int = 3,
    device: Any = None,
    dtypes: Any = None,
    mode: str | None = None,
    row_settings: Iterable[str] | None = None,
    verbose: int | None = None,
    **kwargs: Any,
) -> Breakdown:
    """Torchinfo's ``summary``, answered by cnnexplain: same call, formulas beside the counts.

    Args:
        model: a ``torch.nn.Module``.
        input_size: the input's shape, batch included (``(1, 3, 224, 224)``), or a list
            of shapes for several inputs; positional, as in torchinfo.
        input_data: instead of ``input_size``: a tensor, a list or tuple of positional
            arguments, or a dict of keyword arguments for ``forward``.
        batch_dim: where to insert a batch axis of 1 into each ``input_size``.
        cache_forward_pass: reuse the result of an earlier call on the same module
            object and inputs (torchinfo keys its cache on the class name alone).
        col_names: columns among ``"input_size"``, ``"output_size"``, ``"num_params"``,
            ``"params_percent"``, ``"kernel_size"``, ``"groups"``, ``"mult_adds"``,
            ``"trainable"``; default ``("output_size", "num_params")``. The formula column
            always comes last.
        col_width: width of each column.
        depth: the deepest level of nested modules shown (the counts still cover all).
        device: a torch device or its name, checked as torchinfo checks it; the module
            runs on a meta copy and stays where it is.
        dtypes: one torch dtype or tensor type (``torch.FloatTensor``) per input of
            ``input_size``.
        mode: ``"train"`` or ``"eval"`` (default) for the forward pass; every
            submodule's flag is restored afterwards.
        row_settings: among ``"depth"`` (default), ``"var_names"``, ``"ascii_only"``,
            ``"hide_recursive_layers"``.
        verbose: 0 prints nothing, 1 the table, 2 also each weight; default 1, or 0 in
            an interactive session (as torchinfo).
        **kwargs: keyword arguments for ``forward``.

    Returns:
        The `Breakdown`, which also answers torchinfo's ``total_params``,
        ``trainable_params``, ``total_mult_adds`` (the whole batch, bias additions
        included) and ``summary_list``.

    Raises:
        SpecError: for a model that is not a torch module, an option value torchinfo
            would refuse, or a module that fails on the input.

    Examples:
        >>> import torch
        >>> from cnnexplain import summary
        >>> model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.Flatten(),
        ...                             torch.nn.Linear(4 * 26 * 26, 10))
        >>> stats = summary(model, (1, 1, 28, 28), verbose=0)
        >>> stats.total_params, stats.total_mult_adds
        (27090, 54090)
        >>> str(stats.rows[0].formula)
        '(3·3·1+1)·4'
    """
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(model, torch.nn.Module):
        raise SpecError(
            "summary() takes a torch.nn.Module, as torchinfo's does; explain a Keras model, "
            f"spec or file with explain(). Received: model of type {type(model).__name__}."
        )
    has_input = input_size is not None or input_data is not None
    default_columns = ("output_size", "num_params") if has_input else ("num_params",)
    columns = default_columns if col_names is None else _one_of("col_names", col_names, COLUMNS)
    rows = (
        ("depth",) if row_settings is None else _one_of("row_settings", row_settings, ROW_SETTINGS)
    )
    (run_mode,) = ("eval",) if mode is None else _one_of("mode", mode, ("train", "eval"))
    if verbose is None:
        verbose = 0 if getattr(sys, "ps1", None) else 1
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise SpecError(
            f"verbose must be 0 (quiet), 1 (the table) or 2 (each weight too). "
            f"Received: verbose={verbose!r}.",
            argument="verbose",
        )
    if cache_forward_pass is not None and not isinstance(cache_forward_pass, bool):
        raise SpecError(
            "cache_forward_pass must be True or False. "
            f"Received: cache_forward_pass={cache_forward_pass!r}.",
            argument="cache_forward_pass",
        )
    if batch_dim is not None:
        _integer("batch_dim", batch_dim, -sys.maxsize)
    options = TableOptions(
        col_names=columns,
        col_width=_integer("col_width", col_width, 1),
        depth=_integer("depth", depth, 0),
        row_settings=frozenset(rows),
        verbose=verbose,
    )
    _device(device)
    kinds = _dtypes(dtypes)
    sizes = _sizes(input_size, batch_dim)
    key = (id(model), repr(_signature((sizes, input_data, kinds, run_mode, kwargs))))
    result = _CACHE.get(key) if cache_forward_pass else None
    if result is None:
        result = _explain(
            model,
            sizes=sizes,
            input_data=input_data,
            dtypes=kinds,
            mode=run_mode,
            forward_kwargs=kwargs,
        )
        if cache_forward_pass:
            _CACHE[key] = result
    if verbose:
        params = result.costs().param_bytes
        text = table(
            result.summary_list,
            replace(options, params_bytes=params),
            has_input=has_input,
        )
        sys.stdout.write(text + "\n")
    return result


_publish(globals())
