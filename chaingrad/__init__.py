"""chaingrad: back-propagation made real and visible.

A define-by-run reverse-mode automatic differentiation engine on NumPy, with the layers,
losses, optimizers, data loading and models needed to train real networks, and views that show
how the gradient was computed (``chaingrad.viz``).

    import chaingrad as cg
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()          # x.grad == 2 x
"""
from __future__ import annotations

__version__ = "0.1.0"

from .backend import (DType as dtype, Device as device, float16, float32, float64, int8, uint8,
                      int16, int32, int64, bool_ as bool, half, double, long,
                      set_default_dtype, get_default_dtype)
from .backend import float as float  # noqa: A001,PLC0414
from .backend import int as int  # noqa: A001,PLC0414
from .tensor import Tensor, Parameter, Size
from .autograd.grad_mode import (no_grad, enable_grad, set_grad_enabled, is_grad_enabled,
                                 inference_mode, is_inference_mode_enabled)
from .random import manual_seed, seed, get_rng_state, set_rng_state, Generator, initial_seed
from .random import default_generator_object as default_generator
from .creation import (tensor, as_tensor, from_numpy, zeros, ones, empty, full, zeros_like,
                       ones_like, empty_like, full_like, rand, randn, rand_like, randn_like,
                       randint, randperm, arange, linspace, logspace, eye, tril, triu,
                       multinomial)
from .ops.elementwise import (add, sub, mul, div, neg, pow, exp, log, log2, log10, log1p, expm1,
                              sqrt, rsqrt, square, abs, sign, reciprocal, sin, cos, tan, tanh,
                              sigmoid, relu, clamp, clip, maximum, minimum, where, floor, ceil,
                              round, trunc, isnan, isinf, isfinite, logical_not, logical_and,
                              logical_or, logical_xor, multiply, divide, subtract, negative,
                              true_divide, remainder, floor_divide, bitwise_and, bitwise_or,
                              bitwise_xor, bitwise_not)
from .ops.reduce import (sum, mean, prod, var, std, var_mean, std_mean, amax, amin, max, min,
                         argmax, argmin, logsumexp, softmax, log_softmax, cumsum, norm, all, any)
from .ops.shape import (reshape, flatten, squeeze, unsqueeze, permute, transpose, cat, concat,
                        concatenate, stack, split, chunk, unbind, gather, narrow, index_select,
                        flip, roll, meshgrid, broadcast_to)
from .ops.linalg import matmul, einsum, outer
from .ops.select import (sort, argsort, topk, scatter, scatter_add, nonzero, repeat_interleave,
                         tile, movedim, diagonal, diag, trace, cumprod)
from .ops.select import movedim as moveaxis
from ._functions_extra import *  # noqa: F401,F403 - isclose, index_add, kthvalue, ge, ...
from ._functions_more import *  # noqa: F401,F403 - addmm, unique, bincount, finfo, ...


def masked_fill(input, mask, value):  # noqa: A002 - PyTorch's name
    """``input`` with ``value`` where ``mask`` is True (gradient flows elsewhere)."""
    return input.masked_fill(mask, value)
from . import autograd
from .autograd import backward as _autograd_backward  # noqa: F401
from .autograd import accel as _accel

_accel.install()  # the compiled fast path, where it was built (autograd/accel.py)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(t) -> int:
    return t.numel()


def mm(a, b):
    return a.mm(b)


def bmm(a, b):
    return a.bmm(b)


def dot(a, b):
    return a.dot(b)


def allclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
    return a.allclose(b, rtol, atol, equal_nan)


def equal(a, b) -> bool:
    return a.equal(b)


def clone(t, *, memory_format=None):
    return t.clone()


def detach(t):
    return t.detach()


def set_num_threads(n: int) -> None:
    """Limit the BLAS / OpenMP threads chaingrad's array library uses (threadpoolctl)."""
    from ._threads import set_num_threads as _set
    _set(n)


def get_num_threads() -> int:
    from ._threads import get_num_threads as _get
    return _get()


def _lazy(name):
    import importlib
    return importlib.import_module(f"chaingrad.{name}")


def __getattr__(name):
    # subpackages load on first use, so `import chaingrad` stays fast
    if name in ("nn", "optim", "data", "models", "viz", "distributed", "utils", "linalg"):
        return _lazy(name)
    if name in ("save", "load"):
        return getattr(_lazy("serialization"), name)
    raise AttributeError(f"module 'chaingrad' has no attribute {name!r}")
