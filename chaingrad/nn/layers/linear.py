"""``Linear`` (y = x W^T + b) with PyTorch's default init."""
from __future__ import annotations

import math

from ..module import Module
from .. import init
from ... import backend
from ...backend import xp
from ...tensor import Parameter


def _empty_param(shape, dtype=None, device=None):
    """An uninitialised float Parameter (filled by ``reset_parameters``)."""
    if device is not None and str(backend.Device(device)) != "cpu":
        raise RuntimeError(f"device {device!r} is not available (chaingrad runs on cpu)")
    neg = [d for d in shape if d < 0]
    if neg:
        raise RuntimeError(f"Trying to create tensor with negative dimension {neg[0]}: "
                           f"{list(shape)}")
    npd = backend.np_dtype(dtype) or backend.default_float_dtype()
    return Parameter(xp.empty(shape, dtype=npd))


def _weight_and_bias(module, weight_shape, out_features, bias, dtype, device):
    """Give ``module`` an uninitialised ``weight`` of ``weight_shape`` and a ``bias`` of
    ``(out_features,)`` (or a registered None when ``bias`` is false): Linear and Conv."""
    module.weight = _empty_param(weight_shape, dtype, device)
    if bias:
        module.bias = _empty_param((out_features,), dtype, device)
    else:
        module.register_parameter("bias", None)


def _default_init_(weight, bias, zero_fan_in_bias):
    """PyTorch's default init of Linear and Conv: W ~ kaiming_uniform(a=sqrt(5)) =
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)). With
    ``fan_in == 0`` Linear draws b from U(0, 0) (``zero_fan_in_bias``), Conv leaves b as is."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
        if fan_in > 0:
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(bias, -bound, bound)
        elif zero_fan_in_bias:
            init.uniform_(bias, 0, 0)


class Linear(Module):
    """Fully connected layer: ``y = x W^T + b``.

    Args: ``in_features``, ``out_features``, ``bias=True``, ``device=None``, ``dtype=None``.
    Init (PyTorch's): W ~ kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)),
    b ~ U(-1/sqrt(in), 1/sqrt(in)).  Input (..., in) -> output (..., out).

        fc = cg.nn.Linear(20, 30); y = fc(cg.randn(128, 20))   # (128, 30)
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        _weight_and_bias(self, (out_features, in_features), out_features, bias, dtype, device)
        self.reset_parameters()

    def reset_parameters(self):
        _default_init_(self.weight, self.bias, zero_fan_in_bias=True)

    def forward(self, input):  # noqa: A002
        from ..functional import linear
        return linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """y_o = x1^T A_o x2 + b_o.

    Args: ``in1_features``, ``in2_features``, ``out_features``, ``bias=True``. Init
    (PyTorch's): A and b ~ U(-1/sqrt(in1), 1/sqrt(in1)). Inputs (..., in1), (..., in2) ->
    (..., out).

        bl = cg.nn.Bilinear(20, 30, 40); y = bl(cg.randn(128, 20), cg.randn(128, 30))
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        super().__init__()
        if in1_features <= 0:
            raise ValueError(f"in1_features must be > 0, but got (in1_features={in1_features})")
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        _weight_and_bias(self, (out_features, in1_features, in2_features), out_features, bias,
                         dtype, device)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        from ..functional import bilinear
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
