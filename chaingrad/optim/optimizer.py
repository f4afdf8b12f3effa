"""The optimizer base class: parameter groups, per-parameter state, ``state_dict``.

An optimizer owns a list of *parameter groups* (dicts holding ``'params'`` and that group's
hyper-parameters) and a ``state`` dict keyed by parameter (momentum buffers, moment estimates,
step counts). ``step()`` reads each parameter's ``.grad`` and updates ``param._array`` in place.

Each optimizer writes its update as an elementwise *kernel* of in-place NumPy operations on
the raw arrays (``param._array``, ``param.grad._array``, the state buffers); ``_apply`` runs it on
cache-sized slices of large parameters, so one step creates no Tensor, no graph node and no
temporary array, and each number travels from memory about once. Each parameter's version
counter is bumped, as a PyTorch in-place update would, so a graph that saved the old value
refuses to back-propagate through it.

``state_dict()`` has PyTorch's layout: ``{'state': {index: {...}}, 'param_groups': [{...,
'params': [indices]}]}``, indices numbering the parameters across groups in order.
``load_state_dict`` follows PyTorch too: state tensors are cast to their parameter's floating
dtype and shared (not copied) when they already have it. Step hooks (per optimizer and
global) and state-dict hooks take PyTorch's arguments (``_hooks.py``).
"""
from __future__ import annotations

import copy
import warnings
from collections import OrderedDict, defaultdict

from ..autograd.grad_mode import enable_grad, no_grad
from ..backend import xp
from ..tensor import Tensor
from ._hooks import (_add_hook, _hook_step, _typename,  # noqa: F401 - re-exported
                     register_optimizer_step_post_hook, register_optimizer_step_pre_hook)


_CHUNK_BYTES = 256 * 1024  # per array slice: a few of them fit in a 1-2 MB L2 cache


