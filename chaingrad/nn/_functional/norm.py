"""``F.batch_norm``, ``F.layer_norm``, ``F.rms_norm``, ``F.group_norm``, ``F.instance_norm`` (the fused ops
and their derivatives are in ``chaingrad/ops/norm.py``)."""
from __future__ import annotations

from ...backend import xp
from ...tensor import Tensor
from ...ops import norm as _norm
from ._names import node_named
from .activation import _float


def _same_dtype(input, *params):  # noqa: A002
    """``params`` for a norm of ``input``, PyTorch's CPU rule: all of one dtype, except that a
    float16/bfloat16 input may have float32 parameters (cast here, differentiably; the result
    keeps the input's dtype); anything else is refused."""
    dt = input._array.dtype
    out = []
    for p in params:
        if p is not None and p._array.dtype != dt:
            if not (dt.kind == "f" and dt.itemsize == 2 and p._array.dtype == xp.float32):
                raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
            p = p.to(input.dtype)
        out.append(p)
    return out


def _const(shape, value, like):
    return Tensor._wrap(xp.full(shape, value, dtype=like._array.dtype))


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,  # noqa: A002
               momentum=0.1, eps=1e-5):
    """Batch normalisation over dim 1 (channels): y = (x - mean) / sqrt(var + eps) * w + b.

    ``training=True``: mean and (biased) var of this batch over all dims but 1, and the running
    statistics (when given) are updated in place:
    running = (1 - momentum) running + momentum * stat, with the unbiased variance.
    ``training=False``: the running statistics are used.
    """
    if input.ndim < 2:
        raise RuntimeError(f"batch_norm expects at least 2-D input, got {input.ndim}-D")
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if not training and t is None:
            raise RuntimeError(f"{name} must be defined in evaluation mode")
    _float(input, "batch_norm")
    weight, bias, _, _ = _same_dtype(input, weight, bias, running_mean, running_var)
    x = input._array
    c = x.shape[1]
    axes = (0,) + tuple(range(2, x.ndim))
    n = x.size // max(c, 1)
    if training:
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {list(input.shape)}")
        x3 = x.reshape(x.shape[0], c, -1)
        mean = _norm.channel_sum(x3) / n
        xc = x3 - mean[:, None]
        var = _norm.channel_dot(xc, xc) / n
        del xc, x3
        if running_mean is not None:
            rm = running_mean._array
            rm *= 1 - momentum
            rm += momentum * mean.astype(rm.dtype, copy=False)
            running_mean._version_counter.value += 1
        if running_var is not None:
            rv = running_var._array
            rv *= 1 - momentum
            rv += (momentum * n / (n - 1)) * var.astype(rv.dtype, copy=False)
            running_var._version_counter.value += 1
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
        mean = running_mean._array.astype(x.dtype, copy=False)
        var = running_var._array.astype(x.dtype, copy=False)
    invstd = (1 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
    w = weight if weight is not None else _const((c,), 1.0, input)
    b = bias if bias is not None else _const((c,), 0.0, input)
    return _norm.BatchNorm.apply(input, w, b, mean=mean.astype(x.dtype, copy=False),
                                 invstd=invstd, batch_stats=bool(training), eps=eps)


def _normalized_shape(input, normalized_shape):  # noqa: A002
    """``normalized_shape`` as a tuple, and its length k, checked against the last k dims."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if tuple(input.shape[input.ndim - k:]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input "
                           f"with shape [*, {', '.join(map(str, normalized_shape))}], but got "
                           f"input of size{list(input.shape)}")
    return normalized_shape, k


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """Normalise over the last dims (``normalized_shape``) of each sample:
    y = (x - mean) / sqrt(var + eps) * w + b (biased variance)."""
    _float(input, "layer_norm")
    normalized_shape, k = _normalized_shape(input, normalized_shape)
    weight, bias = _same_dtype(input, weight, bias)
    w = weight if weight is not None else _const(normalized_shape, 1.0, input)
    b = bias if bias is not None else _const(normalized_shape, 0.0, input)
    return _norm.LayerNorm.apply(input, w, b, k=k, eps=eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):  # noqa: A002
    """Root-mean-square normalisation over the last dims (``normalized_shape``):
    y = x / sqrt(mean(x^2) + eps) * w; ``eps=None`` is the machine epsilon of x's dtype, as
    PyTorch. A composition of differentiable ops (any order of derivative).

        y = F.rms_norm(x, (x.shape[-1],))
    """
    _float(input, "rms_norm")
    normalized_shape, k = _normalized_shape(input, normalized_shape)
    if eps is None:
        eps = float(xp.finfo(input._array.dtype).eps)
    dims = tuple(range(input.ndim - k, input.ndim))
    y = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return y * weight if weight is not None else y


@node_named("NativeGroupNormBackward0")
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """Normalise each sample's channels in ``num_groups`` groups, then a per-channel affine."""
    _float(input, "group_norm")
    weight, bias = _same_dtype(input, weight, bias)
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    g = input.reshape(n, num_groups, -1)
    k = g.shape[2]
    y = _norm.LayerNorm.apply(g, _const((k,), 1.0, input), _const((k,), 0.0, input), k=1,
                              eps=eps).reshape(*input.shape)
    shape = (1, c) + (1,) * (input.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(*shape)
    if bias is not None:
        y = y + bias.reshape(*shape)
    return y


@node_named("ViewBackward0")
def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,  # noqa: A002
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalise each (sample, channel) plane separately (= group_norm with C groups).

    ``use_input_stats=False`` normalises with ``running_mean``/``running_var`` instead. With
    input statistics and running tensors given, these are updated in place as PyTorch does:
    running = (1 - momentum) running + momentum * (batch average of each plane's mean, and
    of each plane's unbiased variance)."""
    _float(input, "batch_norm")
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    if running_mean is not None or running_var is not None:
        x = input._array
        planes = x.reshape(x.shape[0], x.shape[1], -1)
        k = planes.shape[2]
        for run, stat in ((running_mean, lambda: planes.mean(axis=2)),
                          (running_var, lambda: planes.var(axis=2) * (k / max(k - 1, 1)))):
            if run is not None:
                r = run._array
                r *= 1 - momentum
                r += (momentum * stat().mean(axis=0)).astype(r.dtype, copy=False)
                run._version_counter.value += 1
    return group_norm(input, input.shape[1], weight, bias, eps)
