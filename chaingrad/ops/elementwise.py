"""Elementwise ops: each forward with its local derivative right below it.

Broadcasting follows NumPy; the engine sums each gradient back to its input's shape, so no op
here undoes broadcasting itself.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..backend import xp
from ..autograd.function import Op, backward_named
from ..tensor import Tensor


# -- operands -------------------------------------------------------------------------------
def as_tensor_operand(value, like=None) -> Tensor:
    """Tensors pass through; Python scalars take the dtype PyTorch would give them."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray):
        return Tensor._wrap(value)
    if like is not None and isinstance(value, (int, float, bool, np.generic)):
        try:
            return Tensor._wrap(backend.scalar_array(value, like._array))
        except OverflowError:  # an int outside a small integer dtype wraps around, as PyTorch
            if not isinstance(value, int) or like._array.dtype.kind not in "iu":
                raise
            return Tensor._wrap(np.asarray(value, dtype=np.int64).astype(like._array.dtype))
    return Tensor._wrap(backend.as_array(value))


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def _promote(a: Tensor, b: Tensor):
    """Both operands in PyTorch's result dtype, where NumPy's rule differs:

    * an integer tensor meeting a float one takes the float's dtype (NumPy: float32 + int64
      would be float64);
    * a 0-d tensor does not widen a tensor with dimensions of the same category
      (float32 vector * float64 0-d = float32); of a higher category its own dtype wins
      (int64 vector * 0-d float64 = float64).
    """
    da, db = a._array.dtype, b._array.dtype
    ca, cb = _CATEGORY.get(da.kind, 2), _CATEGORY.get(db.kind, 2)
    za, zb = a._array.ndim == 0, b._array.ndim == 0
    if za != zb:
        (dim_d, dim_c), (zero_d, zero_c) = ((db, cb), (da, ca)) if za else ((da, ca), (db, cb))
        dt = dim_d if zero_c <= dim_c else zero_d
    elif ca != cb:
        dt = da if ca > cb else db
    else:
        return a, b  # same category: NumPy's rule is PyTorch's (float32 + float64 = float64)
    return (a if da == dt else a.to(dt)), (b if db == dt else b.to(dt))


def broadcast_error(shape_a, shape_b, name) -> RuntimeError:
    """PyTorch's error for two shapes that do not broadcast (it names the last aligned
    dimension where neither size is 1 and the sizes differ, counted in the result's shape),
    followed by the op and both shapes."""
    n = max(len(shape_a), len(shape_b))
    pa = (1,) * (n - len(shape_a)) + tuple(shape_a)
    pb = (1,) * (n - len(shape_b)) + tuple(shape_b)
    for dim in range(n - 1, -1, -1):
        if pa[dim] != pb[dim] and pa[dim] != 1 and pb[dim] != 1:
            return RuntimeError(
                f"The size of tensor a ({pa[dim]}) must match the size of tensor b ({pb[dim]}) "
                f"at non-singleton dimension {dim} ({name}: the shapes {tuple(shape_a)} and "
                f"{tuple(shape_b)} cannot be broadcast together)")
    return RuntimeError(f"{name}: the shapes {tuple(shape_a)} and {tuple(shape_b)} cannot be "
                        f"broadcast together")


def _binary(op_cls, a, b, name):
    if not isinstance(a, Tensor):
        a = as_tensor_operand(a, b if isinstance(b, Tensor) else None)
    if not isinstance(b, Tensor):
        b = as_tensor_operand(b, a)
    da, db = a._array.dtype, b._array.dtype
    if da is not db and da != db:
        a, b = _promote(a, b)
    try:
        return op_cls.apply(a, b)
    except ValueError as exc:
        if a._array.ndim and b._array.ndim and "broadcast" in str(exc):
            raise broadcast_error(a._array.shape, b._array.shape, name) from None
        raise


def _unary(op_cls, x, **params):
    if not isinstance(x, Tensor):
        x = as_tensor_operand(x)
    return op_cls.apply(x, **params)


def _float_input(x: Tensor) -> Tensor:
    """Integer inputs to transcendental ops compute in the default float dtype (as PyTorch)."""
    if x._array.dtype.kind in "iub":
        return Tensor._wrap(x._array.astype(backend.default_float_dtype()))
    return x


# -- arithmetic ------------------------------------------------------------------------------
class Add(Op):
    pointwise = True
    forward = staticmethod(xp.add)  # the ufunc itself: no Python frame per call

    def backward(self, g, F):  # d(a + b) = da + db
        return g, g


class Sub(Op):
    pointwise = True
    forward = staticmethod(xp.subtract)

    def backward(self, g, F):  # d(a - b) = da - db
        return g, -g


