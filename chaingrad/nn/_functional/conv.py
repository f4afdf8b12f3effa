"""``F.conv2d``, ``F.conv_transpose2d`` and the pooling functions (argument handling; the
math is in ``chaingrad/ops/conv.py`` and ``chaingrad/ops/pool.py``)."""
from __future__ import annotations

from ...backend import xp
from ...tensor import Tensor
from ...ops import conv as _conv
from ...ops import pool as _pool
from ...ops import shape as _shape
from ._names import node_named
from ...autograd.function import backward_named


def _pair(v, name="argument"):
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return (int(v[0]),) * 2
        if len(v) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {v}")
        return (int(v[0]), int(v[1]))
    return (int(v), int(v))


def _batched(x, fn_name):
    """Accept (C, H, W) as PyTorch does: add the batch dim, and say to remove it after."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn_name}(): argument 'input' must be Tensor, not {type(x).__name__}")
    if x.ndim == 3:
        return x.unsqueeze(0), True
    if x.ndim != 4:
        raise RuntimeError(f"{fn_name}: Expected 3D (unbatched) or 4D (batched) input, but got "
                           f"input of size: {list(x.shape)}")
    return x, False


def _conv_pads(padding, kernel, dilation, stride):
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding == "same":
            if stride != (1, 1):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
            return tuple(pads)
        raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                         f"{{'valid', 'same'}}")
    ph, pw = _pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise RuntimeError("negative padding is not supported")
    return ((ph, ph), (pw, pw))


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """2-D cross-correlation, PyTorch's ``F.conv2d``.

    y[n, o] = b[o] + sum_{c in group(o), i, j} W[o, c, i, j] x_pad[n, c, s*y + d*i, s*x + d*j]

    input (N, C, H, W) or (C, H, W); weight (O, C/groups, kh, kw); bias (O,) or None;
    stride, padding (int, pair, 'valid' or 'same'), dilation: int or pair; groups: int.
    Output (N, O, Ho, Wo) with Ho = (H + 2p - d(kh - 1) - 1) // s + 1.

        y = F.conv2d(cg.randn(8, 3, 32, 32), cg.randn(16, 3, 3, 3), padding=1)  # (8,16,32,32)
    """
    x, unbatched = _batched(input, "conv2d")
    if weight.ndim != 4:
        raise RuntimeError(f"conv2d: weight must be 4-D (out, in/groups, kh, kw), got shape "
                           f"{list(weight.shape)}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {weight.shape[0]} elements, but got bias of "
                           f"size {list(bias.shape)} instead")
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    if min(stride) <= 0:
        raise RuntimeError("non-positive stride is not supported")
    if min(dilation) <= 0:
        raise RuntimeError("dilation should be greater than zero")
    o, cg, kh, kw = weight.shape
    c = x.shape[1]
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if c != cg * groups or o % groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                           f"expected input{list(x.shape)} to have {cg * groups} channels, but "
                           f"got {c} channels instead")
    if x._array.dtype != weight._array.dtype:
        raise RuntimeError(f"Input type ({x.dtype.name}) and weight type "
                           f"({weight.dtype.name}) should be the same")
    pads = _conv_pads(padding, (kh, kw), dilation, stride)
    for n, k, (a, b), d in zip(x.shape[2:], (kh, kw), pads, dilation):
        if n + a + b < d * (k - 1) + 1:
            raise RuntimeError(f"Calculated padded input size per channel: "
                               f"({x.shape[2] + sum(pads[0])} x {x.shape[3] + sum(pads[1])}). "
                               f"Kernel size: ({d * (kh - 1) + 1} x {d * (kw - 1) + 1}). Kernel "
                               f"size can't be greater than actual input size")
    p = _conv.ConvParams(stride, pads, dilation, groups)
    if bias is None:
        y = _conv.Conv2d.apply(x, weight, p=p)
    else:
        y = _conv.Conv2d.apply(x, weight, bias, p=p)
    return y.squeeze(0) if unbatched else y


@node_named("ConvolutionBackward0", batched_ndim=4)
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,  # noqa: A002
                     groups=1, dilation=1):
    """2-D transposed convolution (the gradient of ``conv2d`` with respect to its input).

    input (N, Cin, H, W); weight (Cin, Cout/groups, kh, kw); output (N, Cout, Ho, Wo) with
    Ho = (H - 1) s - 2p + d (kh - 1) + output_padding + 1.

        up = F.conv_transpose2d(cg.randn(1, 8, 4, 4), cg.randn(8, 3, 2, 2), stride=2)  # 8x8
    """
    x, unbatched = _batched(input, "conv_transpose2d")
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    pad, opad = _pair(padding, "padding"), _pair(output_padding, "output_padding")
    cin, cog, kh, kw = weight.shape
    if x.shape[1] != cin or cin % groups:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(x.shape)} to have {cin} channels, but got {x.shape[1]} "
                           f"channels instead")
    for op_, s, d in zip(opad, stride, dilation):
        if op_ >= s and op_ >= d:
            raise RuntimeError("output padding must be smaller than either stride or dilation, "
                               f"but got output_padding={opad}, stride={stride}, "
                               f"dilation={dilation}")
    if x._array.dtype != weight._array.dtype:
        raise RuntimeError(f"Input type ({x.dtype.name}) and weight type "
                           f"({weight.dtype.name}) should be the same")
    out_hw = [(n - 1) * s - 2 * p_ + d * (k - 1) + op_ + 1
              for n, s, p_, d, k, op_ in zip(x.shape[2:], stride, pad, dilation, (kh, kw), opad)]
    if min(out_hw) <= 0:
        raise RuntimeError(f"conv_transpose2d: output size {out_hw} is too small")
    # the conv this transposes maps (N, Cout, Ho, Wo) -> (N, Cin, H, W); output_padding widens
    # the bottom/right so that the conv still produces exactly H x W
    if any(opad):
        # output_padding: take the full (uncropped) transposed conv, extend it by zeros where
        # no input reaches, then crop `padding` from the top/left
        full = [(n - 1) * s + d * (k - 1) + 1
                for n, s, d, k in zip(x.shape[2:], stride, dilation, (kh, kw))]
        p = _conv.ConvParams(stride, ((0, 0), (0, 0)), dilation, groups)
        y = _conv.ConvGradInput.apply(x, weight, x_shape=(x.shape[0], cog * groups, *full), p=p)
        extra = [max(0, pad_ + ho - f) for pad_, ho, f in zip(pad, out_hw, full)]
        if any(extra):
            y = _shape.pad(y, (0, extra[1], 0, extra[0]))
        y = y[:, :, pad[0]:pad[0] + out_hw[0], pad[1]:pad[1] + out_hw[1]]
    else:
        pads = ((pad[0], pad[0]), (pad[1], pad[1]))
        p = _conv.ConvParams(stride, pads, dilation, groups)
        y = _conv.ConvGradInput.apply(x, weight, x_shape=(x.shape[0], cog * groups, *out_hw), p=p)
    if bias is not None:
        y = y + bias.reshape(1, -1, 1, 1)
    return y.squeeze(0) if unbatched else y


def _pool_args(kernel_size, stride, padding, dilation):
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) \
        else _pair(stride, "stride")
    p, d = _pair(padding, "padding"), _pair(dilation, "dilation")
    for pi, ki, di in zip(p, k, d):
        if pi > (di * (ki - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pi}, kernel_size={ki} and dilation={di}")
    if min(s) <= 0:
        raise RuntimeError("stride should be greater than zero")
    return k, s, p, d


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False):
    """2-D max pooling: the max of each kh x kw window (stride defaults to kernel_size).

    With ``return_indices`` also returns the flat index (into each H*W plane) of each max.

        F.max_pool2d(x, 2)   # halves H and W
    """
    x, unbatched = _batched(input, "max_pool2d")
    k, s, pd, d = _pool_args(kernel_size, stride, padding, dilation)
    if min(d) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} "
                           f"dilationW: {d[1]}")
    p = _pool.make_params(x.shape[2], x.shape[3], k, s, pd, d, ceil_mode)
    if min(p.out) <= 0:
        raise RuntimeError(f"Given input size: ({x.shape[1]}x{x.shape[2]}x{x.shape[3]}). "
                           f"Calculated output size: ({x.shape[1]}x{p.out[0]}x{p.out[1]}). "
                           f"Output size is too small")
    box = {}
    y = _pool.MaxPool2d.apply(x, p=p, box=box)
    if unbatched:
        y = y.squeeze(0)
    if return_indices:
        idx = Tensor._wrap(_pool.max_indices(box["arg"], x.shape, p))
        return y, (idx.squeeze(0) if unbatched else idx)
    return y


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True, divisor_override=None):
    """2-D average pooling: each window's mean (zero padding counts if ``count_include_pad``;
    ``divisor_override`` replaces the divisor)."""
    x, unbatched = _batched(input, "avg_pool2d")
    k, s, pd, d = _pool_args(kernel_size, stride, padding, 1)
    p = _pool.make_params(x.shape[2], x.shape[3], k, s, pd, d, ceil_mode)
    if min(p.out) <= 0:
        raise RuntimeError("avg_pool2d: output size is too small")
    div = _pool.avg_divisor(x.shape, p, count_include_pad, divisor_override, x._array.dtype)
    y = _pool.AvgPool2d.apply(x, p=p, div=div)
    return y.squeeze(0) if unbatched else y


def _adaptive_matrix(n, o, dtype):
    """(o, n) averaging matrix of PyTorch's adaptive bins [floor(i n/o), ceil((i+1) n/o))."""
    m = xp.zeros((o, n), dtype=dtype)
    for i in range(o):
        a, b = (i * n) // o, -(-((i + 1) * n) // o)
        m[i, a:b] = 1.0 / (b - a)
    return m


