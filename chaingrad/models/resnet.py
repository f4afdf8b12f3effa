"""ResNet (He et al., 2015) exactly as torchvision builds it.

Same modules, attribute names and order, so ``state_dict()`` keys are torchvision's
(``conv1.weight``, ``bn1.running_mean``, ``layer1.0.conv1.weight``,
``layer2.0.downsample.0.weight``, ``fc.bias`` ...) and converted torchvision weights load
unchanged; same initialisation (convolutions ``kaiming_normal_(mode='fan_out',
nonlinearity='relu')``, BatchNorm weight 1 and bias 0, ``fc`` PyTorch's Linear default).

A residual block computes ``relu(F(x) + shortcut(x))``: back-propagation through the sum sends
the incoming gradient unchanged down the shortcut, which is why very deep ResNets train.
"""
from __future__ import annotations

import os
import warnings

from .. import nn
from ..nn import init


def _norm_classes():
    return tuple(c for c in (getattr(nn, "BatchNorm2d", None), getattr(nn, "GroupNorm", None))
                 if c is not None)


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    """3x3 convolution with padding (no bias: a BatchNorm follows)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation,
                     groups=groups, bias=False, dilation=dilation)


def conv1x1(in_planes, out_planes, stride=1):
    """1x1 convolution (the projection shortcut and the bottleneck's squeeze/expand)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions: ``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``."""

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU()
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)  # the shortcut: d(out + x)/dx passes grad through


class Bottleneck(nn.Module):
    """1x1 squeeze, 3x3 (strided, grouped), 1x1 expand by 4, plus the shortcut (ResNet v1.5:
    the stride sits on the 3x3 convolution, as in torchvision)."""

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU()
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """torchvision's ResNet.

    Args:
        block: :class:`BasicBlock` or :class:`Bottleneck`.
        layers: number of blocks in each of the four stages, e.g. ``[2, 2, 2, 2]``.
        num_classes (int): outputs of ``fc`` (default 1000).
        zero_init_residual (bool): start each block's last BatchNorm weight at 0, so every
            block begins as the identity (default False).
        groups, width_per_group: ResNeXt / wide ResNet options (default 1, 64).
        replace_stride_with_dilation: three bools, dilate instead of striding in layer2..4.
        norm_layer: normalisation module class (default ``nn.BatchNorm2d``).
        in_channels (int): input channels (default 3; a chaingrad extension for grey images).
    """

    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1,
                 width_per_group=64, replace_stride_with_dilation=None, norm_layer=None, *,
                 in_channels=3):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        self._norm_layer = norm_layer
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("replace_stride_with_dilation should be None or a 3-element "
                             f"tuple, got {replace_stride_with_dilation}")
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(in_channels, self.inplanes, kernel_size=7, stride=2, padding=3,
                               bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2,
                                       dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2,
                                       dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2,
                                       dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, _norm_classes()):
                init.constant_(m.weight, 1)
                init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                    init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width,
                        previous_dilation, norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups,
                                base_width=self.base_width, dilation=self.dilation,
                                norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.avgpool(x)
        return self.fc(x.flatten(1))


def load_weights(model, weights, strict=True):
    """Load ``weights`` (a ``cg.save`` file path or a state dict) into ``model``."""
    if weights is None:
        return model
    if isinstance(weights, (str, os.PathLike)):
        path = os.fspath(weights)
        if not os.path.exists(path):
            raise FileNotFoundError(
                f"weights file {path!r} not found. chaingrad does not download weights: pass "
                f"a local file, e.g. torchvision weights converted with `chaingrad "
                f"convert-torch resnet18.pth resnet18.cgt`")
        from ..serialization import load
        weights = load(path)
    if not hasattr(weights, "keys"):
        raise TypeError(f"weights must be a file path or a state dict, not "
                        f"{type(weights).__name__}")
    from ..tensor import Tensor
    if not all(isinstance(v, Tensor) for v in weights.values()):
        # a training checkpoint ({'model': state_dict, 'optimizer': ..., 'epoch': ...})
        inner = [k for k in ("state_dict", "model", "model_state_dict")
                 if hasattr(weights.get(k), "keys")]
        if not inner:
            raise ValueError(f"weights is neither a state dict nor a checkpoint holding one "
                             f"under 'state_dict' or 'model' (keys: {list(weights)[:8]})")
        weights = weights[inner[0]]
    model.load_state_dict(weights, strict=strict)
    return model


def _resnet(block, layers, weights, progress, kwargs):
    if "pretrained" in kwargs:
        # torchvision < 0.13's keyword: still accepted there with a deprecation warning
        pretrained = kwargs.pop("pretrained")
        warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be removed "
                      "in the future, please use 'weights' instead.", UserWarning, stacklevel=3)
        if pretrained and weights is None:
            raise ValueError("pretrained=True would download torchvision's weights; chaingrad "
                             "does not download: pass weights= a local file (see `chaingrad "
                             "convert-torch`)")
    model = ResNet(block, layers, **kwargs)
    return load_weights(model, weights)


def resnet18(num_classes=1000, weights=None, progress=True, **kwargs):
    """ResNet-18 (BasicBlock, [2, 2, 2, 2]; 11.7M parameters at 1000 classes).

    Args:
        num_classes (int): outputs (default 1000).
        weights: None (random init) or a local ``cg.save`` file / state dict to load.
        **kwargs: passed to :class:`ResNet` (zero_init_residual, in_channels ...).

    Example::

        model = cg.models.resnet18()
        out = model(cg.rand(1, 3, 64, 64))      # shape (1, 1000)
    """
    return _resnet(BasicBlock, [2, 2, 2, 2], weights, progress,
                   dict(kwargs, num_classes=num_classes))


def resnet34(num_classes=1000, weights=None, progress=True, **kwargs):
    """ResNet-34 (BasicBlock, [3, 4, 6, 3]). Arguments as :func:`resnet18`."""
    return _resnet(BasicBlock, [3, 4, 6, 3], weights, progress,
                   dict(kwargs, num_classes=num_classes))


def resnet50(num_classes=1000, weights=None, progress=True, **kwargs):
    """ResNet-50 (Bottleneck, [3, 4, 6, 3]). Arguments as :func:`resnet18`."""
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, progress,
                   dict(kwargs, num_classes=num_classes))


def resnet101(num_classes=1000, weights=None, progress=True, **kwargs):
    """ResNet-101 (Bottleneck, [3, 4, 23, 3])."""
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, progress,
                   dict(kwargs, num_classes=num_classes))


def resnet152(num_classes=1000, weights=None, progress=True, **kwargs):
    """ResNet-152 (Bottleneck, [3, 8, 36, 3])."""
    return _resnet(Bottleneck, [3, 8, 36, 3], weights, progress,
                   dict(kwargs, num_classes=num_classes))


def resnext50_32x4d(num_classes=1000, weights=None, progress=True, **kwargs):
    """ResNeXt-50 32x4d (grouped 3x3 convolutions: groups=32, width_per_group=4)."""
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, progress,
                   dict(kwargs, num_classes=num_classes, groups=32, width_per_group=4))


def wide_resnet50_2(num_classes=1000, weights=None, progress=True, **kwargs):
    """Wide ResNet-50-2 (bottleneck width doubled: width_per_group=128)."""
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, progress,
                   dict(kwargs, num_classes=num_classes, width_per_group=128))
