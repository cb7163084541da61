"""One rule per ``torch.nn`` module class; importing this package registers them all.

They are readers of torch's arguments onto the framework-neutral families
(`cnnexplain._rules.families`), registered apart from the Keras rules because the
two frameworks share class names (``Embedding``, ``LSTM``, ``Flatten``) with
different arguments.
"""

from __future__ import annotations

from cnnexplain._rules.registry import TORCH_RULES, find_torch_rule, torch_rule
from cnnexplain._rules.torch import (
    adaptive,
    attention,
    conv,
    core,
    embedding,
    fold,
    loss,
    norm,
    recurrent,
)

__all__ = [
    "TORCH_RULES",
    "adaptive",
    "attention",
    "conv",
    "core",
    "embedding",
    "find_torch_rule",
    "fold",
    "loss",
    "norm",
    "recurrent",
    "torch_rule",
]
