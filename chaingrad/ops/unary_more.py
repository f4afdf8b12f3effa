"""More one-input elementwise functions (inverse trig, hyperbolic, exp2, erf family), each
forward with its local derivative right below it; same conventions as ``unary.py``."""
from __future__ import annotations

import math

from ..backend import xp
from ..autograd.function import Op
from .unary import _make_unary


class Asin(Op):
    quiet = True
    pointwise = True
    save_inputs = (0,)

    def forward(self, x):
        return xp.arcsin(x)

    def backward(self, g, F):  # d asin x = 1 / sqrt(1 - x^2)
        (x,) = self.inputs(F)
        return g / F.sqrt(1 - x * x)


class Acos(Op):
    quiet = True
    pointwise = True
    save_inputs = (0,)

    def forward(self, x):
        return xp.arccos(x)

    def backward(self, g, F):  # d acos x = -1 / sqrt(1 - x^2)
        (x,) = self.inputs(F)
        return -g / F.sqrt(1 - x * x)


class Atan(Op):
    pointwise = True
    save_inputs = (0,)

    def forward(self, x):
        return xp.arctan(x)

    def backward(self, g, F):  # d atan x = 1 / (1 + x^2)
        (x,) = self.inputs(F)
        return g / (1 + x * x)


class Sinh(Op):
    quiet = True
    pointwise = True
    save_inputs = (0,)

    def forward(self, x):
        return xp.sinh(x)

    def backward(self, g, F):  # d sinh x = cosh x = (e^x + e^-x) / 2
        (x,) = self.inputs(F)
        return g * (F.exp(x) + F.exp(-x)) * 0.5


class Cosh(Op):
    quiet = True
    pointwise = True
    save_inputs = (0,)

    def forward(self, x):
        return xp.cosh(x)

    def backward(self, g, F):  # d cosh x = sinh x = (e^x - e^-x) / 2
        (x,) = self.inputs(F)
        return g * (F.exp(x) - F.exp(-x)) * 0.5


class Asinh(Op):
    pointwise = True
    save_inputs = (0,)

    def forward(self, x):
        return xp.arcsinh(x)

    def backward(self, g, F):  # d asinh x = 1 / sqrt(x^2 + 1)
        (x,) = self.inputs(F)
        return g / F.sqrt(x * x + 1)


class Acosh(Op):
    quiet = True
    pointwise = True
    save_inputs = (0,)

    def forward(self, x):
        return xp.arccosh(x)

    def backward(self, g, F):  # d acosh x = 1 / sqrt(x^2 - 1)
        (x,) = self.inputs(F)
        return g / F.sqrt(x * x - 1)


class Atanh(Op):
    quiet = True
    pointwise = True
    save_inputs = (0,)

    def forward(self, x):
        return xp.arctanh(x)

    def backward(self, g, F):  # d atanh x = 1 / (1 - x^2)
        (x,) = self.inputs(F)
        return g / (1 - x * x)


class Exp2(Op):
    quiet = True
    pointwise = True
    save_output = True

    def forward(self, x):
        return xp.exp2(x)

    def backward(self, g, F):  # d 2^x = 2^x ln 2
        return g * self.output(F) * math.log(2.0)


class Erf(Op):
    pointwise = True
    save_inputs = (0,)

    def forward(self, x):
        from scipy import special
        return special.erf(x).astype(x.dtype, copy=False)

    def backward(self, g, F):  # d erf x = 2 / sqrt(pi) e^(-x^2)
        (x,) = self.inputs(F)
        return g * F.exp(-(x * x)) * (2.0 / math.sqrt(math.pi))


class Erfinv(Op):
    quiet = True
    pointwise = True
    save_output = True

    def forward(self, x):
        from scipy import special
        return special.erfinv(x).astype(x.dtype, copy=False)

    def backward(self, g, F):  # d erfinv x = sqrt(pi) / 2 e^(y^2)
        y = self.output(F)
        return g * F.exp(y * y) * (math.sqrt(math.pi) / 2.0)


asin = arcsin = _make_unary(Asin)
acos = arccos = _make_unary(Acos)
atan = arctan = _make_unary(Atan)
sinh = _make_unary(Sinh)
cosh = _make_unary(Cosh)
asinh = arcsinh = _make_unary(Asinh)
acosh = arccosh = _make_unary(Acosh)
atanh = arctanh = _make_unary(Atanh)
exp2 = _make_unary(Exp2)
erf = _make_unary(Erf)
erfinv = _make_unary(Erfinv)


def erfc(x):
    """1 - erf(x)."""
    return 1 - erf(x)


def frac(x):
    """x - trunc(x) (gradient 1)."""
    return x - x.trunc()


NAMES = ("asin arcsin acos arccos atan arctan sinh cosh asinh arcsinh acosh arccosh atanh "
         "arctanh exp2 erf erfinv erfc frac").split()
