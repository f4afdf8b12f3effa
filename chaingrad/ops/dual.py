"""One backward formula, two ways to run it.

Every op's ``backward(g, F)`` is written against the small namespace ``F``. The engine passes

* ``ARRAY_MATH`` for an ordinary backward pass: ``F`` computes on raw arrays, nothing is
  recorded, no Tensor objects are made (the fast path);
* ``OWNED_ARRAY_MATH``: the same, when the engine alone refers to the incoming gradient array
  (``F.owns_grad``): a backward may then write its result into that array instead of a new one;
* ``TENSOR_MATH`` for ``create_graph=True``: ``F`` computes with chaingrad's own differentiable
  ops, so the backward pass is itself a graph and can be differentiated again, to any order.

Arithmetic operators (``+ - * / **``, ``@``) work the same on both. Only what an operator
cannot express lives here, with NumPy-style signatures (``axis=``, ``keepdims=``).
"""
from __future__ import annotations

from ..backend import xp


def _sum_to_axes(shape_from, shape_to):
    lead = len(shape_from) - len(shape_to)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape_to) if s == 1 and shape_from[lead + i] != 1)
    return axes


class _ArrayMath:
    graph = False
    owns_grad = False  # whether backward may overwrite its incoming gradient array
    xp = xp

    @staticmethod
    def asarray(x):
        return xp.asarray(x)

    @staticmethod
    def zeros(shape, dtype):
        return xp.zeros(shape, dtype=dtype)

    @staticmethod
    def owned_copy(g, dtype):
        return xp.array(g, dtype=dtype, copy=True, order="K")

    @staticmethod
    def sum_to(g, shape):
        """Sum ``g`` over the axes broadcasting added, back to ``shape``."""
        shape = tuple(shape)
        if g.shape == shape:
            return g
        if len(g.shape) < len(shape):
            return xp.broadcast_to(g, shape)
        axes = _sum_to_axes(g.shape, shape)
        if axes:
            g = g.sum(axis=axes, keepdims=True)
        return g.reshape(shape)

    @staticmethod
    def cast(x, dtype):
        return x.astype(dtype, copy=False)

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return x.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def broadcast_to(x, shape):
        return xp.broadcast_to(x, shape)

    @staticmethod
    def reshape(x, shape):
        return x.reshape(shape)

    @staticmethod
    def transpose(x, axes):
        return x.transpose(axes)

    @staticmethod
    def swapaxes(x, a, b):
        return xp.swapaxes(x, a, b)

    @staticmethod
    def expand_dims(x, axis):
        return xp.expand_dims(x, axis)

    @staticmethod
    def where(cond, a, b):
        return xp.where(cond, a, b)

    @staticmethod
    def getitem(x, index):
        return x[index]

    @staticmethod
    def scatter_add(shape, index, g, basic=False):
        """A zero array of ``shape`` with ``g`` added at ``index`` (repeats accumulate)."""
        out = xp.zeros(shape, dtype=g.dtype)
        if basic:
            out[index] = g
        else:
            xp.add.at(out, index, g)
        return out

    @staticmethod
    def concatenate(xs, axis):
        return xp.concatenate(xs, axis=axis)

    @staticmethod
    def matmul(a, b):
        if a.ndim == 2 and b.ndim == 2 and a.__class__ is b.__class__ is xp.ndarray:
            # np.dot always reaches BLAS; np.matmul runs a slow non-BLAS loop for some
            # layouts, e.g. a batch of one's weight gradient g^T x (a (n, 1) transposed row
            # times a (1, k) row: 20x slower)
            return xp.dot(a, b)
        return a @ b

    exp = staticmethod(xp.exp)
    log = staticmethod(xp.log)
    sqrt = staticmethod(xp.sqrt)
    sin = staticmethod(xp.sin)
    cos = staticmethod(xp.cos)
    tanh = staticmethod(xp.tanh)
    sign = staticmethod(xp.sign)
    abs = staticmethod(xp.abs)
    maximum = staticmethod(xp.maximum)
    minimum = staticmethod(xp.minimum)

    @staticmethod
    def sigmoid(x):
        from .elementwise import _sigmoid
        return _sigmoid(x)


class _TensorMath:
    graph = True
    owns_grad = False
    xp = xp

    @staticmethod
    def _ops():
        from . import elementwise, reduce, shape, linalg  # noqa: F401  (import on first use)
        return elementwise, reduce, shape, linalg

    @staticmethod
    def asarray(x):
        from ..tensor import Tensor
        return x if isinstance(x, Tensor) else Tensor._wrap(xp.asarray(x))

    @staticmethod
    def zeros(shape, dtype):
        from ..tensor import Tensor
        return Tensor._wrap(xp.zeros(shape, dtype=dtype))

    @staticmethod
    def sum_to(g, shape):
        from .shape import sum_to
        return sum_to(g, tuple(shape))

    @staticmethod
    def cast(x, dtype):
        return x.to(dtype)

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return x.sum(dim=axis, keepdim=keepdims)

    @staticmethod
    def broadcast_to(x, shape):
        return x.expand(*shape)

    @staticmethod
    def reshape(x, shape):
        return x.reshape(*shape) if isinstance(shape, tuple) else x.reshape(shape)

    @staticmethod
    def transpose(x, axes):
        return x.permute(*axes)

    @staticmethod
    def swapaxes(x, a, b):
        return x.transpose(a, b)

    @staticmethod
    def expand_dims(x, axis):
        if isinstance(axis, int):
            return x.unsqueeze(axis)
        for a in sorted(a % (x.ndim + len(axis)) for a in axis):
            x = x.unsqueeze(a)
        return x

    @staticmethod
    def where(cond, a, b):
        from .elementwise import where
        return where(cond, a, b)

    @staticmethod
    def getitem(x, index):
        return x[index]

    @staticmethod
    def scatter_add(shape, index, g, basic=False):
        from .shape import index_scatter
        return index_scatter(g, shape, index, basic)

    @staticmethod
    def concatenate(xs, axis):
        from .shape import cat
        return cat(list(xs), axis)

    @staticmethod
    def matmul(a, b):
        return a @ b

    @staticmethod
    def exp(x):
        return x.exp()

    @staticmethod
    def log(x):
        return x.log()

    @staticmethod
    def sqrt(x):
        return x.sqrt()

    @staticmethod
    def sin(x):
        return x.sin()

    @staticmethod
    def cos(x):
        return x.cos()

    @staticmethod
    def tanh(x):
        return x.tanh()

    @staticmethod
    def sigmoid(x):
        return x.sigmoid()

    @staticmethod
    def sign(x):
        return x.sign()

    @staticmethod
    def abs(x):
        return x.abs()

    @staticmethod
    def maximum(a, b):
        from .elementwise import maximum
        return maximum(a, b)

    @staticmethod
    def minimum(a, b):
        from .elementwise import minimum
        return minimum(a, b)


class _OwnedArrayMath(_ArrayMath):
    owns_grad = True


ARRAY_MATH = _ArrayMath()
OWNED_ARRAY_MATH = _OwnedArrayMath()
TENSOR_MATH = _TensorMath()
