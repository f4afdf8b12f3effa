"""Functional transforms built on the engine: vjp, jvp, jacobian, hessian, hvp.

vjp  (v^T J): one backward pass.
jvp  (J v):   the double-vjp trick: u -> vjp(u) is linear in u, so J v = d/du (u^T J v) =
              the vjp of that function, which needs only reverse mode.
"""
from __future__ import annotations

import numpy as np


def _tup(x, fn_name=None):
    from ..tensor import Tensor
    if fn_name is not None and not isinstance(x, (Tensor, tuple)):
        raise TypeError(f"The inputs given to {fn_name} must be either a Tensor or a tuple of "
                        f"Tensors but the given inputs has type {type(x)}.")
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _prep(inputs, create_graph, fn_name=None):
    # with create_graph, an input that requires grad stays connected (a view of it), so the
    # results can be differentiated back to it, as in PyTorch
    return tuple(t.view_as(t) if create_graph and t.requires_grad
                 else t.detach().requires_grad_(True) for t in _tup(inputs, fn_name))


def _check_strict(grads, out_index):
    for j, g in enumerate(grads):
        if g is None:
            raise RuntimeError(f"Output {out_index} of the user-provided function is independent "
                               f"of input {j}. This is not allowed in strict mode.")


def _fix(grads, inputs, strict=False):
    from ..tensor import Tensor
    return tuple(Tensor._wrap(np.zeros(t._array.shape, t._array.dtype)) if g is None else g
                 for g, t in zip(grads, inputs))


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """Returns ``(func(inputs), v^T J)``."""
    from . import grad
    from ..tensor import Tensor
    single_in = isinstance(inputs, Tensor)
    xs = _prep(inputs, create_graph)
    out = func(*xs)
    outs = _tup(out)
    if v is None:
        vs = None
    else:
        vs = list(_tup(v))
    grads = grad(list(outs), list(xs), vs, create_graph=create_graph, allow_unused=True)
    if strict:
        for j, g in enumerate(grads):
            if g is None:
                raise RuntimeError(f"The output of the user-provided function is independent of "
                                   f"input {j}. This is not allowed in strict mode.")
    grads = _fix(grads, xs)
    out_ret = out if create_graph else (out.detach() if isinstance(out, Tensor)
                                        else tuple(o.detach() for o in out))
    return out_ret, (grads[0] if single_in else grads)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """Returns ``(func(inputs), J v)`` (forward-mode product, through double backward)."""
    from . import grad
    from ..tensor import Tensor
    single_in = isinstance(inputs, Tensor)
    xs = _prep(inputs, True, "jvp")
    if v is None and (len(xs) != 1 or xs[0].numel() != 1):
        raise RuntimeError("The vector v can only be None if the input to the user-provided "
                           "function is a single Tensor with a single element.")
    out = func(*xs)
    outs = _tup(out)
    us = [Tensor._wrap(np.zeros(o._array.shape, o._array.dtype)).requires_grad_() for o in outs]
    gs = grad(list(outs), list(xs), us, create_graph=True, allow_unused=True)
    gs = _fix(gs, xs)
    vs = list(_tup(v)) if v is not None else [Tensor._wrap(np.ones(x._array.shape, x._array.dtype)) for x in xs]
    pairs = [(g, vv) for g, vv in zip(gs, vs) if g.requires_grad]
    if not pairs:
        jv = tuple(Tensor._wrap(np.zeros(o._array.shape, o._array.dtype)) for o in outs)
    else:
        jv = grad([p[0] for p in pairs], us, [p[1] for p in pairs], create_graph=create_graph,
                  allow_unused=True)
        jv = _fix(jv, us)
    single_out = isinstance(out, Tensor)
    out_ret = out.detach() if single_out else tuple(o.detach() for o in outs)
    if not create_graph:
        jv = tuple(j.detach() for j in jv)
    return out_ret, (jv[0] if single_out else jv)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The full Jacobian, shape ``out.shape + in.shape`` (tuples for several ins/outs).
    ``strict=True`` refuses an output independent of an input (RuntimeError); ``vectorize`` and
    ``strategy`` are accepted for PyTorch's signature (the rows are computed one by one)."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError("torch.autograd.functional.jacobian: `strategy=\"forward-mode\"` "
                                  "only implemented for `vectorize=True`.")
    if strict and vectorize:
        raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and "
                           "`vectorize=True` are not supported together.")
    from . import grad
    from ..tensor import Tensor
    from ..ops.shape import stack
    single_in = isinstance(inputs, Tensor)
    xs = _prep(inputs, create_graph, "jacobian")
    out = func(*xs)
    single_out = isinstance(out, Tensor)
    outs = _tup(out)
    result = []
    for i, o in enumerate(outs):
        rows = [[] for _ in xs]
        flat = o.reshape(-1)
        for k in range(flat.shape[0]):
            if o.requires_grad:
                gs = grad([flat[k]], list(xs), retain_graph=True, create_graph=create_graph,
                          allow_unused=True)
            else:
                gs = (None,) * len(xs)
            if strict:
                _check_strict(gs, i)
            gs = _fix(gs, xs)
            for j, g in enumerate(gs):
                rows[j].append(g)
        if strict and not rows[0] and o.numel() == 0:
            pass
        per_in = []
        for j, x in enumerate(xs):
            if rows[j]:
                J = stack(rows[j], 0).reshape(*(tuple(o.shape) + tuple(x.shape)))
            else:
                J = Tensor._wrap(np.zeros(tuple(o.shape) + tuple(x.shape), x._array.dtype))
            per_in.append(J if create_graph else J.detach())
        result.append(per_in[0] if single_in else tuple(per_in))
    return result[0] if single_out else tuple(result)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar function: the Jacobian of its gradient."""
    from . import grad
    from ..tensor import Tensor
    single_in = isinstance(inputs, Tensor)

    def gradient(*xs):
        out = func(*xs)
        gs = grad([out], list(xs), create_graph=True, allow_unused=True)
        gs = _fix(gs, xs)
        return gs[0] if single_in else gs

    return jacobian(gradient, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    from . import grad
    from ..tensor import Tensor
    single_in = isinstance(inputs, Tensor)
    xs = _prep(inputs, True)
    out = func(*xs)
    gs = _fix(grad([out], list(xs), create_graph=True, allow_unused=True), xs)
    vs = list(_tup(v))
    pairs = [(g, vv, x) for g, vv, x in zip(gs, vs, xs) if g.requires_grad]
    res = grad([p[0] for p in pairs], list(xs), [p[1] for p in pairs], create_graph=create_graph,
               allow_unused=True) if pairs else (None,) * len(xs)
    res = _fix(res, xs)
    if not create_graph:
        res = tuple(r.detach() for r in res)
    return out.detach(), (res[0] if single_in else res)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """Hessian-vector product ``H v`` (H is symmetric, so it equals v^T H)."""
    return vhp(func, inputs, v, create_graph, strict)
