"""Activation layers: thin modules around ``chaingrad.nn.functional`` (formulas there)."""
from __future__ import annotations

from ..module import Module
from .. import functional as F


def _simple(name, fn, doc, inplace_arg=True, repr_inplace=True):
    """A parameter-free activation module calling ``fn`` (with ``inplace`` if it has one)."""
    def __init__(self, inplace=False):
        Module.__init__(self)
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return fn(input, inplace=self.inplace) if inplace_arg else fn(input)

    def extra_repr(self):
        return "inplace=True" if repr_inplace and inplace_arg and self.inplace else ""

    init = __init__ if inplace_arg else (lambda self: Module.__init__(self))
    cls = type(name, (Module,), {"__init__": init, "forward": forward, "extra_repr": extra_repr,
                                 "__doc__": doc, "__module__": __name__})
    return cls


ReLU = _simple("ReLU", F.relu, "relu(x) = max(x, 0).  Args: inplace=False.")
ReLU6 = _simple("ReLU6", F.relu6, "min(max(x, 0), 6).  Args: inplace=False.")
ReLU6.min_val, ReLU6.max_val = 0.0, 6.0  # PyTorch's ReLU6 is a Hardtanh(0, 6)
SiLU = _simple("SiLU", F.silu, "x * sigmoid(x).  Args: inplace=False.")
Mish = _simple("Mish", F.mish, "x * tanh(softplus(x)).  Args: inplace=False.")
# PyTorch's Hardswish/Hardsigmoid print no inplace flag
Hardswish = _simple("Hardswish", F.hardswish, "x * relu6(x + 3) / 6.  Args: inplace=False.",
                    repr_inplace=False)
Hardsigmoid = _simple("Hardsigmoid", F.hardsigmoid, "relu6(x + 3) / 6.", repr_inplace=False)
SELU = _simple("SELU", F.selu, "scale * elu(x, alpha) (self-normalising constants).")
Sigmoid = _simple("Sigmoid", F.sigmoid, "1 / (1 + e^-x).", inplace_arg=False)
Tanh = _simple("Tanh", F.tanh, "tanh(x).", inplace_arg=False)
LogSigmoid = _simple("LogSigmoid", F.logsigmoid, "log(sigmoid(x)), stable.", inplace_arg=False)
Softsign = _simple("Softsign", F.softsign, "x / (1 + |x|).", inplace_arg=False)
Tanhshrink = _simple("Tanhshrink", F.tanhshrink, "x - tanh(x).", inplace_arg=False)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x.  Args: negative_slope=0.01, inplace=False."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """x if x > 0 else alpha (e^x - 1).  Args: alpha=1.0, inplace=False."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """x * Phi(x).  Args: approximate='none' | 'tanh'."""

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):  # noqa: A002
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """log(1 + e^(beta x)) / beta (linear above ``threshold``).  Args: beta=1.0,
    threshold=20.0."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):  # noqa: A002
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """clamp(x, min_val, max_val).  Args: min_val=-1.0, max_val=1.0, inplace=False."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if min_val > max_val:
            raise ValueError("min_val cannot be greater than max_val")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + (
            ", inplace=True" if self.inplace else "")


class Threshold(Module):
    """x where x > threshold, else value."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):  # noqa: A002
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + (
            ", inplace=True" if self.inplace else "")


class _SoftmaxBase(Module):
    _fn = None

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):  # noqa: A002
        return type(self)._fn(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_SoftmaxBase):
    """e^x_i / sum_j e^x_j along ``dim``."""
    _fn = staticmethod(F.softmax)


class LogSoftmax(_SoftmaxBase):
    """log softmax along ``dim`` (stable)."""
    _fn = staticmethod(F.log_softmax)


class Softmin(_SoftmaxBase):
    """softmax(-x) along ``dim``."""
    _fn = staticmethod(F.softmin)


class Softmax2d(Module):
    """Softmax over the channels of (N, C, H, W) or (C, H, W) input (dim -3)."""

    def forward(self, input):  # noqa: A002
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got "
                             f"{input.ndim}D instead")
        return F.softmax(input, -3)


class PReLU(Module):
    """x if x > 0 else a x with learnable a (``num_parameters`` of them, init ``init``)."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        from .linear import _empty_param
        self.num_parameters = num_parameters
        self.init = init
        self.weight = _empty_param((num_parameters,), dtype, device)
        self.weight._array[...] = init

    def forward(self, input):  # noqa: A002
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class GLU(Module):
    """a * sigmoid(b) for the halves of the input along ``dim`` (default -1)."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):  # noqa: A002
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


__all__ = ["ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "GELU", "SiLU", "Mish", "Hardswish",
           "Hardsigmoid", "Sigmoid", "Tanh", "Softplus", "Softmax", "LogSoftmax", "Softmin",
           "Hardtanh", "LogSigmoid", "Softsign", "Tanhshrink", "Threshold", "PReLU", "GLU"]


class RReLU(Module):
    """Randomized leaky ReLU: slope ~ U(lower, upper) per element in training, the mean slope
    in eval.  Args: lower=1/8, upper=1/3, inplace=False."""

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):  # noqa: A002
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace
                                                           else "")
