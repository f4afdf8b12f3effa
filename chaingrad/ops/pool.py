"""2-D max and average pooling on NCHW arrays, one strided slice per kernel offset.

A pooling window of kh x kw has kh*kw offsets (i, j); offset (i, j) of every window at once is
one strided slice of the padded input (``conv.offset_slice``). Pooling is then kh*kw
elementwise max (or add) passes over whole slices, and the backward pass adds the gradient
back slice by slice: within one offset no two windows share a pixel, so a strided ``+=``
is exact and ``np.add.at`` is never needed (when stride >= kernel the windows do not overlap
at all and the gradient is written, not added).

    max:  y = max_k x[slice_k]       dL/dx[slice_k] += dL/dy * [k is the argmax]
    avg:  y = sum_k x[slice_k] / D   dL/dx[slice_k] += dL/dy / D
"""
from __future__ import annotations

from collections import namedtuple

from ..backend import xp
from ..autograd.function import Op
from .conv import pad_array, offset_slice

PoolParams = namedtuple("PoolParams", ["kernel", "stride", "pads", "dilation", "out"])
"""kernel/stride/dilation (h, w); pads ((top, bottom), (left, right)) including the extra
bottom/right cells ceil_mode needs; out (Ho, Wo)."""


def pool_out_size(n, k, s, p, d, ceil_mode):
    """PyTorch's pooling output length (a last window must start inside input or left pad)."""
    num = n + 2 * p - d * (k - 1) - 1
    o = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1
    return o


def make_params(h, w, kernel, stride, padding, dilation, ceil_mode):
    pads, out = [], []
    for n, k, s, p, d in zip((h, w), kernel, stride, padding, dilation):
        o = pool_out_size(n, k, s, p, d, ceil_mode)
        need = (o - 1) * s + d * (k - 1) + 1
        pads.append((p, max(p, need - n - p)))
        out.append(o)
    return PoolParams(tuple(kernel), tuple(stride), tuple(pads), tuple(dilation), tuple(out))


def _slices(p):
    kh, kw = p.kernel
    for i in range(kh):
        for j in range(kw):
            yield i, j, offset_slice(i, j, p.stride, p.dilation, p.out[0], p.out[1])


def _non_overlapping(p):
    return all(p.stride[a] >= p.dilation[a] * (p.kernel[a] - 1) + 1 for a in (0, 1))


def _fold(write, x_shape, p, dtype):
    """Gather per-offset slabs back into an input-shaped gradient: ``write(k, dst)`` stores
    offset k's slab into ``dst`` (a strided view); slabs of overlapping windows are added."""
    n, c, h, w = x_shape
    (pt, pb), (pl, pr) = p.pads
    hp, wp = h + pt + pb, w + pl + pr
    assign = _non_overlapping(p)
    tiles = assign and (hp, wp) == (p.out[0] * p.kernel[0], p.out[1] * p.kernel[1]) and \
        p.dilation == (1, 1) and p.stride == p.kernel  # every cell written exactly once
    dx = (xp.empty if tiles else xp.zeros)((n, c, hp, wp), dtype=dtype)
    tmp = None if assign else xp.empty((n, c) + tuple(p.out), dtype=dtype)
    for k, (i, j, sl) in enumerate(_slices(p)):
        if assign:
            write(k, dx[sl])
        else:
            write(k, tmp)
            dx[sl] += tmp
    return dx[:, :, pt:pt + h, pl:pl + w] if (pt or pb or pl or pr) else dx


# -- max pooling ----------------------------------------------------------------------------
def maxpool_forward(x, p, need_arg=True):
    """The max of each window and (if ``need_arg``) the kernel offset ``k`` where it was,
    the first one on ties (as PyTorch). The max is a chain of elementwise maxima over the
    offset slices; the offsets are found afterwards by equality, last to first."""
    low = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
    xpad = pad_array(x, p.pads, low)
    slices = [xpad[sl] for _, _, sl in _slices(p)]
    if len(slices) == 1:
        out = slices[0].copy()
    else:
        out = xp.maximum(slices[0], slices[1])
        for v in slices[2:]:
            xp.maximum(out, v, out=out)
    # maximum propagates NaN, so a window holding one has a NaN max: check the (k times
    # smaller) output, not the input; min propagates NaN too and makes no temporary
    if x.dtype.kind == "f" and out.size and xp.isnan(out.min()):
        return _maxpool_nan(slices, out, need_arg)
    if not need_arg:
        return out, None
    # arg = number of offsets before the first one equal to the max: a running "not found
    # yet" mask summed up (cheap boolean passes instead of masked writes)
    kk = len(slices)
    run = xp.not_equal(slices[0], out)
    arg = run.astype(xp.uint8 if kk <= 255 else xp.int32)
    tmp = xp.empty(out.shape, dtype=bool)
    for v in slices[1:-1]:
        xp.not_equal(v, out, out=tmp)
        xp.logical_and(run, tmp, out=run)
        arg += run
    return out, arg


def _maxpool_nan(slices, out, need_arg):
    """The rare input with NaNs: a NaN in a window wins (as PyTorch), first one on ties."""
    arg = xp.zeros(out.shape, dtype=xp.int32)
    out = slices[0].copy()
    for k, v in enumerate(slices[1:], 1):
        better = (v > out) | (xp.isnan(v) & ~xp.isnan(out))
        xp.copyto(out, v, where=better)
        xp.copyto(arg, k, where=better)
    return out, (arg if need_arg else None)


