"""The last group of Tensor methods from the second API audit: the in-place spelling
``name_`` of every out-of-place method that lacks one (``log_``, ``sin_``, ``fmod_``,
``cumsum_`` ...), in-place shape changes on tensors outside the graph (``t_``,
``transpose_``, ``squeeze_``, ``unsqueeze_``, ``resize_``), ``mode``, ``heaviside``,
``logaddexp``, ``hypot``, ``atan2``, ``xlogy``, ``logit``, ``sinc``, ``copysign``,
``signbit``, ``logcumsumexp``, ``deg2rad``/``rad2deg``, ``apply_``/``map_`` and
``storage_offset``.

    logaddexp(a, b)    = m + log(e^(a-m) + e^(b-m)),  m = max(a, b)
    logcumsumexp(x)_k  = m + log(sum_{i<=k} e^(x_i - m))
    atan2(y, x):  d/dy = x / (x^2 + y^2),  d/dx = -y / (x^2 + y^2)
    xlogy(x, y)        = x log y, and 0 where x == 0

Example: ``cg.tensor([0.25, 0.5]).log_()`` changes the tensor in place.
"""
from __future__ import annotations

import math

import numpy as np

_T = _inplace = None

# out-of-place methods whose in-place spelling is generated when missing
INPLACE_OF = ("exp log log2 log10 log1p expm1 exp2 sin cos tan asin acos atan sinh cosh tanh "
              "asinh acosh atanh arcsin arccos arctan sqrt rsqrt reciprocal sign sgn square neg "
              "negative abs floor ceil trunc frac erf erfc erfinv sigmoid relu logit "
              "logical_not logical_and logical_or logical_xor fmod remainder floor_divide "
              "cumsum cumprod hypot atan2 arctan2 xlogy copysign heaviside nan_to_num deg2rad "
              "rad2deg sinc float_power lerp clamp_min clamp_max bitwise_and bitwise_or "
              "bitwise_xor bitwise_not bitwise_left_shift bitwise_right_shift maximum minimum fmax "
              "fmin").split()


def _bind(Tensor, inplace):
    global _T, _inplace
    _T, _inplace = Tensor, inplace
    from .ops import unary_more
    for name in unary_more.NAMES:
        if not hasattr(Tensor, name):
            setattr(Tensor, name, getattr(unary_more, name))
    Tensor.sgn = lambda self: self.sign()
    for name in INPLACE_OF:
        if hasattr(Tensor, name) and not hasattr(Tensor, name + "_"):
            setattr(Tensor, name + "_", _make_inplace(name))


def _make_inplace(name):
    def method(self, *args, **kwargs):
        return _inplace.apply_inplace(self, lambda t: getattr(t, name)(*args, **kwargs))
    method.__name__ = name + "_"
    method.__doc__ = f"In-place ``{name}`` (tracked by the version counter)."
    return method


def _const(arr):
    arr = np.asarray(arr)
    return _T._wrap(np.ascontiguousarray(arr) if arr.ndim else arr.copy())


def _other(self, o):
    return o if isinstance(o, _T) else _T(o, dtype=self.dtype if self._array.dtype.kind == "f" else None)


