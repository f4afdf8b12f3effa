"""Loss functions (``F.cross_entropy`` ...), PyTorch's semantics and reductions.

``reduction``: 'none' (one loss per element), 'mean' (default) or 'sum'. Cross-entropy with
class indices is one fused op (``ops/nn_ops.CrossEntropy``): log-softmax and NLL together,
stable for logits of any size; the others are short compositions of differentiable ops (or,
for the two binary cross-entropies, one op each) so higher derivatives come for free.
"""
from __future__ import annotations

import functools
import warnings

from ...backend import xp
from ...tensor import Tensor
from ...autograd.grad_mode import is_grad_enabled
from ...ops import nn_ops
from ...ops import elementwise as ew
from ...ops.reduce import log_softmax
from ...autograd.function import backward_named
from .activation import _float


def _node_named(name):
    """The loss's last node gets PyTorch's name for it (PyTorch computes these losses in one
    node; here they are a few ops)."""
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return backward_named(fn(*args, **kwargs), name)
        return wrapper
    return decorate

_REDUCTIONS = ("none", "mean", "sum")


def _reduction(reduction, size_average=None, reduce=None):
    if size_average is not None or reduce is not None:  # PyTorch's legacy arguments
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else ("mean" if size_average else "sum")
    if reduction not in _REDUCTIONS and reduction != "batchmean":
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _tensor(x, like):
    if isinstance(x, Tensor):
        return x.to(like.dtype) if x._array.dtype.kind == "f" and x.dtype != like.dtype else x
    return Tensor._wrap(xp.asarray(x, dtype=like._array.dtype))


def _promoting(x, like):
    """A float tensor target as it is (the loss then takes the promoted dtype, float32 with
    float64 giving float64, as PyTorch's mse/l1/smooth_l1/kl_div); anything else as ``_tensor``."""
    if isinstance(x, Tensor) and x._array.dtype.kind == "f":
        return x
    return _tensor(x, like)


def _const(x, like):
    """An optional weight as a plain array of ``like``'s dtype (weights get no gradient)."""
    if x is None:
        return None
    arr = x._array if isinstance(x, Tensor) else xp.asarray(x)
    return arr.astype(like._array.dtype, copy=False)


def _no_grad_arg(x, fn, arg):
    """PyTorch's fused losses are not differentiable in their class/element weights: a weight
    that requires grad is refused while a graph would be recorded."""
    if isinstance(x, Tensor) and x.requires_grad and is_grad_enabled():
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument "
                           f"'{arg}'. This input cannot have requires_grad True.")


def _check_same_size(input, target, name):  # noqa: A002
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input "
                      f"size ({input.shape}). This will likely lead to incorrect results due to "
                      f"broadcasting. Please ensure they have the same size.", stacklevel=3)


_TORCH_TYPE_NAMES = {"int32": "Int", "int16": "Short", "int8": "Char", "bool": "Bool",
                     "float16": "Half", "float32": "Float", "float64": "Double",
                     "bfloat16": "BFloat16"}


def _class_rows(input, target):  # noqa: A002
    """(M, C) logits with the class dim last, and the (M,) int targets."""
    name = target._array.dtype.name
    if name not in ("int64", "uint8"):  # PyTorch takes Long or Byte class indices only
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{_TORCH_TYPE_NAMES.get(name, name)}")
    if name == "uint8" and input.ndim > 2:  # PyTorch's spatial kernel: Long only
        raise RuntimeError("expected scalar type Long but found Byte")
    if input.ndim == 1:
        return input.reshape(1, -1), target._array.reshape(-1).astype(xp.int64), ()
    c = input.shape[1]
    if input.ndim == 2:
        x2 = input
    else:
        perm = (0,) + tuple(range(2, input.ndim)) + (1,)
        x2 = input.permute(*perm).reshape(-1, c)
    expected = (input.shape[0],) + tuple(input.shape[2:])
    if target.ndim and target.shape[0] != input.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]}).")
    if tuple(target.shape) != expected:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(target.shape)}")
    return x2, target._array.reshape(-1).astype(xp.int64, copy=False), expected


def _targets(t, c, ignore_index):
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= c))
    if bad.any():
        raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")
    return xp.where(valid, t, 0), valid


