"""The question's model in PyTorch: the same layers, channels first."""

from collections import OrderedDict

from torch import nn


def define_net() -> nn.Sequential:
    """Conv2d 1→32 3×3, MaxPool2d 2×2, Flatten, Linear 5408→100, Linear →10."""
    return nn.Sequential(
        OrderedDict(
            conv=nn.Conv2d(1, 32, kernel_size=3),  # in_channels, out_channels
            relu1=nn.ReLU(),
            pool=nn.MaxPool2d(2),
            flatten=nn.Flatten(),
            hidden=nn.Linear(32 * 13 * 13, 100),  # in_features: 32·13·13 = 5408
            relu2=nn.ReLU(),
            output=nn.Linear(100, 10),
        )
    )