class Mul(Op):
    pointwise = True
    save_inputs = (0, 1)
    forward = staticmethod(xp.multiply)

    def backward(self, g, F):  # d(a b) = b da + a db
        a, b = self.inputs(F)
        need_a, need_b = self.next_functions  # None: that input needs no gradient
        return (g * b if need_a else None), (g * a if need_b else None)


class Div(Op):
    quiet = True
    pointwise = True
    save_inputs = (0, 1)

    def forward(self, a, b):
        if a.dtype.kind in "iub" and b.dtype.kind in "iub":  # true division: default float
            f = backend.default_float_dtype()
            a, b = a.astype(f), b.astype(f)
        return a / b

    def backward(self, g, F):  # d(a / b) = da / b - a db / b^2
        a, b = self.inputs(F)
        ga = g / b
        return ga, (-ga * a / b if self.next_functions[1] else None)


class Neg(Op):
    pointwise = True

    def forward(self, x):
        return -x

    def backward(self, g, F):
        return -g


class PowScalar(Op):
    """x ** p for a constant exponent p."""
    backward_name = "PowBackward0"  # PyTorch's name
    quiet = True
    pointwise = True
    save_inputs = (0,)

    def forward(self, x, p):
        self.p = p
        return x ** p

    def backward(self, g, F):  # d x^p = p x^(p-1)
        (x,) = self.inputs(F)
        p = self.p
        if p == 0:
            return g * 0
        if p == 1:
            return g
        if p == 2:
            return g * (2 * x)
        return g * (p * x ** (p - 1))


class Pow(Op):
    """a ** b with both tensors."""
    backward_name = "PowBackward1"  # PyTorch's name
    quiet = True
    pointwise = True
    save_inputs = (0, 1)
    save_output = True

    def forward(self, a, b):
        return a ** b

    def backward(self, g, F):  # d a^b = b a^(b-1) da + a^b ln(a) db
        a, b = self.inputs(F)
        y = self.output(F)
        # where b = 0 the first term is 0 (PyTorch's convention), not 0 * 0^-1 = nan at a = 0
        ga = g * b * a ** F.where(b == 0, 1, b - 1)
        # ln(a) is -inf at a = 0, where a^b is 0: the product is defined as 0 there
        safe_log = F.log(F.where(a > 0, a, 1))
        gb = g * y * safe_log
        return ga, gb


def add(input, other, alpha=1):  # noqa: A002 - PyTorch's names
    a, b = input, other
    return _binary(Add, a, b if alpha == 1 else b * alpha, "add")


def sub(input, other, alpha=1):  # noqa: A002
    a, b = input, other
    for v in (a, b):
        if isinstance(v, bool) or (isinstance(v, Tensor) and v._array.dtype.kind == "b"):
            raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not "
                               "supported. If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
    return _binary(Sub, a, b if alpha == 1 else b * alpha, "sub")


def mul(input, other):  # noqa: A002
    a, b = input, other
    return _binary(Mul, a, b, "mul")


def _integral(v):
    if isinstance(v, Tensor):
        return v._array.dtype.kind in "iu"
    return isinstance(v, int) and not isinstance(v, bool)


def div(input, other, rounding_mode=None):  # noqa: A002
    a, b = input, other
    if rounding_mode == "floor":
        return floor_divide(a, b)
    if rounding_mode == "trunc":
        if _integral(a) and _integral(b):  # integers stay integers: floor, then toward 0
            q = floor_divide(a, b)
            bd = b._array if isinstance(b, Tensor) else b
            ad = a._array if isinstance(a, Tensor) else a
            return Tensor._wrap(xp.asarray(q._array + ((q._array < 0) & (q._array * bd != ad))))
        return (_binary(Div, a, b, "div")).trunc()
    return _binary(Div, a, b, "div")


true_divide = divide = div
multiply = mul
subtract = sub


def neg(x):
    if isinstance(x, Tensor) and x._array.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return _unary(Neg, x)


negative = neg


def pow(input, exponent):  # noqa: A001,A002 - PyTorch's names
    base = input
    if isinstance(exponent, np.generic):  # a NumPy scalar acts as the Python number
        exponent = exponent.item()
    if isinstance(base, Tensor) and not isinstance(exponent, (Tensor, np.ndarray)):
        if (base._array.dtype.kind == "b" and isinstance(exponent, int)
                and not isinstance(exponent, bool)):
            base = base.to(backend.int64)
        if base._array.dtype.kind in "iub" and isinstance(exponent, float):
            base = _float_input(base)
        elif (base._array.dtype.kind in "iu" and isinstance(exponent, int)
              and not isinstance(exponent, bool) and exponent < 0):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return PowScalar.apply(base, p=exponent)
    if not isinstance(base, Tensor):  # scalar ** tensor: PyTorch's PowBackward2
        return backward_named(_binary(Pow, base, exponent, "pow"), "PowBackward2")
    return _binary(Pow, base, exponent, "pow")