def max_indices(arg, x_shape, p):
    """Flat index into each (H*W) input plane of every window's max (``return_indices``)."""
    kw = p.kernel[1]
    i, j = arg // kw, arg % kw
    ho, wo = p.out
    rows = xp.arange(ho).reshape(-1, 1) * p.stride[0] - p.pads[0][0] + i * p.dilation[0]
    cols = xp.arange(wo) * p.stride[1] - p.pads[1][0] + j * p.dilation[1]
    return (rows * x_shape[3] + cols).astype(xp.int64)


class MaxPool2d(Op):
    """y[n, c, oy, ox] = max over the window; the gradient goes to the (first) max."""
    backward_name = "MaxPool2DWithIndicesBackward0"  # PyTorch's name

    def forward(self, x, p, box=None):
        out, arg = maxpool_forward(x, p, need_arg=self.recording or box is not None)
        self.p, self.arg, self.x_shape = p, arg, x.shape
        if box is not None:
            box["arg"] = arg
        return out

    def backward(self, g, F):
        p, arg = self.p, self.arg
        if not F.graph:  # dx[slice_k] = g where offset k held the max
            return _fold(lambda k, dst: xp.multiply(g, arg == k, out=dst), self.x_shape, p,
                         g.dtype)
        # graph mode: a differentiable scatter of g to the max positions
        n, c, h, w = self.x_shape
        (pt, pb), (pl, pr) = p.pads
        hp, wp = h + pt + pb, w + pl + pr
        kw = p.kernel[1]
        rows = xp.arange(p.out[0]).reshape(-1, 1) * p.stride[0] + (arg // kw) * p.dilation[0]
        cols = xp.arange(p.out[1]) * p.stride[1] + (arg % kw) * p.dilation[1]
        plane = xp.arange(n * c).reshape(n, c, 1, 1) * (hp * wp)
        flat = (plane + rows * wp + cols).reshape(-1)
        dx = F.scatter_add((n * c * hp * wp,), (flat,), F.reshape(g, (-1,)))
        dx = F.reshape(dx, (n, c, hp, wp))
        return F.getitem(dx, (slice(None), slice(None), slice(pt, pt + h), slice(pl, pl + w)))


# -- average pooling ------------------------------------------------------------------------
def avg_divisor(x_shape, p, count_include_pad, divisor_override, dtype):
    """The divisor of every window (PyTorch's rule: padding counts unless excluded, the
    ceil_mode overhang never does)."""
    if divisor_override:
        return dtype.type(divisor_override)
    sizes = []
    for a in (0, 1):
        n, k, s, pad, o = x_shape[2 + a], p.kernel[a], p.stride[a], p.pads[a][0], p.out[a]
        start = xp.arange(o) * s - pad
        end = xp.minimum(start + k, n + pad)
        if count_include_pad:
            sizes.append(end - start)
        else:
            sizes.append(xp.minimum(end, n) - xp.maximum(start, 0))
    return (sizes[0].reshape(-1, 1) * sizes[1]).astype(dtype)


def avgpool_forward(x, p, div):
    xpad = pad_array(x, p.pads, 0)
    acc = None
    for i, j, sl in _slices(p):
        if acc is None:
            acc = xpad[sl].copy()
        else:
            acc += xpad[sl]
    return acc / div


def avgpool_backward(g, x_shape, p, div):
    gd = g / div
    return _fold(lambda k, dst: xp.copyto(dst, gd), x_shape, p, gd.dtype)


class AvgPool2d(Op):
    """y = (sum of the window) / divisor;  dx[window] += dy / divisor."""
    backward_name = "AvgPool2DBackward0"  # PyTorch's name

    def forward(self, x, p, div):
        self.p, self.div, self.x_shape = p, div, x.shape
        return avgpool_forward(x, p, div)

    def backward(self, g, F):
        if F.graph:
            return AvgPool2dGrad.apply(g, x_shape=self.x_shape, p=self.p, div=self.div)
        return avgpool_backward(g, self.x_shape, self.p, self.div)


class AvgPool2dGrad(Op):
    """The adjoint of average pooling (its gradient map); its own gradient is avg pooling."""

    def forward(self, g, x_shape, p, div):
        self.p, self.div = p, div
        return xp.ascontiguousarray(avgpool_backward(g, x_shape, p, div))

    def backward(self, gz, F):
        if F.graph:
            return AvgPool2d.apply(gz, p=self.p, div=self.div)
        return avgpool_forward(gz, self.p, self.div)


class ScatterWindows(Op):
    """``F.fold``'s core: sum sliding-window blocks into a zero array of ``shape``.

    x[..., i, j, p, q] (kernel offset (i, j), window (p, q)) lands at out[..., rows[i, p],
    cols[j, q]]; overlapping windows add up. The backward pass reads the gradient back at the
    same places (an ``unfold``): d out[r, c] / d x[..., i, j, p, q] = [r, c = rows, cols].
    """

    def forward(self, x, shape, index):
        self.index = index
        out = xp.zeros(shape, dtype=x.dtype)
        xp.add.at(out, index, x)
        return out

    def backward(self, g, F):
        return F.getitem(g, self.index)
