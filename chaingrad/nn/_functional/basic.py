"""``F.linear`` and the other small functional helpers."""
from __future__ import annotations

from ...tensor import Tensor
from ...ops import nn_ops


def _check_tensor(x, name, fn):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' must be Tensor, not {type(x).__name__}")


def linear(input, weight, bias=None):  # noqa: A002 - PyTorch's name
    """y = x W^T + b, fused in one graph node.

    ``input`` (..., in), ``weight`` (out, in), ``bias`` (out,) or None -> (..., out);
    a 1-D ``weight`` (in,) without bias gives (...), as PyTorch.

        y = F.linear(x, w, b)
    """
    _check_tensor(input, "input", "linear")
    _check_tensor(weight, "weight", "linear")
    if input.shape[-1] != weight.shape[-1]:
        a = "x".join(map(str, (int(input.numel() // max(input.shape[-1], 1)), input.shape[-1])))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a} and "
                           f"{weight.shape[1]}x{weight.shape[0]})")
    if input.data.dtype != weight.data.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{input.dtype.name} and {weight.dtype.name}")
    if weight.ndim == 1:  # a single output feature: (..., in) @ (in,) -> (...)
        if bias is not None:  # PyTorch's addmm path refuses it
            raise RuntimeError("mat2 must be a matrix, got 1-D tensor")
        return input.matmul(weight)
    if weight.ndim != 2:
        raise RuntimeError(f"linear: weight must be 1-D or 2-D, got {weight.ndim}-D")
    if bias is None:
        return nn_ops.Linear.apply(input, weight)
    return nn_ops.Linear.apply(input, weight, bias)
