"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from ..backend import xp
from .optimizer import Optimizer, _check, _check_fused, _check_lr, _state_tensor, effective_grad


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

    _group_setdefaults = dict(nesterov=False, maximize=False, foreach=None,
                             differentiable=False, fused=False)

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None):
        _check_lr(lr)
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check(not nesterov or (momentum > 0 and dampening == 0),
               "Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)

    def _update_group(self, group):
        lr, momentum, dampening = float(group["lr"]), group["momentum"], group["dampening"]
        wd, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        for p, theta, g in self._with_grad(group):
            buf, first = None, False
            if momentum != 0:
                state = self.state[p]
                if state.get("momentum_buffer") is None:
                    state["momentum_buffer"] = _state_tensor(xp.empty_like(theta))
                    first = True  # the buffer starts as the first gradient
                buf = state["momentum_buffer"]._array
            self._apply(_sgd_kernel, (theta, g, buf), 2, lr, momentum, dampening, wd, nesterov,
                        maximize, first)


def _sgd_kernel(theta, g, b, t, t2, lr, momentum, dampening, wd, nesterov, maximize, first):
    g = effective_grad(theta, g, wd, maximize, out=t)  # g + wd * theta
    if b is not None:
        if first:
            xp.copyto(b, g)
        else:  # b <- momentum * b + (1 - dampening) * g
            b *= momentum
            if dampening == 0:
                b += g
            else:
                xp.multiply(g, 1 - dampening, out=t2)
                b += t2
        if nesterov:  # g + momentum * b
            xp.multiply(b, momentum, out=t2)
            t2 += g
            g = t2
        else:
            g = b
    xp.multiply(g, lr, out=t2)  # theta <- theta - lr * g
    theta -= t2
