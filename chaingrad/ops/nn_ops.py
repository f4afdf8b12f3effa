"""Fused neural-network ops: each forward with its derivative right below it.

These ops do in one node what would otherwise be several (``x @ W^T + b``, log-softmax + NLL,
batch normalisation), which saves both time and memory on the hot paths of training.
``self.next_functions[i] is None`` means input ``i`` needs no gradient, so its (often costly)
gradient is skipped.
"""
from __future__ import annotations

from ..backend import xp
from ..autograd.function import Op


def _needs(op, i):
    return op.next_functions[i] is not None


class Linear(Op):
    """y = x W^T + b for x of shape (..., in), W (out, in), b (out,)."""
    save_inputs = (0, 1)

    def forward(self, x, w, *b):
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
        self.mid = ((x >= -3) & (x <= 3)).astype(x.dtype)
        self.hi = (x > 3).astype(x.dtype)
        return x * xp.clip(x + 3, 0, 6) / 6

    def backward(self, g, F):  # 0 below -3, x/3 + 1/2 on [-3, 3], 1 above (PyTorch's)
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
        return (-xp.logaddexp(0, -x)).astype(x.dtype, copy=False)

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