class Clamp(Op):
    backward_name = "ClampBackward1"  # PyTorch's name
    pointwise = True
    save_inputs = (0,)

    def forward(self, x, lo, hi):
        self.lo, self.hi = lo, hi
        return xp.clip(x, lo, hi)

    def backward(self, g, F):  # gradient passes where lo <= x <= hi (PyTorch: inclusive)
        (x,) = self.inputs(F)
        xa = x._array if F.graph else x
        mask = xp.ones(xa.shape, dtype=bool)
        if self.lo is not None:
            mask &= xa >= self.lo
        if self.hi is not None:
            mask &= xa <= self.hi
        return g * mask


class ClampTensor(Op):
    """clamp with tensor bounds: max(min(x, hi), lo)."""
    pointwise = True
    save_inputs = (0, 1, 2)

    def forward(self, x, lo, hi):
        return xp.minimum(xp.maximum(x, lo), hi)

    def backward(self, g, F):
        x, lo, hi = (t._array if F.graph else t for t in self.inputs(F))
        below, above = x < lo, x > hi
        inside = ~(below | above)
        return g * inside, g * (below & ~above), g * above


class Maximum(Op):
    pointwise = True
    save_inputs = (0, 1)
    forward = staticmethod(xp.maximum)

    def backward(self, g, F):  # ties split the gradient equally, as PyTorch
        a, b = (t._array if F.graph else t for t in self.inputs(F))
        wa = (a > b) + 0.5 * (a == b)
        return g * wa.astype(g.dtype), g * (1 - wa).astype(g.dtype)


class Minimum(Op):
    pointwise = True
    save_inputs = (0, 1)
    forward = staticmethod(xp.minimum)

    def backward(self, g, F):
        a, b = (t._array if F.graph else t for t in self.inputs(F))
        wa = (a < b) + 0.5 * (a == b)
        return g * wa.astype(g.dtype), g * (1 - wa).astype(g.dtype)


class Where(Op):
    """where(cond, a, b): the gradient goes to the branch that was chosen, and only there."""
    pointwise = True

    def forward(self, a, b, cond):
        self.cond = cond
        return xp.where(cond, a, b)

    def backward(self, g, F):
        zero = xp.zeros((), dtype=g.dtype)
        return F.where(self.cond, g, zero), F.where(self.cond, zero, g)


class Cast(Op):
    backward_name = "ToCopyBackward0"  # PyTorch's name
    def forward(self, x, dtype):
        self.src = x.dtype
        self.differentiable_out = dtype.kind == "f"
        return x.astype(dtype)

    def backward(self, g, F):
        return F.cast(g, self.src)


class ToDevice(Op):
    def forward(self, x, device):
        self.src = backend.device_of(x)
        return backend.to_device(x, device)

    def backward(self, g, F):
        if F.graph:
            return g.to(self.src)
        return backend.to_device(g, self.src)


class Clone(Op):
    def forward(self, x):
        return x.copy()

    def backward(self, g, F):
        return g




def clamp(input, min=None, max=None):  # noqa: A002
    """Clamp to [min, max]; the gradient flows where min <= x <= max."""
    x = input
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if (isinstance(x, Tensor) and x._array.dtype.kind in "iub"
            and any(isinstance(v, float) for v in (min, max))):
        x = _float_input(x)  # float bounds on an integer tensor: the default float dtype
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        for bound in (min, max):  # the result takes the promoted dtype of x and the bounds
            if bound is not None:
                x, b = _operands(x, bound)
                if b._array.dtype != x._array.dtype:  # one kind, one rank: the wider
                    x = x.to(np.result_type(x._array.dtype, b._array.dtype))
        dt = x._array.dtype
        info = np.finfo(dt) if dt.kind == "f" else (np.iinfo(dt) if dt.kind in "iu" else None)
        lo_fill, hi_fill = ((-np.inf, np.inf) if dt.kind == "f" else
                            (info.min, info.max) if info is not None else (False, True))
        lo = as_tensor_operand(lo_fill if min is None else min, x)
        hi = as_tensor_operand(hi_fill if max is None else max, x)
        return backward_named(ClampTensor.apply(x, lo.to(x.dtype), hi.to(x.dtype)),
                              "ClampBackward0")  # PyTorch's name for tensor bounds
    return Clamp.apply(x, lo=min, hi=max)


