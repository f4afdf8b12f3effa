"""Convolution through im2col in a (rows, cols, N, C) layout, for small images.

The NCHW im2col copies windows whose rows are ``Wo`` numbers long, and the col2im adds them
back the same way: on the small images of a network's last stages (Wo = 2 to 8) NumPy
spends its time on the per-run overhead of those short runs, not on the numbers. Laid out
as (H, W, N, C), the same windows are runs of C numbers (C >= 16), so

    cols[y, x, n, (i, j, c)] = x_pad[s*y + d*i, s*x + d*j, n, c]     (one copy)
    y_mat = cols @ W_mat^T                   W_mat: (O, kh*kw*C), columns ordered (i, j, c)
    dL/dW_mat = dL/dy_mat^T @ cols
    dL/dcols  = dL/dy_mat @ W_mat, folded back by one strided add per kernel offset (i, j)

with the layout changes (NCHW in, NCHW out) done by ``winograd``'s blocked transposes.
One group only; any kernel size, stride, padding and dilation.
"""
from __future__ import annotations

from ..backend import xp
from . import winograd as _wg

_as_strided = xp.lib.stride_tricks.as_strided


def usable(x_shape, w_shape, p, dtype):
    """Whether this path pays (measured on ResNet-18's strided and 2x2 convolutions): one
    group, a float type, enough channels for long runs, small output images, not 1x1."""
    o, c, kh, kw = w_shape
    if p.groups != 1 or dtype.kind != "f" or c < 16 or o < 16 or kh * kw == 1:
        return False
    ho, wo = out_hw(x_shape, w_shape, p)
    return ho > 0 and wo > 0 and ho * wo <= 64


def out_hw(x_shape, w_shape, p):
    """The output size (Ho, Wo) of the convolution."""
    return tuple((x_shape[2 + a] + sum(p.pads[a]) - p.dilation[a] * (w_shape[2 + a] - 1) - 1)
                 // p.stride[a] + 1 for a in (0, 1))


def forward(x, w, p):
    """y = conv2d(x, w) (NCHW); also the context of the gradients (the columns, W_mat).

    The columns' (i, j, c) order needs W reordered likewise, a pass over W; where W is the
    larger of the two (more output channels than column rows, as in the last stage of a
    ResNet) the columns are ordered (c, i, j) instead, as W already is (gathered from NCHW:
    short runs, but few of them)."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    ho, wo = out_hw(x.shape, w.shape, p)
    (pt, pb), (pl, pr) = p.pads
    (s0, s1), (d0, d1) = p.stride, p.dilation
    rows = ho * wo * n
    if o > rows:  # columns ordered (c, i, j)
        xp_ = _pad(x, p.pads)
        sn, sc, sh, sw = xp_.strides
        win = _as_strided(xp_, (ho, wo, n, c, kh, kw),
                          (s0 * sh, s1 * sw, sn, sc, d0 * sh, d1 * sw), writeable=False)
        wm = w.reshape(o, c * kh * kw)
    else:  # columns ordered (i, j, c): runs of C numbers
        xh = _wg.padded_hwnc(x, pt, pl, h + pt + pb, wd + pl + pr)
        sh, sw, sn, sc = xh.strides
        win = _as_strided(xh, (ho, wo, n, kh, kw, c),
                          (s0 * sh, s1 * sw, sn, d0 * sh, d1 * sw, sc), writeable=False)
        wm = w.transpose(0, 2, 3, 1).reshape(o, kh * kw * c)
    cols = win.reshape(rows, kh * kw * c)
    y = xp.empty((n, o, ho, wo), dtype=cols.dtype)
    if rows < o:  # few rows: BLAS is faster with them as the product's columns
        ym = wm @ cols.T  # (O, Ho*Wo*N)
        _wg._from_last(ym.reshape(o, ho * wo, n), y.reshape(n, o, ho * wo))
    else:
        ym = cols @ wm.T  # (Ho*Wo*N, O)
        _wg._from_last(ym.reshape(ho, wo, n * o), y.reshape(n * o, ho, wo))
    return y, (cols, wm)


def backward(gy, ctx, w_shape, x_shape, p, need_x=True, need_w=True):
    """dL/dx (N, C, H, W) and dL/dW (O, C, kh, kw) of ``forward``."""
    cols, wm = ctx
    n, c, h, wd = x_shape
    o, _, kh, kw = w_shape
    ho, wo = gy.shape[2:]
    chan_major = o > ho * wo * n
    gh = xp.empty((ho, wo, n, o), dtype=gy.dtype)
    _wg._to_last(gy.reshape(n * o, ho, wo), gh.reshape(ho, wo, n * o))
    gm = gh.reshape(ho * wo * n, o)
    gx = gw = None
    if need_w:
        gw = gm.T @ cols
        gw = gw.reshape(w_shape) if chan_major else \
            gw.reshape(o, kh, kw, c).transpose(0, 3, 1, 2).copy()
    if need_x:
        dcols = gm @ wm
        dcols = dcols.reshape(ho, wo, n, c, kh, kw) if chan_major else \
            dcols.reshape(ho, wo, n, kh, kw, c)
        (pt, pb), (pl, pr) = p.pads
        (s0, s1), (d0, d1) = p.stride, p.dilation
        dxh = xp.zeros((h + pt + pb, wd + pl + pr, n, c), dtype=dcols.dtype)
        for i in range(kh):
            for j in range(kw):  # within one offset no two windows share a pixel
                dxh[i * d0:i * d0 + s0 * (ho - 1) + 1:s0,
                    j * d1:j * d1 + s1 * (wo - 1) + 1:s1] += \
                    dcols[..., i, j] if chan_major else dcols[:, :, :, i, j]
        gx = xp.empty(x_shape, dtype=dcols.dtype)
        _wg._from_last(dxh[pt:pt + h, pl:pl + wd].reshape(h, wd, n * c),
                       gx.reshape(n * c, h, wd))
    return gx, gw


def _pad(x, pads):
    (pt, pb), (pl, pr) = pads
    n, c, h, w = x.shape
    out = xp.zeros((n, c, h + pt + pb, w + pl + pr), dtype=x.dtype)
    out[:, :, pt:pt + h, pl:pl + w] = x
    return out
