"""Flatten parameters into one vector and back (for line searches, second-order methods)."""
from __future__ import annotations

from ...tensor import Tensor
from ...ops.shape import cat


def parameters_to_vector(parameters):
    """One 1-D tensor holding every parameter, flattened and concatenated (differentiable)."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of ``vec`` into the parameters (in place, no graph)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected Tensor, but got: {type(vec).__name__}")
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    i = 0
    for p in parameters:
        n = p.numel()
        if i + n > vec.numel():
            raise RuntimeError(f"shape '{list(p.shape)}' is invalid for input of size "
                               f"{max(vec.numel() - i, 0)}")
        p._array = vec._array[i:i + n].reshape(p.shape).astype(p._array.dtype, copy=True)
        p._version_counter.value += 1
        i += n