@_node_named("NllLossBackward0")
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,  # noqa: A002
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """Cross-entropy between logits and targets: log_softmax over dim 1, then NLL.

    input (N, C) or (N, C, d1, ...) (or (C,)); target class indices (N,) / (N, d1, ...) in
    [0, C) (``ignore_index`` rows skipped), or class probabilities shaped like input.
    ``weight`` (C,) rescales classes ('mean' divides by the summed weights of the targets);
    ``label_smoothing`` e mixes the target with the uniform distribution: (1-e) y + e/C.
    As in PyTorch, ``weight`` gets a gradient with probability targets only; with class
    indices a weight that requires grad is refused (RuntimeError) while grad mode is on.

        loss = F.cross_entropy(logits, labels)
    """
    reduction = _reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input._array.dtype.kind != "f":
        raise NotImplementedError(f'"log_softmax_lastdim_kernel_impl" not implemented for '
                                  f"'{input.dtype.name}'")
    c = input.shape[0] if input.ndim == 1 else input.shape[1]
    if weight is not None and tuple(weight.shape) != (c,):
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    if isinstance(target, Tensor) and target._array.dtype.kind == "f":
        if weight is not None:
            weight = _tensor(weight, input)
        return _soft_cross_entropy(input, target, weight, reduction, label_smoothing)
    _no_grad_arg(weight, "nll_loss_forward", "weight")
    w = _const(weight, input)
    x2, t, out_shape = _class_rows(input, target)
    t, valid = _targets(t, c, ignore_index)
    dt = input._array.dtype
    if reduction == "mean":
        denom = (w[t] * valid).sum() if w is not None else valid.sum()
        with xp.errstate(divide="ignore", invalid="ignore"):
            scale = xp.where(valid, 1 / dt.type(denom), 0).astype(dt)
    else:
        scale = valid.astype(dt)
    loss = nn_ops.CrossEntropy.apply(x2, t=t, w=w, scale=scale, smoothing=label_smoothing,
                                     reduce=reduction != "none")
    if reduction == "none":
        return loss.reshape(*out_shape) if input.ndim != 1 else loss.reshape(())
    if reduction == "mean" and denom == 0:  # all ignored: the loss is 0/0 = nan, gradient 0
        loss = loss + Tensor._wrap(xp.asarray(xp.nan, dtype=dt))
    return loss


def _soft_cross_entropy(input, target, weight, reduction, e):  # noqa: A002
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected target size {list(input.shape)}, got "
                           f"{list(target.shape)}")
    dim = 0 if input.ndim == 1 else 1
    c = input.shape[dim]
    logp = log_softmax(input, dim)
    if e:
        target = target * (1 - e) + e / c
    prod = logp * target
    if weight is not None:  # differentiable in the weight, as PyTorch's composite
        shape = [1] * input.ndim
        shape[dim] = c
        prod = prod * weight.reshape(shape)
    loss = -prod.sum(dim)
    if reduction == "mean":
        return loss.sum() / (input.numel() // c if input.ndim > 1 else 1)
    return _reduce(loss, reduction)


@_node_named("NllLossBackward0")
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100,  # noqa: A002
             reduce=None, reduction="mean"):
    """Negative log-likelihood: loss_i = -w[t_i] input[i, t_i] (input holds log-probabilities).

    'mean' divides by the sum of w[t_i] over the rows not ignored."""
    reduction = _reduction(reduction, size_average, reduce)
    c = input.shape[0] if input.ndim == 1 else input.shape[1]
    _no_grad_arg(weight, "nll_loss_forward", "weight")
    x2, t, out_shape = _class_rows(input, target)
    t, valid = _targets(t, c, ignore_index)
    w = _const(weight, input)
    wt = ((w[t] if w is not None else 1.0) * valid).astype(input._array.dtype)
    picked = x2[xp.arange(t.shape[0]), t]
    loss = -(picked * Tensor._wrap(wt))
    if reduction == "none":
        return loss.reshape(*out_shape) if input.ndim != 1 else loss.reshape(())
    if reduction == "sum":
        return loss.sum()
    dt = input._array.dtype
    total = dt.type(wt.sum())
    if total != 0:
        return loss.sum() / total
    # total weight 0: the loss is 0/0 = nan, as PyTorch; the rows not ignored get the
    # gradient -w/total (nan), the ignored ones none
    with xp.errstate(divide="ignore", invalid="ignore"):
        coef = xp.where(valid, wt / total, 0).astype(dt)
    out = -(picked * Tensor._wrap(coef)).sum()
    return out if valid.any() else out + Tensor._wrap(xp.asarray(xp.nan, dtype=dt))


