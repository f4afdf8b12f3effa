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
