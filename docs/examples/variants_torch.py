"""The variants of the page "Fewer parameters" as torch.nn modules.

PyTorch's ``Linear`` must be told its ``in_features``: each variant writes
the length ``Flatten`` hands over as channels · height · width.
"""

from collections import OrderedDict
from collections.abc import Callable

from torch import nn


def _head(in_features: int, **body: nn.Module) -> nn.Sequential:
    """``body``, then the question's Linear → 100 → 10, on 1×28×28 images."""
    return nn.Sequential(
        OrderedDict(
            **body,
            hidden=nn.Linear(in_features, 100),
            relu_hidden=nn.ReLU(),
            output=nn.Linear(100, 10),
        )
    )


def asked() -> nn.Sequential:
    """One 3×3 convolution (28 → 26), one pooling (26 → 13), Flatten."""
    return _head(
        32 * 13 * 13,
        conv=nn.Conv2d(1, 32, 3),
        relu=nn.ReLU(),
        pool=nn.MaxPool2d(2),
        flatten=nn.Flatten(),
    )


def one_more_pair() -> nn.Sequential:
    """28 → 26 → 13, then 13 → 11 → 5."""
    return _head(
        32 * 5 * 5,
        conv=nn.Conv2d(1, 32, 3),
        relu=nn.ReLU(),
        pool=nn.MaxPool2d(2),
        conv_2=nn.Conv2d(32, 32, 3),
        relu_2=nn.ReLU(),
        pool_2=nn.MaxPool2d(2),
        flatten=nn.Flatten(),
    )


def answer_example() -> nn.Sequential:
    """5×5 kernels, 8 then 16 filters: 28 → 24 → 12, then 12 → 8 → 4."""
    return _head(
        16 * 4 * 4,
        conv=nn.Conv2d(1, 8, 5),
        relu=nn.ReLU(),
        pool=nn.MaxPool2d(2),
        conv_2=nn.Conv2d(8, 16, 5),
        relu_2=nn.ReLU(),
        pool_2=nn.MaxPool2d(2),
        flatten=nn.Flatten(),
    )


def strided() -> nn.Sequential:
    """A stride of 2: 28 → ⌊(28 − 3)/2⌋ + 1 = 13, pooled to 6."""
    return _head(
        32 * 6 * 6,
        conv=nn.Conv2d(1, 32, 3, stride=2),
        relu=nn.ReLU(),
        pool=nn.MaxPool2d(2),
        flatten=nn.Flatten(),
    )


def global_pooling() -> nn.Sequential:
    """The average of each of the 32 feature maps, whatever their size."""
    return _head(
        32,
        conv=nn.Conv2d(1, 32, 3),
        relu=nn.ReLU(),
        pool=nn.MaxPool2d(2),
        gap=nn.AdaptiveAvgPool2d(1),
        flatten=nn.Flatten(),
    )


VARIANTS: dict[str, Callable[[], nn.Sequential]] = {
    "asked": asked,
    "one_more_pair": one_more_pair,
    "answer_example": answer_example,
    "strided": strided,
    "global_pooling": global_pooling,
}
