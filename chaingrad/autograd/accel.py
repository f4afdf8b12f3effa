"""The compiled fast path of the engine, when it was built (``_accel.c``).

``Op.apply``, the node loop of ``run_backward`` (``engine._node_loop``), ``Op.inputs`` /
``Op.output`` and the Tensor methods of the commonest ops (``+``, ``*``, ``tanh``, ``exp`` ...)
are written in Python: that code is the definition. ``_accel`` runs the same steps compiled
for the common case and hands everything else to that Python code (each compiled method keeps
its Python function as ``__wrapped__``). What this buys is the interpreter's cost around small
NumPy calls: a chain of ops on 16 numbers spends more time in Python than in NumPy (issue 6,
W4; docs/performance.md).

It is built at install time where a C compiler is present (setup.py; the build is optional).
Without it, or with ``CHAINGRAD_PURE_PYTHON=1`` in the environment, chaingrad runs the Python
code alone, with the same results; ``install()`` / ``uninstall()`` switch in one process.
"""
from __future__ import annotations

import os
import sys

try:
    if os.environ.get("CHAINGRAD_PURE_PYTHON", "") not in ("", "0"):
        raise ImportError("CHAINGRAD_PURE_PYTHON is set")
    from . import _accel
except ImportError:
    _accel = None

# Tensor methods whose body is ``return <ops function>(self)`` for an op made by
# ops/unary.py's _make_unary: compiled when the input is a Tensor (of a float dtype where the
# op wants one)
_UNARY_METHODS = ("exp", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt", "square",
                  "abs", "sign", "reciprocal", "sin", "cos", "tan", "tanh", "sigmoid", "relu")

_installed = False
_replaced = []  # (owner, name, Python definition), to go back


def available() -> bool:
    """Whether the compiled part was built (and not switched off by the environment)."""
    return _accel is not None


def enabled() -> bool:
    """Whether the compiled fast path is in use."""
    return _installed


def _replace(owner, name, new):
    _replaced.append((owner, name, owner.__dict__[name]))
    setattr(owner, name, new)  # (a module's __dict__ or a class's: both are set this way)


def install() -> bool:
    """Put the compiled versions in place (done once, at import)."""
    global _installed
    if _accel is None or _installed:
        return _installed
    from ..backend import xp
    from ..ops import dual, elementwise
    from ..tensor import Tensor, _VersionCounter
    from .._tensor_math import TensorMath
    from . import engine, function, retention
    from .anomaly import _state as anomaly_state
    from .grad_mode import _state as grad_state

    Op = function.Op
    _accel.setup(
        Tensor=Tensor, Node=function.Node, AccumulateGrad=function.AccumulateGrad,
        VersionCounter=_VersionCounter, ndarray=xp.ndarray,
        py_apply=Op.__dict__["apply"].__func__, as_array=xp.asarray,
        next_seq=function._next_seq, dead_input=retention.dead_input, NO_EDGE=function.NO_EDGE,
        grad_state=grad_state, anomaly_state=anomaly_state, fit=engine._fit,
        structural_zeros=engine._structural_zeros, wrong_count=engine._wrong_count,
        sum_into_memo=engine._sum_into_memo, unshared=engine._unshared, sum=engine._sum,
        own_min_size=engine._OWN_MIN_SIZE, Op=Op, array_math=dual.ARRAY_MATH,
        owned_array_math=dual.OWNED_ARRAY_MATH)
    _replace(Op, "apply", classmethod(_accel.apply))
    _accel.set_apply(Op.__dict__["apply"])
    _replace(engine, "_node_loop", _accel.backward_loop)
    FastMethod = _accel.FastMethod
    _replace(Op, "inputs", FastMethod(_accel.INPUTS, None, Op.__dict__["inputs"]))
    _replace(Op, "output", FastMethod(_accel.OUTPUT, None, Op.__dict__["output"]))
    _replace(TensorMath, "__add__",
             FastMethod(_accel.BINARY, elementwise.Add, TensorMath.__dict__["__add__"]))
    _replace(TensorMath, "__mul__",
             FastMethod(_accel.BINARY, elementwise.Mul, TensorMath.__dict__["__mul__"]))
    chaingrad_modules = [m for n, m in list(sys.modules.items())
                         if m is not None and (n == "chaingrad" or n.startswith("chaingrad."))]
    for name in _UNARY_METHODS:
        fn = getattr(elementwise, name)
        kind = _accel.UNARY_FLOAT if fn.float_only else _accel.UNARY
        for owner in (TensorMath, Tensor):  # (tensor.py binds a few to Tensor itself)
            if name in owner.__dict__:
                _replace(owner, name, FastMethod(kind, fn.op_class, owner.__dict__[name]))
        compiled = FastMethod(kind, fn.op_class, fn)  # the function itself (cg.tanh ...)
        for module in chaingrad_modules:
            if module.__dict__.get(name) is fn:
                _replace(module, name, compiled)
    _installed = True
    return True


def uninstall() -> None:
    """Go back to the Python code alone (tests compare the two ways in one process)."""
    global _installed
    if not _installed:
        return
    while _replaced:
        owner, name, original = _replaced.pop()
        setattr(owner, name, original)
    _accel.set_apply(None)
    _installed = False
