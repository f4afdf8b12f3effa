"""Everyday Tensor methods PyTorch has, composed from existing ops so gradients come from them
(second API audit): ``take``, ``put_``, ``index_put(_)``, ``masked_scatter(_)``,
``fill_diagonal_``, ``tril/triu(_)``, ``count_nonzero``, ``nan_to_num``, ``nansum``,
``nanmean``, ``diff``, ``float_power``, ``select``, ``tensor_split``, ``mT``/``H``,
``sum_to_size``, ``addmm``-style products, ``short/byte/char``, ``random_``, ``exponential_``.

    index_put(indices, v, accumulate):  out = x;  out[indices] = v   (or += v when accumulating)
    masked_scatter(mask, src):          out = x;  out[mask] = src[:mask.sum()] in row-major order
    nan_to_num(x):                      nan -> nan, +inf -> posinf (dtype max), -inf -> neginf
    diff(x, n):                         x[1:] - x[:-1], n times along dim

Example: ``cg.tensor([1., float('nan')]).nan_to_num()`` is ``tensor([1., 0.])``.
"""
from __future__ import annotations

import numpy as np

from . import backend
from . import random as _random
from .backend import xp

_T = _inplace = _ew = None


def _bind(Tensor, inplace, ew):
    global _T, _inplace, _ew
    _T, _inplace, _ew = Tensor, inplace, ew


def _arr(v):
    return v._array if isinstance(v, _T) else np.asarray(v)


