"""Gradient checks against central finite differences in float64.

    numerical  dL/dx_i  ~=  (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

compared element by element with the analytic gradient from the backward pass.
"""
from __future__ import annotations

import numpy as np


class GradcheckError(RuntimeError):
    """Analytic and numerical gradients disagree; the message names input and element."""


def _tuple(x):
    from ..tensor import Tensor
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _outputs(fn, inputs):
    out = fn(*inputs)
    return _tuple(out)


def numerical_grad(fn, inputs, eps=1e-6, grad_outputs=None):
    """Finite-difference gradients of ``sum(out * grad_out)`` for every input that requires
    grad (None for the others), as float64 arrays wrapped in Tensors."""
    from ..tensor import Tensor
    inputs = _tuple(inputs)
    # evaluated with grad mode on: fn may itself differentiate (gradgradcheck)
    if True:
        outs = _outputs(fn, inputs)
        if grad_outputs is None:
            grad_outputs = [np.ones(o.shape) for o in outs]
        grad_outputs = [g._array if isinstance(g, Tensor) else np.asarray(g) for g in grad_outputs]

        def scalar():
            return sum(float((np.asarray(o._array, dtype=np.float64) * g).sum())
                       for o, g in zip(_outputs(fn, inputs), grad_outputs) if o._array.dtype.kind == "f")

        result = []
        for t in inputs:
            if not isinstance(t, Tensor) or not t.requires_grad:
                result.append(None)
                continue
            arr = t._array  # perturbed in place, element by element (any memory layout)
            grad = np.zeros(arr.shape, dtype=np.float64)
            for i in np.ndindex(arr.shape):
                orig = arr[i].copy()
                arr[i] = orig + eps
                plus = scalar()
                arr[i] = orig - eps
                minus = scalar()
                arr[i] = orig
                grad[i] = (plus - minus) / (2 * eps)
            result.append(Tensor._wrap(grad))
    return tuple(result)


def _analytic(fn, inputs, grad_outputs, create_graph=False):
    from . import grad as autograd_grad
    from ..tensor import Tensor
    outs = _outputs(fn, inputs)
    diff_inputs = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    outs_d = [o for o in outs if o.requires_grad]
    gos = [Tensor._wrap(np.asarray(g)) for g, o in zip(grad_outputs, outs) if o.requires_grad]
    if not outs_d:
        return [np.zeros(t._array.shape) for t in diff_inputs]
    grads = autograd_grad(outs_d, diff_inputs, gos, allow_unused=True, create_graph=create_graph)
    return [np.zeros(t._array.shape) if g is None else g._array for g, t in zip(grads, diff_inputs)]


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              grad_outputs=None, **_ignored):
    """True when every analytic gradient of ``fn`` at ``inputs`` matches central finite
    differences; otherwise raise ``GradcheckError`` naming the input, the element and both
    values (or return False with ``raise_exception=False``)."""
    from ..tensor import Tensor
    inputs = _tuple(inputs)
    if not any(isinstance(t, Tensor) and t.requires_grad for t in inputs):
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of them have requires_grad=True.")
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad and t._array.dtype != np.float64:
            import warnings
            warnings.warn(f"gradcheck: input {i} is {t.dtype.name}, not float64; finite "
                          f"differences will be inaccurate", stacklevel=2)
    from .grad_mode import no_grad
    with no_grad():
        outs = _outputs(fn, inputs)
    rng = np.random.default_rng(0)
    if grad_outputs is None:
        grad_outputs = [rng.standard_normal(o.shape) if o._array.dtype.kind == "f" else np.zeros(o.shape)
                        for o in outs]
    numeric = numerical_grad(fn, inputs, eps, grad_outputs)
    analytic = _analytic(fn, inputs, grad_outputs)
    k = 0
    for i, (t, num) in enumerate(zip(inputs, numeric)):
        if num is None:
            continue
        ana = np.asarray(analytic[k], dtype=np.float64)
        k += 1
        num = num._array
        bad = ~np.isclose(ana, num, rtol=rtol, atol=atol, equal_nan=False)
        if bad.any():
            where = np.unravel_index(int(np.argmax(bad)), num.shape) if num.ndim else ()
            msg = (f"Jacobian mismatch for input {i} (shape {tuple(t.shape)}) at element "
                   f"{tuple(int(w) for w in where)}: analytic {float(ana[where]):.10g} vs "
                   f"numerical {float(num[where]):.10g} ({int(bad.sum())} of {bad.size} "
                   f"elements differ beyond atol={atol}, rtol={rtol})")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, **_ignored):
    """gradcheck of the backward pass itself: the function ``(inputs, v) -> vjp(v)``, computed
    with ``create_graph=True``, is checked against finite differences."""
    from ..tensor import Tensor
    from . import grad as autograd_grad
    inputs = _tuple(inputs)
    from .grad_mode import no_grad
    with no_grad():
        outs = _outputs(fn, inputs)
    rng = np.random.default_rng(1)
    if grad_outputs is None:
        grad_outputs = [Tensor._wrap(rng.standard_normal(o.shape)).requires_grad_()
                        for o in outs if o._array.dtype.kind == "f"]
    grad_outputs = list(_tuple(grad_outputs))
    n = len(inputs)

    def first_order(*args):
        xs, vs = args[:n], args[n:]
        ys = [o for o in _outputs(fn, xs) if o.requires_grad]
        diff = [t for t in xs if isinstance(t, Tensor) and t.requires_grad]
        gs = autograd_grad(ys, diff, list(vs)[:len(ys)], create_graph=True, allow_unused=True)
        return tuple(g if g is not None else Tensor._wrap(np.zeros(t._array.shape)) * 0
                     for g, t in zip(gs, diff))

    return gradcheck(first_order, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception)
