"""Adam's relatives: Adamax (infinity norm), NAdam (Nesterov momentum), RAdam (rectified)."""
from __future__ import annotations

from ..backend import xp
from .adam import adam_moments_, lerp_
from .optimizer import (Optimizer, _advance, _check, _check_lr, _state_tensor, _step_tensor,
                       effective_grad)


def _check_adam_like(lr, betas, eps, weight_decay):
    _check_lr(lr)
    _check(lr >= 0.0, f"Invalid learning rate: {lr}")
    _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
    _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
    _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
    _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")


def _moments(state, theta):
    if len(state) == 0:
        state["step"] = _step_tensor()
        state["exp_avg"] = _state_tensor(xp.zeros_like(theta))
        state["exp_avg_sq"] = _state_tensor(xp.zeros_like(theta))


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, 2014, section 7): Adam with the infinity norm::

        m     <- beta1 * m + (1 - beta1) * g
        u     <- max(beta2 * u, |g| + eps)
        theta <- theta - lr / (1 - beta1^t) * m / u

    Args: lr (default 2e-3), betas ((0.9, 0.999)), eps (1e-8), weight_decay (0, L2),
    maximize (False).
    """

    _group_setdefaults = dict(foreach=None, maximize=False, differentiable=False,
                             capturable=False)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_adam_like(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr, eps = float(group["lr"]), group["eps"]
        beta1, beta2 = (float(b) for b in group["betas"])
        wd, maximize = group["weight_decay"], group["maximize"]
        for p, theta, g in self._with_grad(group):
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _step_tensor()
                state["exp_avg"] = _state_tensor(xp.zeros_like(theta))
                state["exp_inf"] = _state_tensor(xp.zeros_like(theta))
            step = _advance(state)
            clr = lr / (1 - beta1 ** step)
            self._apply(_adamax_kernel, (theta, g, state["exp_avg"]._array,
                                         state["exp_inf"]._array), 2, beta1, beta2, eps, wd,
                        maximize, clr)


def _adamax_kernel(theta, g, m, u, d, g2, beta1, beta2, eps, wd, maximize, clr):
    g = effective_grad(theta, g, wd, maximize, out=g2)
    lerp_(m, g, 1 - beta1, tmp=d)
    u *= beta2  # u <- max(beta2 u, |g| + eps)
    xp.abs(g, out=d)
    d += eps
    xp.maximum(u, d, out=u)
    xp.divide(m, u, out=d)
    d *= clr
    theta -= d


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016): Adam with Nesterov momentum, PyTorch's algorithm::

        mu_t  = beta1 (1 - 0.5 * 0.96^(t * momentum_decay)),  P_t = prod_{i<=t} mu_i
        m, v as in Adam;  denom = sqrt(v / (1 - beta2^t)) + eps
        theta <- theta - lr (1 - mu_t) / (1 - P_t) * g / denom
                       - lr mu_{t+1} / (1 - P_t mu_{t+1}) * m / denom

    Args: lr (default 2e-3), betas, eps, weight_decay (0), momentum_decay (4e-3),
    decoupled_weight_decay (False: L2; True: AdamW-style), maximize (False).
    """

    _group_setdefaults = dict(maximize=False, foreach=None, capturable=False,
                             differentiable=False, decoupled_weight_decay=False)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_adam_like(lr, betas, eps, weight_decay)
        _check(momentum_decay >= 0.0, f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr, eps = float(group["lr"]), group["eps"]
        beta1, beta2 = (float(b) for b in group["betas"])
        wd, maximize, psi = group["weight_decay"], group["maximize"], group["momentum_decay"]
        decoupled = group["decoupled_weight_decay"]
        for p, theta, g in self._with_grad(group):
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _step_tensor()
                state["mu_product"] = _step_tensor(1.0)  # float32, as PyTorch keeps it
                state["exp_avg"] = _state_tensor(xp.zeros_like(theta))
                state["exp_avg_sq"] = _state_tensor(xp.zeros_like(theta))
            step = _advance(state)
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
            state["mu_product"]._array *= mu
            mu_product = float(state["mu_product"]._array)
            c_grad = -lr * (1.0 - mu) / (1.0 - mu_product)
            c_avg = (-lr * mu_next) / (1.0 - mu_product * mu_next)
            self._apply(_nadam_kernel, (theta, g, state["exp_avg"]._array,
                                        state["exp_avg_sq"]._array), 2, lr, beta1, beta2, eps,
                        wd, decoupled, maximize, 1 - beta2 ** step, c_grad, c_avg)


def _nadam_kernel(theta, g, m, v, d, g2, lr, beta1, beta2, eps, wd, decoupled, maximize,
                  bias_correction2, c_grad, c_avg):
    g = adam_moments_(theta, g, m, v, d, g2, lr, beta1, beta2, wd, decoupled, maximize)
    xp.divide(v, bias_correction2, out=d)  # denom = sqrt(v / bc2) + eps
    xp.sqrt(d, out=d)
    d += eps
    step = xp.divide(g, d, out=g2)
    step *= c_grad
    theta += step
    xp.divide(m, d, out=d)
    d *= c_avg
    theta += d


class RAdam(Optimizer):
    r"""RAdam (Liu et al., 2019): Adam whose adaptive term is switched on only once the
    variance of its estimate is tractable (rho_t > 5), and then rectified::

        rho_inf = 2 / (1 - beta2) - 1,  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
        r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
        theta <- theta - lr * m / (1 - beta1^t) * r_t * sqrt(1 - beta2^t) / (sqrt(v) + eps)
                                                  (rho_t > 5; otherwise without the last two)

    Args: lr (default 1e-3), betas, eps, weight_decay (0), decoupled_weight_decay (False),
    maximize (False).
    """

    _group_setdefaults = dict(foreach=None, maximize=False, differentiable=False,
                             decoupled_weight_decay=False, capturable=False)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check_adam_like(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr, eps = float(group["lr"]), group["eps"]
        beta1, beta2 = (float(b) for b in group["betas"])
        wd, maximize = group["weight_decay"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        for p, theta, g in self._with_grad(group):
            state = self.state[p]
            _moments(state, theta)
            step = _advance(state)
            bc1, bc2 = 1 - beta1 ** step, 1 - beta2 ** step
            rho_inf = 2 / (1 - beta2) - 1
            rho_t = rho_inf - 2 * step * (beta2 ** step) / bc2
            rect = None
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            self._apply(_radam_kernel, (theta, g, state["exp_avg"]._array,
                                        state["exp_avg_sq"]._array), 2, lr, beta1, beta2, eps,
                        wd, decoupled, maximize, bc1, bc2 ** 0.5, rect)


def _radam_kernel(theta, g, m, v, d, g2, lr, beta1, beta2, eps, wd, decoupled, maximize, bc1,
                  bc2_sqrt, rect):
    g = adam_moments_(theta, g, m, v, d, g2, lr, beta1, beta2, wd, decoupled, maximize)
    upd = xp.divide(m, bc1, out=g2)  # the bias-corrected first moment, times lr
    upd *= lr
    if rect is not None:  # times sqrt(bc2) / (sqrt(v) + eps) and the rectification
        xp.sqrt(v, out=d)
        d += eps
        xp.divide(bc2_sqrt, d, out=d)
        upd *= d
        upd *= rect
    theta -= upd


class SparseAdam(Optimizer):
    r"""PyTorch's Adam for *sparse* gradients (``nn.Embedding(sparse=True)``). chaingrad's
    gradients are always dense, so, as PyTorch does for a dense gradient, ``step()`` refuses
    them and points to :class:`Adam`; the constructor checks its arguments as PyTorch's.

    Args: params, lr=1e-3 (> 0), betas=(0.9, 0.999), eps=1e-8 (> 0), maximize=False.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        _check_lr(lr)
        _check(0.0 < lr, f"Invalid learning rate: {lr}")
        _check(0.0 < eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, maximize=maximize))

    def _update_group(self, group):
        for p in group["params"]:
            if p.grad is not None:
                raise RuntimeError("SparseAdam does not support dense gradients, please "
                                   "consider Adam instead")
