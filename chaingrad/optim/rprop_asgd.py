"""Rprop and ASGD, PyTorch's algorithms step for step."""
from __future__ import annotations

from ..backend import xp
from .optimizer import Optimizer, _advance, _check, _check_lr, _state_tensor, _step_tensor


class Rprop(Optimizer):
    r"""Resilient backpropagation: per-coordinate step sizes that grow (``etas[1]``) while the
    gradient keeps its sign and shrink (``etas[0]``) when it flips, within ``step_sizes``::

        s     = sign(g * g_prev)
        step  <- clamp(step * (eta+ if s > 0, eta- if s < 0, 1 if s = 0), *step_sizes)
        g     <- 0 where s < 0          (no move after a sign flip; remembered as g_prev)
        theta <- theta - sign(g) * step

    Args: params, lr=1e-2 (initial step size), etas=(0.5, 1.2), step_sizes=(1e-6, 50),
    maximize=False.

        opt = cg.optim.Rprop(model.parameters(), lr=0.01)
    """

    _group_setdefaults = dict(foreach=None, maximize=False, differentiable=False,
                             capturable=False)

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 < etas[0] < 1.0 < etas[1], f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _update_group(self, group):
        eta_minus, eta_plus = group["etas"]
        lo, hi = group["step_sizes"]
        for p, theta, g in self._with_grad(group):
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _step_tensor()
                state["prev"] = _state_tensor(xp.zeros_like(theta))
                state["step_size"] = _state_tensor(xp.full_like(theta, float(group["lr"])))
            _advance(state)
            g = -g if group["maximize"] else g
            prev, size = state["prev"]._array, state["step_size"]._array
            s = xp.sign(g * prev)
            factor = xp.where(s > 0, eta_plus, xp.where(s < 0, eta_minus, 1.0))
            xp.multiply(size, factor.astype(size.dtype), out=size)
            xp.clip(size, lo, hi, out=size)
            g = xp.where(s < 0, 0, g).astype(theta.dtype)
            theta -= xp.sign(g) * size
            prev[...] = g


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak & Juditsky, 1992), PyTorch's algorithm::

        g     <- g + weight_decay * theta
        theta <- theta (1 - lambd * eta) - eta * g
        ax    <- ax + mu (theta - ax)            (ax = theta while mu = 1)
        eta   =  lr / (1 + lambd * lr * t)^alpha,   mu = 1 / max(1, t - t0)

    Args: params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, maximize=False.
    The averaged parameters are ``optimizer.state[p]['ax']``.

        opt = cg.optim.ASGD(model.parameters(), lr=0.01)
    """

    _group_setdefaults = dict(foreach=None, maximize=False, differentiable=False,
                             capturable=False)

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr, lambd, alpha, t0 = float(group["lr"]), group["lambd"], group["alpha"], group["t0"]
        wd = group["weight_decay"]
        for p, theta, g in self._with_grad(group):
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _step_tensor()
                state["eta"] = _state_tensor(xp.array(lr, dtype=xp.float32))  # as PyTorch
                state["mu"] = _state_tensor(xp.array(1.0, dtype=xp.float32))
                state["ax"] = _state_tensor(xp.zeros_like(theta))
            step = _advance(state)
            g = -g if group["maximize"] else g
            if wd != 0:
                g = g + wd * theta
            eta, mu = float(state["eta"]._array), float(state["mu"]._array)
            theta *= 1 - lambd * eta
            theta -= eta * g
            ax = state["ax"]._array
            if mu != 1:
                ax += (theta - ax) * mu
            else:
                ax[...] = theta
            state["eta"]._array[...] = lr / ((1 + lambd * lr * step) ** alpha)
            state["mu"]._array[...] = 1 / max(1, step - t0)
