"""Reverse-mode automatic differentiation: grad modes, the DP backward pass, custom
functions, functional transforms and gradient checks."""
from __future__ import annotations

from .grad_mode import (no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode,
                        is_inference_mode_enabled)
from .function import Function, Node
from .anomaly import detect_anomaly, set_detect_anomaly
from .engine import run_backward


def _as_list(x):
    if x is None:
        return None
    from ..tensor import Tensor
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def _root_grads(outputs, grads, create_graph):
    from ..tensor import Tensor
    from ..backend import xp
    out = []
    for i, o in enumerate(outputs):
        g = grads[i] if grads is not None and i < len(grads) else None
        if g is None:
            if o._array.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs: this output has "
                    f"shape {tuple(o.shape)}; pass gradient= (a tensor of that shape, e.g. "
                    f"cg.ones_like(out)) or reduce it first (out.sum())")
            g = xp.ones(o._array.shape, dtype=o._array.dtype)
            out.append(Tensor._wrap(g) if create_graph else g)
            continue
        if not isinstance(g, Tensor):
            g = Tensor._wrap(xp.asarray(g, dtype=o._array.dtype))
        if tuple(g.shape) != tuple(o.shape):
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                               f"{tuple(g.shape)} and output[{i}] has a shape of {tuple(o.shape)}.")
        out.append(g if create_graph else g._array)
    return out


def _check_requires_grad(outputs, what="element"):
    for i, o in enumerate(outputs):
        if not o._requires_grad:
            from .errors import no_grad_error
            raise no_grad_error(o, f"{what} {i} of tensors")


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad`` (see ``Tensor.backward``).
    ``grad_variables`` is the old name of ``grad_tensors``."""
    if grad_variables is not None:
        import warnings
        warnings.warn("`grad_variables` is deprecated. Use `grad_tensors` instead.",
                      FutureWarning, stacklevel=2)
        if grad_tensors is not None:
            raise RuntimeError("'grad_tensors' and 'grad_variables' (deprecated) arguments both "
                               "passed to backward(). Please only use 'grad_tensors'.")
        grad_tensors = grad_variables
    outputs = _as_list(tensors)
    grads = _as_list(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    _check_requires_grad(outputs)
    roots = _root_grads(outputs, grads, create_graph)
    capture = None
    if inputs is not None:
        inputs = _as_list(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        capture = {t._edge(): None for t in inputs}
    run_backward([o._edge() for o in outputs], roots, retain_graph, create_graph,
                 capture=capture, accumulate=True)
    if capture is not None:
        for t in inputs:  # non-leaf inputs get .grad too, as PyTorch
            if t.grad_fn is not None:
                g = capture.get(t._edge())
                if g is not None:
                    from ..tensor import Tensor
                    g = g if isinstance(g, Tensor) else Tensor._wrap(g)
                    t.grad = g if t.grad is None else t.grad + g


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple; ``.grad`` is left
    untouched. With ``create_graph=True`` the result is differentiable again.

    ``is_grads_batched=True``: the first dim of every ``grad_outputs`` entry is a batch of
    vectors, and each result gets that batch dim (one vector-Jacobian product per row: rows
    of a Jacobian). ``only_inputs`` is accepted and ignored, as in PyTorch."""
    from ..tensor import Tensor
    from ..backend import xp
    if is_grads_batched:
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                             allow_unused, materialize_grads)
    outputs = _as_list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = _as_list(inputs)
    grads = _as_list(grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    _check_requires_grad(outputs, "element")
    for i, t in enumerate(inputs):
        if not t._requires_grad:
            from .errors import no_grad_error
            raise no_grad_error(t, f"One of the differentiated Tensors (input {i})")
    roots = _root_grads(outputs, grads, create_graph)
    capture = {t._edge(): None for t in inputs}
    run_backward([o._edge() for o in outputs], roots, retain_graph, create_graph,
                 capture=capture, accumulate=False)
    result = []
    for i, t in enumerate(inputs):
        g = capture[t._edge()]
        if g is None:
            if materialize_grads:
                g = xp.zeros(t._array.shape, dtype=t._array.dtype)
            elif not allow_unused:
                raise RuntimeError(f"One of the differentiated Tensors (input {i}, shape "
                                   f"{tuple(t.shape)}) appears to not have been used in the "
                                   f"graph. Set allow_unused=True if this is the desired "
                                   f"behavior.")
            else:
                result.append(None)
                continue
        if not isinstance(g, Tensor):
            g = Tensor._wrap(g)
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                  materialize_grads):
    from ..tensor import Tensor
    from ..ops.shape import stack
    gos = _as_list(grad_outputs)
    if gos is None:
        raise RuntimeError("is_grads_batched=True needs grad_outputs")
    n = gos[0].shape[0]
    rows = []
    for k in range(n):
        last = k == n - 1
        rows.append(grad(outputs, inputs, [g[k] if isinstance(g, Tensor) else None for g in gos],
                         retain_graph=True if not last else retain_graph,
                         create_graph=create_graph, allow_unused=allow_unused,
                         materialize_grads=materialize_grads))
    return tuple(None if rows[0][i] is None else stack([r[i] for r in rows])
                 for i in range(len(rows[0])))


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        from ..tensor import Tensor
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """PyTorch's pre-0.4 wrapper, kept so old code runs: ``Variable(t, requires_grad=True)``
    is a tensor sharing t's values (every Tensor is a Variable)."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        t = data.detach()
        if requires_grad:
            t.requires_grad_(True)
        return t


from . import functional  # noqa: E402
from . import graph  # noqa: E402
from .gradcheck import gradcheck, gradgradcheck, numerical_grad, GradcheckError  # noqa: E402

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
           "is_inference_mode_enabled", "Variable", "graph",
           "Function", "Node", "detect_anomaly", "set_detect_anomaly", "backward", "grad",
           "functional", "gradcheck", "gradgradcheck", "numerical_grad", "GradcheckError"]
