"""Fused neural-network ops: each forward with its derivative right below it.

These ops do in one node what would otherwise be several (``x @ W^T + b``, log-softmax + NLL,
batch normalisation), which saves both time and memory on the hot paths of training.
a false ``self.next_functions[i]`` means input ``i`` needs no gradient, so its (often costly)
gradient is skipped.
"""
from __future__ import annotations

from ..backend import xp
from ..autograd.function import Op


def _needs(op, i):
    return bool(op.next_functions[i])


class Linear(Op):
    """y = x W^T + b for x of shape (..., in), W (out, in), b (out,)."""
    save_inputs = (0, 1)

    def forward(self, x, w, *b):
        if x.ndim == 2 and x.dtype == xp.float32 and w.shape[0] >= 4 * x.shape[0] >= 8:
            # a batch that is small next to the outputs: OpenBLAS's sgemm runs (W x^T)^T
            # faster than x W^T (measured here, 1 thread: 7% at 128 x 784 -> 512, 2x at
            # 16 x 512 -> 1000; no gain in float64 or with fewer outputs), then one copy
            # back to row-major
            out = xp.ascontiguousarray((w @ x.T).T)
        else:
            out = x @ w.T
        if b:
            out += b[0]
        return out

    def backward(self, g, F):  # dx = g W,  dW = g^T x (summed over batch dims),  db = g
        x, w = self.inputs(F)
        gx = F.matmul(g, w) if _needs(self, 0) else None
        gw = None
        if _needs(self, 1):
            g2 = F.reshape(g, (-1, w.shape[0]))
            x2 = F.reshape(x, (-1, w.shape[1]))
            gw = F.matmul(F.swapaxes(g2, 0, 1), x2)
        if len(self.next_functions) == 3:
            return gx, gw, g  # the engine sums g back to b's shape
        return gx, gw


# -- activations ------------------------------------------------------------------------------
# Masks computed in forward are constants (no gradient), so each backward below is written
# with operators only and runs on arrays and, for create_graph, on Tensors alike.

class LeakyRelu(Op):
    """y = x if x > 0 else slope * x."""

    def forward(self, x, slope):
        self.slope_mask = xp.where(x > 0, x.dtype.type(1), x.dtype.type(slope))
        return x * self.slope_mask

    def backward(self, g, F):  # dy/dx = 1 or slope
        return g * self.slope_mask


class Elu(Op):
    """y = scale * (x if x > 0 else alpha (e^x - 1))  (ELU; SELU with its constants)."""
    save_inputs = (0,)

    def forward(self, x, alpha, scale):
        self.pos = (x > 0).astype(x.dtype)
        self.alpha, self.scale = alpha, scale
        y = xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))
        return y * x.dtype.type(scale) if scale != 1 else y

    def backward(self, g, F):  # dy/dx = scale (1 if x > 0 else alpha e^x)
        (x,) = self.inputs(F)
        neg = 1 - self.pos
        d = self.pos + F.exp(x * neg) * neg * self.alpha
        return g * d * self.scale if self.scale != 1 else g * d


def _erf(x):
    from scipy.special import erf  # noqa: PLC0415  (NumPy has no erf)
    return erf(x)


_SQRT1_2 = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327
_SQRT_2_PI = 0.7978845608028654


