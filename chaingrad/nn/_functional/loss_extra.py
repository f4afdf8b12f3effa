"""The less common PyTorch losses, as short compositions of differentiable ops (so every
order of derivative comes for free): margin ranking, hinge embedding, soft margin,
multilabel soft margin, cosine embedding, triplet margin, Poisson NLL, Gaussian NLL.

Each takes ``reduction`` = 'mean' (default), 'sum' or 'none', as PyTorch.
"""
from __future__ import annotations

import math

from ...backend import xp
from ...tensor import Tensor
from ...ops import elementwise as ew
from .loss import _reduction, _reduce, _tensor, _no_grad_arg
from .misc import pairwise_distance
from .activation import logsigmoid


def _zeros_like(x):
    return Tensor._wrap(xp.zeros((), dtype=x._array.dtype))


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -y (x1 - x2) + margin), y in {1, -1}."""
    reduction = _reduction(reduction, size_average, reduce)
    loss = (-_tensor(target, input1) * (input1 - input2) + margin).clamp(min=0)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,  # noqa: A002
                         reduction="mean"):
    """x where y = 1, max(0, margin - x) where y = -1."""
    reduction = _reduction(reduction, size_average, reduce)
    t = target._array if isinstance(target, Tensor) else xp.asarray(target)
    zero = _zeros_like(input)
    margin_part = ew.where(Tensor._wrap(t != 1), (margin - input).clamp(min=0), zero)
    self_part = ew.where(Tensor._wrap(t != -1), input, zero)
    return _reduce(margin_part + self_part, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    """log(1 + exp(-y x)), y in {1, -1} (PyTorch's fused op: no gradient for y)."""
    reduction = _reduction(reduction, size_average, reduce)
    _no_grad_arg(target, "soft_margin_loss", "target")
    return _reduce(-logsigmoid(_tensor(target, input) * input), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,  # noqa: A002
                                reduction="mean"):
    """-(1/C) sum_c w_c [y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c)] per sample."""
    reduction = _reduction(reduction, size_average, reduce)
    y = _tensor(target, input)
    loss = -(y * logsigmoid(input) + (1 - y) * logsigmoid(-input))
    if weight is not None:
        loss = loss * _tensor(weight, input)
    c = input.ndim - 1
    return _reduce(loss.sum(c) / input.shape[c], reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1 (cos with
    PyTorch's 1e-12 added to each squared norm)."""
    reduction = _reduction(reduction, size_average, reduce)
    d = 1 if input1.ndim == 2 else 0
    prod = (input1 * input2).sum(d)
    m1 = (input1 * input1).sum(d) + 1e-12
    m2 = (input2 * input2).sum(d) + 1e-12
    cos = prod / (m1 * m2).sqrt()
    t = target._array if isinstance(target, Tensor) else xp.asarray(target)
    zero = _zeros_like(cos)
    loss = (ew.where(Tensor._wrap(t == 1), 1 - cos, zero)
            + ew.where(Tensor._wrap(t == -1), (cos - margin).clamp(min=0), zero))
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)), d the p-norm distance (``swap``: d(a, n) becomes
    min(d(a, n), d(p, n)))."""
    reduction = _reduction(reduction, size_average, reduce)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ew.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None,  # noqa: A002
                     eps=1e-8, reduce=None, reduction="mean"):
    """exp(x) - y x (``log_input``) or x - y log(x + eps); ``full`` adds Stirling's
    y log y - y + log(2 pi y) / 2 where y > 1."""
    reduction = _reduction(reduction, size_average, reduce)
    y = _tensor(target, input)
    loss = input.exp() - y * input if log_input else input - y * (input + eps).log()
    if full:
        big = y._array > 1
        safe = ew.where(Tensor._wrap(big), y, 1.0)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + ew.where(Tensor._wrap(big), stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):  # noqa: A002
    """(log max(var, eps) + (x - y)^2 / max(var, eps)) / 2 (+ log(2 pi) / 2 with ``full``).
    ``var`` may lack the last dim or have size 1 there; it is raised to ``eps`` in value only
    (PyTorch clamps it in place under no_grad)."""
    if isinstance(var, (int, float)):
        var = Tensor._wrap(xp.full(tuple(input.shape), var, dtype=input._array.dtype))
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if (var._array < 0).any():
        raise ValueError("var has negative entry/entries")
    var = var + (var.detach().clamp(min=eps) - var.detach())
    loss = 0.5 * (var.log() + (input - _tensor(target, input)) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,  # noqa: A002
                      reduce=None, reduction="mean"):
    """Multi-class hinge loss: per sample, sum over classes i != y of
    w[y] max(0, margin - x[y] + x[i])^p / C  (p = 1 or 2)."""
    reduction = _reduction(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input.unsqueeze(0) if input.ndim == 1 else input
    if x.ndim != 2:
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {list(input.shape)}")
    n, c = x.shape
    t = (target._array if isinstance(target, Tensor) else xp.asarray(target)).reshape(-1)
    if t.shape[0] != n:
        raise RuntimeError(f"inconsistent target size, expected {n} but got "
                           f"{list(getattr(target, 'shape', t.shape))}")
    if t.size and (t.min() < 0 or t.max() >= c):
        raise RuntimeError("target out of range")
    t = t.astype(xp.int64)
    rows = xp.arange(n)
    x_y = x[Tensor._wrap(rows), Tensor._wrap(t)].unsqueeze(1)
    h = (margin - x_y + x).clamp(min=0)
    if p == 2:
        h = h * h
    other = xp.ones((n, c), dtype=x._array.dtype)
    other[rows, t] = 0
    if weight is not None:
        w = weight._array if isinstance(weight, Tensor) else xp.asarray(weight)
        other = other * w.astype(other.dtype)[t][:, None]
    loss = (h * Tensor._wrap(other)).sum(1) / c
    if input.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """max(0, d(a, p) - d(a, n) + margin) with any distance ``d`` (default
    ``pairwise_distance``); ``swap`` uses min(d(a, n), d(p, n))."""
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, "
                         f"got {margin} instead")
    reduction = _reduction(reduction)
    d = distance_function if distance_function is not None else pairwise_distance
    d_pos, d_neg = d(anchor, positive), d(anchor, negative)
    if swap:
        d_neg = ew.minimum(d_neg, d(positive, negative))
    return _reduce((d_pos - d_neg + margin).clamp(min=0), reduction)
