"""The frameworks whose models cnnexplain reads, and the conventions that differ, as data.

A row says which framework's argument names its config holds; code that needs a
convention asks the `Framework` (its name as users know it, its default axis
order) instead of comparing strings, so a third source cannot silently take
another's branch.

Examples:
    >>> Framework.TORCH.shown, Framework.TORCH.channels_first
    ('PyTorch', True)
    >>> Framework("keras") is Framework.KERAS
    True
"""

from __future__ import annotations

import enum

__all__ = ["Framework"]


class Framework(str, enum.Enum):
    """Whose names and conventions a layer row follows."""

    KERAS = "keras"
    TORCH = "torch"

    @property
    def shown(self) -> str:
        """The framework's name as its users write it."""
        return _SHOWN[self]

    @property
    def channels_first(self) -> bool:
        """Whether image tensors put channels before the spatial axes by default."""
        return self is Framework.TORCH


_SHOWN = {Framework.KERAS: "Keras", Framework.TORCH: "PyTorch"}