class NormalCdf(Op):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2, the standard normal CDF."""
    save_inputs = (0,)

    def forward(self, x):
        return (0.5 * (1.0 + _erf(x * _SQRT1_2))).astype(x.dtype, copy=False)

    def backward(self, g, F):  # dPhi = phi(x) = e^(-x^2/2) / sqrt(2 pi)
        (x,) = self.inputs(F)
        return g * F.exp(x * x * -0.5) * _INV_SQRT_2PI


class Gelu(Op):
    """y = x Phi(x) (exact) or 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) ('tanh')."""
    save_inputs = (0,)

    def forward(self, x, approximate):
        self.approximate = approximate
        if approximate == "tanh":
            return 0.5 * x * (1 + xp.tanh(_SQRT_2_PI * (x + 0.044715 * x * x * x)))
        return x * (0.5 * (1.0 + _erf(x * _SQRT1_2))).astype(x.dtype, copy=False)

    def backward(self, g, F):
        (x,) = self.inputs(F)
        if self.approximate == "tanh":  # d = (1 + t)/2 + x (1 - t^2) u' / 2
            t = F.tanh((x + x * x * x * 0.044715) * _SQRT_2_PI)
            du = (1 + x * x * (3 * 0.044715)) * _SQRT_2_PI
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)
        cdf = NormalCdf.apply(x) if F.graph else NormalCdf.forward(None, x)
        return g * (cdf + x * F.exp(x * x * -0.5) * _INV_SQRT_2PI)  # d = Phi + x phi


class Silu(Op):
    """y = x sigmoid(x)."""
    save_inputs = (0,)

    def forward(self, x):
        from .elementwise import _sigmoid
        return x * _sigmoid(x)

    def backward(self, g, F):  # d = s (1 + x (1 - s))
        (x,) = self.inputs(F)
        s = F.sigmoid(x)
        return g * s * (1 + x * (1 - s))


class Softplus(Op):
    """y = log(1 + e^(beta x)) / beta, or x where beta x > threshold (linear regime)."""
    save_inputs = (0,)

    def forward(self, x, beta, threshold):
        self.beta = beta
        bx = x * beta
        self.lin = (bx > threshold).astype(x.dtype)
        soft = (xp.logaddexp(0, xp.minimum(bx, threshold)) / beta).astype(x.dtype, copy=False)
        return xp.where(bx > threshold, x, soft)

    def backward(self, g, F):  # d = sigmoid(beta x), 1 in the linear regime
        (x,) = self.inputs(F)
        return g * (self.lin + (1 - self.lin) * F.sigmoid(x * self.beta))


class Hardtanh(Op):
    """y = clamp(x, lo, hi); gradient 1 strictly inside (lo, hi), as PyTorch."""

    def forward(self, x, lo, hi):
        self.inside = ((x > lo) & (x < hi)).astype(x.dtype)
        return xp.clip(x, lo, hi)

    def backward(self, g, F):
        return g * self.inside


class Mish(Op):
    """y = x tanh(softplus(x))."""
    save_inputs = (0,)

    def forward(self, x):
        self.pos = (x > 0).astype(x.dtype)
        return x * xp.tanh(xp.logaddexp(0, x)).astype(x.dtype, copy=False)

    def backward(self, g, F):  # d = tanh(sp) + x (1 - tanh^2(sp)) sigmoid(x)
        (x,) = self.inputs(F)
        sp = F.log(1 + F.exp(-F.abs(x))) + x * self.pos
        t = F.tanh(sp)
        return g * (t + x * (1 - t * t) * F.sigmoid(x))


class Hardswish(Op):
    """y = x relu6(x + 3) / 6."""
    save_inputs = (0,)

    def forward(self, x):
        self.mid = ((x > -3) & (x < 3)).astype(x.dtype)
        self.hi = (x >= 3).astype(x.dtype)
        return x * xp.clip(x + 3, 0, 6) / 6

    def backward(self, g, F):  # 0 up to -3, x/3 + 1/2 inside, 1 from 3 (PyTorch's)
        (x,) = self.inputs(F)
        return g * (self.mid * (x / 3 + 0.5) + self.hi)


class Hardsigmoid(Op):
    """y = relu6(x + 3) / 6."""

    def forward(self, x):
        self.inside = ((x > -3) & (x < 3)).astype(x.dtype) / 6
        return xp.clip(x + 3, 0, 6) / 6

    def backward(self, g, F):
        return g * self.inside


class LogSigmoid(Op):
    """y = log sigmoid(x) = -softplus(-x), computed stably."""
    save_inputs = (0,)

    def forward(self, x):
        # contiguous whatever the input's layout, as PyTorch's (so x.reshape is a view of it)
        return (-xp.logaddexp(0, -x)).astype(x.dtype, order="C", copy=False)

    def backward(self, g, F):  # d = 1 - sigmoid(x) = sigmoid(-x)
        (x,) = self.inputs(F)
        return g * F.sigmoid(-x)


class Dropout(Op):
    """y = x * mask / (1 - p): ``scaled_mask`` is drawn by the caller (chaingrad.random)."""

    def forward(self, x, scaled_mask):
        self.m = scaled_mask
        return x * scaled_mask

    def backward(self, g, F):
        return g * self.m


# -- losses -----------------------------------------------------------------------------------
class CrossEntropy(Op):
    """Fused log-softmax + (weighted, label-smoothed) NLL for class-index targets.

    logits z (M, C), targets t (M,), class weights w (C,), smoothing e, per-row scale s_i (1,
    1/denominator for 'mean', 0 for ignored rows). With log p = z - logsumexp(z):

        loss_i = s_i [ (1 - e) w_t (-log p_t) + (e / C) sum_c w_c (-log p_c) ]
        dloss_i/dz_k = s_i [ p_k ((1 - e) w_t + (e / C) sum_c w_c) - (1 - e) w_t [k = t] - (e/C) w_k ]

    Subtracting the row max first keeps logits of +-1000 finite. ``reduce`` sums the rows
    (the scale already holds the mean's denominator); otherwise one loss per row.
    """
    backward_name = "NllLossBackward0"  # PyTorch's name
    save_inputs = (0,)

    def forward(self, z, t, w, scale, smoothing, reduce):
        m, c = z.shape
        zmax = z.max(axis=1, keepdims=True)
        shifted = z - zmax
        lse = xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
        logp = shifted - lse
        rows = xp.arange(m)
        wt = w[t] if w is not None else xp.ones(m, dtype=z.dtype)
        loss = (1 - smoothing) * wt * -logp[rows, t]
        if smoothing:
            wl = logp * w if w is not None else logp
            loss = loss - (smoothing / c) * wl.sum(axis=1)
        loss = loss * scale
        self.t, self.w, self.scale, self.smoothing = t, w, scale, smoothing
        self.reduce = reduce
        if self.recording:
            self.p = xp.exp(logp)
        return loss.sum() if reduce else loss.astype(z.dtype, copy=False)

    def _coefficients(self, m, c, dtype):
        """A (M,) and B (M, C): dloss_i/dz = s_i (A_i p - B_i), both constant in z."""
        e, w, t = self.smoothing, self.w, self.t
        wt = w[t] if w is not None else xp.ones(m, dtype=dtype)
        wsum = w.sum() if w is not None else c
        a = ((1 - e) * wt + (e / c) * wsum) * self.scale
        b = xp.zeros((m, c), dtype=dtype)
        if e:
            b += (e / c) * (w if w is not None else 1.0)
        b[xp.arange(m), t] += (1 - e) * wt
        b *= self.scale[:, None]
        return a.astype(dtype, copy=False), b

    def backward(self, g, F):
        (z,) = self.inputs(F)
        m, c = z.shape
        a, b = self._coefficients(m, c, self.p.dtype if not F.graph else z._array.dtype)
        if F.graph:
            from .reduce import softmax
            p = softmax(z, 1)
        else:
            p = self.p
        if self.reduce:
            return (p * a[:, None] - b) * g
        gcol = F.expand_dims(g, 1)
        return p * (gcol * a[:, None]) - gcol * b


class BinaryCrossEntropy(Op):
    """l = -w (y max(log x, -100) + (1 - y) max(log(1 - x), -100))  (PyTorch clamps the logs)."""
    save_inputs = (0, 1)

    def forward(self, x, y, w):
        if ((x < 0) | (x > 1)).any():
            raise RuntimeError("all elements of input should be between 0 and 1")
        self.w = w
        with xp.errstate(divide="ignore"):
            lx = xp.maximum(xp.log(x), -100)
            l1x = xp.maximum(xp.log1p(-x), -100)
        out = -(y * lx + (1 - y) * l1x)
        return out * w if w is not None else out

    def backward(self, g, F):  # dl/dx = w (x - y) / max(x (1 - x), 1e-12); dl/dy = w (log(1-x) - log x)
        x, y = self.inputs(F)
        nf = self.next_functions
        gw = g * self.w if self.w is not None else g
        gx = gy = None
        if bool(nf[0]):
            gx = gw * (x - y) / F.maximum(x * (1 - x), 1e-12)
        if bool(nf[1]):  # PyTorch does not clamp here: +-inf at x = 0 or 1
            with xp.errstate(divide="ignore", invalid="ignore"):
                gy = gw * (F.log(1 - x) - F.log(x))
        return gx, gy


class BCEWithLogits(Op):
    """l = w [(1 - y) x + (1 + (pw - 1) y) softplus(-x)], softplus(-x) = log1p(e^-|x|) + max(-x, 0)."""
    save_inputs = (0, 1)

    def forward(self, x, y, w, pos_weight):
        self.w, self.pw = w, pos_weight
        sp = xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(-x, 0)
        lw = 1 + (pos_weight - 1) * y if pos_weight is not None else 1
        out = (1 - y) * x + lw * sp
        return (out * w if w is not None else out).astype(x.dtype, copy=False)

    def backward(self, g, F):  # dl/dx = w [(1 - y) + lw (sigmoid(x) - 1)]
        x, y = self.inputs(F)
        nf = self.next_functions
        gw = g * self.w if self.w is not None else g
        pw = self.pw
        gx = gy = None
        if bool(nf[0]):
            lw = 1 + (pw - 1) * y if pw is not None else 1
            gx = gw * ((1 - y) + lw * (F.sigmoid(x) - 1))
        if bool(nf[1]):  # dl/dy = w [-x + (pw - 1) softplus(-x)]
            if pw is None:
                gy = gw * -x
            else:
                sp = F.log(1 + F.exp(-F.abs(x))) + F.maximum(-x, 0.0)
                gy = gw * (-x + (pw - 1) * sp)
        return gx, gy


class Embedding(Op):
    """y = W[idx]; dW[r] = sum of the gradients of the rows that looked up r (none for
    ``padding_idx``; divided by r's count in the batch with ``scale_grad_by_freq``)."""

    def forward(self, w, idx, padding_idx, scale_grad_by_freq):
        self.idx, self.v = idx, w.shape[0]
        self.padding_idx, self.freq = padding_idx, scale_grad_by_freq
        return w[idx]

    def backward(self, g, F):
        flat = self.idx.reshape(-1)
        d = g.shape[-1]
        g2 = F.reshape(g, (-1, d))
        scale = None
        if self.padding_idx is not None:
            scale = (flat != self.padding_idx)
        if self.freq:
            counts = xp.bincount(flat, minlength=self.v)[flat]
            scale = (1.0 / counts) * (scale if scale is not None else 1.0)
        if scale is not None:
            g2 = g2 * xp.asarray(scale, dtype=g.dtype)[:, None]
        return F.scatter_add((self.v, d), (flat,), g2)
