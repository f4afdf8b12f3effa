"""Normalisation ops (batch norm, layer norm), each fused into one graph node.

With x_hat = (x - mu) / sigma (statistics over the reduced axes R, n elements each) and
y = w x_hat + b, the derivative through the statistics collapses to

    dL/db = sum_R g        dL/dw = sum_R g x_hat
    dL/dx = (1 / sigma) (g' - mean_R(g') - x_hat mean_R(g' x_hat)),   g' = g w

(when the statistics are constants, as in eval-mode batch norm: dL/dx = g w / sigma).
The array backward evaluates that formula in a few passes; the graph backward (for
``create_graph=True``) recomputes mu and sigma from x with differentiable ops and evaluates
the same formula on Tensors, so second derivatives are exact.
"""
from __future__ import annotations

from ..backend import xp
from ..autograd.function import Op


def _graph_stats(F, x, axes, n, eps):
    """mu and 1/sigma as Tensors that depend on x (graph mode only)."""
    mu = F.sum(x, axis=axes, keepdims=True) / n
    xc = x - mu
    var = F.sum(xc * xc, axis=axes, keepdims=True) / n
    return mu, 1 / F.sqrt(var + eps)


def channel_sum(x3):
    """Per-channel sum of an (N, C, L) array, through BLAS matrix-vector products (three
    times faster than ``sum(axis=(0, 2))``, and as precise: SIMD partial sums)."""
    return (x3 @ xp.ones(x3.shape[2], dtype=x3.dtype)).sum(axis=0)


def channel_dot(a3, b3):
    """Per-channel sum of a3 * b3 for (N, C, L) arrays, without the product array."""
    if hasattr(xp, "vecdot"):  # NumPy >= 2: BLAS dot products along L
        return xp.vecdot(a3, b3).sum(axis=0)
    return xp.einsum("ncl,ncl->c", a3, b3)


class BatchNorm(Op):
    """y = (x - mean) * invstd * w + b per channel (dim 1); the statistics come from the
    caller (batch statistics in training, running ones in eval: ``batch_stats`` says which).
    Inputs x (N, C, ...), w (C,), b (C,) (constants ones/zeros when not affine)."""
    backward_name = "NativeBatchNormBackward0"  # PyTorch's name
    save_inputs = (0, 1)

    def forward(self, x, w, b, mean, invstd, batch_stats, eps):
        c = x.shape[1]
        self.shape = (1, c) + (1,) * (x.ndim - 2)
        self.axes = (0,) + tuple(range(2, x.ndim))
        self.n = x.size // max(c, 1)
        self.batch_stats, self.eps = batch_stats, eps
        self.mean, self.invstd = mean, invstd
        scale = invstd * w
        shift = b - mean * scale
        return x * scale.reshape(self.shape) + shift.reshape(self.shape)

    def backward(self, g, F):
        x, w = self.inputs(F)
        axes, shape, n = self.axes, self.shape, self.n
        nf = self.next_functions
        if F.graph and self.batch_stats:
            m, s = _graph_stats(F, x, axes, n, self.eps)
        else:
            m, s = self.mean.reshape(shape), self.invstd.reshape(shape)
        if not F.graph and self.batch_stats:
            return self._array_backward(g, x, w, nf)
        xhat = (x - m) * s
        gb = F.sum(g, axis=axes)
        gw = F.sum(g * xhat, axis=axes) if (bool(nf[1]) or self.batch_stats) else None
        gx = None
        if bool(nf[0]):
            ws = F.reshape(w, shape) * s
            if not self.batch_stats:
                gx = g * ws
            elif F.graph:
                gx = ws * (g - (F.reshape(gb, shape) + xhat * F.reshape(gw, shape)) / n)
            else:  # w s (g - (gb + xhat gw) / n), folded into two products and a shift
                gx = g * ws + xhat * (ws * gw.reshape(shape) / -n) + ws * gb.reshape(shape) / -n
        return gx, (gw if bool(nf[1]) else None), (gb if bool(nf[2]) else None)

    def _array_backward(self, g, x, w, nf):
        """The training-mode formula on arrays in five passes and one temporary:
        with xc = x - mu, gw = s sum(g xc), gx = w s (g - gb / n - xc s gw / n)."""
        n_, c = x.shape[0], x.shape[1]
        g3, x3 = g.reshape(n_, c, -1), x.reshape(n_, c, -1)
        s, n = self.invstd, self.n
        gb = channel_sum(g3)
        xc = x3 - self.mean[:, None]
        gw = channel_dot(g3, xc) * s
        gx = None
        if bool(nf[0]):
            ws = w * s
            xc *= (s * gw / -n)[:, None]  # the buffer of xc becomes dL/dx
            xc += g3
            xc += (gb / -n)[:, None]
            xc *= ws[:, None]
            gx = xc.reshape(x.shape)
        return gx, (gw if bool(nf[1]) else None), (gb if bool(nf[2]) else None)


class LayerNorm(Op):
    """y = (x - mu) / sigma * w + b, statistics over the last ``k`` dims of each sample.
    Inputs x, w and b (the normalised shape; constants ones/zeros when not affine)."""
    backward_name = "NativeLayerNormBackward0"  # PyTorch's name
    save_inputs = (0, 1)

    def forward(self, x, w, b, k, eps):
        self.axes = tuple(range(x.ndim - k, x.ndim))
        self.lead = tuple(range(x.ndim - k))
        self.n = 1
        for a in self.axes:
            self.n *= x.shape[a]
        self.eps = eps
        mu = x.mean(axis=self.axes, keepdims=True)
        xc = x - mu
        var = (xc * xc).mean(axis=self.axes, keepdims=True)
        s = 1 / xp.sqrt(var + eps)
        xhat = xc * s
        if self.recording:
            self.xhat, self.s = xhat, s
        return xhat * w + b

    def backward(self, g, F):
        x, w = self.inputs(F)
        nf = self.next_functions
        if F.graph:
            m, s = _graph_stats(F, x, self.axes, self.n, self.eps)
            xhat = (x - m) * s
        else:
            xhat, s = self.xhat, self.s
        lead = (lambda t: F.sum(t, axis=self.lead)) if self.lead else (lambda t: t)
        gw = lead(g * xhat) if bool(nf[1]) else None
        gb = lead(g) if bool(nf[2]) else None
        gx = None
        if bool(nf[0]):
            gh = g * w
            mean_gh = F.sum(gh, axis=self.axes, keepdims=True) / self.n
            mean_ghx = F.sum(gh * xhat, axis=self.axes, keepdims=True) / self.n
            gx = s * (gh - mean_gh - xhat * mean_ghx)
        return gx, gw, gb
