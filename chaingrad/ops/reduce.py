"""Reductions and the softmax family, each forward with its local derivative."""
from __future__ import annotations

import builtins

import numpy as np

from .. import backend
from ..backend import xp
from ..autograd.function import Op, backward_named
from ..tensor import Tensor


def normalize_dims(dim, ndim, empty_means_all=True):
    """``dim`` (None, int, tuple, list) as a sorted tuple of non-negative axes, or None."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None if empty_means_all else ()
        dims = dim
    else:
        dims = (dim,)
    out = []
    for d in dims:
        d = int(d)
        size = builtins.max(ndim, 1)
        if not -size <= d < size:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-size}, {size - 1}], but got {d})")
        out.append(d % size if ndim else 0)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out} appears multiple times in the list of dims")
    return tuple(sorted(out)) if ndim else None


def _kept_shape(shape, axes):
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Sum(Op):
    def forward(self, x, axes, keepdim):
        self.in_shape = x.shape
        self.kept = _kept_shape(x.shape, axes)
        return xp.asarray(x.sum(axis=axes, keepdims=keepdim))

    def backward(self, g, F):  # every input element contributes once: broadcast g back
        return F.broadcast_to(F.reshape(g, self.kept), self.in_shape)


class Mean(Op):
    def forward(self, x, axes, keepdim):
        self.in_shape = x.shape
        self.kept = _kept_shape(x.shape, axes)
        if axes is None:
            self.count = x.size
        else:
            self.count = int(np.prod([x.shape[a] for a in axes]))
        if self.count == 0:  # the mean of nothing is nan, as PyTorch (without NumPy's warning)
            with np.errstate(invalid="ignore", divide="ignore"):
                return xp.asarray(x.sum(axis=axes, keepdims=keepdim) / x.dtype.type(0))
        return xp.asarray(x.mean(axis=axes, keepdims=keepdim))

    def backward(self, g, F):  # d mean = 1/N for every element
        return F.broadcast_to(F.reshape(g, self.kept), self.in_shape) / builtins.max(self.count, 1)


class Prod(Op):
    save_inputs = (0,)
    save_output = True

    def forward(self, x, axes, keepdim):
        self.axes = axes
        self.kept = _kept_shape(x.shape, axes)
        return xp.asarray(x.prod(axis=axes, keepdims=keepdim))

    def backward(self, g, F):  # d prod / dx_i = product of all other elements
        (x,) = self.inputs(F)
        y = F.reshape(self.output(F), self.kept)
        g = F.reshape(g, self.kept)
        xa = x._array if F.graph else x
        if not (xa == 0).any():
            return g * y / x
        others = _product_of_others(xa, self.axes)
        return g * (others if not F.graph else Tensor._wrap(others))


def _product_of_others(x, axes):
    """prod over ``axes`` of every element but one, exact even with zeros."""
    axes = tuple(range(x.ndim)) if axes is None else axes
    moved = np.moveaxis(x, axes, tuple(range(x.ndim - len(axes), x.ndim)))
    lead = moved.shape[:x.ndim - len(axes)]
    flat = moved.reshape(lead + (-1,))
    ones = np.ones(lead + (1,), dtype=x.dtype)
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    out = (left * right).reshape(moved.shape)
    return np.moveaxis(out, tuple(range(x.ndim - len(axes), x.ndim)), axes)


class Var(Op):
    save_inputs = (0,)

    def forward(self, x, axes, correction, keepdim):
        self.axes, self.correction = axes, correction
        self.kept = _kept_shape(x.shape, axes)
        n = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
        self.n = n
        if n - correction <= 0:  # PyTorch divides by max(0, N - correction): inf, or nan
            sq = ((x - x.mean(axis=axes, keepdims=True)) ** 2 if n else x)
            with np.errstate(invalid="ignore", divide="ignore"):
                return xp.asarray(sq.sum(axis=axes, keepdims=keepdim) / x.dtype.type(0))
        return xp.asarray(x.var(axis=axes, ddof=correction, keepdims=keepdim))

    def backward(self, g, F):  # d var = 2 (x - mean) / (N - correction)
        (x,) = self.inputs(F)
        mean = F.sum(x, axis=self.axes, keepdims=True) / self.n
        dof = self.n - self.correction  # PyTorch's backward keeps the signed N - correction
        return F.reshape(g, self.kept) * (x - mean) * (2.0 / dof if dof else float("inf"))


class Std(Op):
    """std = sqrt(var); d std = (x - mean) / ((N - correction) std), 0 where std = 0 (as
    PyTorch: a constant slice has gradient 0, not the nan of sqrt's slope at 0)."""
    save_inputs = (0,)
    save_output = True

    def forward(self, x, axes, correction, keepdim):
        self.var = Var()
        v = Var.forward(self.var, x, axes, correction, keepdim)
        self.axes, self.kept, self.n = axes, self.var.kept, self.var.n
        self.dof = self.var.n - correction
        with np.errstate(invalid="ignore"):
            out = xp.sqrt(v)
        self.zero = xp.reshape(xp.asarray(out == 0), self.kept)
        return out

    def backward(self, g, F):
        (x,) = self.inputs(F)
        y = self.output(F)
        zero = self.zero
        mean = F.sum(x, axis=self.axes, keepdims=True) / self.n
        safe = F.where(zero, 1.0, F.reshape(y, self.kept))
        scale = (1.0 / self.dof) if self.dof else float("inf")
        return F.where(zero, 0.0, F.reshape(g, self.kept) * (x - mean) * scale / safe)


class AmaxAmin(Op):
    """amax / amin: the gradient is shared equally among the elements that tie for the max."""
    save_inputs = (0,)
    save_output = True

    def forward(self, x, axes, keepdim, is_max):
        if x.size == 0 and (axes is None or builtins.any(x.shape[a] == 0 for a in axes)):
            raise IndexError(f"{'amax' if is_max else 'amin'}(): Expected reduction dim "
                             f"{'' if axes is None else axes[0]} to have non-zero size.")
        self.axes = axes
        self.kept = _kept_shape(x.shape, axes)
        f = x.max if is_max else x.min
        return xp.asarray(f(axis=axes, keepdims=keepdim))

    def backward(self, g, F):
        (x,) = self.inputs(F)
        y = F.reshape(self.output(F), self.kept)
        xa, ya = (x._array, y._array) if F.graph else (x, y)
        mask = (xa == ya)
        count = mask.sum(axis=self.axes, keepdims=True)
        return F.reshape(g, self.kept) * (mask / count).astype(xa.dtype)


class MaxMinDim(Op):
    """max(dim) / min(dim): values and indices; the gradient goes to the index taken."""

    def forward(self, x, axis, keepdim, is_max):
        idx = (xp.argmax if is_max else xp.argmin)(x, axis=axis, keepdims=True)
        self.axis = axis
        self.keepdim = keepdim
        self.in_shape = x.shape
        self.idx = idx
        vals = xp.take_along_axis(x, idx, axis=axis)
        if not keepdim:
            vals = vals.squeeze(axis)
            idx = idx.squeeze(axis)
        self.out_idx = idx
        return vals

    def backward(self, g, F):
        if not self.keepdim:
            g = F.expand_dims(g, self.axis)
        positions = xp.arange(self.in_shape[self.axis]).reshape(
            [-1 if i == self.axis else 1 for i in range(len(self.in_shape))])
        one_hot = (positions == self.idx).astype(g.dtype if not F.graph else g._array.dtype)
        return g * one_hot


class Logsumexp(Op):
    save_inputs = (0,)
    save_output = True

    def forward(self, x, axes, keepdim):
        self.axes = axes
        self.kept = _kept_shape(x.shape, axes)
        if x.size == 0:  # log(sum of nothing) = -inf
            with np.errstate(divide="ignore"):
                out = xp.log(x.sum(axis=axes, keepdims=True) * 0)
            return out if keepdim else out.reshape(_dropped(x.shape, axes))
        m = x.max(axis=axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        out = xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True)) + m
        return out if keepdim else out.reshape([s for i, s in enumerate(x.shape)
                                                if axes is not None and i not in axes])

    def backward(self, g, F):  # d logsumexp = softmax(x)
        (x,) = self.inputs(F)
        y = F.reshape(self.output(F), self.kept)
        return F.reshape(g, self.kept) * F.exp(x - y)


