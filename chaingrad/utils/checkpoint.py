"""``chaingrad.utils.checkpoint``: gradient checkpointing, as ``torch.utils.checkpoint``.

``checkpoint(fn, *args)`` returns ``fn(*args)`` but, in the reentrant mode (the default, as in
PyTorch 2.x when ``use_reentrant`` is not given), keeps none of ``fn``'s intermediate results:
the forward pass runs under ``no_grad`` and backward runs ``fn`` again (with the random state of
the first run, so dropout masks repeat) and back-propagates through the recomputed graph. That
trades one extra forward pass for the memory of the segment's activations; values and gradients
are those of the plain call. ``use_reentrant=False`` calls ``fn`` directly and keeps its graph
(same values and gradients, including for parameters when no input requires grad).

Example::

    from chaingrad.utils.checkpoint import checkpoint
    h = checkpoint(block, x, use_reentrant=True)   # block's activations are recomputed
"""
from __future__ import annotations

import warnings

from ..autograd import Function, backward, enable_grad, no_grad
from ..random import get_rng_state, set_rng_state
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointFunction", "detach_variable"]


def detach_variable(inputs):
    """Each tensor of ``inputs`` detached, keeping its ``requires_grad`` (others as given)."""
    if not isinstance(inputs, tuple):
        raise RuntimeError("Only tuple of tensors is supported. Got Unsupported input type: "
                           f"{type(inputs).__name__}")
    return tuple(x.detach().requires_grad_(x.requires_grad) if isinstance(x, Tensor) else x
                 for x in inputs)


class CheckpointFunction(Function):
    """forward: ``run_function(*args)`` under no_grad (nothing saved but the inputs);
    backward: recompute with grad enabled from detached inputs, then back-propagate the
    incoming gradients through the recomputed graph (parameters inside accumulate ``.grad``)."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        ctx.run_function = run_function
        ctx.rng_state = get_rng_state() if preserve_rng_state else None
        ctx.inputs = args
        with no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        inputs = detach_variable(tuple(ctx.inputs))
        if ctx.rng_state is not None:
            now = get_rng_state()
            set_rng_state(ctx.rng_state)
        try:
            with enable_grad():
                out = ctx.run_function(*inputs)
        finally:
            if ctx.rng_state is not None:
                set_rng_state(now)
        outs = out if isinstance(out, tuple) else (out,)
        pairs = [(o, g) for o, g in zip(outs, grads)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is "
                               "not necessary")
        backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None) + tuple(x.grad if isinstance(x, Tensor) else None for x in inputs)


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default",
               debug=False, early_stop=True, preserve_rng_state=True, **kwargs):
    """``function(*args, **kwargs)`` without keeping its activations (see the module doc).

    Args:
        function: the segment to run (a module or any callable).
        *args: its inputs.
        use_reentrant (bool, default None = True with a warning, as PyTorch): True
            recomputes in backward (no keyword arguments allowed); False keeps the graph.
        preserve_rng_state (bool, default True): recompute with the first run's random state.
    """
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed "
                      "explicitly. In version 2.5 we will raise an exception if use_reentrant "
                      "is not passed. use_reentrant=False is recommended, but if you need to "
                      "preserve the current default behavior, you can pass "
                      "use_reentrant=True.", stacklevel=2)
        use_reentrant = True
    if not use_reentrant:
        return function(*args, **kwargs)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=2)
    return CheckpointFunction.apply(function, preserve_rng_state, *args)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):  # noqa: A002
    """Run ``functions`` (a list or ``nn.Sequential``) in ``segments`` pieces, checkpointing
    every piece but the last (PyTorch's split: ``len(functions) // segments`` per piece)."""
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())

    def run(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant,  # noqa: A001
                           preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)
