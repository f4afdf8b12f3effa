"""2-D convolution on NCHW arrays: im2col through a strided view and matrix products.

For y = conv(x, W) with stride s, padding p, dilation d and G groups, every output pixel is a
dot product of W with one window of the padded input. ``windows`` views all windows at once
(``as_strided``, no copy); one reshape-copy turns them into the column matrix ``cols``
(G, C/G*kh*kw, N*Ho*Wo), and the convolution is the batched product (one per image when
images are large, so that the output comes out in NCHW order)

    y = W_mat @ cols            W_mat: (G, O/G, C/G*kh*kw)

Its derivatives are products of the same matrices:

    dL/dW    = dL/dy_mat @ cols^T                        (``conv_grad_weight``)
    dL/dcols = W_mat^T @ dL/dy_mat, folded back by col2im (``conv_grad_input``)

col2im adds each kernel offset's slab into the padded input gradient with one strided
``+=`` (within one offset no two windows touch the same pixel), never ``np.add.at``.

The three maps are linear in each argument and each one's derivative is made of the other two,
so the three ops below (``Conv2d``, ``ConvGradInput``, ``ConvGradWeight``) differentiate
each other and ``create_graph=True`` works to any order. ``ConvGradInput`` is also the
transposed convolution.

``Conv2d`` itself (forward and first-order backward) computes the same maps by the fastest
of three ways (``_path``): 3x3 stride-1 convolutions with enough channels and tiles by
Winograd's F(2x2, 3x3) (``winograd.py``, 2.25x fewer flops in the products), other
convolutions with small outputs through an (H, W, N, C) im2col (``conv_hwnc.py``, long
copy runs), the rest as above. The higher-order graph always uses the three ops above.
"""
from __future__ import annotations

from collections import namedtuple

from ..backend import xp
from ..autograd.function import Op
from . import winograd
from . import conv_hwnc

ConvParams = namedtuple("ConvParams", ["stride", "pads", "dilation", "groups"])
"""stride (sh, sw); pads ((top, bottom), (left, right)); dilation (dh, dw); groups G."""

_as_strided = xp.lib.stride_tricks.as_strided


def out_size(n, k, s, p0, p1, d):
    return (n + p0 + p1 - d * (k - 1) - 1) // s + 1


def pad_array(x, pads, value=0):
    """Pad the last two dims of an NCHW array with a constant."""
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    n, c, h, w = x.shape
    out = xp.full((n, c, h + pt + pb, w + pl + pr), value, dtype=x.dtype)
    out[:, :, pt:pt + h, pl:pl + w] = x
    return out


def windows(xpad, kh, kw, s, d, ho, wo):
    """(N, C, kh, kw, Ho, Wo) read-only view: element [n, c, i, j, y, x] is
    xpad[n, c, y*sh + i*dh, x*sw + j*dw]."""
    sn, sc, sh, sw = xpad.strides
    n, c = xpad.shape[:2]
    return _as_strided(xpad, (n, c, kh, kw, ho, wo),
                       (sn, sc, sh * d[0], sw * d[1], sh * s[0], sw * s[1]), writeable=False)


def offset_slice(i, j, s, d, ho, wo):
    """The strided slice of the padded input that kernel offset (i, j) reads."""
    return (slice(None), slice(None),
            slice(i * d[0], i * d[0] + s[0] * (ho - 1) + 1, s[0]),
            slice(j * d[1], j * d[1] + s[1] * (wo - 1) + 1, s[1]))


def thin(n, ho, wo, k):
    """A thin product (k = C/G*kh*kw small, e.g. a first layer on 1-3 channels) is
    memory-bound: its columns are laid out per image, (N, k, Ho*Wo), so that no array is
    ever transposed (measured 3x faster on W2's first layer)."""
    return n > 1 and ho * wo >= 64 and k <= 64


def per_image(n, ho, wo):
    """With many output pixels per image, one product per image writes the output straight
    in NCHW order; with few, one product over the whole batch keeps the matrices large
    enough for BLAS (measured on W2 / ResNet-18 shapes)."""
    return n > 1 and ho * wo >= 128


