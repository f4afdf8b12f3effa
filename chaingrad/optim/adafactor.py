"""Adafactor: Adam-like steps with a factored (row x column) second-moment estimate."""
from __future__ import annotations

from ..backend import xp
from .adam import lerp_
from .optimizer import Optimizer, _check_lr, _state_tensor, _step_tensor


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer & Stern, 2018) as PyTorch implements it.

    At step :math:`t` with gradient :math:`G` (negated if ``maximize``), for a parameter
    :math:`\theta` of n numbers::

        beta2_t' = t ** beta2_decay                    (the weight of the new statistics)
        rho_t    = min(lr, 1 / sqrt(t));   alpha = max(eps2, ||theta|| / sqrt(n)) * rho_t
        theta   <- theta * (1 - lr * weight_decay)
        matrices: R <- lerp(R, mean(G^2, last dim), beta2_t'), C <- lerp(C, mean(G^2, dim -2))
                  V  = R C / max(mean(R, dim -2), eps1)           (outer product: rank one)
        vectors:  V <- lerp(V, G^2, beta2_t')
        U        = G / sqrt(max(V, eps1^2));   denom = max(1, ||U|| / (sqrt(n) d))
        theta   <- theta - alpha / denom * U

    Only the row and column statistics are kept for a matrix (``state['row_var']``,
    ``state['col_var']``), so the optimizer's memory is O(rows + cols) instead of O(rows cols).

    Args:
        params: parameters or parameter groups.
        lr (float): the cap of the relative step size (default 1e-2).
        beta2_decay (float): exponent of the second-moment decay, <= 0 (default -0.8).
        eps (tuple): (eps1, eps2): eps1 bounds the variance estimate (None: the dtype's
            machine epsilon), eps2 the parameter scale (default (None, 1e-3)).
        d (float): clipping threshold of the update's RMS, >= 1 (default 1.0).
        weight_decay (float): decoupled weight decay (default 0).
        maximize (bool): maximize instead of minimize (default False).

    Example::

        opt = cg.optim.Adafactor(model.parameters(), lr=1e-2)
    """

    _group_setdefaults = dict(foreach=None)

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        _check_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                        weight_decay=weight_decay, foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr, beta2_decay, d = float(group["lr"]), group["beta2_decay"], group["d"]
        eps1, eps2 = group["eps"]
        wd = group["weight_decay"]
        for p, theta, g in self._with_grad(group):
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _step_tensor()
                if g.ndim > 1:
                    state["row_var"] = _state_tensor(xp.zeros(g.shape[:-1] + (1,), g.dtype))
                    state["col_var"] = _state_tensor(
                        xp.zeros(g.shape[:-2] + (1,) + g.shape[-1:], g.dtype))
                else:
                    state["variance"] = _state_tensor(xp.zeros_like(g))
            if group["maximize"]:
                g = -g
            if eps1 is None:  # as PyTorch: fixed by the first parameter of the group
                eps1 = float(xp.finfo(theta.dtype).eps)
            state["step"]._array += 1
            t = float(state["step"]._array)
            new_weight = t ** beta2_decay
            rho = min(lr, 1 / (t ** 0.5))
            alpha = max(eps2, float(xp.linalg.norm(theta.reshape(-1))) / (theta.size ** 0.5)) * rho
            if wd != 0:
                theta *= 1 - lr * wd
            if g.ndim > 1:
                row_var, col_var = state["row_var"]._array, state["col_var"]._array
                lerp_(row_var, (g * g).sum(axis=-1, keepdims=True) / g.shape[-1], new_weight)
                lerp_(col_var, (g * g).sum(axis=-2, keepdims=True) / g.shape[-2], new_weight)
                var = row_var @ col_var
                var /= xp.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
            else:
                var = state["variance"]._array
                lerp_(var, g * g, new_weight)
                var = var.copy()
            update = xp.maximum(var, eps1 * eps1, out=var)
            xp.sqrt(update, out=update)
            xp.divide(g, update, out=update)
            denom = max(1.0, float(xp.linalg.norm(update.reshape(-1)))
                        / ((update.size ** 0.5) * d))
            update *= -alpha / denom
            theta += update
