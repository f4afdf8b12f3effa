"""More of PyTorch's ``torch.*`` functions (second API audit): the fused products
(``addmm``, ``baddbmm``, ...), the method spellings (``take``, ``diff``, ``nansum``, ...),
index/counting helpers without gradients (``unique``, ``bincount``, ``histc``,
``searchsorted``, ``bucketize``, ``tril_indices``), ``dist``/``cdist``, ``rot90``,
``atleast_*d``, ``cartesian_prod``, and dtype queries (``finfo``, ``iinfo``,
``promote_types``, ``result_type``, ``can_cast``) with PyTorch's promotion categories
(bool < integer < floating: a float beats any integer, and a Python scalar only counts when
it is of a higher category than every tensor).

Example: ``cg.unique(cg.tensor([3, 1, 3]), return_counts=True)`` is
``(tensor([1, 3]), tensor([1, 2]))``.
"""
from __future__ import annotations

import numpy as np

from . import backend
from .tensor import Tensor

__all__ = ["addmm", "addmv", "baddbmm", "addbmm", "take", "count_nonzero", "nan_to_num", "nansum",
           "nanmean", "diff", "float_power", "select", "tensor_split", "hsplit", "vsplit", "dsplit", "unique",
           "unique_consecutive", "bincount", "histc", "searchsorted", "bucketize", "tril_indices",
           "triu_indices", "dist", "cdist", "rot90", "fliplr", "flipud", "atleast_1d",
           "atleast_2d", "atleast_3d", "cartesian_prod", "finfo", "iinfo", "promote_types",
           "result_type", "can_cast", "aminmax"]


def _w(a, dtype=None):
    a = np.asarray(a)
    return Tensor._wrap(np.ascontiguousarray(a if dtype is None else a.astype(dtype)))


def addmm(input, mat1, mat2, *, beta=1, alpha=1):  # noqa: A002
    """beta * input + alpha * (mat1 @ mat2)."""
    return input.addmm(mat1, mat2, beta=beta, alpha=alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):  # noqa: A002
    return input.addmv(mat, vec, beta=beta, alpha=alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):  # noqa: A002
    return input.baddbmm(batch1, batch2, beta=beta, alpha=alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):  # noqa: A002
    return input.addbmm(batch1, batch2, beta=beta, alpha=alpha)


def take(input, index): return input.take(index)  # noqa: A002,E704
def count_nonzero(input, dim=None): return input.count_nonzero(dim)  # noqa: A002,E704
def nansum(input, dim=None, keepdim=False, dtype=None): return input.nansum(dim, keepdim, dtype)  # noqa: A002,E501,E704
def nanmean(input, dim=None, keepdim=False, dtype=None): return input.nanmean(dim, keepdim, dtype)  # noqa: A002,E501,E704
def float_power(input, exponent): return input.float_power(exponent)  # noqa: A002,E704
def select(input, dim, index): return input.select(dim, index)  # noqa: A002,E704


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):  # noqa: A002
    return input.nan_to_num(nan, posinf, neginf)


def diff(input, n=1, dim=-1, prepend=None, append=None):  # noqa: A002
    return input.diff(n, dim, prepend, append)


def tensor_split(input, indices_or_sections, dim=0):  # noqa: A002
    return input.tensor_split(indices_or_sections, dim)


def hsplit(input, sections): return input.hsplit(sections)  # noqa: A002,E704
def vsplit(input, sections): return input.vsplit(sections)  # noqa: A002,E704
def dsplit(input, sections): return input.dsplit(sections)  # noqa: A002,E704


from .return_types import aminmax as _MinMax  # noqa: E402 - (min, max), also as .min / .max


def aminmax(input, *, dim=None, keepdim=False):  # noqa: A002
    return _MinMax((input.amin(dim, keepdim) if dim is not None else input.amin(),
                           input.amax(dim, keepdim) if dim is not None else input.amax()))


