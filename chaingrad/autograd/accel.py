"""The compiled fast path of the engine, when it was built (``_accel.c``).

``Op.apply`` and the node loop of ``run_backward`` are written in Python (function.py,
engine.py): that code is the definition. ``_accel`` runs the same steps compiled, handing
anything uncommon back to that Python code. It is built at install time where a C compiler is
present; without it (or with ``CHAINGRAD_PURE_PYTHON=1`` in the environment) chaingrad runs
the Python code alone, with the same results.
"""
from __future__ import annotations

import os

try:
    if os.environ.get("CHAINGRAD_PURE_PYTHON", "") not in ("", "0"):
        raise ImportError("CHAINGRAD_PURE_PYTHON is set")
    from . import _accel
except ImportError:
    _accel = None


def enabled() -> bool:
    """Whether the compiled fast path is in use."""
    return _installed


_installed = False
_python = None  # (Op.apply, engine._node_loop) as written in Python


def install() -> bool:
    """Bind the compiled loops to the engine's classes (once, at import)."""
    global _installed, _python
    if _accel is None or _installed:
        return _installed
    from ..backend import xp
    from ..tensor import Tensor, _VersionCounter
    from . import engine, function, retention
    from .anomaly import _state as anomaly_state
    from .grad_mode import _state as grad_state

    if _python is None:
        _python = (function.Op.__dict__["apply"], engine._node_loop)
    python_apply = _python[0].__func__
    _accel.setup(
        Tensor=Tensor, Node=function.Node, AccumulateGrad=function.AccumulateGrad,
        VersionCounter=_VersionCounter, ndarray=xp.ndarray, py_apply=python_apply,
        as_array=xp.asarray, next_seq=function._next_seq, dead_input=retention.dead_input,
        NO_EDGE=function.NO_EDGE, grad_state=grad_state, anomaly_state=anomaly_state,
        fit=engine._fit, structural_zeros=engine._structural_zeros,
        wrong_count=engine._wrong_count, sum_into_memo=engine._sum_into_memo,
        unshared=engine._unshared, sum=engine._sum, own_min_size=engine._OWN_MIN_SIZE)
    function.Op.apply = classmethod(_accel.apply)
    engine._node_loop = _accel.backward_loop
    _installed = True
    return True


def uninstall() -> None:
    """Go back to the Python code (tests compare the two ways in one process)."""
    global _installed
    if not _installed:
        return
    from . import engine, function
    function.Op.apply, engine._node_loop = _python
    _installed = False