def _dropped(shape, axes):
    return tuple(s for i, s in enumerate(shape) if axes is not None and i not in axes)


class Softmax(Op):
    save_output = True

    def forward(self, x, axis):
        self.axis = axis
        if x.size == 0:  # (max over an empty axis has no identity) empty in, empty out
            return x.copy()
        z = x - x.max(axis=axis, keepdims=True)
        e = xp.exp(z)
        return e / e.sum(axis=axis, keepdims=True)

    def backward(self, g, F):  # dy_i/dx_j = y_i (delta_ij - y_j)
        y = self.output(F)
        gy = g * y
        return gy - y * F.sum(gy, axis=self.axis, keepdims=True)


class LogSoftmax(Op):
    save_output = True

    def forward(self, x, axis):
        self.axis = axis
        if x.size == 0:  # (max over an empty axis has no identity) empty in, empty out
            return x.copy()
        z = x - x.max(axis=axis, keepdims=True)
        return z - xp.log(xp.exp(z).sum(axis=axis, keepdims=True))

    def backward(self, g, F):  # d log_softmax = I - softmax
        y = self.output(F)
        return g - F.exp(y) * F.sum(g, axis=self.axis, keepdims=True)


class Cumsum(Op):
    def forward(self, x, axis):
        self.axis = axis
        return xp.cumsum(x, axis=axis)

    def backward(self, g, F):  # each x_i reaches every later output: a reversed cumsum
        if F.graph:
            return g.flip(self.axis).cumsum(self.axis).flip(self.axis)
        return xp.flip(xp.cumsum(xp.flip(g, self.axis), axis=self.axis), self.axis)


