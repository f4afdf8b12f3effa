"""More ``Tensor`` methods with PyTorch's semantics, composed from existing ops (so their
gradients come from those ops): the ``index_*`` family, ``isclose``, ``unfold``, ``fmod``,
``median``/``kthvalue``, ``cummax``/``cummin``, ``floor_``-style in-place spellings, and the
checks PyTorch makes on ``float(t)``/``allclose``.

    index_add(dim, index, src, alpha):  out = x;  out[..., index[i], ...] += alpha * src[..., i, ...]
    index_fill(dim, index, v):          out = x;  out[..., index[i], ...]  = v
    index_copy(dim, index, src):        out = x;  out[..., index[i], ...]  = src[..., i, ...]
    unfold(dim, size, step):            windows x[..., k*step : k*step + size, ...] as a new last dim

Example: ``cg.zeros(3, 2).index_add_(0, cg.tensor([0, 2, 0]), cg.ones(3, 2))`` has rows 2, 0, 1.
"""
from __future__ import annotations

import numpy as np

from .backend import xp
from . import return_types as _rt

_ew = _red = _shp = _inplace = _sel = _Tensor = _ValuesIndices = None


def _bind(Tensor, ew, red, shp, inplace, sel, values_indices):
    global _ew, _red, _shp, _inplace, _sel, _Tensor, _ValuesIndices
    _ew, _red, _shp, _inplace, _sel = ew, red, shp, inplace, sel
    _Tensor, _ValuesIndices = Tensor, values_indices


def _along(x, dim, index, like_shape):
    """``index`` (1-D) broadcast to ``like_shape`` along ``dim``, as scatter wants it."""
    idx = index._array if isinstance(index, _Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu" or idx.ndim > 1:
        raise IndexError("index_add_(): Expected dtype int64 for index" if idx.ndim <= 1 else
                         "Index is supposed to be a vector")
    idx = idx.reshape(-1).astype(np.int64)
    d = dim % max(x.ndim, 1)
    rest = lambda sh: tuple(sh[:d]) + tuple(sh[d + 1:])  # noqa: E731
    if len(like_shape) != x.ndim or rest(like_shape) != rest(tuple(x.shape)) or (
            len(like_shape) and like_shape[d] != idx.size):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(x.shape)} "
                           f"source.shape = {list(like_shape)}")
    shape = [1] * len(like_shape)
    if len(like_shape):
        shape[d] = idx.size
    return _Tensor._wrap(xp.ascontiguousarray(xp.broadcast_to(idx.reshape(shape), like_shape))), d


