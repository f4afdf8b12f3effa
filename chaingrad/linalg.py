"""``chaingrad.linalg`` (PyTorch's ``torch.linalg``): vector and matrix norms and the cross
product, composed from differentiable ops.

    vector_norm(x, ord):  (sum |x_i|^ord)^(1/ord); inf -> max |x_i|, -inf -> min |x_i|,
                          0 -> number of non-zeros
    matrix_norm(A, 'fro'): sqrt(sum A_ij^2);  ord 1 / inf: max column / row abs sum
    cross(a, b):          (a2 b3 - a3 b2, a3 b1 - a1 b3, a1 b2 - a2 b1) along ``dim``

Example: ``cg.linalg.norm(cg.tensor([3., 4.]))`` is ``tensor(5.)``.
"""
from __future__ import annotations

from .tensor import Tensor
from .ops.shape import stack

__all__ = ["vector_norm", "matrix_norm", "norm", "cross", "vecdot"]


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    if dtype is not None:
        x = x.to(dtype)
    if ord == 0:
        return (x != 0).to(x.dtype).sum(dim, keepdim)
    if dim is None and not keepdim:
        x = x.reshape(-1)
    return x.norm(ord, dim, keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):  # noqa: A002
    if dtype is not None:
        A = A.to(dtype)
    if A.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 "
                           f"dimensions.")
    d0, d1 = (d % A.ndim for d in dim)
    if ord == "fro":
        return A.norm(2, (d0, d1), keepdim)
    if ord in (1, -1, float("inf"), float("-inf")):
        sum_dim, red_dim = (d0, d1) if ord in (1, -1) else (d1, d0)
        s = A.abs().sum(sum_dim, keepdim=True)
        r = s.amax(red_dim, keepdim=True) if ord > 0 else s.amin(red_dim, keepdim=True)
        return r if keepdim else r.squeeze((d0, d1))
    raise NotImplementedError(f"linalg.matrix_norm: ord={ord!r} is not supported "
                              f"('fro', 1, -1, inf, -inf)")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """Vector norm for 1-D input or an int ``dim``; matrix norm for 2-D input or a 2-tuple
    ``dim``; ``ord=None`` is the 2-norm of the flattened input when ``dim`` is None."""
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        if dim is None or len(dim) == 1:
            return vector_norm(A, 2, dim, keepdim, dtype=dtype)
        return matrix_norm(A, "fro", dim, keepdim, dtype=dtype)
    if isinstance(ord, str) or (dim is not None and len(dim) == 2) or (dim is None and A.ndim == 2):
        return matrix_norm(A, ord, dim if dim is not None else (-2, -1), keepdim, dtype=dtype)
    if dim is None and A.ndim != 1:
        raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must be "
                           "1D or 2D.")
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)


def cross(input, other, *, dim=-1):  # noqa: A002
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[dim]} and {other.shape[dim]}")
    a = [input.select(dim, i) for i in range(3)]
    b = [other.select(dim, i) for i in range(3)]
    parts = [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    d = dim % max(input.ndim, other.ndim)
    return stack(parts, d)


def vecdot(x, y, *, dim=-1):
    return (x * y).sum(dim)


Tensor.cross = lambda self, other, dim=None: cross(self, other, dim=-1 if dim is None else dim)