clip = clamp


def maximum(input, other):  # noqa: A002
    a, b = input, other
    return _binary(Maximum, a, b, "maximum")


def minimum(input, other):  # noqa: A002
    a, b = input, other
    return _binary(Minimum, a, b, "minimum")


def where(condition, input=None, other=None):  # noqa: A002 - PyTorch's names
    """Elementwise ``a if condition else b``; with only ``condition``, its nonzero indices."""
    a, b = input, other
    cond = condition._array if isinstance(condition, Tensor) else xp.asarray(condition)
    if a is None and b is None:
        return tuple(Tensor._wrap(i) for i in xp.nonzero(cond))
    like = a if isinstance(a, Tensor) else (b if isinstance(b, Tensor) else None)
    a = as_tensor_operand(a, like)
    b = as_tensor_operand(b, like)
    if a._array.dtype != b._array.dtype:
        a, b = _promote(a, b)
        if a._array.dtype != b._array.dtype:
            dt = np.result_type(a._array.dtype, b._array.dtype)
            a, b = a.to(dt), b.to(dt)
    try:
        xp.broadcast_shapes(cond.shape, a._array.shape, b._array.shape)
    except ValueError:
        pairs = [(cond.shape, a._array.shape), (cond.shape, b._array.shape),
                 (a._array.shape, b._array.shape)]
        for sa, sb in pairs:  # PyTorch's message, for the first pair that does not fit
            try:
                xp.broadcast_shapes(sa, sb)
            except ValueError:
                raise broadcast_error(sa, sb, "where") from None
        raise broadcast_error(cond.shape, a._array.shape, "where") from None
    return Where.apply(a, b, cond=cond.astype(bool, copy=False))


def cast(x, dtype):
    dtype = backend.np_dtype(dtype)
    out = Cast.apply(x, dtype=dtype)
    if dtype.kind != "f" and out.grad_fn is not None:
        return Tensor._wrap(out._array)
    return out


def to_device(x, device):
    return ToDevice.apply(x, device=device)


def clone(x):
    return Clone.apply(x)


# -- no-gradient functions ---------------------------------------------------------------------
_COMPARE = {"eq": xp.equal, "ne": xp.not_equal, "lt": xp.less, "le": xp.less_equal,
            "gt": xp.greater, "ge": xp.greater_equal}


def compare(kind, a, b):
    if not isinstance(a, Tensor):
        a = as_tensor_operand(a, b)
    if not isinstance(b, (Tensor, np.ndarray, int, float, bool, np.generic)):
        if b is None or isinstance(b, str):  # never equal (PyTorch: False / True)
            return False if kind == "eq" else (True if kind == "ne" else NotImplemented)
        try:
            b = backend.as_array(b)
        except (TypeError, ValueError):
            return NotImplemented
    bd = b._array if isinstance(b, Tensor) else b
    try:
        return Tensor._wrap(_COMPARE[kind](a._array, bd))
    except ValueError:
        raise broadcast_error(a._array.shape, np.shape(bd), kind) from None


def _nograd(fn, name):
    def op(*args):
        arrs = [a._array if isinstance(a, Tensor) else a for a in args]
        return Tensor._wrap(xp.asarray(fn(*arrs)))
    op.__name__ = name
    return op


class _Step(Op):
    """floor / ceil / round / trunc: flat almost everywhere, so the derivative is 0 (PyTorch
    records them, FloorBackward0 ..., and sends back zeros)."""
    pointwise = True

    def backward(self, g, F):
        return g * 0


def _step(fn, name):
    op_cls = type(name.capitalize(), (_Step,), {"forward": staticmethod(fn),
                                                "__module__": __name__})

    def op(x):
        if not isinstance(x, Tensor):
            x = as_tensor_operand(x)
        if x._array.dtype.kind == "b":
            raise NotImplementedError(f'"{name}_vml_cpu" not implemented for \'Bool\'')
        if x._array.dtype.kind in "iu":  # integers are already whole: an untracked copy
            return Tensor._wrap(x._array.copy())
        return op_cls.apply(x)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise {name} (no dtype change); its derivative is 0."
    op.op_class = op_cls
    return op


floor = _step(xp.floor, "floor")
ceil = _step(xp.ceil, "ceil")
_round0 = _step(xp.round, "round")


def round(x, *, decimals=0):  # noqa: A001
    """Round half to even (PyTorch's rule); ``decimals`` digits after the point."""
    if decimals == 0:
        return _round0(x)
    scale = 10.0 ** decimals
    return _round0(x * scale) / scale


