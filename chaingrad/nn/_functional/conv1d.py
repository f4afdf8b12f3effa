"""1-D convolution and pooling as their 2-D versions on a height-1 image (N, C, 1, L)."""
from __future__ import annotations

import re

from .conv import conv2d, max_pool2d, avg_pool2d, adaptive_avg_pool2d
from ._names import node_named


def _one(v):
    return int(v[0]) if isinstance(v, (tuple, list)) else int(v)


def _shapes_1d(err):
    """conv2d's error about the lifted (N, C, 1, L) tensors, told in 1-D shapes."""
    msg = re.sub(r"\[(\d+), (\d+), 1, (\d+)\]", r"[\1, \2, \3]", str(err))
    msg = re.sub(r"\(1 x (\d+)\)", r"(\1)", msg)
    return type(err)(msg)


def _lift(x, fn):
    if x.ndim not in (2, 3):
        raise RuntimeError(f"{fn}: Expected 2D (unbatched) or 3D (batched) input, but got input "
                           f"of size: {list(x.shape)}")
    return x.unsqueeze(-2)


@node_named("ConvolutionBackward0", batched_ndim=3)
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """1-D cross-correlation: input (N, C, L), weight (O, C/groups, k) -> (N, O, Lo)."""
    pad = padding if isinstance(padding, str) else (0, _one(padding))
    try:
        y = conv2d(_lift(input, "conv1d"), weight.unsqueeze(2), bias, (1, _one(stride)), pad,
                   (1, _one(dilation)), groups)
    except RuntimeError as e:
        raise _shapes_1d(e) from None
    return y.squeeze(-2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False):
    """1-D max pooling over the last dim."""
    if _one(dilation) <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got "
                           f"{_one(dilation)}")
    s = None if stride is None or stride == [] else (1, _one(stride))
    out = max_pool2d(_lift(input, "max_pool1d"), (1, _one(kernel_size)), s, (0, _one(padding)),
                     (1, _one(dilation)), ceil_mode, return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True):
    """1-D average pooling over the last dim."""
    s = None if stride is None or stride == [] else (1, _one(stride))
    return avg_pool2d(_lift(input, "avg_pool1d"), (1, _one(kernel_size)), s,
                      (0, _one(padding)), ceil_mode, count_include_pad).squeeze(-2)


def adaptive_avg_pool1d(input, output_size):  # noqa: A002
    """Average pooling of the last dim to ``output_size``."""
    return adaptive_avg_pool2d(_lift(input, "adaptive_avg_pool1d"),
                               (1, _one(output_size))).squeeze(-2)


def adaptive_max_pool1d(input, output_size, return_indices=False):  # noqa: A002
    """Max pooling of the last dim to ``output_size`` (PyTorch's adaptive bins)."""
    from ..layers.extra import adaptive_max_pool2d
    out = adaptive_max_pool2d(_lift(input, "adaptive_max_pool1d"), (1, _one(output_size)),
                              return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


@node_named("ConvolutionBackward0", batched_ndim=3)
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,  # noqa: A002
                     groups=1, dilation=1):
    """1-D transposed convolution: input (N, Cin, L), weight (Cin, Cout/groups, k) ->
    (N, Cout, (L - 1) s - 2p + d (k - 1) + output_padding + 1)."""
    from .conv import conv_transpose2d
    try:
        y = conv_transpose2d(_lift(input, "conv_transpose1d"), weight.unsqueeze(2), bias,
                             (1, _one(stride)), (0, _one(padding)), (0, _one(output_padding)),
                             groups, (1, _one(dilation)))
    except RuntimeError as e:
        raise _shapes_1d(e) from None
    return y.squeeze(-2)
