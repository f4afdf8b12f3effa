"""Functional activations (``F.relu`` ...). The derivatives live with the ops in
``chaingrad/ops/nn_ops.py`` (and ``ops/elementwise.py`` for relu, sigmoid, tanh)."""
from __future__ import annotations

import warnings

from ...backend import xp
from ...tensor import Tensor
from ...ops import elementwise as ew
from ...ops import reduce as red
from ...ops import nn_ops
from ._names import node_named


# PyTorch's CPU kernel names and type names, for its "not implemented for" errors
_KERNELS = {"elu": "elu_cpu", "selu": "elu_cpu", "celu": "elu_cpu", "gelu": "GeluKernelImpl",
            "softshrink": "softshrink_check", "layer_norm": "LayerNormKernelImpl",
            "group_norm": "GroupNormKernelImpl", "batch_norm": "batch_norm",
            "rms_norm": "rms_norm", "binary_cross_entropy": "binary_cross_entropy"}
_TYPE_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
               "uint8": "Byte", "bool": "Bool", "complex64": "ComplexFloat",
               "complex128": "ComplexDouble"}


def _float(x, name):
    """``x`` if it is a floating-point tensor; else PyTorch's NotImplementedError."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(x).__name__}")
    if x._array.dtype.kind != "f":
        kind = _TYPE_NAMES.get(x._array.dtype.name, x._array.dtype.name)
        raise NotImplementedError(f"\"{_KERNELS.get(name, name + '_cpu')}\" not implemented "
                                  f"for '{kind}'")
    return x


def _inplace(x, y):
    """Write ``y`` into ``x`` (the ``inplace=True`` variants) through the tracked copy_."""
    return x.copy_(y)


def _src(x, inplace):
    """The input an op that saves it should see: a copy when ``x`` will be overwritten."""
    return x.clone() if inplace and x.requires_grad else x


def relu(input, inplace=False):  # noqa: A002
    """relu(x) = max(x, 0);  d/dx = [x > 0]."""
    if input._array.dtype == bool:
        raise RuntimeError("Boolean inputs not supported for relu")
    return input.relu_() if inplace else ew.relu(input)


def relu6(input, inplace=False):  # noqa: A002
    """relu6(x) = min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):  # noqa: A002
    """x if x > 0 else negative_slope * x."""
    y = nn_ops.LeakyRelu.apply(_float(input, "leaky_relu"), slope=negative_slope)
    return _inplace(input, y) if inplace else y


def elu(input, alpha=1.0, inplace=False):  # noqa: A002
    """x if x > 0 else alpha (e^x - 1)."""
    y = nn_ops.Elu.apply(_src(_float(input, "elu"), inplace), alpha=alpha, scale=1.0)
    return _inplace(input, y) if inplace else y


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):  # noqa: A002
    """scale * elu(x, alpha) with the self-normalising constants (Klambauer et al.)."""
    y = nn_ops.Elu.apply(_src(_float(input, "selu"), inplace), alpha=_SELU_ALPHA, scale=_SELU_SCALE)
    return _inplace(input, y) if inplace else y


def gelu(input, approximate="none"):  # noqa: A002
    """x Phi(x) (Phi: standard normal CDF); approximate='tanh' uses
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got "
                           f"{approximate!r}")
    return nn_ops.Gelu.apply(_float(input, "gelu"), approximate=approximate)


def silu(input, inplace=False):  # noqa: A002
    """x sigmoid(x) (a.k.a. swish)."""
    y = nn_ops.Silu.apply(_src(_float(input, "silu"), inplace))
    return _inplace(input, y) if inplace else y


def mish(input, inplace=False):  # noqa: A002
    """x tanh(softplus(x))."""
    y = nn_ops.Mish.apply(_src(_float(input, "mish"), inplace))
    return _inplace(input, y) if inplace else y


def hardswish(input, inplace=False):  # noqa: A002
    """x relu6(x + 3) / 6."""
    y = nn_ops.Hardswish.apply(_src(_float(input, "hardswish"), inplace))
    return _inplace(input, y) if inplace else y


def hardsigmoid(input, inplace=False):  # noqa: A002
    """relu6(x + 3) / 6."""
    y = nn_ops.Hardsigmoid.apply(_float(input, "hardsigmoid"))
    return _inplace(input, y) if inplace else y


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):  # noqa: A002
    """clamp(x, min_val, max_val); gradient 1 strictly between them."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input._array.dtype == bool:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if input._array.dtype.kind in "iu":  # PyTorch clamps integer tensors, keeping the dtype
        a = input._array
        y = Tensor._wrap(a.clip(min_val, max_val).astype(a.dtype))
        return input.copy_(y) if inplace else y
    y = nn_ops.Hardtanh.apply(_float(input, "hardtanh"), lo=min_val, hi=max_val)
    return _inplace(input, y) if inplace else y


def softplus(input, beta=1.0, threshold=20.0):  # noqa: A002
    """log(1 + e^(beta x)) / beta; x itself where beta x > threshold."""
    return nn_ops.Softplus.apply(_float(input, "softplus"), beta=beta, threshold=threshold)