class TensorMore:
    """Mixin of ``Tensor``: the methods listed in the module docstring."""

    __slots__ = ()

    # -- flat-position writes -------------------------------------------------------------------
    def take(self, index):
        return self.reshape(-1)[index]

    def _flat_write(self, flat_index, values, accumulate):
        flat = self.reshape(-1)
        idx = _T._wrap(np.asarray(flat_index, dtype=np.int64).reshape(-1))
        vals = values if isinstance(values, _T) else _T(values, dtype=self.dtype)
        vals = vals.to(self.dtype).expand(idx.shape) if vals.numel() == 1 else vals.reshape(-1)
        out = flat.index_add(0, idx, vals) if accumulate else flat.index_copy(0, idx, vals)
        return out.reshape(self.shape)

    def put(self, index, source, accumulate=False):
        n = self.numel()
        idx = _arr(index).astype(np.int64).reshape(-1)
        if idx.size and (idx.max() >= n or idx.min() < -n):
            raise IndexError(f"out of range: tried to access index {int(idx.max())} on a tensor "
                             f"of {n} elements.")
        return self._flat_write(idx % max(n, 1), source, accumulate)

    def put_(self, index, source, accumulate=False):
        return _inplace.apply_inplace(self, lambda t: t.put(index, source, accumulate))

    def index_put(self, indices, values, accumulate=False):
        """``out[indices] = values`` (``+=`` when ``accumulate``), ``indices`` a tuple of
        integer (or bool) tensors, one per leading dim."""
        if not accumulate:
            out = self.clone()
            out[tuple(indices)] = values
            return out
        pos = np.arange(self.numel(), dtype=np.int64).reshape(self.shape)
        hit = pos[tuple(_arr(i) for i in indices)]
        vals = values if isinstance(values, _T) else _T(values, dtype=self.dtype)
        vals = vals.expand(hit.shape) if tuple(vals.shape) != hit.shape else vals
        return self._flat_write(hit.reshape(-1), vals.reshape(-1), True)

    def index_put_(self, indices, values, accumulate=False):
        return _inplace.apply_inplace(self, lambda t: t.index_put(indices, values, accumulate))

    def masked_scatter(self, mask, source):
        m = np.broadcast_to(_arr(mask).astype(bool), self.shape)
        pos = np.flatnonzero(m)
        if pos.size > source.numel():
            raise RuntimeError("masked_scatter: expected source to have at least as many "
                               "elements as ones in mask")
        return self._flat_write(pos, source.reshape(-1)[:pos.size], False)

    def masked_scatter_(self, mask, source):
        return _inplace.apply_inplace(self, lambda t: t.masked_scatter(mask, source))

    def fill_diagonal_(self, fill_value, wrap=False):
        if self.ndim < 2 or (self.ndim > 2 and len(set(self.shape)) != 1):
            raise RuntimeError("all dimensions of input must be of equal length" if self.ndim > 2
                               else "dimensions must larger than 1")
        mask = np.zeros(self.shape, dtype=bool)
        if self.ndim == 2:
            rows, cols = self.shape
            step = cols + 1
            end = rows * cols if (wrap and rows > cols) else min(rows, cols) * cols
            mask.reshape(-1)[:end:step] = True
        else:
            mask[(np.arange(self.shape[0]),) * self.ndim] = True
        return self.masked_fill_(_T._wrap(mask), fill_value)

    # -- triangles, counts, nan handling --------------------------------------------------------
    def tril(self, diagonal=0):
        mask = _T._wrap(xp.tril(xp.ones(self.shape[-2:], dtype=bool), diagonal))
        return self.masked_fill(~mask, 0)

    def triu(self, diagonal=0):
        mask = _T._wrap(xp.triu(xp.ones(self.shape[-2:], dtype=bool), diagonal))
        return self.masked_fill(~mask, 0)

    def tril_(self, diagonal=0):
        return _inplace.apply_inplace(self, lambda t: t.tril(diagonal))

    def triu_(self, diagonal=0):
        return _inplace.apply_inplace(self, lambda t: t.triu(diagonal))

    def count_nonzero(self, dim=None):
        return _T._wrap(xp.asarray(np.count_nonzero(self._array, axis=dim), dtype=np.int64))

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        if self._array.dtype.kind != "f":
            return self.clone()
        info = np.finfo(self._array.dtype)
        posinf = float(info.max) if posinf is None else posinf
        neginf = float(info.min) if neginf is None else neginf
        a = self._array
        out = self.masked_fill(_T._wrap(np.isnan(a)), nan)
        out = out.masked_fill(_T._wrap(np.isposinf(a)), posinf)
        return out.masked_fill(_T._wrap(np.isneginf(a)), neginf)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return _inplace.apply_inplace(self, lambda t: t.nan_to_num(nan, posinf, neginf))

    def nansum(self, dim=None, keepdim=False, dtype=None):
        x = self.masked_fill(_T._wrap(np.isnan(self._array)), 0) if self._array.dtype.kind == "f" else self
        return x.sum(dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, dtype=None):
        if self._array.dtype.kind != "f":
            raise RuntimeError(f"nanmean(): expected input to have floating point dtype but got "
                               f"{self.dtype}")
        n = _T._wrap((~np.isnan(self._array)).astype(self._array.dtype))
        with np.errstate(invalid="ignore", divide="ignore"):  # all-nan slices: nan, quietly
            return self.nansum(dim, keepdim, dtype) / n.sum(dim, keepdim)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        x = self
        if prepend is not None or append is not None:
            from .ops.shape import cat
            parts = [p for p in (prepend, x, append) if p is not None]
            x = cat([p if p.ndim else p.expand(*x.shape[:dim % x.ndim], 1) for p in parts], dim)
        for _ in range(n):
            length = x.shape[dim]
            if length == 0:
                break
            hi, lo = x.narrow(dim, 1, length - 1), x.narrow(dim, 0, length - 1)
            x = (hi ^ lo) if x._array.dtype == np.bool_ else hi - lo
        return x

    def float_power(self, exponent):
        e = exponent.double() if isinstance(exponent, _T) else exponent
        return self.double().pow(e)

    # -- selection and splitting ----------------------------------------------------------------
    def select(self, dim, index):
        d = dim % self.ndim
        return self[(slice(None),) * d + (index,)]

    def tensor_split(self, indices_or_sections, dim=0):
        d = dim % self.ndim
        n = self.shape[d]
        if isinstance(indices_or_sections, int):
            k = indices_or_sections
            if k <= 0:
                raise RuntimeError(f"number of sections must be larger than 0, got {k}")
            sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
            bounds = np.concatenate([[0], np.cumsum(sizes)])
        else:
            cuts = [int(c) for c in _arr(indices_or_sections).reshape(-1)]
            bounds = [0] + [min(max(c, 0), n) for c in cuts] + [n]
        return tuple(self.narrow(d, int(a), max(int(b) - int(a), 0)) if b > a else
                     self.narrow(d, min(int(a), n), 0) for a, b in zip(bounds[:-1], bounds[1:]))

    def _dir_split(self, sections, dim, name, min_dim):
        if self.ndim < min_dim:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dim} "
                               f"dimension, but got a tensor with {self.ndim} dimensions!")
        if isinstance(sections, int) and self.shape[dim] % sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {self.shape[dim]} is not divisible by "
                               f"the split_size {sections}!")
        return self.tensor_split(sections, dim)

    def hsplit(self, sections):
        return self._dir_split(sections, 0 if self.ndim == 1 else 1, "hsplit", 1)

    def vsplit(self, sections):
        return self._dir_split(sections, 0, "vsplit", 2)

    def dsplit(self, sections):
        return self._dir_split(sections, 2, "dsplit", 3)

    @property
    def mT(self):  # noqa: N802 - PyTorch's name
        if self.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. "
                               f"Got {self.ndim}-D tensor.")
        return self.transpose(-2, -1)

    @property
    def H(self):  # noqa: N802 - PyTorch's name (real tensors: the transpose)
        if self.ndim not in (0, 2):
            raise RuntimeError("tensor.H is only supported on matrices (2-D tensors).")
        return self.t() if self.ndim == 2 else self

    @property
    def mH(self):  # noqa: N802
        return self.mT

    def sum_to_size(self, *size):
        from .tensor import _shape_args
        shape = _shape_args(size)
        lead = self.ndim - len(shape)
        dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                          if s == 1 and self.shape[lead + i] != 1)
        out = self.sum(dims, keepdim=True) if dims else self
        return out.reshape(shape)

    # -- fused products -------------------------------------------------------------------------
    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return _scaled(self, beta) + _scaled(mat1 @ mat2, alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        return _scaled(self, beta) + _scaled(mat @ vec, alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _scaled(self, beta) + _scaled(batch1 @ batch2, alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _scaled(self, beta) + _scaled((batch1 @ batch2).sum(0), alpha)

    # -- dtype spellings and random fills -------------------------------------------------------
    def short(self):
        return self.to(backend.int16)

    def byte(self):
        return self.to(backend.uint8)

    def char(self):
        return self.to(backend.int8)

    def random_(self, from_=0, to=None, *, generator=None):
        if to is None:
            from_, to = 0, from_ if from_ else 2 ** (53 if self._array.dtype == np.float64 else 24)
        arr = _random.integers_array(from_, to, self.shape, dtype=self._array.dtype,
                                     generator=generator)
        return _inplace.apply_inplace(self, lambda t: _T._wrap(arr) + t * 0)

    def exponential_(self, lambd=1.0, *, generator=None):
        u = _random.uniform_array(self.shape, dtype=self.dtype, generator=generator)
        arr = (-np.log1p(-u) / lambd).astype(self._array.dtype)
        return _inplace.apply_inplace(self, lambda t: _T._wrap(arr) + t * 0)


def _scaled(t, k):
    if k == 0:  # PyTorch ignores the term (nan/inf in it do not propagate)
        return t.masked_fill(_T._wrap(np.ones((), dtype=bool)), 0)
    return t if k == 1 else t * k