def adaptive_avg_pool2d(input, output_size):  # noqa: A002
    """Average pooling to a fixed output size (Ho, Wo) (None keeps that input size).

    Computed as P_h @ x @ P_w^T with averaging matrices, so it is exact and differentiable to
    any order; 1 x 1 output is a plain mean."""
    x, unbatched = _batched(input, "adaptive_avg_pool2d")
    oh, ow = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    h, w = x.shape[2], x.shape[3]
    oh = h if oh is None else int(oh)
    ow = w if ow is None else int(ow)
    if (oh, ow) == (1, 1):
        y = x.mean(dim=(2, 3), keepdim=True)
    elif oh and ow and h % oh == 0 and w % ow == 0:
        y = avg_pool2d(x, (h // oh, w // ow))
    else:
        dt = x._array.dtype
        y = Tensor._wrap(_adaptive_matrix(h, oh, dt)) @ (
            x @ Tensor._wrap(_adaptive_matrix(w, ow, dt).T.copy()))
    y = y.squeeze(0) if unbatched else y
    # PyTorch: one AdaptiveAvgPool2D node (a mean for a 1 x 1 output, as here)
    return backward_named(y, "MeanBackward1" if (oh, ow) == (1, 1)
                          else "AdaptiveAvgPool2DBackward0")
