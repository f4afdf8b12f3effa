"""Adagrad: per-coordinate learning rates from the sum of squared past gradients."""
from __future__ import annotations

from ..backend import xp
from .optimizer import (Optimizer, _advance, _check, _check_fused, _check_lr, _state_tensor,
                       _step_tensor, effective_grad)


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), PyTorch's algorithm step for step.

    At step :math:`t` with gradient :math:`g` (negated if ``maximize``)::

        g     <- g + weight_decay * theta             (if weight_decay != 0)
        clr   =  lr / (1 + (t - 1) * lr_decay)
        s     <- s + g^2                              (s starts at initial_accumulator_value)
        theta <- theta - clr * g / (sqrt(s) + eps)

    Args:
        params: parameters or parameter groups.
        lr (float): learning rate (default 1e-2).
        lr_decay (float): learning-rate decay (default 0).
        weight_decay (float): L2 penalty (default 0).
        initial_accumulator_value (float): starting value of the sum ``s`` (default 0).
        eps (float): added to the denominator (default 1e-10).
        maximize (bool): maximize instead of minimize (default False).

    Example::

        opt = cg.optim.Adagrad(model.parameters(), lr=0.1)
    """

    _group_setdefaults = dict(foreach=None, maximize=False, differentiable=False, fused=None)

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        _check_lr(lr)
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(lr_decay >= 0.0, f"Invalid lr_decay value: {lr_decay}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check(initial_accumulator_value >= 0.0,
               f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)

    def _init_group_state(self, group):
        # Adagrad's accumulator exists from construction on, as in PyTorch
        for p in group["params"]:
            state = self.state[p]
            state["step"] = _step_tensor()
            state["sum"] = _state_tensor(
                xp.full_like(p._array, group["initial_accumulator_value"]))

    def _update_group(self, group):
        lr, lr_decay, eps = float(group["lr"]), group["lr_decay"], group["eps"]
        wd, maximize = group["weight_decay"], group["maximize"]
        for p, theta, g in self._with_grad(group):
            state = self.state[p]
            step = _advance(state)
            clr = lr / (1 + (step - 1) * lr_decay)
            self._apply(_adagrad_kernel, (theta, g, state["sum"]._array), 2, clr, eps, wd,
                        maximize)


def _adagrad_kernel(theta, g, s, d, g2, clr, eps, wd, maximize):
    g = effective_grad(theta, g, wd, maximize, out=g2)
    xp.multiply(g, g, out=d)  # s <- s + g^2
    s += d
    xp.sqrt(s, out=d)  # theta <- theta - clr * g / (sqrt(s) + eps)
    d += eps
    xp.divide(g, d, out=d)
    d *= clr
    theta -= d
