"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
from __future__ import annotations

from ..backend import xp
from .adam import lerp_
from .optimizer import (Optimizer, _advance, _check, _check_lr, _state_tensor, _step_tensor,
                       effective_grad)


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e), PyTorch's algorithm step for step.

    With gradient :math:`g` (negated if ``maximize``)::

        g   <- g + weight_decay * theta                 (if weight_decay != 0)
        v   <- alpha * v + (1 - alpha) * g^2
        avg <- sqrt(v - ga^2) + eps,  ga <- lerp(ga, g, 1 - alpha)   if centered
        avg <- sqrt(v) + eps                                          otherwise
        b   <- momentum * b + g / avg;  theta <- theta - lr * b     if momentum > 0
        theta <- theta - lr * g / avg                                 otherwise

    Args:
        params: parameters or parameter groups.
        lr (float): learning rate (default 1e-2).
        alpha (float): smoothing constant (default 0.99).
        eps (float): added to the denominator (default 1e-8).
        weight_decay (float): L2 penalty (default 0).
        momentum (float): momentum factor (default 0).
        centered (bool): normalise by the estimated variance instead of the raw second
            moment (default False).
        maximize (bool): maximize instead of minimize (default False).

    Example::

        opt = cg.optim.RMSprop(model.parameters(), lr=1e-3, momentum=0.9)
    """

    _group_setdefaults = dict(momentum=0, centered=False, foreach=None, maximize=False,
                             differentiable=False, capturable=False)

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check_lr(lr)
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check(alpha >= 0.0, f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr, alpha, eps = float(group["lr"]), group["alpha"], group["eps"]
        wd, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
        maximize = group["maximize"]
        for p, theta, g in self._with_grad(group):
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _step_tensor()
                state["square_avg"] = _state_tensor(xp.zeros_like(theta))
                if momentum > 0:
                    state["momentum_buffer"] = _state_tensor(xp.zeros_like(theta))
                if centered:
                    state["grad_avg"] = _state_tensor(xp.zeros_like(theta))
            _advance(state)
            ga = state["grad_avg"]._array if centered else None
            b = state["momentum_buffer"]._array if momentum > 0 else None
            self._apply(_rmsprop_kernel, (theta, g, state["square_avg"]._array, ga, b), 2,
                        lr, alpha, eps, wd, momentum, maximize)


def _rmsprop_kernel(theta, g, v, ga, b, d, g2, lr, alpha, eps, wd, momentum, maximize):
    g = effective_grad(theta, g, wd, maximize, out=g2)
    xp.multiply(g, g, out=d)  # v <- alpha v + (1 - alpha) g^2
    d *= 1 - alpha
    v *= alpha
    v += d
    if ga is not None:  # centered: avg = sqrt(v - ga^2), ga <- lerp(ga, g, 1 - alpha)
        lerp_(ga, g, 1 - alpha, tmp=d)
        xp.multiply(ga, ga, out=d)
        xp.subtract(v, d, out=d)
        xp.sqrt(d, out=d)
    else:
        xp.sqrt(v, out=d)
    d += eps
    xp.divide(g, d, out=d)  # g / avg
    if b is not None:  # b <- momentum b + g / avg;  theta <- theta - lr b
        b *= momentum
        b += d
        xp.multiply(b, lr, out=d)
    else:
        d *= lr
    theta -= d
