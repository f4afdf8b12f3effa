"""What the views remember about a node after the backward pass has freed it.

A node keeps its ``metadata`` dict through ``_release``; the views store there, as plain
floats and strings, the norm of the gradient that reached the node (``grad_norm``), a short
summary of its output value (``value``) and the module that ran it (``module``).
"""
from __future__ import annotations

import contextlib

import numpy as np

from ..autograd.function import AccumulateGrad


def array_of(x):
    """The ndarray inside a Tensor or array (None stays None)."""
    if x is None:
        return None
    return np.asarray(getattr(x, "_array", x))


def norm(x) -> float:
    a = array_of(x)
    if a is None or a.size == 0:
        return 0.0
    return float(np.sqrt(np.sum(np.square(a.astype(np.float64, copy=False)))))


def grads_norm(grads) -> float | None:
    """Root of the summed squares of every non-None gradient in ``grads``."""
    vals = [norm(g) for g in grads if g is not None]
    if not vals:
        return None
    return float(np.sqrt(sum(v * v for v in vals)))


def summarize(a, max_values=6) -> str:
    """A few numbers for small arrays, mean and std for large ones."""
    a = np.asarray(a)
    if a.dtype.kind == "b":
        return f"{int(a.sum())}/{a.size} true"
    if a.size <= max_values:
        flat = ", ".join(f"{float(v):.4g}" for v in a.ravel())
        return f"[{flat}]" if a.ndim else flat
    af = a.astype(np.float64, copy=False)
    return f"mean {af.mean():.3g}, std {af.std():.3g}"


def _grad_hook(node):
    meta = node.metadata

    def hook(grads_in, grads_out):
        meta["grad_norm"] = grads_norm(grads_out)
    return hook


def watch(order):
    """Register, once per node, a hook storing the incoming gradient's norm in its metadata,
    so that a later backward pass leaves its numbers on the graph."""
    for node in order:
        if isinstance(node, AccumulateGrad):
            continue
        meta = node.metadata
        if meta.get("_viz_watched"):
            continue
        meta["_viz_watched"] = True
        node.register_hook(_grad_hook(node))


def snapshot_values(order, root_tensor, max_values=6):
    """Store a summary of each node's output value while the graph still holds it: the root
    tensor, a node's saved output, and inputs its consumers saved (outputs of their children)."""
    if root_tensor is not None and order:
        order[0].metadata.setdefault("value", summarize(root_tensor._array, max_values))
    for node in order:
        out = getattr(node, "_saved_out", None)
        if out is not None and "value" not in node.metadata:
            node.metadata["value"] = summarize(out, max_values)
        saved = getattr(node, "_saved", None)
        if not saved:
            continue
        for t in saved:
            fn = getattr(t, "grad_fn", None)
            if fn is not None and "value" not in fn.metadata:
                fn.metadata["value"] = summarize(t._array, max_values)


@contextlib.contextmanager
def record_values(max_values=6):
    """Inside this block every op node keeps a summary of its output value (as metadata), so
    that ``draw_graph`` shows the value of every node, not only of those whose output the
    graph happens to save::

        with viz.record_values():
            loss = (x * y + y) ** 2
        viz.draw_graph(loss)
    """
    from ..autograd.function import Op
    original = Op.__dict__["apply"]

    def apply(cls, *inputs, **params):
        out = original.__func__(cls, *inputs, **params)
        for t in (out if isinstance(out, (tuple, list)) else (out,)):
            fn = getattr(t, "grad_fn", None)
            if fn is not None and "value" not in fn.metadata:
                fn.metadata["value"] = summarize(t._array, max_values)
        return out

    Op.apply = classmethod(apply)
    try:
        yield
    finally:
        Op.apply = original
