"""Reverse-mode automatic differentiation: grad modes, the DP backward pass, custom
functions, functional transforms and gradient checks."""
from __future__ import annotations

from .grad_mode import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode
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


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad`` (see ``Tensor.backward``)."""
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
         allow_unused=None, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple; ``.grad`` is left
    untouched. With ``create_graph=True`` the result is differentiable again."""
    from ..tensor import Tensor
    from ..backend import xp
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


from . import functional  # noqa: E402
from .gradcheck import gradcheck, gradgradcheck, numerical_grad, GradcheckError  # noqa: E402

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
           "Function", "Node", "detect_anomaly", "set_detect_anomaly", "backward", "grad",
           "functional", "gradcheck", "gradgradcheck", "numerical_grad", "GradcheckError"]
