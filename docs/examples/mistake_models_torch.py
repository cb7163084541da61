"""The small models of the page "Common counting mistakes", in torch.nn."""

from collections import OrderedDict

from torch import nn


def small_cnn() -> nn.Sequential:
    """Conv2d 8×3×3, MaxPool2d 2×2, Flatten, Linear 10, on 1×28×28."""
    return nn.Sequential(
        OrderedDict(
            conv=nn.Conv2d(1, 8, 3),
            pool=nn.MaxPool2d(2),
            flatten=nn.Flatten(),
            dense=nn.Linear(8 * 13 * 13, 10),
        )
    )


def two_convs() -> nn.Sequential:
    """Two 3×3 convolutions on a colour image, global pooling, Linear 10."""
    return nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(3, 16, 3),
            conv2=nn.Conv2d(16, 32, 3),
            gap=nn.AdaptiveAvgPool2d(1),
            flatten=nn.Flatten(),
            dense=nn.Linear(32, 10),
        )
    )


def with_batchnorm() -> nn.Sequential:
    """Conv2d 16×3×3, BatchNorm2d, global pooling, Linear 10."""
    return nn.Sequential(
        OrderedDict(
            conv=nn.Conv2d(1, 16, 3),
            bn=nn.BatchNorm2d(16),
            gap=nn.AdaptiveAvgPool2d(1),
            flatten=nn.Flatten(),
            dense=nn.Linear(16, 10),
        )
    )


def mlp() -> nn.Sequential:
    """Linear 128, Linear 10, on flattened 28×28 images."""
    return nn.Sequential(
        OrderedDict(hidden=nn.Linear(28 * 28, 128), output=nn.Linear(128, 10))
    )


def dense_on_sequence() -> nn.Sequential:
    """Linear 8 on a sequence of 10 vectors of 16 values (no Flatten)."""
    return nn.Sequential(OrderedDict(dense=nn.Linear(16, 8)))


def recurrent() -> nn.Sequential:
    """An LSTM of 6 units on 7 time steps of 5 features."""
    return nn.Sequential(OrderedDict(rnn=nn.LSTM(5, 6, batch_first=True)))


def depthwise() -> nn.Sequential:
    """A depthwise Conv2d 3×3 (groups=4), two filters per channel, on 4×9×9."""
    return nn.Sequential(OrderedDict(dw=nn.Conv2d(4, 4 * 2, 3, groups=4)))


# The input each model takes, batch included.
INPUT_SIZES = {
    "small_cnn": (1, 1, 28, 28),
    "two_convs": (1, 3, 32, 32),
    "with_batchnorm": (1, 1, 28, 28),
    "mlp": (1, 28 * 28),
    "dense_on_sequence": (1, 10, 16),
    "recurrent": (1, 7, 5),
    "depthwise": (1, 4, 9, 9),
}

# The models whose count differs in torch.nn: BatchNorm2d has no moving
# statistics among its parameters, nn.LSTM keeps two bias vectors per gate.
COUNTED_OTHERWISE = {"with_batchnorm", "recurrent"}
