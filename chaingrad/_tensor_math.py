"""The Tensor's math methods: each one routes to its op in ``chaingrad.ops`` (where the
forward and the derivative live side by side). ``Tensor`` inherits them from ``TensorMath``;
this file only keeps ``tensor.py`` short.

The op modules import ``Tensor``, so they are bound here by ``tensor.py`` once ``Tensor``
exists (``_bind``).
"""
from __future__ import annotations

import numpy as np

from . import backend
from .backend import xp

# bound by _bind (tensor.py), once Tensor and the op modules exist
Tensor = _ew = _red = _shp = _la = _inplace = _sel = _shape_args = None
_binary = _Add = _Mul = None


def _bind(tensor_cls, elementwise, reduce, shape, linalg, inplace, select, shape_args):
    global Tensor, _ew, _red, _shp, _la, _inplace, _sel, _shape_args, _binary, _Add, _Mul
    Tensor = tensor_cls
    _ew, _red, _shp, _la, _inplace, _sel = elementwise, reduce, shape, linalg, inplace, select
    _shape_args = shape_args
    _binary, _Add, _Mul = elementwise._binary, elementwise.Add, elementwise.Mul
    from . import _tensor_aliases  # keyword spellings, node names, small aliases
    _tensor_aliases.install(tensor_cls, reduce, shape, select)


def _kw(kw, name, method):
    """The one keyword argument a shape method was given instead of positional ones (none:
    an empty shape, as before, e.g. ``x.T`` of a 0-d tensor permutes no dims)."""
    if not kw and name != "dtype":
        return ()
    if name not in kw or len(kw) != 1:
        raise TypeError(f"{method}() missing 1 required positional arguments: \"{name}\""
                        if not kw else f"{method}() got an unexpected keyword argument "
                        f"{next(k for k in kw if k != name)!r}")
    return kw[name]


