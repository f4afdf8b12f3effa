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
    npd = backend.np_dtype(dtype) or backend.default_float_dtype()
    return Parameter(xp.empty(shape, dtype=npd))


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
        self.weight = _empty_param((out_features, in_features), dtype, device)
        if bias:
            self.bias = _empty_param((out_features,), dtype, device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):  # noqa: A002
        from ..functional import linear
        return linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
