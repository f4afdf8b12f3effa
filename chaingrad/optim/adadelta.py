"""Adadelta: steps scaled by the ratio of running RMS of past updates and of gradients."""
from __future__ import annotations

from ..backend import xp
from .optimizer import (Optimizer, _advance, _check, _check_lr, _state_tensor, _step_tensor,
                       effective_grad)


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), PyTorch's algorithm step for step::

        g     <- g + weight_decay * theta                      (if weight_decay != 0)
        v     <- rho * v + (1 - rho) * g^2
        delta =  sqrt(u + eps) / sqrt(v + eps) * g
        u     <- rho * u + (1 - rho) * delta^2
        theta <- theta - lr * delta

    Args:
        params: parameters or parameter groups.
        lr (float): scale of the update (default 1.0).
        rho (float): decay of the running averages (default 0.9).
        eps (float): inside the square roots (default 1e-6).
        weight_decay (float): L2 penalty (default 0).
        maximize (bool): maximize instead of minimize (default False).

    Example::

        opt = cg.optim.Adadelta(model.parameters())
    """

    _group_setdefaults = dict(foreach=None, maximize=False, differentiable=False,
                             capturable=False)

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check_lr(lr)
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")
        _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr, rho, eps = float(group["lr"]), group["rho"], group["eps"]
        wd, maximize = group["weight_decay"], group["maximize"]
        for p, theta, g in self._with_grad(group):
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _step_tensor()
                state["square_avg"] = _state_tensor(xp.zeros_like(theta))
                state["acc_delta"] = _state_tensor(xp.zeros_like(theta))
            _advance(state)
            self._apply(_adadelta_kernel, (theta, g, state["square_avg"]._array,
                                           state["acc_delta"]._array), 3, lr, rho, eps, wd,
                        maximize)


def _adadelta_kernel(theta, g, v, u, d, g2, delta, lr, rho, eps, wd, maximize):
    g = effective_grad(theta, g, wd, maximize, out=g2)
    xp.multiply(g, g, out=d)  # v <- rho v + (1 - rho) g^2
    d *= 1 - rho
    v *= rho
    v += d
    xp.add(v, eps, out=d)  # delta = sqrt(u + eps) / sqrt(v + eps) * g
    xp.sqrt(d, out=d)
    std = d
    xp.add(u, eps, out=delta)
    xp.sqrt(delta, out=delta)
    delta /= std
    delta *= g
    xp.multiply(delta, delta, out=d)  # u <- rho u + (1 - rho) delta^2
    d *= 1 - rho
    u *= rho
    u += d
    delta *= lr
    theta -= delta
