"""Nominal floating-point work of one training step, for the achieved GFLOP/s column.

Convention (the usual one, and the one the issue's 14.3 GFLOP for W3b uses): only the matrix
products of linear and convolution layers count, 2 FLOPs per multiply-add, and a training step
costs 3x the forward pass (forward, gradient of the input, gradient of the weight).
Element-wise work (ReLU, batch norm, pooling, the loss, the optimizer) is left out, so the
figure is the rate of useful matrix work and can be compared with the BLAS peak.
"""
from __future__ import annotations


def _conv_out(size, kernel, stride, pad):
    return (size + 2 * pad - kernel) // stride + 1


def mlp_macs(batch, sizes=(784, 512, 512, 10)):
    return batch * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def small_cnn_macs(batch, hw=28):
    m = batch * hw * hw * 32 * 9 * 1            # conv 1->32, 3x3, pad 1
    hw //= 2
    m += batch * hw * hw * 64 * 9 * 32          # conv 32->64 at 14x14
    hw //= 2
    m += batch * 64 * hw * hw * 10              # linear 3136 -> 10
    return m


def resnet18_macs(batch, hw=64, num_classes=1000):
    """Multiply-adds of torchvision's ResNet-18 forward pass on ``batch x 3 x hw x hw``."""
    macs = 0

    def conv(cin, cout, k, s, p, size):
        nonlocal macs
        out = _conv_out(size, k, s, p)
        macs += batch * out * out * cout * cin * k * k
        return out

    size = conv(3, 64, 7, 2, 3, hw)
    size = _conv_out(size, 3, 2, 1)                       # max pool
    inplanes = 64
    for planes, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        out = conv(inplanes, planes, 3, stride, 1, size)
        conv(planes, planes, 3, 1, 1, out)
        if stride != 1 or inplanes != planes:
            conv(inplanes, planes, 1, stride, 0, size)
        conv(planes, planes, 3, 1, 1, out)
        conv(planes, planes, 3, 1, 1, out)
        size, inplanes = out, planes
    macs += batch * 512 * num_classes
    return macs


def train_flops(macs):
    """FLOPs of one training step whose forward pass does ``macs`` multiply-adds."""
    return 3 * 2 * macs
