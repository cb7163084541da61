"""Layers defined inside ``keras.applications`` models (ConvNeXt's LayerScale, StochasticDepth)."""

from __future__ import annotations

from cnnexplain._formula import Term
from cnnexplain._rules.protocol import NO_MACS, Explained, LayerArgs, Weight, zero
from cnnexplain._rules.registry import rule
from cnnexplain._shapes import Shape

__all__ = ["layer_scale", "stochastic_depth"]


@rule("LayerScale")
def layer_scale(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``C``: one trainable scale per channel (``gamma``), ConvNeXt's residual scaling.

    Symbols: ``C`` the ``projection_dim`` (the last axis of the input).
    """
    (shape,) = inputs
    if args.get("projection_dim") is None:
        c = args.known(shape, -1, "number of channels")
    else:
        c = args.integer("projection_dim")
    weights = (Weight("gamma", (c,)),)
    steps = ("same shape as the input",)
    return Explained(Term(c, "C"), weights, (shape,), steps, macs=NO_MACS)  # element-wise


@rule("StochasticDepth")
def stochastic_depth(args: LayerArgs, inputs: list[Shape]) -> Explained:  # noqa: ARG001
    """``0``: drops the whole residual branch at random during training."""
    (shape,) = inputs
    return zero((shape,), ("same shape as the input",))