class TensorMath:
    """Operators, in-place, elementwise, reduction, shape, selection and linear-algebra
    methods."""

    __slots__ = ()

    # -- arithmetic operators ----------------------------------------------------------------
    # (+ and * go straight to the op when both sides are plain tensors of one dtype: they are
    # the commonest calls in any program; anything else, or an error, takes _binary's way)
    def __add__(self, other):
        if other.__class__ is Tensor and other._array.dtype is self._array.dtype:
            try:
                return _Add.apply(self, other)
            except ValueError:
                pass
        return _binary(_Add, self, other, "add")

    def __radd__(self, other):
        return _binary(_Add, other, self, "add")

    def __sub__(self, other):
        return _ew.sub(self, other)

    def __rsub__(self, other):
        return _ew.sub(other, self)

    def __mul__(self, other):
        if other.__class__ is Tensor and other._array.dtype is self._array.dtype:
            try:
                return _Mul.apply(self, other)
            except ValueError:
                pass
        return _binary(_Mul, self, other, "mul")

    def __rmul__(self, other):
        return _binary(_Mul, other, self, "mul")

    def __truediv__(self, other):
        return _ew.div(self, other)

    def __rtruediv__(self, other):
        return _ew.div(other, self)

    def __floordiv__(self, other):
        return _ew.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ew.floor_divide(other, self)

    def __mod__(self, other):
        return _ew.remainder(self, other)

    def __pow__(self, other):
        return _ew.pow(self, other)

    def __rpow__(self, other):
        return _ew.pow(other, self)

    def __matmul__(self, other):
        return _la.matmul(self, other)

    def __rmatmul__(self, other):
        return _la.matmul(other, self)

    def __neg__(self):
        return _ew.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ew.abs(self)

    def __invert__(self):
        if self._array.dtype.kind == "f":
            raise TypeError("~ (operator.invert) is only implemented on integer and "
                            "Boolean-type tensors")
        return _ew.bitwise_not(self)

    def __lshift__(self, other):
        return _ew.bitwise_left_shift(self, other)

    def __rlshift__(self, other):
        return _ew.bitwise_left_shift(other, self)

    def __rshift__(self, other):
        return _ew.bitwise_right_shift(self, other)

    def __rrshift__(self, other):
        return _ew.bitwise_right_shift(other, self)

    def bitwise_left_shift(self, other): return _ew.bitwise_left_shift(self, other)
    def bitwise_right_shift(self, other): return _ew.bitwise_right_shift(self, other)

    def __and__(self, other):
        return _ew.bitwise_and(self, other)

    def __or__(self, other):
        return _ew.bitwise_or(self, other)

    def __xor__(self, other):
        return _ew.bitwise_xor(self, other)

    def __rand__(self, other):
        return _ew.bitwise_and(other, self)

    def __ror__(self, other):
        return _ew.bitwise_or(other, self)

    def __rxor__(self, other):
        return _ew.bitwise_xor(other, self)

    def __format__(self, spec):
        # f"{loss:.4f}": a 0-d tensor formats as its Python number, as PyTorch
        if self._array.ndim == 0:
            return self._array.item().__format__(spec)
        return object.__format__(self, spec)

    # comparisons: bool tensors, no gradient
    def __eq__(self, other):
        return _ew.compare("eq", self, other)

    def __ne__(self, other):
        return _ew.compare("ne", self, other)

    def __lt__(self, other):
        return _ew.compare("lt", self, other)

    def __le__(self, other):
        return _ew.compare("le", self, other)

    def __gt__(self, other):
        return _ew.compare("gt", self, other)

    def __ge__(self, other):
        return _ew.compare("ge", self, other)

    eq = __eq__
    ne = __ne__
    lt = __lt__
    le = __le__
    gt = __gt__
    ge = __ge__

    def equal(self, other) -> bool:
        return self.shape == other.shape and bool((self._array == other._array).all())

    def allclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
        return bool(self.isclose(other, rtol, atol, equal_nan)._array.all())

    # in-place operators
    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    # (without these Python would fall back to x = x ** y, a new tensor of maybe another dtype)
    def __ipow__(self, other):
        return self.pow_(other)

    def __imod__(self, other):
        return self.remainder_(other)

    def __ifloordiv__(self, other):
        return self.floor_divide_(other)

    def __iand__(self, other):
        return self.bitwise_and_(other)

    def __ior__(self, other):
        return self.bitwise_or_(other)

    def __ixor__(self, other):
        return self.bitwise_xor_(other)

    def __ilshift__(self, other):
        return self.bitwise_left_shift_(other)

    def __irshift__(self, other):
        return self.bitwise_right_shift_(other)

    def __getitem__(self, index):
        if index.__class__ is slice or index.__class__ is tuple:
            for part in (index,) if index.__class__ is slice else index:
                if part.__class__ is slice and part.step is not None and part.step < 0:
                    raise ValueError("step must be greater than zero")
        return _shp.getitem(self, index)

    def __setitem__(self, index, value):
        _inplace.setitem(self, index, value)

    # -- in-place methods ----------------------------------------------------------------------
    def add_(self, other, alpha=1):
        return _inplace.apply_inplace(self, _ew.add, other if alpha == 1 else other * alpha)

    def sub_(self, other, alpha=1):
        return _inplace.apply_inplace(self, _ew.sub, other if alpha == 1 else other * alpha)

    def mul_(self, other):
        return _inplace.apply_inplace(self, _ew.mul, other)

    def div_(self, other, *, rounding_mode=None):
        if rounding_mode is not None:
            return _inplace.apply_inplace(self, lambda t: t.div(other, rounding_mode=rounding_mode))
        return _inplace.apply_inplace(self, _ew.div, other)

    def pow_(self, other):
        return _inplace.apply_inplace(self, _ew.pow, other)

    def clamp_(self, min=None, max=None):
        return _inplace.apply_inplace(self, lambda t: _ew.clamp(t, min, max))

    def relu_(self):
        return _inplace.apply_inplace(self, _ew.relu)

    def tanh_(self):
        return _inplace.apply_inplace(self, _ew.tanh)

    def sigmoid_(self):
        return _inplace.apply_inplace(self, _ew.sigmoid)

    def abs_(self):
        return _inplace.apply_inplace(self, _ew.abs)

    def clamp_min_(self, min):  # noqa: A002 - PyTorch's name
        return _inplace.apply_inplace(self, lambda t: _ew.clamp(t, min, None))

    def clamp_max_(self, max):  # noqa: A002 - PyTorch's name
        return _inplace.apply_inplace(self, lambda t: _ew.clamp(t, None, max))

    def neg_(self):
        return _inplace.apply_inplace(self, _ew.neg)

    def exp_(self):
        return _inplace.apply_inplace(self, _ew.exp)

    def sqrt_(self):
        return _inplace.apply_inplace(self, _ew.sqrt)

    def addcmul_(self, t1, t2, value=1):
        return _inplace.apply_inplace(self, _ew.add, t1 * t2 * value)

    def addcdiv_(self, t1, t2, value=1):
        return _inplace.apply_inplace(self, _ew.add, t1 / t2 * value)

    def lerp_(self, end, weight):
        return _inplace.apply_inplace(self, _ew.add, (end - self) * weight)

    def zero_(self):
        return _inplace.fill_(self, 0)

    def fill_(self, value):
        return _inplace.fill_(self, value)

    def copy_(self, src):
        return _inplace.copy_(self, src)

    def uniform_(self, a=0.0, b=1.0):
        from . import random as _random
        return _inplace.fill_array_(self, _random.uniform_array(self._array.shape, a, b, self._array.dtype))

    def normal_(self, mean=0.0, std=1.0):
        from . import random as _random
        return _inplace.fill_array_(self, _random.normal_array(self._array.shape, mean, std, self._array.dtype))

    def bernoulli_(self, p=0.5):
        from . import random as _random
        return _inplace.fill_array_(self, (_random.uniform_array(self._array.shape, 0.0, 1.0, np.float64) < p).astype(self._array.dtype))

    # -- elementwise --------------------------------------------------------------------------
    def exp(self): return _ew.exp(self)
    def log(self): return _ew.log(self)
    def log2(self): return _ew.log2(self)
    def log10(self): return _ew.log10(self)
    def log1p(self): return _ew.log1p(self)
    def expm1(self): return _ew.expm1(self)
    def sqrt(self): return _ew.sqrt(self)
    def rsqrt(self): return _ew.rsqrt(self)
    def square(self): return _ew.square(self)
    def abs(self): return _ew.abs(self)
    def sign(self): return _ew.sign(self)
    def neg(self): return _ew.neg(self)
    negative = neg
    def reciprocal(self): return _ew.reciprocal(self)
    def sin(self): return _ew.sin(self)
    def cos(self): return _ew.cos(self)
    def tan(self): return _ew.tan(self)
    def tanh(self): return _ew.tanh(self)  # (bound to the op's function directly below)
    def sigmoid(self): return _ew.sigmoid(self)
    def relu(self): return _ew.relu(self)
    def floor(self): return _ew.floor(self)
    def ceil(self): return _ew.ceil(self)
    def round(self, *, decimals=0): return _ew.round(self, decimals=decimals)
    def trunc(self): return _ew.trunc(self)
    def isnan(self): return _ew.isnan(self)
    def isinf(self): return _ew.isinf(self)
    def isfinite(self): return _ew.isfinite(self)
    def logical_not(self): return _ew.logical_not(self)
    def clamp(self, min=None, max=None): return _ew.clamp(self, min, max)
    def clamp_min(self, min): return _ew.clamp(self, min, None)  # noqa: A002
    def clamp_max(self, max): return _ew.clamp(self, None, max)  # noqa: A002
    def bitwise_and(self, other): return _ew.bitwise_and(self, other)
    def bitwise_or(self, other): return _ew.bitwise_or(self, other)
    def bitwise_xor(self, other): return _ew.bitwise_xor(self, other)
    def bitwise_not(self): return _ew.bitwise_not(self)
    def logical_and(self, other): return _ew.logical_and(self, other)
    def logical_or(self, other): return _ew.logical_or(self, other)
    def logical_xor(self, other): return _ew.logical_xor(self, other)
    clip = clamp
    def maximum(self, other): return _ew.maximum(self, other)
    def minimum(self, other): return _ew.minimum(self, other)
    def pow(self, exponent): return _ew.pow(self, exponent)
    def add(self, other, alpha=1): return _ew.add(self, other if alpha == 1 else other * alpha)
    def sub(self, other, alpha=1): return _ew.sub(self, other if alpha == 1 else other * alpha)
    def mul(self, other): return _ew.mul(self, other)
    def div(self, other, *, rounding_mode=None):
        return _ew.div(self, other, rounding_mode)
    multiply = mul
    divide = div
    def where(self, condition, other): return _ew.where(condition, self, other)
    def masked_fill(self, mask, value):
        if not isinstance(value, Tensor):  # the value takes this tensor's dtype (PyTorch)
            value = Tensor._wrap(xp.asarray(value).astype(self._array.dtype))
        elif value._array.dtype != self._array.dtype:
            value = value.to(self.dtype)
        return _ew.where(mask, value, self)
    def masked_fill_(self, mask, value):
        if not isinstance(value, Tensor):  # the value takes this tensor's dtype (PyTorch)
            value = Tensor._wrap(xp.asarray(value).astype(self._array.dtype))
        elif value._array.dtype != self._array.dtype:
            value = value.to(self.dtype)
        return _inplace.apply_inplace(self, lambda t: _ew.where(mask, value, t))
    def type_as(self, other): return self.to(other.dtype)
    def lerp(self, end, weight): return self + (end - self) * weight

    # -- reductions ---------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, dtype=None): return _red.sum(self, dim, keepdim, dtype=dtype)
    def mean(self, dim=None, keepdim=False, dtype=None): return _red.mean(self, dim, keepdim, dtype=dtype)
    def prod(self, dim=None, keepdim=False, dtype=None): return _red.prod(self, dim, keepdim, dtype=dtype)
    def var(self, dim=None, unbiased=None, keepdim=False, correction=None):
        return _red.var(self, dim, unbiased=unbiased, keepdim=keepdim, correction=correction)
    def std(self, dim=None, unbiased=None, keepdim=False, correction=None):
        return _red.std(self, dim, unbiased=unbiased, keepdim=keepdim, correction=correction)
    def amax(self, dim=(), keepdim=False): return _red.amax(self, dim, keepdim)
    def amin(self, dim=(), keepdim=False): return _red.amin(self, dim, keepdim)
    def max(self, dim=None, keepdim=False): return _red.max(self, dim, keepdim)
    def min(self, dim=None, keepdim=False): return _red.min(self, dim, keepdim)
    def argmax(self, dim=None, keepdim=False): return _red.argmax(self, dim, keepdim)
    def argmin(self, dim=None, keepdim=False): return _red.argmin(self, dim, keepdim)
    def logsumexp(self, dim, keepdim=False): return _red.logsumexp(self, dim, keepdim)
    def norm(self, p="fro", dim=None, keepdim=False): return _red.norm(self, p, dim, keepdim)
    def softmax(self, dim, dtype=None): return _red.softmax(self, dim, dtype)
    def log_softmax(self, dim, dtype=None): return _red.log_softmax(self, dim, dtype)
    def cumsum(self, dim, dtype=None): return _red.cumsum(self, dim, dtype)
    def all(self, dim=None, keepdim=False): return _red.all(self, dim, keepdim)
    def any(self, dim=None, keepdim=False): return _red.any(self, dim, keepdim)

    # -- shape --------------------------------------------------------------------------------
    def reshape(self, *shape, **kw):
        return _shp.reshape(self, _shape_args(shape or (_kw(kw, "shape", "reshape"),)))
    def view(self, *shape, **kw):
        if not shape:
            shape = (kw.pop("size") if "size" in kw else _kw(kw, "dtype", "view"),)
        if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)) and shape[0] is not None:
            return self._view_as_dtype(shape[0])
        return _shp.view(self, _shape_args(shape))

    def _view_as_dtype(self, dtype):
        """``t.view(dtype)``: the same bytes read as another dtype (PyTorch's; no copy)."""
        target = backend.np_dtype(dtype)
        if target == self._array.dtype:
            return _shp.view(self, tuple(self._array.shape))
        if self._requires_grad:
            raise RuntimeError("view(dtype) of a tensor that requires grad to a different "
                               "dtype is not differentiable; detach() it first")
        if self._array.ndim == 0 and target.itemsize != self._array.dtype.itemsize:
            raise RuntimeError("self.dim() cannot be 0 if the view's dtype has a different "
                               "size")
        try:
            arr = self._array.view(target)
        except ValueError as exc:
            raise RuntimeError(f"view(dtype): {exc}") from None
        out = Tensor._wrap(arr)
        out._version_counter = self._version_counter
        return out
    def view_as(self, other): return _shp.view(self, other.shape)
    def reshape_as(self, other): return _shp.reshape(self, other.shape)
    def flatten(self, start_dim=0, end_dim=-1): return _shp.flatten(self, start_dim, end_dim)
    def unflatten(self, dim, sizes): return _shp.unflatten(self, dim, sizes)
    def squeeze(self, dim=None): return _shp.squeeze(self, dim)
    def unsqueeze(self, dim): return _shp.unsqueeze(self, dim)
    def transpose(self, dim0, dim1): return _shp.transpose(self, dim0, dim1)
    swapaxes = swapdims = transpose
    def fliplr(self): return _shp.flip(self, (1,))
    def flipud(self): return _shp.flip(self, (0,))
    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        if self.ndim < 2:
            return self
        from .autograd.function import backward_named
        return backward_named(self.transpose(0, 1), "TBackward0")
    def permute(self, *dims, **kw):
        return _shp.permute(self, _shape_args(dims or (_kw(kw, "dims", "permute"),)))
    def expand(self, *sizes, **kw):
        return _shp.expand(self, _shape_args(sizes or (_kw(kw, "size", "expand"),)))
    def expand_as(self, other): return _shp.expand(self, other.shape)
    def repeat(self, *sizes, **kw):
        return _shp.repeat(self, _shape_args(sizes or (_kw(kw, "repeats", "repeat"),)))
    def flip(self, *dims, **kw):  # x.flip(0, 1), x.flip((0, 1)), x.flip(dims=[0])
        if not dims:
            if not kw:
                raise TypeError('flip() missing 1 required positional arguments: "dims"')
            return _shp.flip(self, _kw(kw, "dims", "flip"))
        return _shp.flip(self, dims[0] if len(dims) == 1 and not isinstance(dims[0], int)
                         else dims)
    def split(self, split_size_or_sections, dim=0): return _shp.split(self, split_size_or_sections, dim)
    def chunk(self, chunks, dim=0): return _shp.chunk(self, chunks, dim)
    def unbind(self, dim=0): return _shp.unbind(self, dim)
    def gather(self, dim, index): return _shp.gather(self, dim, index)
    def narrow(self, dim, start, length): return _shp.narrow(self, dim, start, length)
    def index_select(self, dim, index): return _shp.index_select(self, dim, index)
    def masked_select(self, mask):  # the mask and self broadcast together, as PyTorch
        m = mask._array if hasattr(mask, "_array") else xp.asarray(mask)
        shape = xp.broadcast_shapes(self.shape, m.shape)
        x = self if tuple(self.shape) == shape else self.expand(shape)
        return x[Tensor._wrap(xp.ascontiguousarray(xp.broadcast_to(m, shape)))]
    def roll(self, shifts, dims=None): return _shp.roll(self, shifts, dims)

    # -- linear algebra -----------------------------------------------------------------------
    def matmul(self, other): return _la.matmul(self, other)
    def mm(self, other):
        if self.ndim != 2 or other.ndim != 2:
            raise RuntimeError(f"mm: both arguments must be 2-D, got {self.ndim}-D and {other.ndim}-D")
        return _la.matmul(self, other)
    def bmm(self, other):
        if self.ndim != 3 or other.ndim != 3:
            raise RuntimeError(f"bmm: both arguments must be 3-D, got {self.ndim}-D and {other.ndim}-D")
        return _la.matmul(self, other)
    def mv(self, vec): return _la.matmul(self, vec)
    def dot(self, other):
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {self.ndim}D and {other.ndim}D "
                               f"tensors")
        return _la.matmul(self, other)
    def outer(self, vec2): return _la.outer(self, vec2)

    # -- sorting, selection, scatter (chaingrad/ops/select.py) --------------------------------
    def sort(self, dim=-1, descending=False, stable=False):
        return _sel.sort(self, dim, descending, stable)
    def argsort(self, dim=-1, descending=False, stable=False):
        return _sel.argsort(self, dim, descending, stable)
    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - PyTorch's name
        return _sel.topk(self, k, dim, largest, sorted)
    def scatter(self, dim, index, src=None, value=None, reduce=None):
        return _sel.scatter(self, dim, index, src, value, reduce)
    def scatter_add(self, dim, index, src): return _sel.scatter_add(self, dim, index, src)
    def scatter_(self, dim, index, src=None, value=None, reduce=None):
        return _inplace.apply_inplace(self, lambda t: _sel.scatter(t, dim, index, src, value, reduce))
    def scatter_add_(self, dim, index, src):
        return _inplace.apply_inplace(self, lambda t: _sel.scatter_add(t, dim, index, src))
    def nonzero(self, as_tuple=False): return _sel.nonzero(self, as_tuple)
    def repeat_interleave(self, repeats, dim=None, output_size=None):
        return _sel.repeat_interleave(self, repeats, dim, output_size)
    def tile(self, *dims, **kw):
        return _sel.tile(self, _shape_args(dims or (_kw(kw, "dims", "permute"),)))
    def movedim(self, source, destination): return _sel.movedim(self, source, destination)
    moveaxis = movedim
    def diagonal(self, offset=0, dim1=0, dim2=1): return _sel.diagonal(self, offset, dim1, dim2)
    def diag(self, diagonal=0): return _sel.diag(self, diagonal)
    def trace(self): return _sel.trace(self)
    def cumprod(self, dim, dtype=None): return _sel.cumprod(self, dim, dtype)
