"""Layers that only move values: Cropping, UpSampling, Permute, RepeatVector, adaptive pooling."""

from __future__ import annotations

from typing import Any

from cnnexplain._rules.keras.conv import spatial_names, spatial_shape
from cnnexplain._rules.protocol import NO_MACS, Explained, LayerArgs, fmt_shape, zero
from cnnexplain._rules.registry import rule
from cnnexplain._shapes import Shape

__all__ = ["adaptive_pooling", "cropping", "permute", "repeat_vector", "up_sampling"]

_CROPPING_DEFAULT: dict[int, Any] = {1: (1, 1), 2: ((0, 0), (0, 0)), 3: ((1, 1), (1, 1), (1, 1))}


def _pairs(args: LayerArgs, key: str, rank: int, default: Any) -> tuple[tuple[int, int], ...]:
    """An int, ``rank`` ints (symmetric) or ``rank`` (before, after) pairs, as Keras reads them."""
    value = args.get(key, default)
    pairs: Any = value
    if isinstance(value, int) and not isinstance(value, bool):
        pairs = [(value, value)] * rank
    elif (
        isinstance(value, (list, tuple))
        and value
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        pairs = [(v, v) for v in value] if rank > 1 else [tuple(value)]
    if not isinstance(pairs, (list, tuple)) or len(pairs) != rank:
        raise args.error(key, f"'{key}' must be an integer or {rank} (before, after) pairs", value)
    result = []
    for pair in pairs:
        if (
            not isinstance(pair, (list, tuple))
            or len(pair) != 2  # noqa: PLR2004
            or any(isinstance(p, bool) or not isinstance(p, int) or p < 0 for p in pair)
        ):
            raise args.error(key, f"each '{key}' must be a pair of integers >= 0", value)
        result.append((pair[0], pair[1]))
    return tuple(result)


def _rank(args: LayerArgs) -> int:
    return int(args.class_name[-2])


@rule("Cropping1D", "Cropping2D", "Cropping3D")
def cropping(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``0``; each spatial length loses its cropping before and after: ``n−a−b``."""
    rank = _rank(args)
    (shape,) = inputs
    spatial, axis = spatial_shape(args, shape, rank)
    pairs = _pairs(args, "cropping", rank, _CROPPING_DEFAULT[rank])
    dims: list[int | None] = []
    steps = []
    for name, n, (a, b) in zip(spatial_names(rank), spatial, pairs, strict=True):
        value = None if n is None else n - a - b
        if value is not None and value < 1:
            raise args.error(
                "cropping", f"cropping {a}+{b} leaves nothing of the {n} along {name}", pairs
            )
        dims.append(value)
        steps.append(f"{name}: {n}−{a}−{b} = {value}")
    return zero((_with_channels(shape, axis, dims),), tuple(steps))


def _with_channels(shape: Shape, axis: int, dims: list[int | None]) -> Shape:
    channels = shape[axis]
    return (shape[0], *dims, channels) if axis == -1 else (shape[0], channels, *dims)


@rule("UpSampling1D", "UpSampling2D", "UpSampling3D")
def up_sampling(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``0``; each spatial length is multiplied by its ``size``: ``n·s``.

    MACs: 0 for nearest-neighbour copies (the default); unknown when interpolating.
    """
    rank = _rank(args)
    (shape,) = inputs
    spatial, axis = spatial_shape(args, shape, rank)
    sizes = args.integers("size", rank, 2)
    dims: list[int | None] = []
    steps = []
    for name, n, s in zip(spatial_names(rank), spatial, sizes, strict=True):
        value = None if n is None else n * s
        dims.append(value)
        steps.append(f"{name}: {n}·{s} = {value}")
    macs = NO_MACS if args.get("interpolation", "nearest") == "nearest" else None
    return zero((_with_channels(shape, axis, dims),), tuple(steps), macs=macs)


@rule("Permute")
def permute(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``0``; output axis i is input axis ``dims[i]`` (1-based, the batch axis stays)."""
    (shape,) = inputs
    dims = args.get("dims")
    if (
        not isinstance(dims, (list, tuple))
        or sorted(dims) != list(range(1, len(dims) + 1))
        or len(dims) != len(shape) - 1
    ):
        raise args.error(
            "dims", f"'dims' must be a permutation of 1..{len(shape) - 1} for this input", dims
        )
    out = (shape[0], *(shape[d] for d in dims))
    return zero((out,), (f"axes {tuple(dims)}: {fmt_shape(shape)} → {fmt_shape(out)}",))


@rule("RepeatVector")
def repeat_vector(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``0``; ``(batch, features)`` becomes ``(batch, n, features)``."""
    (shape,) = inputs
    if len(shape) != 2:  # noqa: PLR2004
        raise args.error(
            None, f"expects an input of rank 2 (batch, features), got {fmt_shape(shape)}"
        )
    n = args.integer("n")
    return zero(((shape[0], n, shape[1]),), (f"repeated n = {n} times on a new axis 1",))


_ADAPTIVE = [f"Adaptive{kind}Pooling{r}D" for kind in ("Average", "Max") for r in (1, 2, 3)]


@rule(*_ADAPTIVE)
def adaptive_pooling(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``0``; each spatial length becomes ``output_size``, whatever the input's."""
    rank = _rank(args)
    (shape,) = inputs
    spatial, axis = spatial_shape(args, shape, rank)
    sizes = args.integers("output_size", rank)
    steps = [
        f"{name}: {n} → {s}" for name, n, s in zip(spatial_names(rank), spatial, sizes, strict=True)
    ]
    return zero((_with_channels(shape, axis, list(sizes)),), tuple(steps))
