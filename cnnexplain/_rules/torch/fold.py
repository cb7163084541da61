"""torch.nn's Fold: columns of sliding blocks back into an image, no parameters.

Fold is Unfold's inverse (Unfold's rule is with the convolutions):
``(N, C·k_h·k_w, L)`` back to ``(N, C, *output_size)``, overlapping values
summed, where ``L`` must be the number of window positions in ``output_size``,
each axis's the convolution's sliding-window length ``⌊(n+2p−d·(k−1)−1)/s⌋+1``.
Data movement only: 0 MACs.

Examples:
    >>> from cnnexplain._rules.protocol import LayerArgs
    >>> config = {"output_size": (4, 5), "kernel_size": 2}
    >>> fold(LayerArgs("f", "Fold", config), [(1, 12, 12)]).outputs
    ((1, 3, 4, 5),)
"""

from __future__ import annotations

import math

from cnnexplain._rules.families.conv import padded_length
from cnnexplain._rules.protocol import Explained, LayerArgs, fmt_shape, zero
from cnnexplain._rules.registry import torch_rule
from cnnexplain._rules.torch.args import ints, known, one_input, zero_cost
from cnnexplain._shapes import Dim, Shape

__all__ = ["fold"]


def _blocks(args: LayerArgs, spatial: tuple[int, ...]) -> list[Dim]:
    """The window positions along each spatial axis, as a convolution's lengths."""
    rank = len(spatial)
    kernel = ints(args, "kernel_size", rank)
    stride = ints(args, "stride", rank, 1)
    padding = ints(args, "padding", rank, 0, minimum=0)
    dilation = ints(args, "dilation", rank, 1)
    return [
        padded_length(n, k, stride=s, before=p, after=p, dilation=d)
        for n, k, s, p, d in zip(spatial, kernel, stride, padding, dilation, strict=True)
    ]


@torch_rule("Fold")
def fold(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; ``(N, C·k_h·k_w, L)`` → ``(N, C, *output_size)``, overlaps summed."""
    shape = one_input(args, inputs)
    if len(shape) not in (2, 3):
        raise args.error(
            None, f"expects input (N, C·k_h·k_w, L) or (C·k_h·k_w, L), got {fmt_shape(shape)}"
        )
    size = ints(args, "output_size", 2)
    kernel = ints(args, "kernel_size", 2)
    columns = known(args, shape, -2, "number of columns (C·k_h·k_w)")
    length = known(args, shape, -1, "number of blocks L")
    window = math.prod(kernel)
    blocks = _blocks(args, size)
    positions = math.prod(int(b.value or 0) for b in blocks)
    if columns % window or length != positions:
        raise args.error(
            "output_size",
            f"input {fmt_shape(shape)} needs C·{window} columns and {positions} blocks",
            size,
        )
    out = (*shape[:-2], columns // window, *size)
    steps = (
        f"C = {columns}/({kernel[0]}·{kernel[1]}) = {columns // window}",
        f"output_size = {fmt_shape(size)} ({positions} blocks)",
    )
    return zero_cost(zero((out,), steps))
