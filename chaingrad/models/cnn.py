"""The small convolutional network of the course's training examples (Fashion-MNIST)."""
from __future__ import annotations

from .. import nn


class SmallCNN(nn.Module):
    r"""Two convolution stages and a linear classifier::

        conv3x3(in->32, pad 1) [BN] ReLU maxpool2 -> conv3x3(32->64, pad 1) [BN] ReLU maxpool2
        -> flatten -> [dropout] -> Linear(64 * (H//4) * (W//4) -> num_classes)

    On 1x28x28 images the classifier is Linear(3136, 10) (the benchmark's workload W2).

    Args:
        in_channels (int): image channels (default 1).
        height, width (int): image size (default 28, 28; width defaults to height).
        num_classes (int): outputs (default 10).
        batch_norm (bool): BatchNorm2d after each convolution (default False).
        dropout (float): dropout before the classifier (default 0).
        channels (tuple): widths of the two stages (default (32, 64)).

    ``state_dict`` keys: ``features.0.weight``, ``features.0.bias``, ``features.3.weight`` ...
    (``features.4`` / ``features.5`` shift by one per stage with batch_norm) and
    ``classifier.weight``, ``classifier.bias``.

    Example::

        model = cg.models.SmallCNN()                   # Fashion-MNIST: 1x28x28, 10 classes
        logits = model(cg.rand(64, 1, 28, 28))         # (64, 10)
    """

    def __init__(self, in_channels=1, height=28, width=None, num_classes=10, *, batch_norm=False,
                 dropout=0.0, channels=(32, 64)):
        super().__init__()
        width = height if width is None else width
        if height < 4 or width < 4:
            raise ValueError(f"SmallCNN needs images of at least 4x4 (two 2x2 poolings), got "
                             f"{height}x{width}")
        c1, c2 = channels
        layers = [nn.Conv2d(in_channels, c1, 3, padding=1)]
        if batch_norm:
            layers.append(nn.BatchNorm2d(c1))
        layers += [nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(c1, c2, 3, padding=1)]
        if batch_norm:
            layers.append(nn.BatchNorm2d(c2))
        layers += [nn.ReLU(), nn.MaxPool2d(2)]
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None
        self.classifier = nn.Linear(c2 * (height // 4) * (width // 4), num_classes)
        self.in_channels, self.height, self.width = in_channels, height, width
        self.num_classes = num_classes

    def forward(self, x):
        x = self.features(x).flatten(1)
        if self.dropout is not None:
            x = self.dropout(x)
        return self.classifier(x)