# -- counting and searching (integer results, no gradient) ---------------------------------------
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    a = input._array
    if dim is None:
        vals, inv, cnt = np.unique(a.reshape(-1), return_inverse=True, return_counts=True)
        inv = inv.reshape(a.shape)
    else:
        vals, inv, cnt = np.unique(a, return_inverse=True, return_counts=True, axis=dim)
        inv = inv.reshape(-1)
    out = [_w(vals)]
    if return_inverse:
        out.append(_w(inv, np.int64))
    if return_counts:
        out.append(_w(cnt, np.int64))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    if dim is not None:
        raise NotImplementedError("unique_consecutive: dim= is not supported")
    a = input._array.reshape(-1)
    start = np.ones(a.size, dtype=bool)
    start[1:] = a[1:] != a[:-1]
    out = [_w(a[start])]
    if return_inverse:
        out.append(_w((np.cumsum(start) - 1).reshape(input.shape), np.int64))
    if return_counts:
        out.append(_w(np.diff(np.append(np.flatnonzero(start), a.size)), np.int64))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(input, weights=None, minlength=0):  # noqa: A002
    a = input._array
    if a.ndim != 1 or a.dtype.kind not in "iu":
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if a.size and a.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return _w(np.bincount(a, minlength=minlength), np.int64)
    w = weights._array
    out = np.bincount(a, weights=w, minlength=minlength)
    return _w(out, w.dtype if w.dtype.kind == "f" else np.float64)


def histc(input, bins=100, min=0, max=0):  # noqa: A002
    a = input._array
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    h, _ = np.histogram(a[(a >= lo) & (a <= hi)], bins=bins, range=(lo, hi))
    return _w(h, a.dtype)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,  # noqa: A002
                 sorter=None):
    s = sorted_sequence._array
    side = side or ("right" if right else "left")
    v = input._array if isinstance(input, Tensor) else np.asarray(input)
    if s.ndim == 1:
        r = np.searchsorted(s, v, side=side, sorter=None if sorter is None else sorter._array)
    else:
        r = np.stack([np.searchsorted(s[i], v[i], side=side) for i in np.ndindex(s.shape[:-1])])
        r = r.reshape(v.shape)
    return _w(r, np.int32 if out_int32 else np.int64)


def bucketize(input, boundaries, *, out_int32=False, right=False):  # noqa: A002
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def tril_indices(row, col, offset=0, dtype=None):
    return _w(np.stack(np.tril_indices(row, offset, col)), backend.np_dtype(dtype) or np.int64)


def triu_indices(row, col, offset=0, dtype=None):
    return _w(np.stack(np.triu_indices(row, offset, col)), backend.np_dtype(dtype) or np.int64)


# -- distances, rotations, shapes -----------------------------------------------------------------
def dist(input, other, p=2):  # noqa: A002
    """||input - other||_p over all elements (broadcast)."""
    return (input - other).norm(p)


def cdist(x1, x2, p=2.0):
    """Pairwise p-norm distances of the rows: (..., P, M) and (..., R, M) -> (..., P, R)."""
    return (x1.unsqueeze(-2) - x2.unsqueeze(-3)).norm(p, dim=-1)


def rot90(input, k=1, dims=(0, 1)):  # noqa: A002
    d0, d1 = dims
    k %= 4
    if k == 1:
        return input.flip(d1).transpose(d0, d1)
    if k == 2:
        return input.flip(d0).flip(d1)
    if k == 3:
        return input.flip(d0).transpose(d0, d1)
    return input.clone()


def fliplr(input): return input.flip(1)  # noqa: A002,E704
def flipud(input): return input.flip(0)  # noqa: A002,E704


