"""In-place operations, tracked by version counters.

An in-place op writes into the tensor's own array (so views and ``from_numpy`` arrays see the
change, as in PyTorch) and bumps its version counter: a node that saved the old value notices
at backward time and raises instead of producing a wrong gradient. When the graph is recorded,
the tensor takes the in-place op's node as its new ``grad_fn``; if that node needs the value
from before the change, it gets a private copy. A view shares its base's buffer and version
counter; a change through it also gives the base a new node (``_inplace_on_view``).
"""
from __future__ import annotations

import numpy as np

from ..backend import xp
from ..autograd.function import Op
from ..autograd.grad_mode import is_grad_enabled
from ..autograd import sites as _sites
from ..tensor import Tensor
from .views import CopySlices, ViewOf, view_positions


def _check_leaf(t: Tensor, what: str):
    if t._no_grad_view and is_grad_enabled():
        raise RuntimeError(
            "A view was created in no_grad mode and is being modified inplace with grad mode "
            "enabled. Given that this use case is ambiguous and error-prone, it is forbidden. "
            "You can clarify your code by moving both the view and the inplace either both "
            "inside the no_grad block (if you don't want the inplace to be tracked) or both "
            "outside (if you want the inplace to be tracked).")
    if t.grad_fn is None and t._requires_grad and is_grad_enabled():
        raise RuntimeError(
            f"a leaf Variable that requires grad is being used in an in-place operation "
            f"({what}). Leaf tensors that require grad (parameters) may only be changed in place "
            f"under `with cg.no_grad():`, as optimizers do.")


def _cast_into(t: Tensor, arr):
    if arr.dtype != t._array.dtype:
        if (t._array.dtype.kind in "iub" and arr.dtype.kind == "f") or (
                t._array.dtype.kind == "b" and arr.dtype.kind in "iu"):
            raise RuntimeError(f"result type {arr.dtype} can't be cast to the desired output "
                               f"type {t._array.dtype}")
        arr = arr.astype(t._array.dtype)
    return arr


def _write(t: Tensor, result: Tensor):
    """Store ``result`` into ``t``: same buffer, bumped version, new node if recorded."""
    arr = _cast_into(t, result._array)
    if arr.shape != t._array.shape:
        raise RuntimeError(f"output with shape {list(t._array.shape)} doesn't match the broadcast "
                           f"shape {list(arr.shape)}")
    if t._array.flags.writeable:
        t._array[...] = arr
    else:  # e.g. a broadcast view: give the tensor its own storage
        t._array = np.array(arr, copy=True)
    t._version_counter.value += 1
    _sites.modified(t._version_counter)
    if result.grad_fn is not None:
        t.grad_fn = result.grad_fn
        t._output_nr = result._output_nr
        t._requires_grad = True
        if result.grad_fn.save_output:
            # the node's saved output is t's buffer: track t's counter from now on
            result.grad_fn._saved_out = t._array
            result.grad_fn._out_counter = t._version_counter
            result.grad_fn._out_version = t._version_counter.value
    return t


def _alias(t: Tensor) -> Tensor:
    """A stand-in for t's value before the change, with t's place in the graph."""
    old = Tensor._wrap(t._array, grad_fn=t.grad_fn, output_nr=t._output_nr)
    old._requires_grad = t._requires_grad
    return old


def apply_inplace(t: Tensor, fn, *args):
    _check_leaf(t, getattr(fn, "__name__", "op") + "_")
    recording = is_grad_enabled() and (t._requires_grad or any(
        isinstance(a, Tensor) and a._requires_grad for a in args))
    if t._base is not None and (recording or (t._base._requires_grad and is_grad_enabled())):
        return _inplace_on_view(t, fn, args)
    if not recording:
        with _NoGraph():
            result = fn(t, *args)
        return _write(t, result)
    old = _alias(t)
    args = tuple(old if a is t else a for a in args)  # t.mul_(t): both operands are the old t
    result = fn(old, *args)
    node = result.grad_fn
    if node is not None and node._saved is not None and any(s is old for s in node._saved):
        old._array = t._array.copy()  # the derivative needs the value from before the change
    _write(t, result)
    if t._views and t._requires_grad:
        _refresh_views(t)
    return t


def _inplace_on_view(t: Tensor, fn, args):
    """An in-place op through a view, as PyTorch's CopySlices: the new value of the view is
    computed out of place from the view read back from its base, written into the shared
    buffer, and then the base's graph node becomes "old base with the view's cells replaced"
    and the view's node "the view read from the new base", so gradients through either see
    the change."""
    base = t._base
    if t._multi_view is not None and t._requires_grad:
        name, i = t._multi_view
        raise RuntimeError(f"Output {i} of {name} is a view and is being modified inplace. This "
                           f"view is the output of a function that returns multiple views. Such "
                           f"functions do not allow the output views to be modified inplace. You "
                           f"should replace the inplace operation by an out-of-place one.")
    if base.grad_fn is None and base._requires_grad:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    if not t._array.flags.writeable:  # an expanded view: cells share memory
        raise RuntimeError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the "
                           "tensor before performing the operation.")
    pos = view_positions(t)
    old_base = _alias(base)
    old = ViewOf.apply(old_base, pos=pos, arr=t._array)
    args = tuple(old if a is t else a for a in args)
    result = fn(old, *args)
    node = result.grad_fn
    if node is not None and node._saved is not None and any(s is old for s in node._saved):
        old._array = t._array.copy()
    _write(t, result)  # into the shared buffer; bumps the shared version counter
    if result.grad_fn is None:
        return t
    new_base = CopySlices.apply(old_base, result, pos=pos)
    base.grad_fn, base._output_nr, base._requires_grad = new_base.grad_fn, 0, True
    t.grad_fn = ViewOf.apply(base, pos=pos, arr=t._array).grad_fn
    t._output_nr = 0
    _refresh_views(base, skip=t)
    return t


