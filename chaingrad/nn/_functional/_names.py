"""PyTorch's grad_fn names for functions that PyTorch computes in one node and chaingrad
composes from a few ops (``F.glu`` is a slice, a sigmoid and a product here, ``GluBackward0``
there): the last node takes PyTorch's name, so ``y.grad_fn.name()`` reads the same."""
from __future__ import annotations

import functools

from ...tensor import Tensor
from ...autograd.function import backward_named


def node_named(name, batched_ndim=None):
    """Decorator: name the grad_fn of the (first) result ``name``, unless the function handed
    back one of its inputs unchanged (an identity must keep its own node's name) or, with
    ``batched_ndim``, the input is unbatched (PyTorch's last node is then the squeeze)."""
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            out = fn(*args, **kwargs)
            first = out[0] if isinstance(out, tuple) else out
            x = args[0] if args else next(iter(kwargs.values()), None)
            if batched_ndim is not None and getattr(x, "ndim", batched_ndim) != batched_ndim:
                return out
            if isinstance(first, Tensor) and not any(first is a for a in args) \
                    and not any(first is v for v in kwargs.values()):
                backward_named(first, name)
            return out
        return wrapper
    return decorate