def logsigmoid(input):  # noqa: A002
    """log(sigmoid(x)), stable for large |x|."""
    return nn_ops.LogSigmoid.apply(_float(input, "log_sigmoid"))


def sigmoid(input):  # noqa: A002
    return ew.sigmoid(input)


def tanh(input):  # noqa: A002
    return ew.tanh(input)


def softsign(input):  # noqa: A002
    """x / (1 + |x|)."""
    return input / (input.abs() + 1)


def tanhshrink(input):  # noqa: A002
    return input - input.tanh()


@node_named("ThresholdBackward0")
def threshold(input, threshold, value, inplace=False):  # noqa: A002
    """x where x > threshold, else ``value``."""
    if input._array.dtype == bool:
        _float(input, "threshold")
    y = ew.where(input > threshold, input, value)
    return _inplace(input, y) if inplace else y


@node_named("PreluKernelBackward0")
def prelu(input, weight):  # noqa: A002
    """x if x > 0 else w x, with one w per channel (dim 1) or one shared."""
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
    if weight._array.dtype != input._array.dtype:
        names = {"float64": "Double", "float32": "Float", "float16": "Half"}
        raise RuntimeError(f"prelu: Type promoting not supported. Got "
                           f"{names.get(input._array.dtype.name, input._array.dtype.name)} and "
                           f"{names.get(weight._array.dtype.name, weight._array.dtype.name)}")
    w = weight
    if weight.numel() > 1 and input.ndim > 1:
        w = weight.reshape(*([1, -1] + [1] * (input.ndim - 2)))
    pos = ew.relu(input)
    return pos + w * (input - pos)


@node_named("GluBackward0")
def glu(input, dim=-1):  # noqa: A002
    """a * sigmoid(b) for the two halves a, b of ``input`` along ``dim``."""
    a, b = _float(input, "glu").chunk(2, dim)
    return a * b.sigmoid()


def _softmax_dim(ndim, name):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  f"to include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    """e^x_i / sum_j e^x_j along ``dim`` (computed after subtracting the max: stable)."""
    if dim is None:
        dim = _softmax_dim(input.ndim, "softmax")
    return red.softmax(input, dim, dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    if dim is None:
        dim = _softmax_dim(input.ndim, "softmin")
    return red.softmax(-input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    """x_i - logsumexp(x) along ``dim`` (stable)."""
    if dim is None:
        dim = _softmax_dim(input.ndim, "log_softmax")
    return red.log_softmax(input, dim, dtype=dtype)


# PyTorch's in-place spellings: F.relu_(x) is F.relu(x, inplace=True)
def relu_(input):  # noqa: A002
    return relu(input, inplace=True)


def leaky_relu_(input, negative_slope=0.01):  # noqa: A002
    return leaky_relu(input, negative_slope, inplace=True)


def elu_(input, alpha=1.0):  # noqa: A002
    return elu(input, alpha, inplace=True)


def selu_(input):  # noqa: A002
    return selu(input, inplace=True)


def hardtanh_(input, min_val=-1.0, max_val=1.0):  # noqa: A002
    return hardtanh(input, min_val, max_val, inplace=True)


def threshold_(input, threshold, value):  # noqa: A002
    return globals()["threshold"](input, threshold, value, inplace=True)


@node_named("RreluWithNoiseBackward0")
def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):  # noqa: A002
    """Randomized leaky ReLU (Xu et al., 2015): x if x >= 0 else a x, with a ~ U(lower, upper)
    drawn per element in training (from chaingrad.random) and a = (lower + upper) / 2 in
    eval; d/dx is 1 or the same a."""
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    from ... import random as _random
    x = _float(input, "rrelu_with_noise")
    a = _random.uniform_array(tuple(x.shape), lower, upper, dtype=x._array.dtype)
    slope = Tensor._wrap(xp.where(x._array >= 0, 1, a).astype(x._array.dtype))
    y = _src(x, inplace) * slope
    return _inplace(input, y) if inplace else y


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):  # noqa: A002
    return rrelu(input, lower, upper, training, inplace=True)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """Sample from the Gumbel-softmax (concrete) distribution: softmax((logits + g) / tau)
    with g = -log(E), E ~ Exp(1) drawn from chaingrad.random. ``hard=True`` returns one-hot
    samples whose gradient is the soft sample's (straight-through estimator)."""
    from ... import random as _random
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    u = _random.uniform_array(tuple(logits.shape), dtype=logits._array.dtype)
    gumbels = Tensor._wrap(-xp.log(-xp.log1p(-u)).astype(logits._array.dtype))
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    arr = y_soft._array
    one_hot = (arr == arr.max(axis=dim, keepdims=True))
    # one index per slice even with ties: keep the first maximum
    first = xp.cumsum(one_hot, axis=dim) == 1
    y_hard = Tensor._wrap((one_hot & first).astype(arr.dtype))
    return y_hard - y_soft.detach() + y_soft
