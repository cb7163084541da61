"""torch.nn's AdaptiveLogSoftmaxWithLoss: a head and bias-free two-layer tail clusters.

AdaptiveLogSoftmaxWithLoss (Grave et al.'s adaptive softmax) holds a ``head``
Linear over the ``shortlist_size`` most frequent classes plus one logit per
tail cluster, and per cluster ``i`` a bias-free two-layer projection
``in_features → ⌊in_features/div_value^(i+1)⌋ → cluster size``: each a dense
layer of the dense family. Which clusters run depends on the targets, so its
MACs are unknown. ``RNNBase(mode, ...)`` is the recurrent rule under its mode.

Examples:
    >>> from cnnexplain._rules.protocol import LayerArgs
    >>> config = {"in_features": 16, "n_classes": 20, "cutoffs": (5, 10, 20), "div_value": 2.0,
    ...           "head_bias": False, "shortlist_size": 5, "n_clusters": 2, "head_size": 7}
    >>> r = adaptive_log_softmax(LayerArgs("asm", "AdaptiveLogSoftmaxWithLoss", config), [(4, 16)])
    >>> int(r.formula), r.outputs
    (384, ((4,), ()))
"""

from __future__ import annotations

from cnnexplain._formula import Formula, Sum
from cnnexplain._rules.families.dense import DenseSymbols, dense_parameters
from cnnexplain._rules.protocol import Explained, LayerArgs, Weight, fmt_shape
from cnnexplain._rules.registry import torch_rule
from cnnexplain._rules.torch.args import known, one_input
from cnnexplain._shapes import Shape

__all__ = ["adaptive_log_softmax"]

HEAD = DenseSymbols("in_features", "head_size")


@torch_rule("AdaptiveLogSoftmaxWithLoss")
def adaptive_log_softmax(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``head`` (in_features+bias)·head_size, plus per cluster in·h_i + h_i·size_i."""
    shape = one_input(args, inputs)
    n_in = args.integer("in_features")
    got = known(args, shape, -1, "input size (last axis)")
    if got != n_in:
        raise args.error("in_features", f"the input's last axis has {got} values", n_in)
    cutoffs = [int(c) for c in args.get("cutoffs") or ()]
    head_size = args.integer("head_size")
    bias = args.boolean("head_bias", default=False)
    div_value = float(args.get("div_value", 4.0))
    parts: list[Formula] = [dense_parameters(n_in, head_size, bias=bias, symbols=HEAD)]
    weights = [Weight("head.weight", (head_size, n_in))]
    if bias:
        weights.append(Weight("head.bias", (head_size,)))
    steps = [f"head: shortlist_size+n_clusters = {head_size} logits"]
    for i in range(len(cutoffs) - 1):
        hidden = int(n_in // (div_value ** (i + 1)))
        size = cutoffs[i + 1] - cutoffs[i]
        h = f"h_{i + 1}"
        parts.append(
            dense_parameters(n_in, hidden, bias=False, symbols=DenseSymbols("in_features", h))
        )
        parts.append(
            dense_parameters(hidden, size, bias=False, symbols=DenseSymbols(h, f"cluster_{i + 1}"))
        )
        weights += [
            Weight(f"tail.{i}.0.weight", (hidden, n_in)),
            Weight(f"tail.{i}.1.weight", (size, hidden)),
        ]
        steps.append(
            f"cluster {i + 1}: {h} = ⌊{n_in}/{div_value:g}^{i + 1}⌋ = {hidden}, {size} classes"
        )
    out: Shape = shape[:-1]
    steps.append(f"output: one log-probability per example {fmt_shape(out)}, loss ()")
    return Explained(
        Sum(tuple(parts)),
        tuple(weights),
        (out, ()),
        tuple(steps),
        "the tail clusters run only for the targets that fall in them: MACs unknown",
        macs=None,
    )