class Norm2(Op):
    backward_name = "LinalgVectorNormBackward0"  # PyTorch's name
    save_inputs = (0,)
    save_output = True

    def forward(self, x, axes, keepdim):
        self.kept = _kept_shape(x.shape, axes)
        return xp.asarray(xp.sqrt((x * x).sum(axis=axes, keepdims=keepdim)))

    def backward(self, g, F):  # d ||x|| = x / ||x||  (0 at the zero vector, as PyTorch)
        (x,) = self.inputs(F)
        y = F.reshape(self.output(F), self.kept)
        ya = y._array if F.graph else y
        safe = F.where(ya == 0, xp.ones((), dtype=ya.dtype), y)
        return F.reshape(g, self.kept) * x / safe


# -- public functions ------------------------------------------------------------------------
def _out_dtype(x, dtype):
    if dtype is not None:
        return x.to(dtype)
    if x._array.dtype.kind in "ub":
        return x.to(backend.int64)
    return x


def sum(x, dim=None, keepdim=False, dtype=None):  # noqa: A001
    x = _out_dtype(x, dtype)
    out = Sum.apply(x, axes=normalize_dims(dim, x.ndim), keepdim=keepdim)
    return out if dim is None else backward_named(out, "SumBackward1")


def mean(x, dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        x = x.to(dtype)
    if x._array.dtype.kind != "f":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {x.dtype.name.capitalize()}")
    out = Mean.apply(x, axes=normalize_dims(dim, x.ndim), keepdim=keepdim)
    return out if dim is None else backward_named(out, "MeanBackward1")


def prod(x, dim=None, keepdim=False, dtype=None):
    x = _out_dtype(x, dtype)
    if dim is None:
        return Prod.apply(x, axes=None, keepdim=False)
    return Prod.apply(x, axes=normalize_dims(dim, x.ndim), keepdim=keepdim)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def _require_float(x, what):
    if x._array.dtype.kind != "f":
        raise RuntimeError(f"{what} only support floating point and complex dtypes")


def _floating(x):
    """Integer/bool input promoted to the default float dtype (as PyTorch's float-only ops)."""
    return x if x._array.dtype.kind == "f" else x.to(backend.get_default_dtype())


def var(x, dim=None, unbiased=None, keepdim=False, correction=None):
    if isinstance(dim, bool):  # var(x, False): the old positional `unbiased`
        unbiased, dim = dim, None
    _require_float(x, "std and var")
    return Var.apply(x, axes=normalize_dims(dim, x.ndim),
                     correction=_correction(unbiased, correction), keepdim=keepdim)


def std(x, dim=None, unbiased=None, keepdim=False, correction=None):
    if isinstance(dim, bool):  # std(x, False): the old positional `unbiased`
        unbiased, dim = dim, None
    _require_float(x, "std and var")
    return Std.apply(x, axes=normalize_dims(dim, x.ndim),
                     correction=_correction(unbiased, correction), keepdim=keepdim)


def var_mean(x, dim=None, unbiased=None, keepdim=False, correction=None):
    return var(x, dim, unbiased, keepdim, correction), mean(x, dim, keepdim)


def std_mean(x, dim=None, unbiased=None, keepdim=False, correction=None):
    return std(x, dim, unbiased, keepdim, correction), mean(x, dim, keepdim)


def amax(x, dim=(), keepdim=False):
    return backward_named(AmaxAmin.apply(x, axes=normalize_dims(dim, x.ndim), keepdim=keepdim,
                                         is_max=True), "AmaxBackward0")


def amin(x, dim=(), keepdim=False):
    return backward_named(AmaxAmin.apply(x, axes=normalize_dims(dim, x.ndim), keepdim=keepdim,
                                         is_max=False), "AminBackward0")


from .. import return_types as _rt

_ValuesIndices = _rt.max  # (values, indices) with attribute access; kept for old callers


def _max_min(x, dim, keepdim, is_max, other=None):
    if isinstance(dim, Tensor):  # max(a, b): elementwise
        from .elementwise import maximum, minimum
        return (maximum if is_max else minimum)(x, dim)
    if dim is None:
        if x.numel() == 0:
            raise RuntimeError("max(): Expected reduction dim to be specified for input.numel() == 0.")
        return backward_named(AmaxAmin.apply(x, axes=None, keepdim=False, is_max=is_max),
                              "MaxBackward1" if is_max else "MinBackward1")
    axis = normalize_dims(dim, x.ndim)
    axis = axis[0] if axis else 0
    if x.ndim and x.shape[axis] == 0:
        raise IndexError(f"{'max' if is_max else 'min'}(): Expected reduction dim {axis} to "
                         f"have non-zero size.")
    if x.ndim == 0:
        return (_rt.max if is_max else _rt.min)((x.clone(), Tensor._wrap(xp.zeros((), dtype=np.int64))))
    values = backward_named(MaxMinDim.apply(x, axis=axis, keepdim=keepdim, is_max=is_max),
                            "MaxBackward0" if is_max else "MinBackward0")
    idx = (xp.argmax if is_max else xp.argmin)(x._array, axis=axis, keepdims=keepdim)
    return (_rt.max if is_max else _rt.min)((values, Tensor._wrap(xp.asarray(idx, dtype=np.int64))))


def max(x, dim=None, keepdim=False):  # noqa: A001
    return _max_min(x, dim, keepdim, True)


def min(x, dim=None, keepdim=False):  # noqa: A001
    return _max_min(x, dim, keepdim, False)


def _arg(x, dim, keepdim, name, fn):
    if x._array.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        if x.numel() == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             f"input.numel() == 0.")
        idx = xp.asarray(fn(x._array), dtype=np.int64)
        return Tensor._wrap(idx.reshape((1,) * x.ndim) if keepdim else idx)
    axis = normalize_dims(dim, x.ndim)
    axis = axis[0] if axis else 0
    if x.ndim and x.shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
    if x.ndim == 0:
        return Tensor._wrap(xp.zeros((), dtype=np.int64))
    return Tensor._wrap(xp.asarray(fn(x._array, axis=axis, keepdims=keepdim), dtype=np.int64))


