"""The same ResNet basic block as a torch.nn module, as torchvision has it."""

from torch import Tensor, nn


class BasicBlock(nn.Module):
    """Two 3×3 convolutions and a 1×1 projection shortcut, added."""

    def __init__(self, in_channels: int = 16, channels: int = 32) -> None:
        super().__init__()
        # Main path: two 3×3 convolutions, each followed by BatchNorm2d.
        self.conv1 = nn.Conv2d(
            in_channels, channels, 3, stride=2, padding=1, bias=False
        )
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        # Shortcut: a 1×1 convolution with the same stride.
        self.downsample = nn.Sequential(
            nn.Conv2d(in_channels, channels, 1, stride=2, bias=False),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.downsample(x))


block_net = BasicBlock()