def _atleast(n, tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    out = []
    for t in tensors:
        if t.ndim < n:
            shape = {1: (1,) + tuple(t.shape), 2: (1,) * (2 - t.ndim) + tuple(t.shape)}.get(n)
            if n == 3:
                shape = {0: (1, 1, 1), 1: (1, t.shape[0], 1), 2: tuple(t.shape) + (1,)}[t.ndim]
            t = t.reshape(shape[-n:] if n == 1 else shape)
        out.append(t)
    return out[0] if len(out) == 1 else tuple(out)


def atleast_1d(*tensors): return _atleast(1, tensors)  # noqa: E704
def atleast_2d(*tensors): return _atleast(2, tensors)  # noqa: E704
def atleast_3d(*tensors): return _atleast(3, tensors)  # noqa: E704


def cartesian_prod(*tensors):
    from .ops.shape import meshgrid, stack
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


# -- dtype queries --------------------------------------------------------------------------------
class _Info:
    def __init__(self, info, dtype, floating):
        self.bits, self.dtype = info.bits, dtype.name
        self.max, self.min = (float(info.max), float(info.min)) if floating else (int(info.max), int(info.min))
        if floating:
            self.eps, self.tiny = float(info.eps), float(info.tiny)
            # resolution = 10^-precision as a Python float (PyTorch's 1e-06, not float32's)
            self.smallest_normal, self.resolution = float(info.tiny), 10.0 ** -info.precision

    def __repr__(self):
        return f"{type(self).__name__}(" + ", ".join(f"{k}={v}" for k, v in vars(self).items()) + ")"


class finfo(_Info):  # noqa: N801 - PyTorch's name
    def __init__(self, type=None):  # noqa: A002
        dt = backend.to_dtype(type or backend.get_default_dtype())
        if not dt.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type.")
        super().__init__(np.finfo(dt.np), dt, True)


class iinfo(_Info):  # noqa: N801
    def __init__(self, type):  # noqa: A002
        dt = backend.to_dtype(type)
        if dt.is_floating_point or dt.np == np.bool_:
            raise TypeError("torch.iinfo() requires an integer input type.")
        super().__init__(np.iinfo(dt.np), dt, False)


def _category(np_dt):
    return {"b": 0, "u": 1, "i": 1, "f": 2}[np.dtype(np_dt).kind]


def promote_types(type1, type2):
    a, b = np.dtype(backend.np_dtype(type1)), np.dtype(backend.np_dtype(type2))
    ca, cb = _category(a), _category(b)
    if ca != cb:
        return backend.to_dtype(a if ca > cb else b)
    return backend.to_dtype(np.promote_types(a, b))


def result_type(tensor1, tensor2):
    def kind(x):
        if isinstance(x, Tensor):
            return x._array.dtype, x.ndim == 0
        if isinstance(x, bool):
            return np.dtype(np.bool_), None
        if isinstance(x, int):
            return np.dtype(np.int64), None
        return np.dtype(backend.np_dtype(backend.get_default_dtype())), None
    (a, za), (b, zb) = kind(tensor1), kind(tensor2)
    # a dimensioned tensor outranks a 0-d one, which outranks a Python scalar, within a category
    rank_a = 2 if za is False else (1 if za else 0)
    rank_b = 2 if zb is False else (1 if zb else 0)
    ca, cb = _category(a), _category(b)
    if ca != cb:
        hi, r = (a, rank_a) if ca > cb else (b, rank_b)
        if r == 0 and _category(hi) == 2:
            return backend.get_default_dtype()
        return backend.to_dtype(hi)
    if rank_a != rank_b:
        return backend.to_dtype(a if rank_a > rank_b else b)
    return backend.to_dtype(np.promote_types(a, b))


def can_cast(from_, to):
    return _category(backend.np_dtype(from_)) <= _category(backend.np_dtype(to))


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None):
    """Samples N(mean, std^2): ``mean``/``std`` tensors (broadcast) or numbers with ``size``."""
    from . import random as _random
    m = mean._array if isinstance(mean, Tensor) else mean
    s = std._array if isinstance(std, Tensor) else std
    if size is None:
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    else:
        shape = tuple(size)
    ref = mean if isinstance(mean, Tensor) else (std if isinstance(std, Tensor) else None)
    dt = ref._array.dtype if ref is not None else backend.np_dtype(dtype or backend.get_default_dtype())
    z = _random.normal_array(shape, 0.0, 1.0, "float64", generator)
    return _w(m + s * z, dt)


def bernoulli(input, p=None, *, generator=None):  # noqa: A002
    """0/1 samples: 1 with probability ``input`` (elementwise), or ``p`` when given."""
    from . import random as _random
    prob = input._array if p is None else np.full(input.shape, p)
    u = _random.uniform_array(input.shape, dtype="float64", generator=generator)
    return _w(u < prob, input._array.dtype)


__all__ += ["normal", "bernoulli"]


class memory_format:  # noqa: N801 - PyTorch's name
    """PyTorch's memory-format tags; chaingrad keeps every tensor in C order, so they are
    accepted (``clone``, ``contiguous``) and change nothing."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"chaingrad.{self.name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
__all__ += ["memory_format", "contiguous_format", "preserve_format", "channels_last",
            "channels_last_3d"]


class layout:  # noqa: N801 - PyTorch's name
    """PyTorch's layout tag: every chaingrad tensor is dense and strided (``t.layout``)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"chaingrad.{self.name}"


strided = layout("strided")
__all__ += ["layout", "strided"]
