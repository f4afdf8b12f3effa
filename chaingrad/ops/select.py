"""Sorting, selection and scatter ops with PyTorch's semantics: ``sort``, ``argsort``,
``topk``, ``scatter``, ``scatter_add``, ``nonzero``, ``repeat_interleave``, ``tile``,
``diagonal``, ``diag``, ``trace``, ``movedim``, ``cumprod``.

Most are indexing of the input (so their gradient is the scatter-add of indexing, and higher
orders come for free); ``scatter``/``scatter_add`` are one op each:

    scatter_add:  out = x;  out[index[i]] += src[i]     d/dx = g,           d/dsrc = g[index]
    scatter:      out = x;  out[index[i]]  = src[i]     d/dx = g (0 where written), d/dsrc = g[index]
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..backend import xp
from ..autograd.function import Op
from ..tensor import Tensor
from .shape import _dim, _along_axis_index, gather, index_select, permute, index_scatter, stack
from .. import return_types as _rt


def _sort_index(a, axis, descending):
    """Stable argsort along ``axis``; NaN counts as the largest value, as in PyTorch."""
    if a.dtype == np.bool_:
        a = a.astype(np.int8)
    if descending:
        if a.dtype.kind == "f":
            key = xp.where(xp.isnan(a), -xp.inf, -a)
        elif a.dtype.kind == "u":
            key = -(a.astype(np.int64))
        else:
            key = -a
        return xp.argsort(key, axis=axis, kind="stable")
    return xp.argsort(a, axis=axis, kind="stable")


def sort(x, dim=-1, descending=False, stable=False):
    """(values, indices) of ``x`` sorted along ``dim``; equal values keep their order."""
    if x.ndim == 0:
        return _rt.sort((x.clone(), Tensor._wrap(xp.zeros((), dtype=np.int64))))
    d = _dim(dim, x.ndim)
    idx = Tensor._wrap(_sort_index(x._array, d, descending).astype(np.int64, copy=False))
    return _rt.sort((gather(x, d, idx), idx))


def argsort(x, dim=-1, descending=False, stable=False):
    """The indices that sort ``x`` along ``dim`` (int64)."""
    return sort(x, dim, descending, stable)[1]


def topk(x, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - PyTorch's name
    """(values, indices) of the ``k`` largest (or smallest) entries along ``dim``."""
    d = _dim(dim, x.ndim) if x.ndim else 0
    n = x.shape[d] if x.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if x.ndim == 0:
        return _rt.topk(sort(x))
    idx = _sort_index(x._array, d, largest)
    idx = Tensor._wrap(xp.ascontiguousarray(xp.take(idx, xp.arange(k), axis=d)).astype(np.int64))
    return _rt.topk((gather(x, d, idx), idx))


def _scatter_index(x, d, index, src_shape):
    idx = index._array if isinstance(index, Tensor) else xp.asarray(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError("scatter(): Expected dtype int64 for index")
    if idx.ndim != x.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if idx.size and (idx.min() < 0 or idx.max() >= x.shape[d]):
        bad = idx.max() if idx.max() >= x.shape[d] else idx.min()
        raise RuntimeError(f"index {int(bad)} is out of bounds for dimension {d} with size "
                           f"{x.shape[d]}")
    for i, s in enumerate(idx.shape):
        if (src_shape is not None and s > src_shape[i]) or (i != d and s > x.shape[i]):
            raise RuntimeError(f"Expected index {list(idx.shape)} to be smaller than self "
                               f"{list(x.shape)} apart from dimension {d} and to be smaller "
                               f"size than src {list(src_shape or ())}")
    full = _along_axis_index(idx.astype(np.int64, copy=False), d)
    corner = tuple(slice(0, s) for s in idx.shape)
    return full, corner


class Scatter(Op):
    """out = x with src written (``add=False``) or added (``add=True``) at ``full``."""

    def forward(self, x, src, full, corner, add):
        self.full, self.corner, self.add = full, corner, add
        self.src_shape = src.shape
        out = x.copy()
        vals = src[corner].astype(x.dtype, copy=False)
        if add:
            xp.add.at(out, full, vals)
        else:
            out[full] = vals
            self.kept = xp.ones(x.shape, dtype=bool)
            self.kept[full] = False
        return out

    def backward(self, g, F):
        gx = g if self.add else F.where(self.kept, g, 0.0)
        picked = F.getitem(g, self.full)
        gsrc = picked if picked.shape == self.src_shape else \
            F.scatter_add(self.src_shape, self.corner, picked, basic=True)
        return gx, gsrc


def _scatter(x, dim, index, src, value, add):
    d = _dim(dim, x.ndim)
    if src is None or not isinstance(src, Tensor):
        fill = value if src is None else src
        src = Tensor._wrap(xp.full(tuple(index.shape), fill, dtype=x._array.dtype))
    full, corner = _scatter_index(x, d, index, tuple(src.shape))
    return Scatter.apply(x, src, full=full, corner=corner, add=add)


def scatter(x, dim, index, src=None, value=None, reduce=None):  # noqa: A002 - PyTorch's name
    """Out-of-place ``x.scatter(dim, index, src)``: out[..., index[i], ...] = src[i] along
    ``dim`` (``src`` a tensor or a number; ``value=`` also a number). ``reduce='add'`` adds."""
    if reduce not in (None, "add"):
        raise NotImplementedError(f"scatter: reduce={reduce!r} is not supported (None, 'add')")
    return _scatter(x, dim, index, src, value, reduce == "add")


def scatter_add(x, dim, index, src):
    """Out-of-place ``x.scatter_add(dim, index, src)``: out[..., index[i], ...] += src[i]."""
    return _scatter(x, dim, index, src, None, True)


def nonzero(x, as_tuple=False):
    """Indices of the non-zero elements: (n, ndim) int64, or one 1-D tensor per dim."""
    idx = xp.argwhere(x._array).astype(np.int64)
    if as_tuple:
        if x.ndim == 0:
            return (Tensor._wrap(xp.zeros(int(bool(x._array)), dtype=np.int64)),)
        return tuple(Tensor._wrap(xp.ascontiguousarray(idx[:, i])) for i in range(x.ndim))
    return Tensor._wrap(idx)


def repeat_interleave(x, repeats=None, dim=None, output_size=None):
    """Repeat each element ``repeats`` times (an int or one count per element) along ``dim``
    (the flattened input when None). ``repeat_interleave(counts)`` alone repeats each index
    ``i`` counts[i] times."""
    if repeats is None:
        x, repeats = Tensor._wrap(xp.arange(x.shape[0] if x.ndim else 1, dtype=np.int64)), x
    if dim is None:
        x, d = x.reshape(-1), 0
    else:
        d = _dim(dim, x.ndim)
    r = repeats._array if isinstance(repeats, Tensor) else xp.asarray(repeats)
    if r.size and r.min() < 0:
        raise RuntimeError("repeats can not be negative")
    idx = xp.repeat(xp.arange(x.shape[d]), r.reshape(-1) if r.ndim else int(r))
    return index_select(x, d, idx)


def tile(x, dims):
    """Repeat the whole tensor ``dims[i]`` times along each dim (missing leading dims are 1)."""
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(dims) < x.ndim:
        dims = (1,) * (x.ndim - len(dims)) + dims
    return x.repeat(*dims)


def movedim(x, source, destination):
    """Move dims ``source`` to positions ``destination`` (ints or sequences)."""
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} dims)")
    if x.ndim == 0:  # only dim 0 / -1, and nothing moves
        for d in src + dst:
            _dim(d, 0)
        return x.view(())
    src = [_dim(s, x.ndim) for s in src]
    dst = [_dim(s, x.ndim) for s in dst]
    order = [None] * x.ndim
    for s, t in zip(src, dst):
        order[t] = s
    rest = iter(i for i in range(x.ndim) if i not in src)
    order = [o if o is not None else next(rest) for o in order]
    return permute(x, tuple(order))


def diagonal(x, offset=0, dim1=0, dim2=1):
    """The diagonal of the (dim1, dim2) planes, as a new last dim (``offset`` > 0 above)."""
    d1, d2 = _dim(dim1, x.ndim), _dim(dim2, x.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    y = movedim(x, (d1, d2), (-2, -1))
    n, m = y.shape[-2], y.shape[-1]
    length = max(0, min(n + min(offset, 0), m - max(offset, 0)))
    i = xp.arange(length) + max(-offset, 0)
    return y[..., i, i + offset]


def diag(x, diagonal=0):
    """1-D input: the square matrix with ``x`` on diagonal ``diagonal``; 2-D input: that
    diagonal as a 1-D tensor."""
    if x.ndim == 2:
        return globals()["diagonal"](x, diagonal)
    if x.ndim != 1:
        raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " + f"{x.ndim}D")
    n = x.shape[0] + abs(diagonal)
    i = xp.arange(x.shape[0])
    return index_scatter(x, (n, n), (i + max(-diagonal, 0), i + max(diagonal, 0)), True)


def trace(x):
    """Sum of the main diagonal of a 2-D tensor."""
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    return diagonal(x).sum()


def cumprod(x, dim, dtype=None):
    """y_i = x_0 x_1 ... x_i along ``dim``, one product per step: exact gradients where x has
    zeros (d y_j / d x_i = prod_{k <= j, k != i} x_k), to any order."""
    if dtype is not None:
        x = x.to(dtype)
    elif x._array.dtype.kind in "bui" and x._array.dtype != np.int64:
        x = x.to(backend.int64)  # integer products accumulate in int64, as PyTorch
    if x.ndim == 0:
        return x.clone()
    d = _dim(dim, x.ndim)
    if x.shape[d] == 0:
        return x.clone()
    parts = x.unbind(d)
    out = [parts[0]]
    for p in parts[1:]:
        out.append(out[-1] * p)
    return stack(out, d)
