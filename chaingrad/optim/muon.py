"""Muon: momentum SGD whose update for a matrix is orthogonalized by Newton-Schulz steps."""
from __future__ import annotations

import math

from ..backend import xp
from .adam import lerp_
from .optimizer import Optimizer, _check_lr, _state_tensor

EPS = 1e-7
DEFAULT_A, DEFAULT_B, DEFAULT_C = 3.4445, -4.7750, 2.0315
DEFAULT_NS_STEPS = 5


def _bf16(x):
    """Round float32 values to bfloat16 precision (round half to even), kept as float32:
    PyTorch runs the Newton-Schulz iteration in bfloat16."""
    x = xp.asarray(x, dtype=xp.float32)
    bits = x.view(xp.uint32)
    rounded = (bits + (0x7FFF + ((bits >> 16) & 1))) & 0xFFFF0000
    out = rounded.astype(xp.uint32).view(xp.float32)
    return xp.where(xp.isnan(x), x, out)


def zeropower_via_newtonschulz(grad, ns_coefficients, ns_steps, eps):
    r"""Approximately the orthogonal factor U V^T of ``grad = U S V^T`` (every singular value
    pushed towards 1) by the quintic iteration X <- a X + (b A + c A^2) X, A = X X^T, from
    X = G / ||G||, in bfloat16 precision."""
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = ns_coefficients
    x = _bf16(grad)
    tall = grad.shape[0] > grad.shape[1]
    if tall:
        x = x.T
    norm = _bf16(max(float(xp.sqrt((x.astype(xp.float32) ** 2).sum())), eps))
    x = _bf16(x / norm)
    for _ in range(ns_steps):
        gram = _bf16(x @ x.T)
        gram_update = _bf16(b * gram + c * (gram @ gram))
        x = _bf16(a * x + gram_update @ x)
    return x.T if tall else x


def _adjust_lr(lr, adjust_lr_fn, shape):
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, rows / cols))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    r"""Muon (Jordan et al., 2024), PyTorch's algorithm, for 2-D parameters only::

        b     <- lerp(b, G, 1 - momentum)                 (momentum buffer)
        M     =  lerp(G, b, momentum) if nesterov else b
        O     =  NewtonSchulz(M)                          (~ orthogonal factor, bfloat16)
        theta <- theta (1 - lr weight_decay) - lr' O,    lr' = lr sqrt(max(1, rows/cols))
                                                         ('match_rms_adamw': 0.2 lr sqrt(max))

    Args: params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
    ns_coefficients=(3.4445, -4.7750, 2.0315), eps=1e-7, ns_steps=5, adjust_lr_fn=None.

        opt = cg.optim.Muon([p for p in model.parameters() if p.ndim == 2], lr=0.02)
    """

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C), eps=EPS,
                 ns_steps=DEFAULT_NS_STEPS, adjust_lr_fn=None):
        _check_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ["original", "match_rms_adamw"]:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps,
                        adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError("Muon only supports 2D parameters whereas we found a "
                                     f"parameter with size: {p.size()}")

    def _update_group(self, group):
        lr, wd, momentum = float(group["lr"]), group["weight_decay"], group["momentum"]
        for p, theta, g in self._with_grad(group):
            if g.ndim != 2:
                raise ValueError("Param gradient must be a 2D matrix")
            state = self.state[p]
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = _state_tensor(xp.zeros_like(g))
            buf = state["momentum_buffer"]._array
            lerp_(buf, g, 1 - momentum)
            update = lerp_(g.copy(), buf, momentum) if group["nesterov"] else buf
            ortho = zeropower_via_newtonschulz(update, group["ns_coefficients"],
                                               group["ns_steps"], group["eps"])
            adjusted = _adjust_lr(lr, group["adjust_lr_fn"], theta.shape)
            theta *= 1 - lr * wd
            theta -= (adjusted * ortho).astype(theta.dtype, copy=False)
