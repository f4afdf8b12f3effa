"""One-input elementwise functions (exp, log, sqrt, trig, tanh, sigmoid, relu ...): each
forward with its local derivative right below it. ``chaingrad.ops.elementwise`` re-exports
them with the arithmetic ops.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..backend import xp
from ..autograd.function import Op
from ..tensor import Tensor
from .elementwise import as_tensor_operand, _float_input


class Exp(Op):
    quiet = True
    pointwise = True
    save_output = True
    forward = staticmethod(xp.exp)  # the ufunc itself: no Python frame per call

    def backward(self, g, F):  # d e^x = e^x
        return g * self.output(F)


class Log(Op):
    quiet = True
    pointwise = True
    save_inputs = (0,)
    forward = staticmethod(xp.log)

    def backward(self, g, F):  # d ln x = 1 / x
        (x,) = self.inputs(F)
        return g / x


class Log2(Op):
    quiet = True
    pointwise = True
    save_inputs = (0,)

    def forward(self, x):
        return xp.log2(x)

    def backward(self, g, F):  # d log2 x = 1 / (x ln 2)
        (x,) = self.inputs(F)
        return g / (x * float(np.log(2.0)))


class Log10(Op):
    quiet = True
    pointwise = True
    save_inputs = (0,)

    def forward(self, x):
        return xp.log10(x)

    def backward(self, g, F):  # d log10 x = 1 / (x ln 10)
        (x,) = self.inputs(F)
        return g / (x * float(np.log(10.0)))


class Log1p(Op):
    quiet = True
    pointwise = True
    save_inputs = (0,)

    def forward(self, x):
        return xp.log1p(x)

    def backward(self, g, F):  # d ln(1 + x) = 1 / (1 + x)
        (x,) = self.inputs(F)
        return g / (x + 1)


class Expm1(Op):
    quiet = True
    pointwise = True
    save_output = True

    def forward(self, x):
        return xp.expm1(x)

    def backward(self, g, F):  # d (e^x - 1) = e^x = y + 1
        return g * (self.output(F) + 1)


class Sqrt(Op):
    quiet = True
    pointwise = True
    save_output = True
    forward = staticmethod(xp.sqrt)

    def backward(self, g, F):  # d sqrt(x) = 1 / (2 sqrt(x))
        return g / (2 * self.output(F))


class Rsqrt(Op):
    quiet = True
    pointwise = True
    save_output = True

    def forward(self, x):
        return 1 / xp.sqrt(x)

    def backward(self, g, F):  # d x^(-1/2) = -1/2 x^(-3/2) = -y^3 / 2
        y = self.output(F)
        return g * (-0.5 * y * y * y)


class Square(Op):
    pointwise = True
    save_inputs = (0,)

    def forward(self, x):
        return x * x

    def backward(self, g, F):  # d x^2 = 2x
        (x,) = self.inputs(F)
        return g * (2 * x)


class Abs(Op):
    pointwise = True
    save_inputs = (0,)
    forward = staticmethod(xp.abs)

    def backward(self, g, F):  # d |x| = sign(x)  (0 at 0, as PyTorch)
        (x,) = self.inputs(F)
        return g * F.sign(x)


class Sign(Op):
    pointwise = True

    def forward(self, x):
        self.shape = x.shape
        out = xp.sign(x)
        if out.dtype.kind == "f":  # PyTorch: sign(nan) = 0
            out = xp.where(out != out, out.dtype.type(0), out)
        return out

    def backward(self, g, F):  # sign is flat almost everywhere
        return g * 0


class Reciprocal(Op):
    quiet = True
    pointwise = True
    save_output = True

    def forward(self, x):
        if x.dtype.kind in "iub":
            x = x.astype(backend.default_float_dtype())
        return 1 / x

    def backward(self, g, F):  # d (1/x) = -1/x^2 = -y^2
        y = self.output(F)
        return -g * y * y


class Sin(Op):
    pointwise = True
    save_inputs = (0,)
    forward = staticmethod(xp.sin)

    def backward(self, g, F):  # d sin x = cos x
        (x,) = self.inputs(F)
        return g * F.cos(x)


class Cos(Op):
    pointwise = True
    save_inputs = (0,)
    forward = staticmethod(xp.cos)

    def backward(self, g, F):  # d cos x = -sin x
        (x,) = self.inputs(F)
        return -g * F.sin(x)


class Tan(Op):
    pointwise = True
    save_output = True
    forward = staticmethod(xp.tan)

    def backward(self, g, F):  # d tan x = 1 + tan^2 x
        y = self.output(F)
        return g * (1 + y * y)


class Tanh(Op):
    pointwise = True
    save_output = True
    forward = staticmethod(xp.tanh)

    def backward(self, g, F):  # d tanh x = 1 - tanh^2 x
        y = self.output(F)
        return g - g * y * y  # = g (1 - y^2), without a Python scalar (slow on small arrays)


def _sigmoid(x):
    # stable on both tails: exp never sees a large positive argument
    out = xp.empty_like(x)
    pos = x >= 0
    out[pos] = 1 / (1 + xp.exp(-x[pos]))
    e = xp.exp(x[~pos])
    out[~pos] = e / (1 + e)
    return out


class Sigmoid(Op):
    pointwise = True
    save_output = True

    def forward(self, x):
        if x.dtype == xp.float16:  # computed in float32, as PyTorch does
            return _sigmoid(x.astype(xp.float32)).astype(xp.float16)
        return _sigmoid(x)

    def backward(self, g, F):  # d sigma(x) = sigma (1 - sigma)
        y = self.output(F)
        return g * (y - y * y)


class Relu(Op):
    pointwise = True
    save_output = True

    def forward(self, x):
        return xp.maximum(x, 0)

    def backward(self, g, F):  # d relu(x) = [x > 0]
        y = self.output(F)
        mask = (y._array if F.graph else y) > 0
        if F.owns_grad:  # the engine's own buffer: mask it in place (no new array)
            return xp.multiply(g, mask, out=g)
        return g * mask


def _make_unary(op_cls, float_only=True, on_bool=None):
    """The function of a one-input op; ``on_bool(x)``: what a bool input gives instead (ops
    that keep integer dtypes treat bools each their own way in PyTorch)."""
    def fn(x):
        if not isinstance(x, Tensor):
            x = as_tensor_operand(x)
        if float_only and x._array.dtype.kind in "iub":
            x = _float_input(x)
        elif on_bool is not None and x._array.dtype.kind == "b":
            return on_bool(x)
        return op_cls.apply(x)
    fn.__name__ = fn.__qualname__ = op_cls.__name__.lower()
    fn.__doc__ = f"Elementwise {fn.__name__}; derivative in ``{op_cls.__name__}.backward``."
    fn.op_class, fn.float_only = op_cls, float_only  # (for the compiled Tensor methods)
    return fn


exp = _make_unary(Exp)
log = _make_unary(Log)
log2 = _make_unary(Log2)
log10 = _make_unary(Log10)
log1p = _make_unary(Log1p)
expm1 = _make_unary(Expm1)
sqrt = _make_unary(Sqrt)
rsqrt = _make_unary(Rsqrt)
def _refuse(message, error=RuntimeError):
    def refuse(x):
        raise error(message)
    return refuse


# PyTorch on bool tensors: square counts in int64, sign keeps them, abs and relu refuse them
square = _make_unary(Square, float_only=False,
                     on_bool=lambda x: Square.apply(x.to(backend.int64)))
abs = _make_unary(Abs, float_only=False,  # noqa: A001
                  on_bool=_refuse("\"abs_cpu\" not implemented for 'Bool'", NotImplementedError))
sign = _make_unary(Sign, float_only=False, on_bool=lambda x: Tensor._wrap(x._array.copy()))
reciprocal = _make_unary(Reciprocal, float_only=False)
sin = _make_unary(Sin)
cos = _make_unary(Cos)
tan = _make_unary(Tan)
tanh = _make_unary(Tanh)
sigmoid = _make_unary(Sigmoid)
relu = _make_unary(Relu, float_only=False,
                   on_bool=_refuse("Boolean inputs not supported for relu"))
