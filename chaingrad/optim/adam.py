"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay."""
from __future__ import annotations

from ..backend import xp
from ..tensor import Tensor
from .optimizer import (Optimizer, _advance, _check, _check_fused, _check_lr, _state_tensor,
                       _step_tensor, effective_grad)


def lerp_(a, b, weight, tmp=None):
    """a <- a + weight * (b - a), in place, rounded as PyTorch's ``lerp_`` (``tmp``: scratch)."""
    d = xp.subtract(b, a, out=tmp)
    if weight < 0.5:
        d *= weight
        a += d
    else:  # b - (b - a) * (1 - weight): exact at weight 1
        d *= 1 - weight
        xp.subtract(b, d, out=a)
    return a


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2014), PyTorch's algorithm step for step.

    With gradient :math:`g` (negated if ``maximize``) at step :math:`t`::

        g     <- g + weight_decay * theta     (L2; AdamW instead does
                                               theta <- theta * (1 - lr * weight_decay))
        m     <- beta1 * m + (1 - beta1) * g          (a lerp)
        v     <- beta2 * v + (1 - beta2) * g^2
        vmax  <- max(vmax, v)                         (amsgrad; then v := vmax below)
        theta <- theta - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    Args:
        params: parameters or parameter groups.
        lr (float): learning rate (default 1e-3).
        betas (tuple): decay rates of the first and second moment estimates (0.9, 0.999).
        eps (float): added to the denominator for stability (default 1e-8).
        weight_decay (float): L2 penalty (default 0).
        amsgrad (bool): use the running maximum of ``v`` (default False).
        maximize (bool): maximize instead of minimize (default False).
        decoupled_weight_decay (bool): AdamW's decay (default False).

    Example::

        opt = cg.optim.Adam(model.parameters(), lr=1e-3)
    """

    _group_setdefaults = dict(amsgrad=False, maximize=False, foreach=None, capturable=False,
                             differentiable=False, decoupled_weight_decay=False, fused=None)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check_lr(lr)
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check((isinstance(betas[0], float) and isinstance(betas[1], float))
               or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor)),
               "betas must be either both floats or both Tensors")
        for i, beta in enumerate(betas):
            if isinstance(beta, Tensor) and beta.numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(b.squeeze() if isinstance(b, Tensor) and b.dim() != 0 else b
                      for b in betas)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)

    def _update_group(self, group):
        lr, eps = float(group["lr"]), group["eps"]
        beta1, beta2 = (float(b) for b in group["betas"])
        wd, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        for p, theta, g in self._with_grad(group):
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _step_tensor()
                state["exp_avg"] = _state_tensor(xp.zeros_like(theta))
                state["exp_avg_sq"] = _state_tensor(xp.zeros_like(theta))
                if amsgrad:
                    state["max_exp_avg_sq"] = _state_tensor(xp.zeros_like(theta))
            step = _advance(state)
            vmax = state["max_exp_avg_sq"]._array if amsgrad else None
            self._apply(_adam_kernel, (theta, g, state["exp_avg"]._array,
                                       state["exp_avg_sq"]._array, vmax), 2,
                        lr, beta1, beta2, eps, wd, decoupled, maximize,
                        1 - beta1 ** step, (1 - beta2 ** step) ** 0.5)


def adam_moments_(theta, g, m, v, d, g2, lr, beta1, beta2, wd, decoupled, maximize):
    """The step shared by Adam, NAdam and RAdam, in place: weight decay (decoupled: shrink
    theta by ``1 - lr wd``; else L2 into the gradient), then ``m <- beta1 m + (1 - beta1) g``
    and ``v <- beta2 v + (1 - beta2) g^2``. Returns the effective gradient (in ``g2``);
    ``d`` is scratch."""
    if decoupled and wd != 0:
        theta *= 1 - lr * wd  # AdamW: shrink the weights directly
        g = effective_grad(theta, g, 0, maximize, out=g2)
    else:
        g = effective_grad(theta, g, wd, maximize, out=g2)
    lerp_(m, g, 1 - beta1, tmp=d)
    xp.multiply(g, g, out=d)
    d *= 1 - beta2
    v *= beta2
    v += d
    return g


def _adam_kernel(theta, g, m, v, vmax, d, g2, lr, beta1, beta2, eps, wd, decoupled, maximize,
                 bias_correction1, bias_correction2_sqrt):
    adam_moments_(theta, g, m, v, d, g2, lr, beta1, beta2, wd, decoupled, maximize)
    if vmax is not None:
        xp.maximum(vmax, v, out=vmax)
        v = vmax
    xp.sqrt(v, out=d)  # theta <- theta - lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps)
    d /= bias_correction2_sqrt
    d += eps
    xp.divide(m, d, out=d)
    d *= lr / bias_correction1
    theta -= d


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Same as :class:`Adam` except that the decay shrinks the weights directly,
    ``theta <- theta * (1 - lr * weight_decay)``, before the moment update, instead of adding
    ``weight_decay * theta`` to the gradient. Default ``weight_decay=1e-2``.

    Example::

        opt = cg.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:  # an AdamW stays decoupled whatever it loads
            group["decoupled_weight_decay"] = True
