"""The networks ``chaingrad train`` builds: the default small CNN, the MLP and an adapter that
lets torchvision's ResNet-18 (``chaingrad.models.resnet18``) read 1-channel images."""
from __future__ import annotations

from .. import nn


class StridedCNN(nn.Module):
    """The default `--model cnn`: two strided convolutions and a linear classifier, sized to train on a laptop CPU.

    ``x (N, C, H, W) -> conv 5x5 / 2 (C -> 32) -> ReLU -> conv 3x3 / 2 (32 -> 64) -> ReLU
    -> flatten -> linear (64 * H/4 * W/4 -> num_classes)``

    Strided convolutions instead of conv + max-pool: four times fewer multiply-adds for the
    same receptive field, which is what makes two Fashion-MNIST epochs fit in a couple of
    minutes on two cores. (``chaingrad.models.SmallCNN``, conv + max-pool at full resolution,
    is the heavier classic.)
    """

    def __init__(self, in_channels=1, height=28, width=28, num_classes=10, width_mult=1):
        super().__init__()
        c1, c2 = 32 * width_mult, 64 * width_mult
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, 5, stride=2, padding=2), nn.ReLU(),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten())
        h, w = (height + 3) // 4, (width + 3) // 4
        self.classifier = nn.Linear(c2 * h * w, num_classes)

    def forward(self, x):
        return self.classifier(self.features(x))


def mlp(in_features, num_classes, hidden=(256, 128)):
    """``flatten -> [linear -> ReLU] per hidden size -> linear``."""
    layers, prev = [nn.Flatten()], in_features
    for h in hidden:
        layers += [nn.Linear(prev, h), nn.ReLU()]
        prev = h
    layers.append(nn.Linear(prev, num_classes))
    return nn.Sequential(*layers)


def resnet18_gray(in_channels, num_classes):
    """``chaingrad.models.resnet18`` (torchvision layout and key names) with its first
    convolution taking ``in_channels`` instead of 3."""
    from ..models import resnet18
    model = resnet18(num_classes=num_classes)
    if in_channels != 3:
        model.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model
