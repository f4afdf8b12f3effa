"""Ready-made models: torchvision's ResNets (same architecture, init and ``state_dict`` keys),
an MLP and the small CNN of the course's training examples.

    model = cg.models.resnet18()                           # random init, 1000 classes
    model = cg.models.resnet18(weights="resnet18.cgt")     # a local file (see convert-torch)
    mlp = cg.models.MLP([784, 256, 10])
    cnn = cg.models.SmallCNN(in_channels=1, height=28, width=28, num_classes=10)
"""
from .resnet import (ResNet, BasicBlock, Bottleneck, resnet18, resnet34, resnet50, resnet101,
                     resnet152, resnext50_32x4d, wide_resnet50_2, load_weights)
from .mlp import MLP
from .cnn import SmallCNN

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "resnet18", "resnet34", "resnet50",
           "resnet101", "resnet152", "resnext50_32x4d", "wide_resnet50_2", "MLP", "SmallCNN",
           "load_weights"]
