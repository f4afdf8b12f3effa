"""Module hooks: forward pre-hooks, forward hooks and full backward (pre-)hooks.

A full backward hook sees the gradients with respect to a module's inputs and outputs. It is
built from two identity ``Function`` nodes, one on the module's tensor inputs and one on its
outputs: the backward pass reaches the output node first (it records ``grad_output`` and runs
the pre-hooks), then the input node, where ``grad_input`` is complete and the hooks run.
"""
from __future__ import annotations

import itertools
import warnings

from ..tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled

_next_id = itertools.count()


class RemovableHandle:
    """Returned by ``register_*_hook``; ``handle.remove()`` unregisters the hook."""

    def __init__(self, table, with_kwargs_set=None):
        self.id = next(_next_id)
        self._table = table
        self._kw = with_kwargs_set

    def remove(self):
        self._table.pop(self.id, None)
        if self._kw is not None:
            self._kw.discard(self.id)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add(module, table_name, hook, prepend, with_kwargs):
    table = module.__dict__[table_name]
    kw = module.__dict__.get(table_name + "_with_kwargs")
    handle = RemovableHandle(table, kw)
    table[handle.id] = hook
    if prepend:
        table.move_to_end(handle.id, last=False)
    if with_kwargs:
        kw.add(handle.id)
    return handle


class _Identity(Function):
    """Passes tensors through unchanged; its backward hands the gradients to ``on_grads``."""

    @staticmethod
    def forward(ctx, on_grads, *tensors):
        ctx.on_grads = on_grads
        ctx.set_materialize_grads(False)
        return tuple(tensors)

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + tuple(ctx.on_grads(grads))


class _BackwardHookState:
    def __init__(self, module):
        self.module = module
        self.grad_output = None
        self.n_inputs = 0
        self.input_positions = ()

    def _run_hooks(self, grad_input):
        for hook in list(self.module.__dict__["_backward_hooks"].values()):
            res = hook(self.module, grad_input, self.grad_output)
            if res is not None:
                res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
                if len(res) != len(grad_input):
                    raise RuntimeError(f"Backward hook returned an invalid number of grad_input, "
                                       f"got {len(res)}, but expected {len(grad_input)}")
                grad_input = res
        return grad_input

    def wrap_inputs(self, args):
        """Route the tensor inputs that need a gradient through an identity node. As in
        PyTorch, ``grad_input`` has one entry per positional argument: None for a non-tensor
        (or when no input needs a gradient), zeros for a tensor that got no gradient."""
        pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.n_inputs = len(args)
        self.input_positions = [i for i in pos if args[i].requires_grad]
        if not self.input_positions:
            return args
        no_grad_pos = [i for i in pos if i not in self.input_positions]
        inputs = args

        def on_grads(grads):
            full = [None] * self.n_inputs
            for i in no_grad_pos:  # made here, only when a backward pass runs
                full[i] = inputs[i].detach() * 0
            for i, g in zip(self.input_positions, grads):
                full[i] = g if g is not None else inputs[i].detach() * 0
            full = self._run_hooks(tuple(full))
            return tuple(full[i] for i in self.input_positions)

        outs = _Identity.apply(on_grads, *[args[i] for i in self.input_positions])
        args = list(args)
        for i, o in zip(self.input_positions, outs):
            args[i] = o
        return tuple(args)

    def wrap_outputs(self, out):
        """``grad_output`` has one entry per output: None for a non-tensor, a tensor that does
        not need a gradient, or an output the loss did not use."""
        single = isinstance(out, Tensor)
        outs = (out,) if single else out
        if not isinstance(outs, tuple):
            return out
        idx = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
        if not idx:
            return out
        n_out = len(outs)

        def on_grads(grads):
            full = [None] * n_out
            for i, g in zip(idx, grads):
                full[i] = g
            full = tuple(full)
            for hook in list(self.module.__dict__["_backward_pre_hooks"].values()):
                res = hook(self.module, full)
                if res is not None:
                    full = tuple(res) if isinstance(res, (tuple, list)) else (res,)
                    if len(full) != n_out:
                        raise RuntimeError(f"Backward pre hook returned an invalid number of "
                                           f"grad_output, got {len(full)}, but expected "
                                           f"{n_out}")
            self.grad_output = full
            if not self.input_positions:  # no input needs a gradient: hooks run here
                self._run_hooks((None,) * max(self.n_inputs, 1))
            return tuple(full[i] for i in idx)

        wrapped = _Identity.apply(on_grads, *[outs[i] for i in idx])
        outs = list(outs)
        for i, o in zip(idx, wrapped):
            outs[i] = o
        return outs[0] if single else tuple(outs)


def call_with_hooks(module, args, kwargs):
    """``module(*args, **kwargs)``: pre-hooks, forward, forward hooks, backward-hook wiring."""
    d = module.__dict__
    pre, post = d["_forward_pre_hooks"], d["_forward_hooks"]
    bw = (d["_backward_hooks"] or d["_backward_pre_hooks"]) and is_grad_enabled()
    if not (pre or post or bw):
        return module.forward(*args, **kwargs)
    for hid, hook in list(pre.items()):
        if hid in d["_forward_pre_hooks_with_kwargs"]:
            res = hook(module, args, kwargs)
            if res is not None:
                if not (isinstance(res, tuple) and len(res) == 2):
                    raise RuntimeError("forward pre-hook must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {res}.")
                args, kwargs = res
        else:
            res = hook(module, args)
            if res is not None:
                args = res if isinstance(res, tuple) else (res,)
    state = None
    if bw:
        state = _BackwardHookState(module)
        args = state.wrap_inputs(args)
    always = d.get("_forward_hooks_always_called", ())
    try:
        out = module.forward(*args, **kwargs)
    except Exception:
        # hooks registered with always_call=True still run (output None), then the error
        # propagates; an error inside such a hook is turned into a warning
        for hid, hook in list(post.items()):
            if hid in always:
                try:
                    if hid in d["_forward_hooks_with_kwargs"]:
                        hook(module, args, kwargs, None)
                    else:
                        hook(module, args, None)
                except Exception as e:  # noqa: BLE001 - PyTorch silences it the same way
                    warnings.warn(f"forward hook with ``always_call=True`` raised an exception "
                                  f"that was silenced as another error was raised in forward: "
                                  f"{e}")
        raise
    for hid, hook in list(post.items()):
        if hid in d["_forward_hooks_with_kwargs"]:
            res = hook(module, args, kwargs, out)
        else:
            res = hook(module, args, out)
        if res is not None:
            out = res
    if state is not None:
        out = state.wrap_outputs(out)
    return out
