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


def _unpool(input, indices, spatial_out, name):  # noqa: A002
    from ...ops.select import scatter
    from ...tensor import Tensor
    from ...backend import xp
    k = len(spatial_out)
    batched = input.ndim == k + 2
    if input.ndim not in (k + 1, k + 2):
        raise RuntimeError(f"{name}: Expected {k + 1}D or {k + 2}D input, got {input.ndim}D")
    x = input if batched else input.unsqueeze(0)
    idx = indices._array if isinstance(indices, Tensor) else xp.asarray(indices)
    idx = idx if batched else idx[None]
    n, c = x.shape[0], x.shape[1]
    size = 1
    for s in spatial_out:
        size *= s
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        raise RuntimeError(f"Found an invalid max index: {int(idx.max())} (output volumes are of "
                           f"size {'x'.join(map(str, spatial_out))}")
    zeros = Tensor._wrap(xp.zeros((n, c, size), dtype=x._array.dtype))
    flat = scatter(zeros, 2, Tensor._wrap(idx.reshape(n, c, -1)), x.reshape(n, c, -1))
    y = flat.reshape(n, c, *spatial_out)
    return y if batched else y.squeeze(0)


def _unpool_size(input, kernel_size, stride, padding, output_size, k):  # noqa: A002
    ks = tuple(kernel_size) if isinstance(kernel_size, (tuple, list)) else (kernel_size,) * k
    st = ks if stride is None else (tuple(stride) if isinstance(stride, (tuple, list))
                                    else (stride,) * k)
    pd = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * k
    if output_size is not None:
        return tuple(int(s) for s in list(output_size)[-k:])
    spatial = input.shape[-k:]
    return tuple((spatial[i] - 1) * st[i] - 2 * pd[i] + ks[i] for i in range(k))


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):  # noqa: A002
    """Partial inverse of ``max_pool2d(..., return_indices=True)``: each value goes back to
    the position its index names; everything else is 0."""
    out = _unpool_size(input, kernel_size, stride, padding, output_size, 2)
    return _unpool(input, indices, out, "max_unpool2d")


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):  # noqa: A002
    """Partial inverse of ``max_pool1d(..., return_indices=True)``."""
    out = _unpool_size(input, kernel_size, stride, padding, output_size, 1)
    return _unpool(input, indices, out, "max_unpool1d")
