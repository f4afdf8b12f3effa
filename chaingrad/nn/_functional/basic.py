"""``F.linear`` and the other small functional helpers."""
from __future__ import annotations

from ...tensor import Tensor
from ...ops import nn_ops
from ...autograd.function import backward_named


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
    if input._array.dtype != weight._array.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{input.dtype.name} and {weight.dtype.name}")
    if weight.ndim == 1:  # a single output feature: (..., in) @ (in,) -> (...)
        if bias is not None:  # PyTorch's addmm path refuses it
            raise RuntimeError("mat2 must be a matrix, got 1-D tensor")
        return input.matmul(weight)
    if weight.ndim != 2:
        raise RuntimeError(f"linear: weight must be 1-D or 2-D, got {weight.ndim}-D")
    if bias is None:
        out = nn_ops.Linear.apply(input, weight)
    else:
        out = nn_ops.Linear.apply(input, weight, bias)
    # PyTorch's node: addmm (mm without bias) for a batch of vectors, a view otherwise
    return backward_named(out, ("AddmmBackward0" if bias is not None else "MmBackward0")
                          if input.ndim == 2 else "ViewBackward0")


def bilinear(input1, input2, weight, bias=None):
    """y_o = sum_ij x1_i A_oij x2_j + b_o over the leading (batch) dims, one einsum.

        y = F.bilinear(x1, x2, A, b)     # (N, in1), (N, in2), (out, in1, in2) -> (N, out)
    """
    from ...ops.linalg import einsum
    named = [("input1", input1), ("input2", input2), ("weight", weight)] + (
        [("bias", bias)] if bias is not None else [])
    if len({t._array.dtype for _, t in named}) > 1:
        c_names = {"float64": "double", "float32": "float", "float16": "c10::Half"}
        raise RuntimeError("All tensors must have the same dtype, got " + ", ".join(
            f"{n}: {c_names.get(t._array.dtype.name, t._array.dtype.name)}" for n, t in named))
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}")
    if weight.ndim != 3 or (weight.shape[1], weight.shape[2]) != (input1.shape[-1],
                                                                    input2.shape[-1]):
        raise RuntimeError(f"bilinear(): weight of shape {list(weight.shape)} does not fit "
                           f"inputs of sizes {input1.shape[-1]} and {input2.shape[-1]}")
    y = einsum("...i,oij,...j->...o", input1, weight, input2)
    return y + bias if bias is not None else y
