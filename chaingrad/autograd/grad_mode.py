"""Grad mode: whether operations record the graph. Thread-local, read once per op."""
from __future__ import annotations

import functools
import threading

class _GradState(threading.local):
    enabled = True  # the default every new thread starts from


_state = _GradState()  # ops read ``_state.enabled`` directly: one attribute load per op


def is_grad_enabled() -> bool:
    return _state.enabled


def _set(flag: bool) -> None:
    _state.enabled = bool(flag)


class _GradModeContext:
    """Base for context managers that are also decorators (as in PyTorch)."""

    _target: bool

    def __enter__(self):
        self._prev = is_grad_enabled()
        _set(self._target)
        return self

    def __exit__(self, *exc):
        _set(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Context manager / decorator under which no graph is recorded.

    Example::

        with cg.no_grad():
            w -= lr * w.grad      # an update the optimizer must not record
    """

    _target = False


class enable_grad(_GradModeContext):
    """Context manager / decorator that turns recording back on inside ``no_grad``."""

    _target = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(flag)``: as a function call it sets the mode at once; as a context
    manager it restores the previous mode on exit."""

    def __init__(self, mode: bool):
        self._prev = is_grad_enabled()
        self._target = bool(mode)
        _set(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set(self._prev)
        return False

    def __call__(self, fn):
        mode = self._target
        _set(self._prev)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class inference_mode(no_grad):
    """Alias of ``no_grad`` (PyTorch's faster variant has no extra meaning here)."""

    def __init__(self, mode: bool = True):
        self._target = not mode