@_node_named("MseLossBackward0")
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):  # noqa: A002
    """(x - y)^2, reduced."""
    reduction = _reduction(reduction, size_average, reduce)
    _float(input, "mse")
    _check_same_size(input, target, "mse_loss")
    d = input - _promoting(target, input)
    loss = d * d
    if weight is not None:
        loss = loss * _tensor(weight, input)
    return _reduce(loss, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):  # noqa: A002
    """|x - y|, reduced."""
    reduction = _reduction(reduction, size_average, reduce)
    _check_same_size(input, target, "l1_loss")
    loss = (input - _promoting(target, input)).abs()
    if weight is not None:
        loss = loss * _tensor(weight, input)
    return _reduce(loss, reduction)


@_node_named("SmoothL1LossBackward0")
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean",  # noqa: A002
                   beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta  (d = x - y; beta=0 is L1)."""
    reduction = _reduction(reduction, size_average, reduce)
    _float(input, "smooth_l1")
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _check_same_size(input, target, "smooth_l1_loss")
    d = input - _promoting(target, input)
    a = d.abs()
    if beta == 0:
        return _reduce(a, reduction)
    loss = ew.where(a < beta, d * d * (0.5 / beta), a - 0.5 * beta)
    return _reduce(loss, reduction)


@_node_named("HuberLossBackward0")
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):  # noqa: A002
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""
    reduction = _reduction(reduction)
    _float(input, "huber")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _check_same_size(input, target, "huber_loss")
    d = input - _tensor(target, input)
    a = d.abs()
    loss = ew.where(a < delta, d * d * 0.5, (a - 0.5 * delta) * delta)
    if weight is not None:
        loss = loss * _tensor(weight, input)
    return _reduce(loss, reduction)


@_node_named("BinaryCrossEntropyBackward0")
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,  # noqa: A002
                         reduction="mean"):
    """-w (y log x + (1 - y) log(1 - x)), logs clamped at -100 as PyTorch; x in [0, 1]."""
    reduction = _reduction(reduction, size_average, reduce)
    _float(input, "binary_cross_entropy")
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         f"size.")
    _no_grad_arg(weight, "binary_cross_entropy", "weight")
    w = _const(weight, input)
    if w is not None:
        w = xp.broadcast_to(w, input.shape)
    loss = nn_ops.BinaryCrossEntropy.apply(input, _tensor(target, input), w=w)
    return _reduce(loss, reduction)


@_node_named("BinaryCrossEntropyWithLogitsBackward0")
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,  # noqa: A002
                                     reduce=None, reduction="mean", pos_weight=None):
    """Sigmoid + binary cross-entropy in one stable op:
    w [(1 - y) x + (1 + (pos_weight - 1) y) log(1 + e^-x)]. ``pos_weight`` broadcasts over
    the last (class) dim."""
    reduction = _reduction(reduction, size_average, reduce)
    _float(input, "log_sigmoid")
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    _no_grad_arg(weight, "binary_cross_entropy_with_logits", "weight")
    _no_grad_arg(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
    loss = nn_ops.BCEWithLogits.apply(input, _tensor(target, input), w=_const(weight, input),
                                      pos_weight=_const(pos_weight, input))
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean",  # noqa: A002
           log_target=False):
    """KL(target || exp(input)) pointwise: y (log y - x) (0 where y = 0);
    reduction 'batchmean' divides the sum by the batch size."""
    reduction = _reduction(reduction, size_average, reduce)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if input._array.dtype.kind in "biu" or (isinstance(target, Tensor)
                                             and target._array.dtype.kind in "biu"):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    target = _promoting(target, input)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        pos = target._array > 0
        safe = ew.where(Tensor._wrap(pos), target, 1.0)
        loss = ew.where(Tensor._wrap(pos), target * safe.log(), 0.0) - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)