def argmax(x, dim=None, keepdim=False):
    return _arg(x, dim, keepdim, "argmax", xp.argmax)


def argmin(x, dim=None, keepdim=False):
    return _arg(x, dim, keepdim, "argmin", xp.argmin)


def logsumexp(x, dim, keepdim=False):
    x = _floating(x)
    return Logsumexp.apply(x, axes=normalize_dims(dim, x.ndim), keepdim=keepdim)


def _one_axis(dim, ndim):
    if dim is None:
        raise TypeError("softmax() missing required argument 'dim'")
    axes = normalize_dims(dim, ndim)
    return axes[0] if axes else 0


def _softmax_input(x, dtype, name):
    if dtype is not None:
        return x.to(dtype)
    if x._array.dtype.kind != "f":
        raise NotImplementedError(f'"{name}_lastdim_kernel_impl" not implemented for '
                                  f"'{x.dtype.name}'")
    return x


def softmax(x, dim, dtype=None):
    x = _softmax_input(x, dtype, "softmax")
    if x.ndim == 0:
        return Softmax.apply(x.reshape(1), axis=0).reshape(())
    return Softmax.apply(x, axis=_one_axis(dim, x.ndim))


def log_softmax(x, dim, dtype=None):
    x = _softmax_input(x, dtype, "log_softmax")
    if x.ndim == 0:
        return LogSoftmax.apply(x.reshape(1), axis=0).reshape(())
    return LogSoftmax.apply(x, axis=_one_axis(dim, x.ndim))


def cumsum(x, dim, dtype=None):
    x = _out_dtype(x, dtype)
    if x.ndim == 0:
        return x.clone()
    return Cumsum.apply(x, axis=_one_axis(dim, x.ndim))


def norm(x, p="fro", dim=None, keepdim=False):
    if x._array.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor "
                           f"as input. Got {x.dtype.name}")
    axes = normalize_dims(dim, x.ndim)
    if p in ("fro", 2, 2.0, None):
        return Norm2.apply(x, axes=axes, keepdim=keepdim)
    if p in (float("inf"), "inf"):
        return amax(x.abs(), dim if dim is not None else (), keepdim)
    if p in (float("-inf"), "-inf"):
        return amin(x.abs(), dim if dim is not None else (), keepdim)
    if p == 1:
        return sum(x.abs(), dim, keepdim)
    if p == 0:  # counts the non-zeros; its gradient is 0 (x * 0 keeps the graph, as PyTorch)
        return sum((x != 0).to(x.dtype) + x * 0, dim, keepdim)
    return sum(x.abs() ** p, dim, keepdim) ** (1.0 / p)


def all(x, dim=None, keepdim=False):  # noqa: A001
    return Tensor._wrap(xp.asarray(xp.all(x._array, axis=dim, keepdims=keepdim)))


def any(x, dim=None, keepdim=False):  # noqa: A001
    return Tensor._wrap(xp.asarray(xp.any(x._array, axis=dim, keepdims=keepdim)))
