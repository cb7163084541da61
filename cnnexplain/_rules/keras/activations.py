"""PReLU: a learned slope for negative inputs."""

from __future__ import annotations

from cnnexplain._formula import Formula, Term
from cnnexplain._rules.protocol import NO_MACS, Explained, LayerArgs, Weight
from cnnexplain._rules.registry import rule
from cnnexplain._shapes import Shape

__all__ = ["prelu"]


@rule("PReLU")
def prelu(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``∏ non-shared lengths``: one slope ``alpha`` per input value, less ``shared_axes``.

    Symbols: the input's lengths after the batch axis, with 1 along each of
    ``shared_axes``. For a (H, W, C) image, ``shared_axes=[1, 2]`` gives ``C``
    slopes; the default gives ``H·W·C``.
    """
    (shape,) = inputs
    shared = args.get("shared_axes")
    axes = [] if shared is None else [shared] if isinstance(shared, int) else shared
    rank = len(shape)
    if not isinstance(axes, (list, tuple)) or any(
        isinstance(a, bool) or not isinstance(a, int) or not 1 <= a < rank for a in axes
    ):
        raise args.error(
            "shared_axes", f"'shared_axes' must name axes 1..{rank - 1} of the input", shared
        )
    names = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}.get(rank - 2, ())
    symbols = (*names, "C") if names else tuple(f"n_{i}" for i in range(1, rank))
    dims: list[int] = []
    formula: Formula | None = None
    for i, symbol in enumerate(symbols, start=1):
        if i in axes:
            dims.append(1)
            continue
        n = args.known(shape, i, "input length")
        dims.append(n)
        formula = Term(n, symbol) if formula is None else formula * Term(n, symbol)
    weights = (Weight("alpha", tuple(dims)),)
    note = f"slopes shared along axes {sorted(axes)}" if axes else "one slope per input value"
    steps = ("same shape as the input",)
    return Explained(formula or Term(1), weights, (shape,), steps, note, macs=NO_MACS)