class TensorExtra:
    """Mixin of ``Tensor``: the methods listed in the module docstring."""

    __slots__ = ()

    # -- index_* family (PyTorch's Tensor.index_add/index_fill/index_copy and in-place forms)
    def index_add(self, dim, index, source, *, alpha=1):
        src = source if alpha == 1 else source * alpha
        if self.ndim == 0:
            return self + src.reshape(()) if src.numel() == 1 else self + src
        idx, d = _along(self, dim, index, tuple(src.shape))
        return _sel.scatter_add(self, d, idx, src)

    def index_add_(self, dim, index, source, *, alpha=1):
        return _inplace.apply_inplace(self, lambda t: t.index_add(dim, index, source, alpha=alpha))

    def index_fill(self, dim, index, value):
        if self.ndim == 0:
            return self.masked_fill(_Tensor._wrap(np.asarray(True)), value)
        idx = index._array if isinstance(index, _Tensor) else np.asarray(index)
        mask = np.zeros(self.shape[dim % self.ndim], dtype=bool)
        mask[idx.reshape(-1).astype(np.int64)] = True
        shape = [1] * self.ndim
        shape[dim % self.ndim] = mask.size
        return self.masked_fill(_Tensor._wrap(mask.reshape(shape)), value)

    def index_fill_(self, dim, index, value):
        return _inplace.apply_inplace(self, lambda t: t.index_fill(dim, index, value))

    def index_copy(self, dim, index, source):
        if self.ndim == 0:
            return source.reshape(()).to(self.dtype) + self * 0
        idx, d = _along(self, dim, index, tuple(source.shape))
        return _sel.scatter(self, d, idx, source)

    def index_copy_(self, dim, index, source):
        return _inplace.apply_inplace(self, lambda t: t.index_copy(dim, index, source))

    # -- comparisons ------------------------------------------------------------------------
    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """|a - b| <= atol + rtol * |b| elementwise (bool, no grad), PyTorch's rule."""
        other = other if isinstance(other, _Tensor) else _Tensor(other, dtype=self.dtype)
        if self._array.dtype != other._array.dtype:
            raise RuntimeError(f"{self.dtype} did not match {other.dtype}")
        a, b = self._array, other._array
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise _ew.broadcast_error(a.shape, b.shape, "isclose") from None
        if a.dtype.kind in "iub":
            a64, b64 = a.astype(np.float64), b.astype(np.float64)
            return _Tensor._wrap(xp.asarray(xp.isclose(a64, b64, rtol=rtol, atol=atol)))
        return _Tensor._wrap(xp.asarray(xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))

    # -- windows and remainders ---------------------------------------------------------------
    def unfold(self, dimension, size, step):
        """Every window of ``size`` along ``dimension`` with stride ``step``, as a new last dim."""
        if step <= 0:
            raise RuntimeError(f"step is {step} but must be > 0")
        if self.ndim == 0:
            return self.reshape(1)
        d = dimension % self.ndim
        n = self.shape[d]
        if size > n:
            raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
        starts = np.arange(0, n - size + 1, step)
        pos = (starts[:, None] + np.arange(size)[None, :]).reshape(-1)
        taken = self.index_select(d, _Tensor._wrap(pos.astype(np.int64)))
        shape = tuple(self.shape[:d]) + (len(starts), size) + tuple(self.shape[d + 1:])
        return taken.reshape(shape).movedim(d + 1, -1)

    def fmod(self, other):
        """Remainder with the sign of the dividend (C's fmod): x - trunc(x / y) * y."""
        if self._array.dtype.kind in "iu" and not (isinstance(other, float) or (
                isinstance(other, _Tensor) and other._array.dtype.kind == "f")):
            o = other._array if isinstance(other, _Tensor) else other
            return _Tensor._wrap(xp.asarray(xp.fmod(self._array, o)))
        return self - (self / other).trunc() * other

    def remainder(self, other):
        return self % other

    def __rmod__(self, other):
        return _ew.remainder(other, self)

    # -- order statistics (values, indices) -----------------------------------------------------
    def kthvalue(self, k, dim=-1, keepdim=False):
        d = dim % max(self.ndim, 1)
        n = self.shape[d] if self.ndim else 1
        if n == 0:
            raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
        v, i = self.sort(dim)
        if not 1 <= k <= n:
            raise RuntimeError("kthvalue(): selected number k out of range for dimension")
        if self.ndim == 0:
            return _rt.kthvalue((v, i))
        v, i = v.narrow(d, k - 1, 1), i.narrow(d, k - 1, 1)
        if not keepdim:
            v, i = v.squeeze(d), i.squeeze(d)
        return _rt.kthvalue((v, i))

    def median(self, dim=None, keepdim=False):
        """The lower median (PyTorch's: no averaging); NaN where the values hold a NaN (its
        index then that of the first NaN); with ``dim`` a (values, indices) pair."""
        nan = self._array.dtype.kind == "f"
        if dim is None:
            flat = self.reshape(-1)
            if flat.numel() == 0:
                return _Tensor._wrap(np.array(np.nan, dtype=self._array.dtype))
            if nan and np.isnan(flat._array).any():
                return flat[int(np.argmax(np.isnan(flat._array)))]
            return flat.kthvalue((flat.numel() + 1) // 2, 0)[0]
        n = self.shape[dim % self.ndim] if self.ndim else 1
        if n == 0:
            raise IndexError(f"median(): Expected reduction dim {dim % self.ndim} to have "
                             f"non-zero size.")
        v, i = self.kthvalue((n + 1) // 2, dim, True)
        if nan and self.ndim and np.isnan(self._array).any():
            d = dim % self.ndim
            has = np.isnan(self._array).any(axis=d, keepdims=True)
            first = np.expand_dims(np.argmax(np.isnan(self._array), axis=d), d)
            idx = np.where(has, first, i._array).astype(np.int64)
            i = _Tensor._wrap(idx)
            v = self.gather(d, i)
        if not keepdim and self.ndim:
            d = dim % self.ndim
            v, i = v.squeeze(d), i.squeeze(d)
        return _rt.median((v, i))

    def _cum_extreme(self, dim, op):
        d = dim % max(self.ndim, 1)
        a = np.moveaxis(self._array, d, -1) if self.ndim else self._array.reshape(1)
        n = a.shape[-1]
        better = (np.greater_equal if op == "max" else np.less_equal)
        idx = np.zeros(a.shape, dtype=np.int64)
        best = a[..., :1].copy() if n else a
        for j in range(1, n):
            cur = a[..., j:j + 1]
            take = better(cur, best)
            if a.dtype.kind == "f":  # a NaN wins and then stays
                take = (take | np.isnan(cur)) & ~np.isnan(best)
            best = np.where(take, cur, best)
            idx[..., j] = np.where(take[..., 0], j, idx[..., j - 1])
        idx = np.moveaxis(idx, -1, d) if self.ndim else idx.reshape(())
        ind = _Tensor._wrap(np.ascontiguousarray(idx) if idx.ndim else idx.copy())
        vals = self.gather(d, ind) if self.ndim else self.clone()
        return getattr(_rt, "cum" + op)((vals, ind))

    def cummax(self, dim):
        return self._cum_extreme(dim, "max")

    def cummin(self, dim):
        return self._cum_extreme(dim, "min")

    # -- conversions ---------------------------------------------------------------------------
    def ravel(self):
        return self.reshape(-1)

    def floor_(self):
        return _inplace.apply_inplace(self, _ew.floor)

    def ceil_(self):
        return _inplace.apply_inplace(self, _ew.ceil)

    def trunc_(self):
        return _inplace.apply_inplace(self, _ew.trunc)

    def round_(self):
        return _inplace.apply_inplace(self, _ew.round)


def _scatter_reduce(self, dim, index, src, reduce, include_self=True):
    """out = x; out[index[i]] = reduce(out[index[i]], src[i]) (``include_self=False``: the old
    value of a written position does not take part). Gradients: sum/mean through scatter_add;
    amax/amin split evenly among tied contributors, prod is out / contributor (PyTorch's)."""
    from .ops.select import _scatter_index
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    W = _Tensor._wrap
    d = dim % max(self.ndim, 1)
    full, corner = _scatter_index(self, d, index, tuple(src.shape))
    x = self._array
    touched = np.zeros(x.shape, dtype=bool)
    touched[full] = True
    cnt = np.zeros(x.shape, dtype=np.int64)
    np.add.at(cnt, full, 1)
    if reduce in ("sum", "mean"):
        base = self if include_self else self.masked_fill(W(touched), 0)
        out = _sel.scatter_add(base, d, index, src)
        if reduce == "sum":
            return out
        denom = np.where(touched, cnt + int(include_self), 1)
        if x.dtype.kind == "f":
            return out / W(denom.astype(x.dtype))
        return out.div(W(denom), rounding_mode="floor")
    s = src._array[corner].astype(x.dtype, copy=False)
    if x.dtype.kind == "f":
        ident = {"amax": -np.inf, "amin": np.inf, "prod": 1}[reduce]
    else:
        info = np.iinfo(x.dtype) if x.dtype.kind in "iu" else None
        ident = {"amax": info.min if info else False, "amin": info.max if info else True,
                 "prod": 1}[reduce]
    R = x.copy()
    if not include_self:
        R[touched] = ident
    {"amax": np.maximum, "amin": np.minimum, "prod": np.multiply}[reduce].at(R, full, s)
    if not (self.requires_grad or src.requires_grad) or x.dtype.kind != "f":
        return W(R)
    self_in = ~touched | bool(include_self)
    with np.errstate(divide="ignore", invalid="ignore"):
        if reduce == "prod":  # d/dc = product of the other contributors (zeros counted)
            nz = np.where(self_in & (x == 0), 1, 0)
            np.add.at(nz, full, s == 0)
            p_nz = np.where(self_in & (x != 0), x, 1).astype(x.dtype)
            np.multiply.at(p_nz, full, np.where(s != 0, s, 1))
            w_self = np.where(x != 0, np.where(nz == 0, p_nz / np.where(x != 0, x, 1), 0),
                              np.where(nz == 1, p_nz, 0))
            w_self = np.where(self_in, w_self, 0).astype(x.dtype)
            nzf, pf = nz[full], p_nz[full]
            w_src = np.where(s != 0, np.where(nzf == 0, pf / np.where(s != 0, s, 1), 0),
                             np.where(nzf == 1, pf, 0)).astype(x.dtype)
        else:  # ties share the gradient; PyTorch counts self's tie even when not included
            hit_self = (x == R)
            hit_src = s == R[full]
            n = hit_self.astype(np.int64)
            np.add.at(n, full, hit_src)
            w_self = (hit_self & self_in) / np.maximum(n, 1)
            w_self = w_self.astype(x.dtype)
            w_src = (hit_src / np.maximum(n[full], 1)).astype(x.dtype)
    out = W(R) + (self - self.detach()) * W(w_self)
    part = (src[corner] - src[corner].detach()) * W(w_src)
    idx = index if isinstance(index, _Tensor) else W(np.asarray(index))
    return _sel.scatter_add(out, d, idx[tuple(slice(0, k) for k in part.shape)], part)


def _scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    return _inplace.apply_inplace(
        self, lambda t: _scatter_reduce(t, dim, index, src, reduce, include_self))


TensorExtra.scatter_reduce = lambda self, dim, index, src, reduce, *, include_self=True: \
    _scatter_reduce(self, dim, index, src, reduce, include_self)
TensorExtra.scatter_reduce_ = _scatter_reduce_
