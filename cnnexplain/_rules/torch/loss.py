"""torch.nn's loss modules: no parameters (but LinearCrossEntropyLoss's projection), a loss out.

A loss with ``reduction='mean'`` or ``'sum'`` (or KLDivLoss's ``'batchmean'``)
returns one number, shape ``()``. With ``reduction='none'`` it keeps one value
per element (element-wise losses), per example and position (the class axis
1 removed: CrossEntropyLoss, NLLLoss), or per example (the last axis reduced:
margin and embedding losses; CTCLoss: one per sequence). A class ``weight``
tensor is a buffer, never counted. Their work is not multiply-accumulates: 0 MACs.

Examples:
    >>> from cnnexplain._rules.protocol import LayerArgs
    >>> ce = LayerArgs("ce", "CrossEntropyLoss", {"reduction": "none"})
    >>> loss(ce, [(4, 10, 7), (4, 7)]).outputs
    ((4, 7),)
    >>> linear_cross_entropy(
    ...     LayerArgs("lce", "LinearCrossEntropyLoss", {"num_classes": 5, "out_features": ()}),
    ...     [(3, 8), (3,)],
    ... ).formula.symbols()
    'in_features·num_classes'
"""

from __future__ import annotations

import math

from cnnexplain._formula import Formula, Product, Term
from cnnexplain._rules.families.dense import DenseSymbols, dense_macs, dense_parameters
from cnnexplain._rules.protocol import Explained, LayerArgs, Weight, fmt_shape, zero
from cnnexplain._rules.registry import torch_rule
from cnnexplain._rules.torch.args import known, one_input, zero_cost
from cnnexplain._shapes import Shape

__all__ = ["CLASS_AXIS", "ELEMENTWISE", "LAST_AXIS", "linear_cross_entropy", "loss"]

ELEMENTWISE = (
    "BCELoss",
    "BCEWithLogitsLoss",
    "GaussianNLLLoss",
    "HingeEmbeddingLoss",
    "HuberLoss",
    "KLDivLoss",
    "L1Loss",
    "MSELoss",
    "MarginRankingLoss",
    "PoissonNLLLoss",
    "SmoothL1Loss",
    "SoftMarginLoss",
)
"""Losses whose ``reduction='none'`` output has the input's shape."""
CLASS_AXIS = ("CrossEntropyLoss", "NLLLoss", "NLLLoss2d")
"""Losses whose ``reduction='none'`` output drops the class axis (1; the only one on 1-D input)."""
LAST_AXIS = (
    "CosineEmbeddingLoss",
    "MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss",
    "MultiMarginLoss",
    "TripletMarginLoss",
    "TripletMarginWithDistanceLoss",
)
"""Losses whose ``reduction='none'`` output drops the last axis (one value per example)."""


def _per_element(args: LayerArgs, inputs: list[Shape]) -> tuple[Shape, str]:
    shape = one_input(args, inputs)
    kind = args.class_name
    if kind in ELEMENTWISE:
        return shape, "one loss per element: the input's shape"
    if kind in CLASS_AXIS:
        out = shape[:1] + shape[2:] if len(shape) > 1 else ()
        return out, "one loss per example and position: the class axis (1) removed"
    if kind == "CTCLoss":  # log_probs (T, N, C) or (T, C)
        return (shape[1],) if len(shape) == 3 else (), "one loss per sequence"  # noqa: PLR2004
    return shape[:-1], "one loss per example: the last axis reduced"


@torch_rule(*ELEMENTWISE, *CLASS_AXIS, *LAST_AXIS, "CTCLoss")
def loss(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """No parameters; shape ``()`` unless ``reduction='none'``."""
    reduction = str(args.get("reduction", "mean"))
    if reduction != "none":
        return zero_cost(zero(((),), (f"reduction='{reduction}': one number, shape ()",)))
    out, why = _per_element(args, inputs)
    return zero_cost(zero((out,), (f"reduction='none': {why}, {fmt_shape(out)}",)))


@torch_rule("LinearCrossEntropyLoss")
def linear_cross_entropy(args: LayerArgs, inputs: list[Shape]) -> Explained:
    """``in_features·num_classes·∏out_features`` (+ as many biases): its ``linear`` projection.

    The loss applies the projection itself (the ``linear`` child is never
    called), then the cross entropy of the logits; no logits are stored. MACs:
    the projection's, as a Linear's.
    """
    shape = one_input(args, inputs)
    n_in = known(args, shape, -1, "input size (last axis)")
    classes = args.integer("num_classes")
    extra = tuple(int(d) for d in (args.get("out_features") or ()))
    bias = bool(args.get("linear.bias", False))
    width = classes * math.prod(extra)
    formula: Formula = dense_parameters(n_in, classes, bias=bias, symbols=_LCE)
    if extra:  # K-dimensional: num_classes·d1·…·dK outputs
        units = Product(
            (Term(classes, "num_classes"), *(Term(d, f"d{i + 1}") for i, d in enumerate(extra)))
        )
        x = Term(n_in, "in_features")
        formula = (x + 1) * units if bias else x * units
    weights = [Weight("linear.weight", (width, n_in))]
    if bias:
        weights.append(Weight("linear.bias", (width,)))
    reduction = str(args.get("reduction", "mean"))
    out: Shape = (*shape[:-1], *extra) if reduction == "none" else ()
    steps = (f"logits: {fmt_shape((*shape[:-1], classes, *extra))}, never stored",)
    macs = dense_macs(shape if len(shape) > 1 else (1, *shape), width, symbols=_LCE)
    return Explained(formula, tuple(weights), (out,), steps, macs=macs)


_LCE = DenseSymbols("in_features", "num_classes")