class _RequiredParameter:
    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts (parameter
            groups, each with ``'params'`` and any hyper-parameters overriding ``defaults``).
        defaults: the hyper-parameters a group gets when it does not specify them.

    Subclasses implement ``_update_group(group)`` (the update of one group, on arrays).
    """

    def __init__(self, params, defaults: dict):
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {_typename(params)}")
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups: list[dict] = []
        self._init_hooks()
        self._buffers: dict = {}  # scratch arrays reused across steps (not state)
        self._patch_step_function()
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def _init_hooks(self):
        for name in ("_step_pre_hooks", "_step_post_hooks", "_state_dict_pre_hooks",
                     "_state_dict_post_hooks", "_load_state_dict_pre_hooks",
                     "_load_state_dict_post_hooks"):
            self.__dict__.setdefault(name, OrderedDict())

    def _patch_step_function(self):
        """Make the class's ``step`` run the step hooks (once per class, as PyTorch)."""
        cls = type(self)
        if not getattr(cls.step, "hooked", False):
            cls.step = _hook_step(cls.step)

    # -- groups --------------------------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters (e.g. layers unfrozen while fine-tuning).

        As in PyTorch the dict itself becomes the group: its ``'params'`` is turned into a
        list (``(name, tensor)`` pairs give ``'param_names'``) and missing hyper-parameters
        are filled in from ``defaults``.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = params
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(p))
            if not self.defaults.get("differentiable", None) and not (
                    p.is_leaf or getattr(p, "retains_grad", False)):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)
        self._init_group_state(param_group)

    def _init_group_state(self, group):
        """Hook for optimizers whose state exists before the first step (Adagrad)."""

    # -- gradients and steps --------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad``: to None (default) or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    g = p.grad
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    if g._array.flags.writeable:
                        g._array.fill(0)
                    else:
                        g._array = xp.zeros_like(g._array)

    def step(self, closure=None):
        """Perform one update of every parameter that has a gradient.

        ``closure``: optional callable re-evaluating the model and returning the loss (run with
        gradients enabled); its result is returned.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _update_group(self, group):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _with_grad(group):
        """(param, its data array, its grad array) for the params that have a gradient."""
        out = []
        for p in group["params"]:
            if p.grad is None:
                continue
            if not p._array.flags.writeable:  # e.g. a broadcast view: give it its own storage
                p._array = p._array.copy()
            p._version_counter.value += 1
            out.append((p, p._array, p.grad._array))
        return out

    def _apply(self, kernel, arrays, n_scratch, *scalars):
        """Run ``kernel(*arrays, *scratch, *scalars)``, an elementwise in-place update, on
        cache-sized slices of the arrays (all C-contiguous and of one shape), or on the whole
        arrays otherwise.

        Slicing keeps an update's several passes over a slice inside the CPU cache, so each
        number travels from memory about once per step instead of once per operation; the
        ``n_scratch`` temporaries (slice-sized, reused across steps) cost no allocation.
        """
        a0 = arrays[0]
        n = a0.size
        chunk = max(4096, _CHUNK_BYTES // a0.itemsize)
        sliced = n > chunk and all(a is None or a.flags.c_contiguous for a in arrays)
        size = chunk if sliced else n
        bufs = []
        for slot in range(n_scratch):
            key = (a0.dtype.str, slot)
            buf = self._buffers.get(key)
            if buf is None or buf.size < size:
                buf = self._buffers[key] = xp.empty(size, dtype=a0.dtype)
            bufs.append(buf)
        if not sliced:
            kernel(*arrays, *[b[:n].reshape(a0.shape) for b in bufs], *scalars)
            return
        flat = [None if a is None else a.reshape(-1) for a in arrays]
        for start in range(0, n, chunk):
            stop = min(start + chunk, n)
            kernel(*[None if f is None else f[start:stop] for f in flat],
                   *[b[:stop - start] for b in bufs], *scalars)

    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)`` runs before each
        ``step``; ``args`` are ``step``'s positional arguments, the optimizer first."""
        return _add_hook(self._step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs after each ``step``."""
        return _add_hook(self._step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend: bool = False):
        """``hook(optimizer)`` runs before ``state_dict()`` builds the dict."""
        return _add_hook(self._state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False):
        """``hook(optimizer, state_dict) -> None or new state_dict`` runs on the result of
        ``state_dict()``."""
        return _add_hook(self._state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False):
        """``hook(optimizer, state_dict) -> None or new state_dict`` runs on (a shallow copy
        of) the dict given to ``load_state_dict`` before it is loaded."""
        return _add_hook(self._load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False):
        """``hook(optimizer)`` runs after ``load_state_dict``."""
        return _add_hook(self._load_state_dict_post_hooks, hook, prepend)

    # -- saving -------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{'state': {index: {name: value}}, 'param_groups': [...]}`` as in PyTorch.

        Parameters are replaced by their index (counted across groups in order); the state
        values are the optimizer's own tensors (not copies), as in PyTorch.
        """
        for pre_hook in list(self._state_dict_pre_hooks.values()):
            pre_hook(self)
        index: dict = {}
        groups = []
        start = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {(index[id(p)] if isinstance(p, Tensor) else p): s
                 for p, s in self.state.items() if not isinstance(p, Tensor) or id(p) in index}
        state_dict = {"state": state, "param_groups": groups}
        for post_hook in list(self._state_dict_post_hooks.values()):
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore state and hyper-parameters saved by ``state_dict()``.

        The saved groups must match this optimizer's groups in number and size; their
        hyper-parameters replace the current ones. As in PyTorch, a state tensor is cast to
        its parameter's floating dtype (``step`` is kept as saved) and is *not* copied when it
        already has that dtype: the loaded state shares those tensors with ``state_dict``.
        """
        state_dict = dict(state_dict)
        for pre_hook in list(self._load_state_dict_pre_hooks.values()):
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for g, sg in zip(groups, saved_groups):
            if len(g["params"]) != len(sg["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 "match the size of optimizer's group")
        id_map = {}
        for g, sg in zip(groups, saved_groups):
            for i, p in zip(sg["params"], g["params"]):
                id_map[i] = p
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            key = int(k) if isinstance(k, str) and k.isdigit() else k
            if key in id_map:
                p = id_map[key]
                state[p] = _cast_state(p, v)
            else:
                state[k] = v
        new_groups = []
        for g, ng in zip(groups, saved_groups):
            if isinstance(ng.get("betas"), list):
                ng["betas"] = tuple(ng["betas"])
            ng["params"] = g["params"]
            if "param_names" in g and "param_names" not in ng:
                ng["param_names"] = g["param_names"]
            new_groups.append(ng)
        self.__setstate__({"state": state, "param_groups": new_groups})
        for post_hook in list(self._load_state_dict_post_hooks.values()):
            post_hook(self)

    # keys PyTorch's ``__setstate__`` fills into groups loaded without them (older checkpoints)
    _group_setdefaults: dict = {}

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__.setdefault("_buffers", {})
        self._init_hooks()
        for group in self.param_groups:
            for name, value in self._group_setdefaults.items():
                group.setdefault(name, value)
        self.defaults.setdefault("differentiable", False)

    def __repr__(self):
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _cast_state(param, value, key=None):
    """PyTorch's cast of loaded state: tensors to the parameter's floating dtype (``step``
    untouched; no copy when nothing changes), dicts and sequences entry by entry."""
    if isinstance(value, Tensor):
        if key == "step":
            return value
        pdt, vdt = param._array.dtype, value._array.dtype
        if pdt.kind in "fc" and vdt != pdt:
            return Tensor._wrap(value._array.astype(pdt))
        if not value._array.flags.writeable:  # e.g. read from a file: updated in place later
            return Tensor._wrap(value._array.copy())
        return value
    if isinstance(value, dict):
        return {k: _cast_state(param, v, key=k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, v) for v in value)
    return value


def _check(ok: bool, message: str):
    """Validate a hyper-parameter in ``__init__`` (PyTorch's wording)."""
    if not ok:
        raise ValueError(message)


def _check_lr(lr):
    """A tensor learning rate must hold one number (PyTorch's check, made before the others)."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")


def _check_fused(fused, foreach, differentiable):
    """``fused`` (accepted for compatibility; the update is the same) refuses the options
    PyTorch's fused kernels refuse."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _state_tensor(arr):
    return Tensor._wrap(arr)


def effective_grad(theta, g, weight_decay, maximize, out):
    """``(-g if maximize else g) + weight_decay * theta`` (into ``out`` when it differs)."""
    if weight_decay != 0:
        xp.multiply(theta, weight_decay, out=out)
        if maximize:
            out -= g
        else:
            out += g
        return out
    if maximize:
        return xp.negative(g, out=out)
    return g


def _step_tensor(value=0.0):
    return Tensor._wrap(xp.array(value, dtype=xp.float32))


def _advance(state) -> float:
    """Increment the state's ``step`` counter (a 0-d float32 tensor, as PyTorch's); return it."""
    step = state["step"]
    step._array += 1  # in place: stays a 0-d array
    return float(step._array)
