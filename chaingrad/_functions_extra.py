"""``cg.<name>`` spellings of Tensor methods PyTorch also offers as functions (``torch.isclose``,
``torch.index_add``, ``torch.kthvalue``, comparisons ``torch.ge`` ...), plus
``broadcast_tensors``/``broadcast_shapes`` and ``argwhere``. Each is the method of the same name,
so values, dtypes and gradients are the method's.

Example: ``cg.isclose(cg.tensor([1.0]), cg.tensor([1.0 + 1e-9]))`` is ``tensor([True])``.
"""
from __future__ import annotations

import numpy as np

from .tensor import Tensor

__all__ = ["isclose", "kthvalue", "median", "cummax", "cummin", "index_add", "index_fill",
           "index_copy", "fmod", "eq", "ne", "lt", "le", "gt", "ge", "greater", "less",
           "greater_equal", "less_equal", "not_equal", "argwhere", "addcmul", "addcdiv", "lerp",
           "masked_select", "broadcast_tensors", "broadcast_shapes"]


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    """|input - other| <= atol + rtol * |other| elementwise; NaNs equal only with equal_nan."""
    return _t(input).isclose(other, rtol, atol, equal_nan)


def kthvalue(input, k, dim=-1, keepdim=False):  # noqa: A002
    return input.kthvalue(k, dim, keepdim)


def median(input, dim=None, keepdim=False):  # noqa: A002
    return input.median(dim, keepdim)


def cummax(input, dim):  # noqa: A002
    return input.cummax(dim)


def cummin(input, dim):  # noqa: A002
    return input.cummin(dim)


def index_add(input, dim, index, source, *, alpha=1):  # noqa: A002
    return input.index_add(dim, index, source, alpha=alpha)


def index_fill(input, dim, index, value):  # noqa: A002
    return input.index_fill(dim, index, value)


def index_copy(input, dim, index, source):  # noqa: A002
    return input.index_copy(dim, index, source)


def fmod(input, other):  # noqa: A002
    return input.fmod(other)


def eq(input, other): return input == other  # noqa: A002,E704
def ne(input, other): return input != other  # noqa: A002,E704
def lt(input, other): return input < other  # noqa: A002,E704
def le(input, other): return input <= other  # noqa: A002,E704
def gt(input, other): return input > other  # noqa: A002,E704
def ge(input, other): return input >= other  # noqa: A002,E704


greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne


def argwhere(input):  # noqa: A002
    """(n, ndim) int64 indices of the non-zero elements (``nonzero``)."""
    return input.nonzero()


def addcmul(input, tensor1, tensor2, *, value=1):  # noqa: A002
    """input + value * tensor1 * tensor2."""
    return input.addcmul(tensor1, tensor2, value=value)


def addcdiv(input, tensor1, tensor2, *, value=1):  # noqa: A002
    """input + value * tensor1 / tensor2."""
    return input.addcdiv(tensor1, tensor2, value=value)


def lerp(input, end, weight):  # noqa: A002
    """input + weight * (end - input)."""
    return input.lerp(end, weight)


def masked_select(input, mask):  # noqa: A002
    return input.masked_select(mask)


def broadcast_shapes(*shapes):
    """The shape all ``shapes`` broadcast to (RuntimeError if they do not)."""
    from .tensor import Size
    try:
        return Size(np.broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s) for s in shapes]))
    except ValueError as e:
        raise RuntimeError(f"shape mismatch: {e}") from None


def broadcast_tensors(*tensors):
    """Each tensor expanded to the common broadcast shape (views; gradients sum back)."""
    shape = broadcast_shapes(*[t.shape for t in tensors])
    return tuple(t.expand(shape) for t in tensors)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):  # noqa: A002
    return input.scatter_reduce(dim, index, src, reduce, include_self=include_self)


__all__.append("scatter_reduce")


def _method_spelling(name):
    def fn(input, *args, **kwargs):  # noqa: A002
        return getattr(input, name)(*args, **kwargs)
    fn.__name__ = name
    fn.__doc__ = f"``input.{name}(...)``."
    return fn


for _name in ("mode logaddexp logaddexp2 hypot atan2 arctan2 xlogy logit sinc deg2rad rad2deg "
              "copysign signbit logcumsumexp heaviside sgn asin arcsin acos arccos atan arctan "
              "sinh cosh asinh arcsinh acosh arccosh atanh arctanh exp2 erf erfinv erfc "
              "frac fmax fmin msort nanmedian take_along_dim inner kron isposinf isneginf isreal "
              "positive absolute fix is_nonzero is_same_size is_complex is_floating_point "
              "ravel t swapaxes swapdims clamp_min clamp_max true_divide greater less "
              "greater_equal less_equal not_equal").split():
    if _name in globals():
        continue
    globals()[_name] = _method_spelling(_name)
    __all__.append(_name)


# -- stacking helpers (PyTorch's hstack / vstack / dstack / column_stack / row_stack) ----------
def hstack(tensors):
    """Concatenated along dim 1 (dim 0 for 1-D tensors), as ``numpy.hstack``."""
    ts = [t if t.ndim else t.reshape(1) for t in tensors]
    return _cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors):
    """Rows stacked: 1-D tensors become rows (1, n), then concatenated along dim 0."""
    return _cat([t.reshape(1, -1) if t.ndim < 2 else t for t in tensors], 0)


row_stack = vstack


def dstack(tensors):
    """Stacked along a third dim: (n,) -> (1, n, 1), (m, n) -> (m, n, 1), then dim 2."""
    def three(t):
        if t.ndim == 0 or t.ndim == 1:
            return t.reshape(1, -1, 1)
        return t.unsqueeze(-1) if t.ndim == 2 else t
    return _cat([three(t) for t in tensors], 2)


