"""Pooling: Max/Average pooling 1D-3D and their global forms; no parameters."""

from __future__ import annotations

from cnnexplain._rules.keras.conv import read_window, spatial_names, spatial_shape
from cnnexplain._rules.protocol import Explained, Family, LayerArgs, zero
from cnnexplain._rules.registry import rule
from cnnexplain._shapes import Shape

__all__ = ["global_pooling", "pooling"]

_WINDOW = [f"{kind}Pooling{rank}D" for kind in ("Max", "Average") for rank in (1, 2, 3)]
_GLOBAL = [f"Global{kind}Pooling{rank}D" for kind in ("Max", "Average") for rank in (1, 2, 3)]


@rule(*_WINDOW)
def pooling(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; each length is ``⌊(n−p)/s⌋+1`` (valid) or ``⌈n/s⌉`` (same)."""
    w = read_window(
        args, inputs, kernel_key="pool_size", kernel_default=2, strides_default_kernel=True
    )
    return zero((w.output(w.shape[w.axis]),), w.steps, family=Family.POOL, window=w.data())


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
    steps = ("one value per channel over " + "·".join(spatial_names(rank)),)
    return zero((out,), steps, family=Family.GLOBAL_POOL)
