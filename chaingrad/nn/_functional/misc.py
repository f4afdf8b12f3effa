"""``F.dropout`` (and 1d/2d), ``F.embedding``, ``F.one_hot``, ``F.normalize``,
``F.cosine_similarity``, ``F.pairwise_distance`` (``F.interpolate``: interpolate.py)."""
from __future__ import annotations

import math
import warnings

from ...backend import xp
from ...tensor import Tensor
from ... import random as _random
from ...ops import nn_ops
from .interpolate import interpolate  # noqa: F401  (re-exported)
from ._names import node_named


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_with_mask(input, p, mask_shape, inplace):  # noqa: A002
    if input._array.dtype.kind not in "fc":
        from .activation import _TYPE_NAMES
        name = input._array.dtype.name
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{_TYPE_NAMES.get(name, name)}")
    if p == 1.0:
        y = input * 0.0
    else:
        keep = _random.uniform_array(mask_shape, dtype=input._array.dtype) < (1.0 - p)
        scaled = keep.astype(input._array.dtype) * input._array.dtype.type(1.0 / (1.0 - p))
        y = nn_ops.Dropout.apply(input, scaled_mask=scaled)
    return input.copy_(y) if inplace else y


@node_named("MulBackward0")
def dropout(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero each element with probability p and scale the rest by 1 / (1 - p), so that the
    expectation is unchanged; identity when not ``training``. The mask is drawn from
    chaingrad.random: ``cg.manual_seed(n)`` reproduces it."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    return _dropout_with_mask(input, p, tuple(input.shape), inplace)


def _channel_dropout(input, p, training, inplace, lead):  # noqa: A002
    _check_p(p)
    if not training or p == 0.0:
        return input
    shape = tuple(input.shape)
    mask_shape = shape[:lead] + (1,) * (input.ndim - lead)
    return _dropout_with_mask(input, p, mask_shape, inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero whole channels of (N, C, L) (or unbatched (C, L)) input with probability p."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D "
                           f"input. Note that dropout1d exists to provide channel-wise dropout "
                           f"on inputs with 1 spatial dimension, a channel dimension, and an "
                           f"optional batch dimension (i.e. 2D or 3D inputs).")
    return _channel_dropout(input, p, training, inplace, 2 if input.ndim == 3 else 1)


def dropout2d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero whole channels (feature maps) of (N, C, H, W) input with probability p. As PyTorch
    (for now), dim 0 is always the batch: 3-D input is taken as (N, C, L), with a warning."""
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is "
                      f"deprecated and will result in an error in a future release. To retain "
                      f"the behavior and silence this warning, please use dropout instead. Note "
                      f"that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      f"spatial dimensions, a channel dimension, and an optional batch dimension "
                      f"(i.e. 3D or 4D inputs).", stacklevel=2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim. This behavior will change in a future release "
                      "to interpret the input as one without a batch dimension, i.e. shape "
                      "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch "
                      "to using dropout1d instead.", stacklevel=2)
    return _channel_dropout(input, p, training, inplace, min(2, input.ndim))


def dropout3d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero whole channels of (N, C, D, H, W) (or unbatched (C, D, H, W)) input."""
    if input.ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is "
                      f"deprecated and will result in an error in a future release. To retain "
                      f"the behavior and silence this warning, please use dropout instead. Note "
                      f"that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      f"spatial dimensions, a channel dimension, and an optional batch dimension "
                      f"(i.e. 4D or 5D inputs).", stacklevel=2)
    return _channel_dropout(input, p, training, inplace, 2 if input.ndim == 5 else 1)


_SELU_ALPHA = 1.7580993408473766  # SELU's scale * alpha: the value dropped units take


def _alpha_dropout(input, p, training, inplace, mask_shape):  # noqa: A002
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        y = input * 0.0
        return input.copy_(y) if inplace else y
    dt = input._array.dtype
    keep = (_random.uniform_array(mask_shape, dtype=dt) < (1.0 - p)).astype(dt)
    a = 1.0 / math.sqrt((_SELU_ALPHA ** 2 * p + 1) * (1 - p))
    b = (keep - 1) * (_SELU_ALPHA * a) + _SELU_ALPHA * a * p
    y = input * Tensor._wrap((keep * a).astype(dt)) + Tensor._wrap(b.astype(dt))
    return input.copy_(y) if inplace else y


def alpha_dropout(input, p=0.5, training=False, inplace=False):  # noqa: A002
    """Dropout for SELU networks: dropped units take SELU's negative saturation value and an
    affine correction a x + b keeps zero mean and unit variance (PyTorch's formula)."""
    return _alpha_dropout(input, p, training, inplace, tuple(input.shape))


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):  # noqa: A002
    """``alpha_dropout`` of whole channels (dims 0 and 1 index the mask)."""
    shape = tuple(input.shape)
    return _alpha_dropout(input, p, training, inplace, shape[:2] + (1,) * (input.ndim - 2))


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,  # noqa: A002
              scale_grad_by_freq=False, sparse=False):
    """Look up rows of ``weight`` (V, D) by the integer ``input`` (any shape) -> (*, D).

    ``padding_idx`` rows get no gradient; ``max_norm`` renormalises the looked-up rows of
    ``weight`` in place to at most that ``norm_type``-norm."""
    idx = input._array if isinstance(input, Tensor) else xp.asarray(input)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {idx.dtype} instead")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    v = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= v):
        raise IndexError("index out of range in self")
    if padding_idx is not None:
        if padding_idx < 0:
            padding_idx += v
    if max_norm is not None:
        rows = xp.unique(idx)
        w = weight._array
        norms = (xp.abs(w[rows]) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
        scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        w[rows] *= scale[:, None].astype(w.dtype)
        weight._version_counter.value += 1
    return nn_ops.Embedding.apply(weight, idx=idx.astype(xp.int64, copy=False),
                                  padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)


def one_hot(input, num_classes=-1):  # noqa: A002 - PyTorch's name
    """(*,) int64 class indices -> (*, num_classes) int64 with a 1 at each index."""
    t = input._array
    if t.dtype != xp.int64:  # PyTorch takes int64 (Long) only
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if t.size and t.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if t.size == 0 and num_classes <= 0:
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    if num_classes == -1:
        num_classes = int(t.max()) + 1
    elif t.size and t.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = xp.zeros(t.shape + (num_classes,), dtype=xp.int64)
    xp.put_along_axis(out, t[..., None].astype(xp.int64), 1, axis=-1)
    return Tensor._wrap(out)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):  # noqa: A002
    """x / max(||x||_p, eps) along ``dim``."""
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps)


def _clamped_norm(x, dim, eps):
    """||x|| raised to at least ``eps`` in value only: PyTorch clamps the norm in place under
    no_grad, so the gradient is that of the plain norm."""
    n = x.norm(2, dim, keepdim=True)
    return n + (n.detach().clamp(min=eps) - n.detach())


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 x2) / (max(||x1||, eps) max(||x2||, eps)) along ``dim`` (broadcasting)."""
    return ((x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps))).sum(dim)


@node_named("NormBackward1")
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dim."""
    return (x1 - x2 + eps).norm(p, -1, keepdim=keepdim)


def pdist(input, p=2.0):  # noqa: A002
    """The p-norm distances between the rows of an (N, M) input, for every pair i < j in
    row-major order: an (N (N - 1) / 2,) tensor (``scipy.spatial.distance.pdist``)."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    i, j = xp.triu_indices(input.shape[0], 1)
    return (input[Tensor._wrap(i)] - input[Tensor._wrap(j)]).norm(p, 1)
