"""Pooling: Max/Average pooling 1D-3D and their global forms; no parameters."""

from __future__ import annotations

from cnnexplain._rules._base import Explained, LayerArgs, rule, zero
from cnnexplain._rules.conv import spatial_names, spatial_shape
from cnnexplain._shapes import Shape, conv_length

__all__ = ["global_pooling", "pooling"]

_WINDOW = [f"{kind}Pooling{rank}D" for kind in ("Max", "Average") for rank in (1, 2, 3)]
_GLOBAL = [f"Global{kind}Pooling{rank}D" for kind in ("Max", "Average") for rank in (1, 2, 3)]


@rule(*_WINDOW)
def pooling(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; each length is ``⌊(n−p)/s⌋+1`` (valid) or ``⌈n/s⌉`` (same)."""
    rank = int(args.class_name[-2])
    (shape,) = inputs
    spatial, axis = spatial_shape(args, shape, rank)
    pool = args.integers("pool_size", rank, 2)
    strides = args.integers("strides", rank, None) if args.get("strides") is not None else pool
    padding = args.choice("padding", ("valid", "same"), "valid")
    dims = []
    steps = []
    for name, n, p, s in zip(spatial_names(rank), spatial, pool, strides, strict=True):
        dim = conv_length(n, p, stride=s, padding=padding)
        if dim.value is not None and dim.value < 1:
            raise args.error(
                "pool_size",
                f"the window is larger than the input along {name} ({n}) with padding='valid'",
                pool,
            )
        dims.append(dim.value)
        steps.append(f"{name}: {dim.text}")
    channels = shape[axis]
    out = (shape[0], *dims, channels) if axis == -1 else (shape[0], channels, *dims)
    return zero((out,), tuple(steps))


@rule(*_GLOBAL)
def global_pooling(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; keeps one value per channel."""
    rank = int(args.class_name[-2])
    (shape,) = inputs
    spatial, axis = spatial_shape(args, shape, rank)
    keepdims = args.boolean("keepdims", default=False)
    channels = shape[axis]
    if keepdims:
        ones = (1,) * len(spatial)
        out = (shape[0], *ones, channels) if axis == -1 else (shape[0], channels, *ones)
    else:
        out = (shape[0], channels)
    return zero((out,), ("one value per channel over " + "·".join(spatial_names(rank)),))