class TensorMisc:
    """Mixin of ``Tensor``: the methods listed in the module docstring."""

    __slots__ = ()

    # -- in-place shape changes (tensors outside the graph, as most uses are) ----------------
    def _reshape_in_place(self, new, what):
        if self.requires_grad:
            raise RuntimeError(f"{what}: changing the shape in place of a tensor that requires "
                               f"grad is not supported")
        self._array = new._array
        return self

    def t_(self):
        return self._reshape_in_place(self.t(), "t_")

    def transpose_(self, dim0, dim1):
        return self._reshape_in_place(self.transpose(dim0, dim1), "transpose_")

    def squeeze_(self, dim=None):
        return self._reshape_in_place(self.squeeze() if dim is None else self.squeeze(dim),
                                      "squeeze_")

    def unsqueeze_(self, dim):
        return self._reshape_in_place(self.unsqueeze(dim), "unsqueeze_")

    def resize_(self, *sizes):
        from .tensor import _shape_args
        shape = _shape_args(sizes)
        n = int(np.prod(shape)) if shape else 1
        flat = self._array.reshape(-1)
        if n > flat.size:
            flat = np.concatenate([flat, np.zeros(n - flat.size, dtype=flat.dtype)])
        return self._reshape_in_place(_const(flat[:n].reshape(shape)), "resize_")

    def resize_as_(self, other):
        return self.resize_(*other.shape)

    # -- statistics -----------------------------------------------------------------------
    def mode(self, dim=-1, keepdim=False):
        """(most frequent value, index of its last occurrence) along ``dim``; ties -> the
        smallest value, as PyTorch."""
        from .return_types import mode as _ValuesIndices
        if self.ndim == 0:
            return _ValuesIndices((self.clone(), _const(np.zeros((), dtype=np.int64))))
        d = dim % self.ndim
        if self.shape[d] == 0:
            raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
        a = np.moveaxis(self._array, d, -1)
        rows = a.reshape(-1, a.shape[-1])
        idx = np.empty(rows.shape[0], dtype=np.int64)
        for r, row in enumerate(rows):
            vals, counts = np.unique(row, return_counts=True)
            v = vals[np.argmax(counts)]  # np.unique sorts, argmax takes the first (smallest)
            idx[r] = np.flatnonzero(row == v)[-1]
        ind = _const(idx.reshape(a.shape[:-1]))
        vals = self.gather(d, ind.unsqueeze(d))
        if not keepdim:
            vals = vals.squeeze(d)
        else:
            ind = ind.unsqueeze(d)
        return _ValuesIndices((vals, ind))

    # -- elementwise functions ------------------------------------------------------------
    def heaviside(self, values):
        v = values._array if isinstance(values, _T) else values
        return _const(np.heaviside(self._array, v).astype(self._array.dtype))

    def logaddexp(self, other):
        other = _other(self, other)
        m = _const(np.maximum(self._array, other._array))
        m = m.masked_fill(_const(np.isinf(m._array)), 0)  # e^(-inf - -inf) would be nan
        return m + ((self - m).exp() + (other - m).exp()).log()

    def logaddexp2(self, other):
        return self.mul(math.log(2)).logaddexp(_other(self, other) * math.log(2)) / math.log(2)

    def hypot(self, other):
        other = _other(self, other)
        return (self * self + other * other).sqrt()

    def atan2(self, other):
        from .ops.elementwise import _operands, _float_input
        self, other = (_float_input(t) for t in _operands(self, _other(self, other)))
        val = _const(np.arctan2(self._array, other._array))
        r2 = (self * self + other * other).detach()
        return val + (self - self.detach()) * (other.detach() / r2) \
            - (other - other.detach()) * (self.detach() / r2)

    arctan2 = atan2

    def xlogy(self, other):
        other = _other(self, other)
        zero = _const(self._array == 0) & ~_const(np.isnan(other._array))
        with np.errstate(divide="ignore", invalid="ignore"):  # log 0 where x == 0: masked
            return (self * other.log()).masked_fill(zero, 0)

    def logit(self, eps=None):
        x = self if eps is None else self.clamp(eps, 1 - eps)
        return (x / (1 - x)).log()

    def sinc(self):
        px = self * math.pi
        zero = _const(self._array == 0)
        safe = px.masked_fill(zero, 1.0)
        return (safe.sin() / safe).masked_fill(zero, 1.0)

    def deg2rad(self):
        return self * (math.pi / 180)

    def rad2deg(self):
        return self * (180 / math.pi)

    def copysign(self, other):
        o = other._array if isinstance(other, _T) else np.asarray(other)
        sign = _const(np.where(np.signbit(o), -1.0, 1.0).astype(
            self._array.dtype if self._array.dtype.kind == "f" else np.float32))
        return self.abs() * sign

    def signbit(self):
        return _const(np.signbit(self._array))

    def logcumsumexp(self, dim):
        m = _const(np.nan_to_num(self._array.max(axis=dim % max(self.ndim, 1), keepdims=True)
                                 if self.ndim else self._array, neginf=0.0, posinf=0.0))
        return (self - m).exp().cumsum(dim).log() + m

    def floor_divide(self, other):
        return self // other

    # -- comparison spellings, predicates, small helpers (round-3 audit) -----------------
    def greater(self, other): return self > other
    def greater_equal(self, other): return self >= other
    def less(self, other): return self < other
    def less_equal(self, other): return self <= other
    def not_equal(self, other): return self != other
    def true_divide(self, other): return self / other
    def positive(self):
        if self._array.dtype.kind == "b":
            raise TypeError("The `+` operator, on a bool tensor is not supported.")
        return self
    def absolute(self): return self.abs()
    def fix(self): return self.trunc()
    def is_complex(self) -> bool: return self._array.dtype.kind == "c"
    @property
    def nbytes(self) -> int: return int(self._array.nbytes)
    @property
    def itemsize(self) -> int: return int(self._array.itemsize)
    @property
    def layout(self):
        from ._functions_more import strided
        return strided
    def is_signed(self) -> bool: return self._array.dtype.kind in "if"
    def is_same_size(self, other) -> bool: return self.shape == other.shape

    def is_nonzero(self) -> bool:
        n = self._array.size
        if n != 1:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous" if n == 0
                               else "Boolean value of Tensor with more than one value is "
                                    "ambiguous")
        return bool(self._array.reshape(()))

    def isposinf(self): return _const(np.isposinf(self._array))
    def isneginf(self): return _const(np.isneginf(self._array))
    def isreal(self): return _const(np.ones(self._array.shape, dtype=bool))

    def fmax(self, other):
        """max(a, b) ignoring NaN (NaN only where both are); the gradient goes to the one
        chosen, ``a`` on ties (PyTorch's rule)."""
        from .ops.elementwise import _operands
        a, b = _operands(self, other)
        bn = _const(np.isnan(b._array)) if b._array.dtype.kind == "f" else None
        pick = (a >= b) if bn is None else (a >= b) | bn
        return a.where(pick, b)

    def fmin(self, other):
        from .ops.elementwise import _operands
        a, b = _operands(self, other)
        bn = _const(np.isnan(b._array)) if b._array.dtype.kind == "f" else None
        pick = (a <= b) if bn is None else (a <= b) | bn
        return a.where(pick, b)

    def msort(self): return self.sort(0)[0]

    def adjoint(self): return self.transpose(-2, -1)

    def bincount(self, weights=None, minlength=0):
        from ._functions_more import bincount
        return bincount(self, weights, minlength)

    def histc(self, bins=100, min=0, max=0):  # noqa: A002
        from ._functions_more import histc
        return histc(self, bins, min, max)

    def addcmul(self, tensor1, tensor2, *, value=1):
        """self + value * tensor1 * tensor2."""
        prod = tensor1 * tensor2
        return self + (prod if value == 1 else prod * value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        """self + value * tensor1 / tensor2."""
        q = tensor1 / tensor2
        return self + (q if value == 1 else q * value)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
        from ._functions_more import unique
        return unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        from ._functions_more import unique_consecutive
        return unique_consecutive(self, return_inverse, return_counts, dim)

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        from ._functions_extra import quantile
        return quantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanmedian(self, dim=None, keepdim=False):
        """The lower median of the non-NaN values (NaN where all are NaN)."""
        from .return_types import nanmedian as _nm
        a = self._array
        if dim is None:
            v = a.reshape(-1)
            v = np.sort(v[~np.isnan(v)]) if a.dtype.kind == "f" else np.sort(v)
            if v.size == 0:
                return _const(np.array(np.nan, dtype=a.dtype))
            flat = self.reshape(-1)
            k = int(np.flatnonzero(flat._array == v[(v.size - 1) // 2])[0])
            return flat[k]
        d = dim % max(self.ndim, 1)
        x = np.moveaxis(a, d, -1) if self.ndim else a.reshape(1)
        key = np.where(np.isnan(x), np.inf, x) if a.dtype.kind == "f" else x
        order = np.argsort(key, axis=-1, kind="stable")
        count = (~np.isnan(x)).sum(-1) if a.dtype.kind == "f" else np.full(x.shape[:-1], x.shape[-1])
        k = np.maximum((count - 1) // 2, 0)
        idx = np.take_along_axis(order, k[..., None], -1)
        idx = np.moveaxis(idx, -1, d) if self.ndim else idx.reshape(())
        ind = _const(idx.astype(np.int64))
        vals = self.gather(d, ind) if self.ndim else self.clone()
        if not keepdim and self.ndim:
            vals, ind = vals.squeeze(d), ind.squeeze(d)
        return _nm((vals, ind))

    def take_along_dim(self, indices, dim=None):
        if dim is None:
            return self.reshape(-1).gather(0, indices.reshape(-1))
        shape = list(np.broadcast_shapes(
            tuple(s if k != dim % self.ndim else 1 for k, s in enumerate(self.shape)),
            tuple(s if k != dim % self.ndim else 1 for k, s in enumerate(indices.shape))))
        ishape, xshape = list(shape), list(shape)
        ishape[dim % self.ndim] = indices.shape[dim % self.ndim]
        xshape[dim % self.ndim] = self.shape[dim % self.ndim]
        return self.expand(xshape).gather(dim, indices.expand(ishape))

    def inner(self, other):
        """sum over the last dimension of both: a_{..i} b_{..i}."""
        if self.ndim == 0 or other.ndim == 0:
            return self * other
        return _inner_nd(self, other)

    def kron(self, other):
        n = max(self.ndim, other.ndim)
        a = self.reshape((1,) * (n - self.ndim) + tuple(self.shape))
        b = other.reshape((1,) * (n - other.ndim) + tuple(other.shape))
        # a[i] b[j] at position i * len(b) + j, one dimension at a time
        ea = a.reshape(sum(((s, 1) for s in a.shape), ()))
        eb = b.reshape(sum(((1, s) for s in b.shape), ()))
        return (ea * eb).reshape(tuple(x * y for x, y in zip(a.shape, b.shape)))

    # -- random fills (chaingrad.random, so cg.manual_seed makes them reproducible) --------
    def _fill_random(self, arr):
        arr = arr.astype(self._array.dtype)
        return _inplace.apply_inplace(self, lambda t: _const(arr) + t * 0)

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        from . import random as _random
        u = _random.uniform_array(self.shape, dtype="float64", generator=generator)
        return self._fill_random(median + sigma * np.tan(np.pi * (u - 0.5)))

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        from . import random as _random
        return self._fill_random(np.exp(_random.normal_array(self.shape, mean, std, "float64",
                                                             generator)))

    def geometric_(self, p, *, generator=None):
        from . import random as _random
        u = _random.uniform_array(self.shape, dtype="float64", generator=generator)
        return self._fill_random(np.maximum(np.ceil(np.log1p(-u) / np.log1p(-p)), 1))

    # -- Python callables and storage -------------------------------------------------------
    def apply_(self, callable):  # noqa: A002 - PyTorch's name
        flat = self._array.reshape(-1)
        out = np.array([callable(v) for v in flat.tolist()], dtype=self._array.dtype)
        return _inplace.apply_inplace(self, lambda t: _const(out.reshape(self.shape)) + t * 0)

    def map_(self, tensor, callable):  # noqa: A002
        b = np.broadcast_to(tensor._array, self.shape).reshape(-1).tolist()
        out = np.array([callable(x, y) for x, y in zip(self._array.reshape(-1).tolist(), b)],
                       dtype=self._array.dtype)
        return _inplace.apply_inplace(self, lambda t: _const(out.reshape(self.shape)) + t * 0)

    def storage_offset(self) -> int:
        base = self._array
        while isinstance(base.base, np.ndarray):
            base = base.base
        start = self._array.__array_interface__["data"][0]
        return (start - base.__array_interface__["data"][0]) // self._array.itemsize


def _inner_nd(a, b):
    """inner for N-D: sum over the last dims of both, the rest kept (a's dims, then b's)."""
    from .ops.linalg import einsum
    la = "abcdefghij"[:a.ndim - 1]
    lb = "klmnopqrst"[:b.ndim - 1]
    return einsum(f"{la}z,{lb}z->{la}{lb}", a, b)