def column_stack(tensors):
    """1-D (and 0-d) tensors as columns (n, 1), then concatenated along dim 1."""
    return _cat([t.reshape(-1, 1) if t.ndim < 2 else t for t in tensors], 1)


def unflatten(input, dim, sizes):  # noqa: A002
    return input.unflatten(dim, sizes)


def _cat(ts, dim):
    from .ops.shape import cat
    return cat(ts, dim)


__all__ += ["hstack", "vstack", "row_stack", "dstack", "column_stack", "unflatten"]


def mv(input, vec):  # noqa: A002
    return input.mv(vec)


def vdot(input, other):  # noqa: A002
    return input.dot(other)


def ger(input, vec2):  # noqa: A002
    return input.outer(vec2)


def rsub(input, other, *, alpha=1):  # noqa: A002
    """other - alpha * input."""
    return other - input * alpha if alpha != 1 else other - input


def tensordot(a, b, dims=2):
    """Sum of products over ``dims``: the last ``dims`` dims of a with b's first (an int), or
    the listed pairs (``([1, 0], [0, 1])``)."""
    from .ops.linalg import einsum
    if isinstance(dims, int):
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    da, db = [d % a.ndim for d in da], [d % b.ndim for d in db]
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    la = [next(letters) for _ in range(a.ndim)]
    lb = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(da, db):
        lb[j] = la[i]
    out = [c for k, c in enumerate(la) if k not in da] + [c for k, c in enumerate(lb) if k not in db]
    return einsum(f"{''.join(la)},{''.join(lb)}->{''.join(out)}", a, b)


__all__ += ["mv", "vdot", "ger", "rsub", "tensordot"]

from .creation import randint_like, scalar_tensor, poisson  # noqa: E402

__all__ += ["randint_like", "scalar_tensor", "poisson"]


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of ``elements`` is in ``test_elements`` (bool, no gradient)."""
    a = elements._array if isinstance(elements, Tensor) else np.asarray(elements)
    b = test_elements._array if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    return Tensor._wrap(np.asarray(np.isin(a, b, invert=invert)))


def block_diag(*tensors):
    """The tensors (0-d, 1-D as a row, or 2-D) placed along the diagonal, zeros elsewhere."""
    from .ops.shape import cat
    mats = [t.reshape(1, 1) if t.ndim == 0 else (t.reshape(1, -1) if t.ndim == 1 else t)
            for t in tensors]
    cols = sum(t.shape[1] for t in mats)
    rows, left = [], 0
    for t in mats:
        z = lambda n: t.new_zeros((t.shape[0], n))  # noqa: E731
        rows.append(cat([z(left), t, z(cols - left - t.shape[1])], 1))
        left += t.shape[1]
    return cat(rows, 0)


_QUANTILE_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):  # noqa: A002
    """The ``q``-quantiles of ``input`` (flattened when ``dim`` is None) from the sorted
    values: position p = q (n - 1), linear interpolation between its neighbours (or
    ``interpolation`` = lower / higher / midpoint / nearest); a 1-D ``q`` puts its values in
    a new first dimension. Differentiable through the sort."""
    if interpolation not in _QUANTILE_MODES:
        raise RuntimeError(f"quantile() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest. Got {interpolation}")
    if input._array.dtype.kind != "f":
        raise RuntimeError(f"quantile() input tensor must be either float or double dtype")
    qa = q._array if isinstance(q, Tensor) else np.asarray(q, dtype=np.float64)
    if qa.ndim > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if np.any((qa < 0) | (qa > 1)):
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else dim % max(x.ndim, 1)
    if x.ndim == 0:
        x, d = x.reshape(1), 0
    n = x.shape[d]
    s = x.sort(d).values
    pos = qa.astype(np.float64).reshape(-1) * (n - 1)
    lo, hi = np.floor(pos).astype(np.int64), np.ceil(pos).astype(np.int64)
    if interpolation == "nearest":
        lo = hi = np.round(pos).astype(np.int64)  # half to even, as PyTorch
    elif interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    frac = 0.5 if interpolation == "midpoint" else (pos - lo)
    vl = s.index_select(d, Tensor._wrap(lo)).movedim(d, 0)
    vh = s.index_select(d, Tensor._wrap(hi)).movedim(d, 0)
    w = Tensor._wrap(np.asarray(frac, dtype=s._array.dtype).reshape((-1,) + (1,) * (vl.ndim - 1))
                     if np.ndim(frac) else np.asarray(frac, dtype=s._array.dtype))
    out = vl + (vh - vl) * w  # (len(q), rest of the dims)
    if keepdim:
        if dim is None:
            out = out.reshape((out.shape[0],) + (1,) * input.ndim)
        else:
            out = out.unsqueeze(d + 1)
    return out[0] if qa.ndim == 0 else out


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):  # noqa: A002
    """``quantile`` of the non-NaN values (only for ``dim=None``, a 1-D reduction)."""
    if dim is not None:
        raise NotImplementedError("nanquantile with dim is not supported by chaingrad")
    flat = input.reshape(-1)
    keep = Tensor._wrap(np.flatnonzero(~np.isnan(flat._array)))
    return quantile(flat.index_select(0, keep), q, None, keepdim, interpolation=interpolation)


__all__ += ["isin", "block_diag", "quantile", "nanquantile"]


def cross(input, other, dim=None):  # noqa: A002
    """The cross product of 3-vectors along ``dim`` (the first dim of size 3 when None)."""
    return input.cross(other, dim)


__all__ += ["cross"]

from . import _functions_round3 as _r3  # noqa: E402
from ._functions_round3 import *  # noqa: E402,F401,F403

__all__ += list(_r3.__all__)
