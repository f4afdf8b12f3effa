"""``Conv2d`` and ``ConvTranspose2d`` layers with PyTorch's default initialisation."""
from __future__ import annotations

from ..module import Module
from .linear import _default_init_, _weight_and_bias
from .._functional.conv import _pair, conv2d, conv_transpose2d
from ...ops.shape import pad as _pad


class _ConvNd(Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 transposed, output_padding, groups, bias, padding_mode, device, dtype):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 f"{{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in _pair(stride)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"padding_mode must be one of ['zeros', 'reflect', 'replicate', "
                             f"'circular'], but got padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = padding if isinstance(padding, str) else _pair(padding)
        self.dilation = _pair(dilation)
        self.transposed = transposed
        self.output_padding = _pair(output_padding)
        self.groups = groups
        self.padding_mode = padding_mode
        if transposed:
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *self.kernel_size)
        _weight_and_bias(self, shape, out_channels, bias, dtype, device)
        self.reset_parameters()

    def reset_parameters(self):
        _default_init_(self.weight, self.bias, zero_fan_in_bias=False)

    def extra_repr(self):
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0, 0):
            s += ", padding={padding}"
        if self.dilation != (1, 1):
            s += ", dilation={dilation}"
        if self.output_padding != (0, 0):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)


class Conv2d(_ConvNd):
    """2-D convolution layer (cross-correlation, as PyTorch).

    Args: in_channels, out_channels, kernel_size, stride=1, padding=0 (int, pair, 'valid',
    'same'), dilation=1, groups=1, bias=True, padding_mode='zeros' ('reflect', 'replicate',
    'circular'), device=None, dtype=None. Weight (out, in/groups, kh, kw) and bias init
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in/groups * kh * kw.

        conv = cg.nn.Conv2d(3, 16, 3, padding=1); y = conv(cg.randn(8, 3, 32, 32))
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, device, dtype)

    def forward(self, input):  # noqa: A002
        if self.padding_mode != "zeros":
            if isinstance(self.padding, str):
                ph = [(d * (k - 1)) for d, k in zip(self.dilation, self.kernel_size)]
                pads = [ph[1] // 2, ph[1] - ph[1] // 2, ph[0] // 2, ph[0] - ph[0] // 2] \
                    if self.padding == "same" else [0, 0, 0, 0]
            else:
                pads = [self.padding[1], self.padding[1], self.padding[0], self.padding[0]]
            x = _pad(input, pads, mode=self.padding_mode)
            return conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                      self.groups)


class ConvTranspose2d(_ConvNd):
    """2-D transposed convolution (the adjoint of Conv2d; "deconvolution").

    Args: in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
    groups=1, bias=True, dilation=1, padding_mode='zeros', device=None, dtype=None.
    Weight (in, out/groups, kh, kw). Ho = (H-1)s - 2p + d(kh-1) + output_padding + 1;
    ``forward(x, output_size=None)`` may ask for a specific output size.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f'{type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         True, output_padding, groups, bias, padding_mode, device, dtype)

    def _output_padding(self, x, output_size):
        if output_size is None:
            return self.output_padding
        output_size = list(output_size)[-2:]
        out = []
        for d in range(2):
            n = x.shape[x.ndim - 2 + d]
            lo = ((n - 1) * self.stride[d] - 2 * self.padding[d]
                  + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            hi = lo + self.stride[d] - 1
            if not lo <= output_size[d] <= hi:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes "
                                 f"range from {lo} to {hi} (for an input of {list(x.shape[2:])})")
            out.append(output_size[d] - lo)
        return tuple(out)

    def forward(self, input, output_size=None):  # noqa: A002
        opad = self._output_padding(input, output_size)
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, opad,
                                self.groups, self.dilation)
