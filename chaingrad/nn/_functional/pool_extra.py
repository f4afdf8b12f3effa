"""``F.lp_pool1d/2d``, ``F.local_response_norm``, ``F.channel_shuffle``: compositions of
pooling, padding and reshapes, as PyTorch defines them."""
from __future__ import annotations

from ...ops import elementwise as ew
from ...ops.shape import pad as _pad
from .conv import avg_pool2d
from .conv1d import avg_pool1d


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):  # noqa: A002
    """(sum over each window of x^p)^(1/p): avg_pool2d(x^p) * kh kw, then the p-th root."""
    kh, kw = _pair(kernel_size)
    out = avg_pool2d(input ** norm_type, (kh, kw), stride, 0, ceil_mode)
    return (ew.sign(out) * ew.relu(out.abs())).mul(kh * kw) ** (1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):  # noqa: A002
    """1-D power-average pooling: (sum over each window of x^p)^(1/p)."""
    out = avg_pool1d(input ** norm_type, kernel_size, stride, 0, ceil_mode)
    return (ew.sign(out) * ew.relu(out.abs())).mul(kernel_size) ** (1.0 / norm_type)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):  # noqa: A002
    """x / (k + alpha / size * sum over ``size`` neighbouring channels of x^2)^beta."""
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} "
                         f"dimensions)")
    if input.numel() == 0:
        return input
    sq = input * input
    widths = [0, 0] * (input.ndim - 2) + [size // 2, (size - 1) // 2]
    padded = _pad(sq, widths)
    c = input.shape[1]
    div = padded[:, 0:c]
    for j in range(1, size):
        div = div + padded[:, j:j + c]
    div = (div * (alpha / size) + k) ** beta
    return input / div


def channel_shuffle(input, groups):  # noqa: A002
    """(N, g * c, *) -> (N, c * g, *): the channels of the g groups interleaved."""
    n, ch = input.shape[0], input.shape[1]
    if ch % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {ch} channels "
                           f"and {groups} groups.")
    rest = tuple(input.shape[2:])
    return input.reshape(n, groups, ch // groups, *rest).transpose(1, 2).reshape(n, ch, *rest)


native_channel_shuffle = channel_shuffle