def im2col(x, kh, kw, p):
    """The column matrix and the output size: (N, C*kh*kw, Ho*Wo) for a ``thin`` product,
    else (C*kh*kw, N*Ho*Wo); rows ordered (c, i, j)."""
    n, c, h, w = x.shape
    (pt, pb), (pl, pr) = p.pads
    ho = out_size(h, kh, p.stride[0], pt, pb, p.dilation[0])
    wo = out_size(w, kw, p.stride[1], pl, pr, p.dilation[1])
    per_img = thin(n, ho, wo, c // p.groups * kh * kw)
    if kh == kw == 1 and p.stride == (1, 1) and not (pt or pb or pl or pr):
        if per_img:
            return x.reshape(n, c, h * w), ho, wo
        return x.transpose(1, 0, 2, 3).reshape(c, n * h * w), ho, wo
    win = windows(pad_array(x, p.pads), kh, kw, p.stride, p.dilation, ho, wo)
    if per_img:
        return win.reshape(n, c * kh * kw, ho * wo), ho, wo
    return win.transpose(1, 2, 3, 0, 4, 5).reshape(c * kh * kw, n * ho * wo), ho, wo


def _group_cols(cols, n, g, ho, wo):
    """(N, G, K, Ho*Wo) from per-image columns, or (G, K, N*Ho*Wo)."""
    if cols.ndim == 3:
        return cols.reshape(n, g, -1, ho * wo)
    return cols.reshape(g, -1, n * ho * wo)


def conv_forward(x, w, p):
    """y = conv2d(x, w); also returns the grouped ``cols`` for the weight gradient."""
    n = x.shape[0]
    o, cg, kh, kw = w.shape
    g = p.groups
    cols, ho, wo = im2col(x, kh, kw, p)
    cols = _group_cols(cols, n, g, ho, wo)
    wm = w.reshape(g, o // g, cg * kh * kw)
    if cols.ndim == 4:  # (N, G, O/G, Ho*Wo): NCHW already
        return xp.matmul(wm, cols).reshape(n, o, ho, wo), cols
    if per_image(n, ho, wo):  # one product per image, reading the columns in place
        y = xp.matmul(wm, cols.reshape(g, -1, n, ho * wo).transpose(2, 0, 1, 3))
        return y.reshape(n, o, ho, wo), cols
    y = xp.matmul(wm, cols).reshape(o, n, ho, wo)  # (G, O/G, N*Ho*Wo)
    return (y.reshape(n, o, ho, wo) if n == 1 else xp.ascontiguousarray(y.transpose(1, 0, 2, 3))
            ), cols


def _gy_matrix(gy, g, per_img):
    """dL/dy (N, O, Ho, Wo) grouped: (N, G, O/G, Ho*Wo) per image, else (G, O/G, N*Ho*Wo)."""
    n, o, ho, wo = gy.shape
    if per_img:
        return gy.reshape(n, g, o // g, ho * wo)
    t = gy.reshape(o, ho * wo) if n == 1 else gy.transpose(1, 0, 2, 3)
    return xp.ascontiguousarray(t).reshape(g, o // g, n * ho * wo)


def conv_grad_weight(cols, gy, w_shape, p, gm=None):
    """dL/dW = dL/dy_mat @ cols^T (summed over the images), shaped like W. ``gm``: the
    batch-wide dL/dy matrix when the caller already has it."""
    if gm is None or cols.ndim == 4:
        gm = _gy_matrix(gy, p.groups, cols.ndim == 4)
    if cols.ndim == 3:
        return xp.matmul(gm, cols.transpose(0, 2, 1)).reshape(w_shape)
    gw = xp.matmul(gm[0], cols[0].transpose(0, 2, 1))
    tmp = xp.empty_like(gw)
    for i in range(1, gy.shape[0]):  # per-image columns: one small product per image
        xp.matmul(gm[i], cols[i].transpose(0, 2, 1), out=tmp)
        gw += tmp
    return gw.reshape(w_shape)


def grad_input_per_image(n, ho, wo, k):
    return thin(n, ho, wo, k) or (n > 1 and ho * wo >= 256)


def _tconv_params(w_shape, p, x_shape, gy_shape):
    """dL/dx as a stride-1 convolution of dL/dy: its parameters, or None where that is not
    the cheaper way (strided, more output than input channels, a padding wider than the
    kernel's reach, or an output-padded transposed convolution)."""
    o, cg, kh, kw = w_shape
    if p.stride != (1, 1) or o > cg * p.groups or (kh == kw == 1 and not any(sum(p.pads, ()))):
        return None
    if gy_shape[0] * x_shape[2] * x_shape[3] < o // p.groups:
        return None  # few pixels, many channels: flipping W costs more than col2im saves
    (pt, pb), (pl, pr) = p.pads
    rh, rw = p.dilation[0] * (kh - 1), p.dilation[1] * (kw - 1)
    pads = ((rh - pt, rh - pb), (rw - pl, rw - pr))
    if min(sum(pads, ())) < 0:
        return None
    if (x_shape[2] + pt + pb - rh, x_shape[3] + pl + pr - rw) != tuple(gy_shape[2:]):
        return None
    return ConvParams((1, 1), pads, p.dilation, p.groups)


def conv_grad_input(gy, w, x_shape, p, gm=None):
    """dL/dx: W^T @ dL/dy_mat gives dL/dcols; col2im folds it back onto the input, one
    strided add per kernel offset. ``gm``: the batch-wide dL/dy matrix when the caller
    already has it."""
    n, c, h, wd = x_shape
    o, cg, kh, kw = w.shape
    g = p.groups
    q = _tconv_params(w.shape, p, x_shape, gy.shape)
    if q is not None:
        # stride 1: dL/dx is the convolution of dL/dy (padded by the kernel's reach minus the
        # padding) with the flipped, transposed kernel: one im2col and one product, no col2im
        wt = w.reshape(g, o // g, cg, kh, kw)[:, :, :, ::-1, ::-1].transpose(0, 2, 1, 3, 4)
        return conv_forward(gy, xp.ascontiguousarray(wt).reshape(c, o // g, kh, kw), q)[0]
    ho, wo = gy.shape[2], gy.shape[3]
    bf = grad_input_per_image(n, ho, wo, cg * kh * kw)
    if gm is None or bf:
        gm = _gy_matrix(gy, g, bf)
    wm = w.reshape(g, o // g, cg * kh * kw).transpose(0, 2, 1)
    dcols = xp.matmul(wm, gm)
    # the fold's two leading axes: (N, C) per image, else (C, N) and one transpose at the end
    # (measured faster than folding through a transposed view)
    dcols = dcols.reshape(n, c, kh, kw, ho, wo) if bf else dcols.reshape(c, kh, kw, n, ho, wo)
    (pt, pb), (pl, pr) = p.pads
    s, d = p.stride, p.dilation
    lead = (n, c) if bf else (c, n)
    if kh == kw == 1 and s == (1, 1) and not (pt or pb or pl or pr):
        dx = dcols.reshape(lead + (h, wd))
    else:
        dx = xp.zeros(lead + (h + pt + pb, wd + pl + pr), dtype=dcols.dtype)
        for i in range(kh):
            for j in range(kw):
                dx[offset_slice(i, j, s, d, ho, wo)] += \
                    dcols[:, :, i, j] if bf else dcols[:, i, j]
        dx = dx[:, :, pt:pt + h, pl:pl + wd]
    if bf:
        return dx
    return dx.reshape(n, c, h, wd) if n == 1 else xp.ascontiguousarray(dx.transpose(1, 0, 2, 3))


# -- the three mutually-differentiating ops ---------------------------------------------------
def _conv(F, x, w, p):
    return Conv2d.apply(x, w, p=p) if F.graph else conv_forward(x, w, p)[0]


def _grad_input(F, gy, w, x_shape, p):
    return ConvGradInput.apply(gy, w, x_shape=x_shape, p=p) if F.graph else \
        conv_grad_input(gy, w, x_shape, p)


def _grad_weight(F, x, gy, w_shape, p):
    if F.graph:
        return ConvGradWeight.apply(x, gy, w_shape=w_shape, p=p)
    cols, ho, wo = im2col(x, w_shape[2], w_shape[3], p)
    cols = _group_cols(cols, x.shape[0], p.groups, ho, wo)
    return conv_grad_weight(cols, gy, w_shape, p)


def _path(x, w, p):
    """Which way ``Conv2d`` computes: "winograd", "hwnc" or "im2col" (measured choices)."""
    if w.dtype != x.dtype:
        return "im2col"
    if winograd.usable(x.shape, w.shape, p, x.dtype):
        return "winograd"
    if conv_hwnc.usable(x.shape, w.shape, p, x.dtype):
        return "hwnc"
    return "im2col"


class Conv2d(Op):
    """y = conv2d(x, W) (+ b): inputs x (N, C, H, W), W (O, C/G, kh, kw), optional b (O,)."""
    backward_name = "ConvolutionBackward0"  # PyTorch's name
    save_inputs = (0, 1)

    def forward(self, x, w, *b, p):
        self.p = p
        self.x_shape = x.shape
        self.path = _path(x, w, p)
        if self.path == "winograd":  # 3x3, stride 1: 2.25x fewer flops in the products
            y, ctx = winograd.forward(x, w, p.pads, self.recording)
        elif self.path == "hwnc":  # small images: im2col/col2im on long runs
            y, ctx = conv_hwnc.forward(x, w, p)
        else:
            y, ctx = conv_forward(x, w, p)
        if self.recording:
            self.ctx = ctx  # the columns, or Winograd's transformed input and kernel
        if b:
            y += b[0].reshape(1, -1, 1, 1)
        return y

    def backward(self, g, F):  # dx = conv^T(g, W),  dW = g (x) cols^T,  db = sum g
        x, w = self.inputs(F)
        nf = self.next_functions
        gx = gw = None
        if F.graph:
            if bool(nf[0]):
                gx = ConvGradInput.apply(g, w, x_shape=self.x_shape, p=self.p)
            if bool(nf[1]):
                gw = ConvGradWeight.apply(x, g, w_shape=tuple(w.shape), p=self.p)
        elif self.path == "winograd":
            gx, gw = winograd.backward(g, self.ctx, self.x_shape, self.p.pads,
                                       bool(nf[0]), bool(nf[1]))
        elif self.path == "hwnc":
            gx, gw = conv_hwnc.backward(g, self.ctx, tuple(w.shape), self.x_shape, self.p,
                                        bool(nf[0]), bool(nf[1]))
        else:
            cols = self.ctx
            n, _, ho, wo = g.shape
            gm = None  # the batch-wide dL/dy matrix, transposed once for both products
            if bool(nf[1]) and cols.ndim == 3 and bool(nf[0]) and \
                    not grad_input_per_image(n, ho, wo, w.shape[1] * w.shape[2] * w.shape[3]):
                gm = _gy_matrix(g, self.p.groups, False)
            if bool(nf[0]):
                gx = conv_grad_input(g, w, self.x_shape, self.p, gm)
            if bool(nf[1]):
                gw = conv_grad_weight(cols, g, w.shape, self.p, gm)
        if len(nf) == 3:
            return gx, gw, (F.sum(g, axis=(0, 2, 3)) if bool(nf[2]) else None)
        return gx, gw


class ConvGradInput(Op):
    """dx = conv2d's input gradient for output gradient gy: the transposed convolution."""
    save_inputs = (0, 1)

    def forward(self, gy, w, x_shape, p):
        self.p = p
        return conv_grad_input(gy, w, x_shape, p)

    def backward(self, g, F):  # linear in gy and W: d gy = conv(g, W), dW = conv_w(g, gy)
        gy, w = self.inputs(F)
        nf = self.next_functions
        dgy = _conv(F, g, w, self.p) if bool(nf[0]) else None
        dw = _grad_weight(F, g, gy, tuple(w.shape), self.p) if bool(nf[1]) else None
        return dgy, dw


class ConvGradWeight(Op):
    """dW = conv2d's weight gradient for input x and output gradient gy."""
    save_inputs = (0, 1)

    def forward(self, x, gy, w_shape, p):
        self.p = p
        self.x_shape = x.shape
        return _grad_weight(_ARRAYS, x, gy, w_shape, p)

    def backward(self, g, F):  # linear in x and gy: dx = conv^T(gy, g), d gy = conv(x, g)
        x, gy = self.inputs(F)
        nf = self.next_functions
        dx = _grad_input(F, gy, g, self.x_shape, self.p) if bool(nf[0]) else None
        dgy = _conv(F, x, g, self.p) if bool(nf[1]) else None
        return dx, dgy


class _Arrays:
    graph = False


_ARRAYS = _Arrays()
