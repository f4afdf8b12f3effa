"""Grad mode: whether operations record the graph. Thread-local, read once per op."""
from __future__ import annotations

import functools
import threading

class _GradState(threading.local):
    enabled = True  # the default every new thread starts from
    inference = False  # inside inference_mode()


_state = _GradState()  # ops read ``_state.enabled`` directly: one attribute load per op


def is_grad_enabled() -> bool:
    return _state.enabled


def _set(flag: bool) -> None:
    _state.enabled = bool(flag)


class _GradModeContext:
    """Base for context managers that are also decorators (as in PyTorch), with or without
    the call: ``@cg.no_grad()`` and ``@cg.no_grad``."""

    _target: bool

    def __new__(cls, *args, **kwargs):
        if len(args) == 1 and not kwargs and callable(args[0]) and not isinstance(args[0], bool):
            return cls()(args[0])  # used as a bare decorator
        return super().__new__(cls)

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


class inference_mode(_GradModeContext):
    """Context manager / decorator: ``no_grad`` that also says so to
    ``is_inference_mode_enabled()`` (PyTorch's faster variant; here it records nothing, as
    no_grad). ``inference_mode(False)`` records, as ``enable_grad``."""

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)

    def __enter__(self):
        self._prev = (is_grad_enabled(), _state.inference)
        _set(not self.mode)  # (inference_mode(False) turns recording on, as PyTorch's)
        _state.inference = self.mode
        return self

    def __exit__(self, *exc):
        _set(self._prev[0])
        _state.inference = self._prev[1]
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper


def is_inference_mode_enabled() -> bool:
    """Whether the current thread is inside ``inference_mode()``."""
    return _state.inference
