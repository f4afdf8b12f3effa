"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from ..backend import xp
from .optimizer import Optimizer, _check, _state_tensor


class SGD(Optimizer):
    r"""Stochastic gradient descent (PyTorch's algorithm, step for step).

    For each parameter :math:`\theta` with gradient :math:`g` (negated if ``maximize``)::

        g  <- g + weight_decay * theta                       (if weight_decay != 0)
        b  <- g                         at the first step    (if momentum != 0)
        b  <- momentum * b + (1 - dampening) * g  afterwards
        g  <- g + momentum * b  if nesterov  else  b
        theta <- theta - lr * g

    Args:
        params: parameters or parameter groups to optimize.
        lr (float): learning rate (default 1e-3).
        momentum (float): momentum factor (default 0).
        dampening (float): dampening of the momentum (default 0).
        weight_decay (float): L2 penalty (default 0).
        nesterov (bool): Nesterov momentum (default False; needs momentum > 0, dampening 0).
        maximize (bool): maximize the objective instead of minimizing it (default False).

    Example::

        opt = cg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None):
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check(not nesterov or (momentum > 0 and dampening == 0),
               "Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr, momentum, dampening = float(group["lr"]), group["momentum"], group["dampening"]
        wd, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        for p, theta, g in self._with_grad(group):
            if maximize:
                g = -g
            if wd != 0:  # g + wd * theta, into scratch
                t = self._scratch(theta)
                xp.multiply(theta, wd, out=t)
                t += g
                g = t
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    state["momentum_buffer"] = _state_tensor(xp.array(g, copy=True))
                    b = state["momentum_buffer"].data
                else:
                    b = buf.data
                    b *= momentum
                    b += g if dampening == 0 else (1 - dampening) * g
                g = g + momentum * b if nesterov else b
            t = self._scratch(theta)
            xp.multiply(g, lr, out=t)
            theta -= t
