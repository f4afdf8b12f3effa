"""Gradient clipping, in place on ``p.grad`` (PyTorch's ``torch.nn.utils.clip_grad``)."""
from __future__ import annotations

import math

from ...backend import xp
from ...tensor import Tensor


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type``-norm of all ``tensors`` viewed as one vector (a 0-d Tensor)."""
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = [t for t in tensors if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._wrap(xp.asarray(0.0, dtype=xp.float32))
    dtype = tensors[0]._array.dtype
    if norm_type == math.inf:
        norms = [xp.abs(t._array).max() if t._array.size else dtype.type(0) for t in tensors]
        total = xp.max(xp.stack(norms))
    elif norm_type == -math.inf:
        norms = [xp.abs(t._array).min() for t in tensors]
        total = xp.min(xp.stack(norms))
    else:
        # norm of the per-tensor norms, as PyTorch (same value as one long vector's norm)
        norms = [(xp.abs(t._array) ** norm_type).sum() ** (1.0 / norm_type) if norm_type != 2
                 else xp.sqrt(xp.vdot(t._array.ravel(), t._array.ravel())) for t in tensors]
        norms = xp.stack([xp.asarray(n, dtype=dtype) for n in norms])
        total = (xp.abs(norms) ** norm_type).sum() ** (1.0 / norm_type) if norm_type != 2 \
            else xp.sqrt((norms * norms).sum())
    total = xp.asarray(total, dtype=dtype)
    if error_if_nonfinite and not xp.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            f"non-finite, so it cannot be clipped. To disable this error and scale the "
            f"gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return Tensor._wrap(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale every gradient by min(1, max_norm / (total_norm + 1e-6))."""
    grads = _grads(parameters)
    if not grads:
        return
    tn = total_norm._array if isinstance(total_norm, Tensor) else total_norm
    coef = xp.minimum(float(max_norm) / (tn + 1e-6), 1.0)
    for g in grads:
        g._array *= xp.asarray(coef, dtype=g._array.dtype)
        g._version_counter.value += 1


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Rescale the gradients so that their joint ``norm_type``-norm is at most ``max_norm``.

    total = ||(||g_1||, ..., ||g_k||)||_p ;  g_i <- g_i * min(1, max_norm / (total + 1e-6)).
    Returns the total norm before clipping (a 0-d Tensor).

        cg.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    parameters = list(parameters)
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        xp.clip(g._array, -clip_value, clip_value, out=g._array)
        g._version_counter.value += 1