def _refresh_views(base: Tensor, skip=None):
    """Every other live view of ``base`` reads it again: its node becomes "the view of the new
    base" (PyTorch regenerates a view's grad_fn once its base was changed in place)."""
    live = []
    for ref in base._views or ():
        v = ref()
        if v is None:
            continue
        live.append(ref)
        if v is not skip:
            v.grad_fn = ViewOf.apply(base, pos=view_positions(v), arr=v._array).grad_fn
            v._output_nr, v._requires_grad = 0, True
    base._views = live or None


class _NoGraph:
    def __enter__(self):
        from ..autograd.grad_mode import _set
        self._prev = is_grad_enabled()
        _set(False)

    def __exit__(self, *exc):
        from ..autograd.grad_mode import _set
        _set(self._prev)


def fill_(t: Tensor, value):
    _check_leaf(t, "fill_")
    if isinstance(value, Tensor):
        if value._requires_grad and is_grad_enabled():
            return apply_inplace(t, lambda a, v: v.expand(*a.shape) + a * 0, value)
        value = value._array
    if t.grad_fn is not None and is_grad_enabled():
        return apply_inplace(t, lambda a: a * 0 + xp.asarray(value, dtype=a._array.dtype))
    t._array[...] = value
    t._version_counter.value += 1
    _sites.modified(t._version_counter)
    return t


def fill_array_(t: Tensor, arr):
    _check_leaf(t, "init_")
    t._array[...] = arr
    t._version_counter.value += 1
    _sites.modified(t._version_counter)
    return t


def copy_(t: Tensor, src):
    _check_leaf(t, "copy_")
    if not isinstance(src, Tensor):
        src = Tensor._wrap(xp.asarray(src))
    if is_grad_enabled() and (src._requires_grad or t.grad_fn is not None):
        return apply_inplace(t, lambda a, s: s.to(a.dtype).expand(*a.shape) + a * 0, src)
    try:
        t._array[...] = xp.broadcast_to(src._array, t._array.shape).astype(t._array.dtype, copy=False)
    except ValueError:
        raise RuntimeError(f"copy_: the source of shape {tuple(src.shape)} cannot be broadcast "
                           f"to the destination's shape {tuple(t.shape)}") from None
    t._version_counter.value += 1
    _sites.modified(t._version_counter)
    return t


class IndexPut(Op):
    """``x[index] = v`` as a function: d/dx is g with the written cells zeroed; d/dv is
    g at those cells."""

    def forward(self, x, v, index):
        self.index = index
        out = x.copy()
        out[index] = v
        return out

    def backward(self, g, F):
        mask = xp.ones(g.shape, dtype=bool)
        mask[self.index] = False
        return g * mask, F.getitem(g, self.index)


def _fit_value(t: Tensor, idx, value: Tensor) -> Tensor:
    """The value broadcast to the indexed region as PyTorch does: leading size-1 dimensions
    the region lacks are dropped (``x[0] = t[None]``); a value that does not fit raises
    PyTorch's RuntimeError."""
    region = xp.broadcast_to(xp.empty((), dtype=bool), t._array.shape)[idx].shape
    v = value
    while v._array.ndim > len(region) and v._array.shape[0] == 1:
        v = v.reshape(v._array.shape[1:])
    try:
        xp.broadcast_shapes(v._array.shape, region)
        if v._array.ndim > len(region):
            raise ValueError
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot "
                           f"be broadcast to indexing result of shape {list(region)}") from None
    return v


def setitem(t: Tensor, index, value):
    from .shape import _convert_index
    from .elementwise import as_tensor_operand
    from .shape import split_int_index
    idx, _ = _convert_index(index, t._array.shape)
    parts = split_int_index(idx)
    if parts is not None:  # integers select first, as PyTorch (see split_int_index)
        return setitem(t[parts[0]], parts[1], value)
    value = as_tensor_operand(value, t)
    if value._array.dtype != t._array.dtype:
        value = value.to(t.dtype)
    if value._array.ndim:
        value = _fit_value(t, idx, value)
    recording = is_grad_enabled() and (t._requires_grad or value._requires_grad)
    if not recording:
        t._array[idx] = value._array
        t._version_counter.value += 1
        _sites.modified(t._version_counter)
        return
    _check_leaf(t, "__setitem__")
    apply_inplace(t, lambda a, v: IndexPut.apply(a, v, index=idx), value)
