"""``cg.<name>`` functions the round-3 API audit found missing: the in-place function
spellings (``cg.relu_(x)`` ...), ``asarray``, ``cov`` / ``corrcoef``, ``histogram``,
``unravel_index``, ``diag_embed``, ``vander``, ``trapezoid``, ``addr``, ``index_put``,
``empty_strided`` and the determinism switches.

    cov(x)_ij = sum_k (x_ik - mean_i)(x_jk - mean_j) / (N - correction)
    corrcoef(x)_ij = cov_ij / sqrt(cov_ii cov_jj)

Example: ``cg.cov(cg.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))`` is
``tensor([[ 1., -1.], [-1.,  1.]])``.
"""
from __future__ import annotations

import numpy as np

from . import backend
from .tensor import Tensor

__all__ = ["asarray", "cov", "corrcoef", "histogram", "unravel_index", "diag_embed", "vander",
           "trapezoid", "trapz", "addr", "index_put", "empty_strided",
           "use_deterministic_algorithms", "are_deterministic_algorithms_enabled"]


def _inplace_spelling(name):
    def fn(input, *args, **kwargs):  # noqa: A002
        return getattr(input, name)(*args, **kwargs)
    fn.__name__ = name
    fn.__doc__ = f"``input.{name}(...)``: changes ``input`` in place and returns it."
    return fn


for _name in ("relu_ sigmoid_ tanh_ exp_ log_ sqrt_ abs_ neg_ clamp_ clip_ fill_ zero_ square_ "
              "floor_ ceil_ round_ trunc_ sin_ cos_ rsqrt_ reciprocal_").split():
    globals()[_name] = _inplace_spelling(_name)
    __all__.append(_name)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """``obj`` as a tensor, sharing memory when it can (a tensor or NumPy array of the
    requested dtype) unless ``copy=True``; ``copy=False`` refuses to copy."""
    from .creation import as_tensor, tensor
    if copy:
        return tensor(obj, dtype=dtype, requires_grad=requires_grad)
    out = as_tensor(obj, dtype=dtype)
    if copy is False and isinstance(obj, (Tensor, np.ndarray)):
        src = obj._array if isinstance(obj, Tensor) else obj
        if not np.shares_memory(src, out._array):
            raise ValueError("asarray(): cannot satisfy copy=False without copying")
    if requires_grad:
        out.requires_grad_(True)
    return out


def cov(input, *, correction=1, fweights=None, aweights=None):  # noqa: A002
    """Covariance of the rows (variables) over the columns (observations)."""
    x = input.reshape(1, -1) if input.ndim < 2 else input
    if x.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {x.ndim} dimensions")
    if x._array.dtype.kind in "iub":
        x = x.to(backend.default_float_dtype())
    w = None
    if fweights is not None:
        w = fweights.to(x.dtype)
    if aweights is not None:
        w = aweights.to(x.dtype) if w is None else w * aweights.to(x.dtype)
    if w is None:
        n = x.shape[1]
        mean = x.mean(1, keepdim=True)
        c = (x - mean) @ (x - mean).t() / max(n - correction, 0)
    else:
        wsum = w.sum()
        mean = (x * w).sum(1, keepdim=True) / wsum
        if aweights is None:
            norm = wsum - correction
        else:
            norm = wsum - correction * (w * aweights.to(x.dtype)).sum() / wsum
        xc = x - mean
        c = (xc * w) @ xc.t() / norm
    return c.reshape(()) if input.ndim < 2 else c


def corrcoef(input):  # noqa: A002
    """Pearson correlation coefficients of the rows, clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal().sqrt()
    return (c / d.unsqueeze(1) / d.unsqueeze(0)).clamp(-1, 1)


def histogram(input, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
    """(counts, bin edges) of ``input``'s values (PyTorch's torch.return_types.histogram)."""
    from .return_types import histogram as _hist
    a = input._array
    b = bins._array if isinstance(bins, Tensor) else bins
    w = None if weight is None else weight._array
    counts, edges = np.histogram(a, bins=b, range=range, weights=w, density=density)
    return _hist((Tensor._wrap(counts.astype(a.dtype)), Tensor._wrap(edges.astype(a.dtype))))


def unravel_index(indices, shape):
    """The coordinates of flat ``indices`` in an array of ``shape`` (a tuple of tensors)."""
    idx = indices._array if isinstance(indices, Tensor) else np.asarray(indices)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    n = int(np.prod(shape))
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise RuntimeError("index out of bounds in unravel_index")
    return tuple(Tensor._wrap(np.asarray(c, dtype=np.int64))
                 for c in np.unravel_index(idx % max(n, 1), shape))


def diag_embed(input, offset=0, dim1=-2, dim2=-1):  # noqa: A002
    """Each last-dim vector of ``input`` as the ``offset`` diagonal of a matrix in dims
    (dim1, dim2) of the result."""
    n = input.shape[-1] + abs(offset)
    eye = Tensor._wrap(np.eye(n, k=offset, dtype=input._array.dtype))
    pick = np.zeros((n, n), dtype=np.int64)
    pick[np.eye(n, k=offset, dtype=bool)] = np.arange(input.shape[-1])
    out = input[..., Tensor._wrap(pick)] * eye  # (..., n, n)
    nd = out.ndim
    d1, d2 = dim1 % nd, dim2 % nd
    return out.movedim((nd - 2, nd - 1), (d1, d2))


def vander(x, N=None, increasing=False):  # noqa: N803 - PyTorch's name
    """Columns x^(N-1) ... x^0 (or x^0 ... x^(N-1) when ``increasing``)."""
    n = x.shape[0] if N is None else N
    p = np.arange(n)
    if not increasing:
        p = p[::-1]
    powers = Tensor._wrap(np.ascontiguousarray(p).astype(np.int64))
    base = x if x._array.dtype.kind != "b" else x.long()
    return base.unsqueeze(-1) ** powers.to(base.dtype)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """Trapezoid rule: sum (y_i + y_{i+1}) / 2 (x_{i+1} - x_i) along ``dim``."""
    n = y.shape[dim]
    a, b = y.narrow(dim, 0, n - 1), y.narrow(dim, 1, n - 1)
    if x is None:
        return ((a + b) * (0.5 * (1.0 if dx is None else dx))).sum(dim)
    dxs = x.diff(dim=dim if x.ndim == y.ndim else -1)
    return ((a + b) * dxs * 0.5).sum(dim)


trapz = trapezoid


def addr(input, vec1, vec2, *, beta=1, alpha=1):  # noqa: A002
    """beta input + alpha outer(vec1, vec2)."""
    o = vec1.outer(vec2)
    return (input if beta == 1 else input * beta) + (o if alpha == 1 else o * alpha)


def index_put(input, indices, values, accumulate=False):  # noqa: A002
    return input.index_put(indices, values, accumulate)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False, **_):
    """An uninitialised (zero here) tensor of ``size``; strides are C order in chaingrad."""
    from .creation import zeros
    return zeros(tuple(size), dtype=dtype, requires_grad=requires_grad)


_DETERMINISTIC = [False]


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Recorded only: every chaingrad algorithm is deterministic already."""
    _DETERMINISTIC[0] = bool(mode)


def are_deterministic_algorithms_enabled() -> bool:
    return _DETERMINISTIC[0]
