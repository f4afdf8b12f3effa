"""``Conv1d`` and 1-D pooling layers (computed by the 2-D code on height-1 images)."""
from __future__ import annotations

import math

from ..module import Module
from .. import init
from .linear import _empty_param
from .._functional.conv1d import (conv1d, max_pool1d, avg_pool1d, adaptive_avg_pool1d, _one,
                                  adaptive_max_pool1d, conv_transpose1d)
from ...ops.shape import pad as _pad


class _Conv1dBase(Module):
    """What Conv1d and ConvTranspose1d share: PyTorch's default init and repr."""

    output_padding = (0,)

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            init.uniform_(self.bias, -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in))

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,):
            s += f", padding={self.padding}"
        if self.dilation != (1,):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_Conv1dBase):
    """1-D convolution: (N, C, L) -> (N, O, Lo). Args as Conv2d with ints; weight
    (out, in/groups, k), PyTorch's default init."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ValueError("in_channels and out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 f"{{'valid', 'same'}}")
            if padding == "same" and _one(stride) != 1:
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"padding_mode must be one of ['zeros', 'reflect', 'replicate', "
                             f"'circular'], but got padding_mode='{padding_mode}'")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = (_one(kernel_size),), (_one(stride),)
        self.padding = padding if isinstance(padding, str) else (_one(padding),)
        self.dilation, self.groups = (_one(dilation),), groups
        self.padding_mode, self.transposed = padding_mode, False
        self.weight = _empty_param((out_channels, in_channels // groups, self.kernel_size[0]),
                                   dtype, device)
        self.bias = _empty_param((out_channels,), dtype, device) if bias else None
        self.reset_parameters()

    def forward(self, input):  # noqa: A002
        if self.padding_mode != "zeros":
            if self.padding == "same":  # PyTorch's split: the odd pixel goes on the right
                total = self.dilation[0] * (self.kernel_size[0] - 1)
                pads = [total // 2, total - total // 2]
            else:
                pads = [0, 0] if self.padding == "valid" else [self.padding[0]] * 2
            x = _pad(input, pads, mode=self.padding_mode)
            return conv1d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                      self.groups)


class MaxPool1d(Module):
    """1-D max pooling. Args: kernel_size, stride=None, padding=0, dilation=1,
    return_indices=False, ceil_mode=False."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):  # noqa: A002
        return max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          self.ceil_mode, self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool1d(Module):
    """1-D average pooling. Args: kernel_size, stride=None, padding=0, ceil_mode=False,
    count_include_pad=True."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        self.kernel_size = (_one(kernel_size),)
        self.stride = (_one(stride if stride is not None else kernel_size),)
        self.padding = (_one(padding),)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):  # noqa: A002
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool1d(Module):
    """Average pooling of the last dim to ``output_size``."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):  # noqa: A002
        return adaptive_avg_pool1d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class ConvTranspose1d(_Conv1dBase):
    """1-D transposed convolution: (N, Cin, L) -> (N, Cout, Lo),
    Lo = (L - 1) s - 2p + d (k - 1) + output_padding + 1. Weight (in, out/groups, k), PyTorch's
    default init; ``forward(x, output_size=None)`` may ask for a specific length."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError('Only "zeros" padding mode is supported for ConvTranspose1d')
        if in_channels % groups or out_channels % groups:
            raise ValueError("in_channels and out_channels must be divisible by groups")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = (_one(kernel_size),), (_one(stride),)
        self.padding, self.output_padding = (_one(padding),), (_one(output_padding),)
        self.dilation, self.groups, self.padding_mode = (_one(dilation),), groups, padding_mode
        self.transposed = True
        self.weight = _empty_param((in_channels, out_channels // groups, self.kernel_size[0]),
                                   dtype, device)
        self.bias = _empty_param((out_channels,), dtype, device) if bias else None
        self.reset_parameters()

    def forward(self, input, output_size=None):  # noqa: A002
        opad = self.output_padding[0]
        if output_size is not None:
            n = input.shape[-1]
            lo = ((n - 1) * self.stride[0] - 2 * self.padding[0]
                  + self.dilation[0] * (self.kernel_size[0] - 1) + 1)
            want = int(list(output_size)[-1])
            if not lo <= want < lo + max(self.stride[0], self.dilation[0]):
                raise ValueError(f"requested an output size of {list(output_size)}, but valid "
                                 f"sizes range from {lo} to {lo + self.stride[0] - 1} (for an "
                                 f"input of {[n]})")
            opad = want - lo
        return conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding, opad,
                                self.groups, self.dilation)


class AdaptiveMaxPool1d(Module):
    """Max pooling of (N, C, L) to a fixed length.  Args: output_size, return_indices=False."""

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):  # noqa: A002
        return adaptive_max_pool1d(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"