round.op_class = _round0.op_class
trunc = _step(xp.trunc, "trunc")
isnan = _nograd(xp.isnan, "isnan")
isinf = _nograd(xp.isinf, "isinf")
isfinite = _nograd(xp.isfinite, "isfinite")
logical_not = _nograd(xp.logical_not, "logical_not")
logical_and = _nograd(xp.logical_and, "logical_and")
logical_or = _nograd(xp.logical_or, "logical_or")
logical_xor = _nograd(xp.logical_xor, "logical_xor")


_TORCH_TYPE_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double"}


def _bitwise(fn, name):
    """&, |, ^, ~ as PyTorch: bitwise on integers, logical on bools, refused on floats."""
    plain = _nograd(fn, name)

    def op(*args):
        for a in args:
            if isinstance(a, Tensor) and a._array.dtype.kind in "fc":
                raise NotImplementedError(f'"{name}_cpu" not implemented for '
                                          f"'{_TORCH_TYPE_NAMES.get(a._array.dtype.name, a.dtype.name)}'")
        return plain(*args)
    op.__name__ = name
    return op


bitwise_and = _bitwise(xp.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(xp.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(xp.bitwise_xor, "bitwise_xor")
bitwise_not = _bitwise(xp.invert, "bitwise_not")


def _operands(a, b):
    """Both operands as tensors in PyTorch's result dtype (scalars typed as ``_binary`` does)."""
    if not isinstance(a, Tensor):
        a = as_tensor_operand(a, b if isinstance(b, Tensor) else None)
    if not isinstance(b, Tensor):
        b = as_tensor_operand(b, a)
    if a._array.dtype != b._array.dtype:
        a, b = _promote(a, b)
    return a, b


def _no_bool(a, b, kernel):
    if a._array.dtype.kind == "b" and b._array.dtype.kind == "b":
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _int_zero_check(a, b):
    # integer division by zero: PyTorch raises (NumPy would return 0 with a warning)
    if b._array.dtype.kind in "iub" and a._array.dtype.kind in "iub" and not b._array.all():
        raise RuntimeError("ZeroDivisionError")


def floor_divide(input, other):  # noqa: A002
    """floor(a / b) in the operands' promoted dtype (integers stay integers); no gradient
    (PyTorch has no derivative for it)."""
    a, b = input, other
    a, b = _operands(a, b)
    _no_bool(a, b, "div_floor_cpu")
    _int_zero_check(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        return Tensor._wrap(xp.asarray(xp.floor_divide(a._array, b._array)))


class Remainder(Op):
    """a mod b with the sign of b (Python's %): a - floor(a / b) b."""
    quiet = True
    pointwise = True
    save_inputs = (0, 1)
    forward = staticmethod(xp.remainder)

    def backward(self, g, F):  # d(a mod b) = da - floor(a / b) db (the quotient is flat)
        if not self.next_functions[1]:
            return g, None
        a, b = (t._array if F.graph else t for t in self.inputs(F))
        return g, -g * xp.floor_divide(a, b).astype(a.dtype, copy=False)


def remainder(input, other):  # noqa: A002
    """``a % b``, the result taking the sign of ``b`` (Python's and PyTorch's rule)."""
    a, b = input, other
    a, b = _operands(a, b)
    _no_bool(a, b, "remainder_cpu")
    _int_zero_check(a, b)
    return Remainder.apply(a, b)


def _shift(fn, name):
    def op(a, b):
        a, b = _operands(a, b)
        for t in (a, b):
            if t._array.dtype.kind == "f":
                raise NotImplementedError(f'"{name}_cpu" not implemented for '
                                          f"'{_TORCH_TYPE_NAMES.get(t._array.dtype.name)}'")
        if a._array.dtype.kind == "b":
            a = a.to(backend.int64)
        return Tensor._wrap(xp.asarray(fn(a._array, b._array.astype(a._array.dtype))))
    op.__name__ = op.__qualname__ = f"bitwise_{name}_shift"
    return op


bitwise_left_shift = _shift(xp.left_shift, "lshift")
bitwise_right_shift = _shift(xp.right_shift, "rshift")


# the one-input functions live in unary.py; here too, for every caller of elementwise
from .unary import (  # noqa: E402,F401
    Exp, Log, Log2, Log10, Log1p, Expm1, Sqrt, Rsqrt, Square, Abs, Sign, Reciprocal, Sin, Cos,
    Tan, Tanh, Sigmoid, Relu, _sigmoid,
    exp, log, log2, log10, log1p, expm1, sqrt, rsqrt, square, abs, sign, reciprocal, sin, cos,
    tan, tanh, sigmoid, relu)
