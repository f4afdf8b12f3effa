"""Optimizer hooks: removable handles, the global step hooks, and the wrapper that runs the
step pre-/post-hooks around an optimizer class's ``step`` (PyTorch's calling convention)."""
from __future__ import annotations

import functools
import itertools
from collections import OrderedDict

from ..tensor import Tensor


_handle_ids = itertools.count()


class _Handle:
    """Returned by the ``register_*_hook`` methods; ``remove()`` unregisters the hook."""

    def __init__(self, hooks):
        self.id = next(_handle_ids)
        self._hooks = hooks

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _add_hook(table, hook, prepend=False):
    handle = _Handle(table)
    table[handle.id] = hook
    if prepend:
        table.move_to_end(handle.id, last=False)
    return handle


def _typename(obj):
    """``torch.typename``'s wording: ``'float'``, ``'chaingrad.FloatTensor'``..."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in ("builtins", None) else f"{module}.{name}"


_global_optimizer_pre_hooks: OrderedDict = OrderedDict()
_global_optimizer_post_hooks: OrderedDict = OrderedDict()


def register_optimizer_step_pre_hook(hook):
    """Register ``hook(optimizer, args, kwargs) -> None or (args, kwargs)`` to run before the
    ``step`` of every optimizer (before the optimizer's own pre-hooks)."""
    return _add_hook(_global_optimizer_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """Register ``hook(optimizer, args, kwargs)`` to run after the ``step`` of every optimizer
    (after the optimizer's own post-hooks)."""
    return _add_hook(_global_optimizer_post_hooks, hook)


def _hook_step(step):
    """Wrap a class's ``step`` so that the step pre- and post-hooks run around it, with
    PyTorch's arguments: ``hook(optimizer, args, kwargs)`` where ``args`` starts with the
    optimizer itself; a pre-hook may return new ``(args, kwargs)``."""

    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        self = args[0]
        for pre_hook in [*_global_optimizer_pre_hooks.values(),
                         *self._step_pre_hooks.values()]:
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, "
                                       f"new_kwargs), but got {result}.")
        out = step(*args, **kwargs)
        for post_hook in [*self._step_post_hooks.values(),
                          *_global_optimizer_post_hooks.values()]:
            post_hook(self, args, kwargs)
        return out

    wrapper.hooked = True
    return wrapper
