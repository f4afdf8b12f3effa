"""``LPPool1d/2d``, ``LocalResponseNorm``, ``ChannelShuffle`` (modules of
``nn/_functional/pool_extra.py``)."""
from __future__ import annotations

from ..module import Module
from .._functional import pool_extra as P


class _LPPoolNd(Module):
    _fn = None

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, input):  # noqa: A002
        return type(self)._fn(input, float(self.norm_type), self.kernel_size, self.stride,
                              self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """Power-average pooling over (N, C, L): (sum over each window of x^p)^(1/p)."""
    _fn = staticmethod(P.lp_pool1d)


class LPPool2d(_LPPoolNd):
    """Power-average pooling over (N, C, H, W): (sum over each window of x^p)^(1/p)."""
    _fn = staticmethod(P.lp_pool2d)


class LocalResponseNorm(Module):
    """x / (k + alpha / size * sum of x^2 over ``size`` neighbouring channels)^beta.
    Args: size, alpha=1e-4, beta=0.75, k=1.0."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):  # noqa: A002
        return P.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class ChannelShuffle(Module):
    """Interleave the channels of ``groups`` groups: (N, g c, *) -> (N, c g, *)."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):  # noqa: A002
        return P.channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"


class _MaxUnpoolNd(Module):
    _fn = None
    _k = 2

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        k = self._k
        pair = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,) * k  # noqa: E731
        self.kernel_size = pair(kernel_size)
        self.stride = pair(stride if stride is not None else kernel_size)
        self.padding = pair(padding)

    def forward(self, input, indices, output_size=None):  # noqa: A002
        return type(self)._fn(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool2d(_MaxUnpoolNd):
    """Put the maxima of ``MaxPool2d(return_indices=True)`` back in place (zeros elsewhere)."""
    _fn = staticmethod(P.max_unpool2d)
    _k = 2


class MaxUnpool1d(_MaxUnpoolNd):
    """Put the maxima of ``MaxPool1d(return_indices=True)`` back in place (zeros elsewhere)."""
    _fn = staticmethod(P.max_unpool1d)
    _k = 1
