"""Views: tensors that share their base's memory (basic indexing, reshape/view, transpose,
permute, expand, and what is built on them), and the two nodes an in-place op through a view
needs (``ops/inplace.py``): ``CopySlices`` (the base with the view's cells replaced) and
``ViewOf`` (the view read back from the changed base)."""
from __future__ import annotations

import weakref

import numpy as np

from ..backend import xp
from ..autograd.grad_mode import is_grad_enabled
from ..autograd.function import Op


class ViewOf(Op):
    """A view read back from its base, as cells ``pos`` of the flat base (``pos`` has the
    view's shape): used to re-attach a view to its base after an in-place change. The value is
    the view's own buffer (``arr``); d/dbase is g scattered back to those cells."""

    def forward(self, x, pos, arr):
        self.pos, self.in_shape = pos, x.shape
        return arr

    def backward(self, g, F):
        flat = F.scatter_add((int(np.prod(self.in_shape)),),
                             (self.pos.reshape(-1),), F.reshape(g, (-1,)))
        return F.reshape(flat, self.in_shape)


class CopySlices(Op):
    """The base after an in-place change through a view: base with cells ``pos`` replaced by
    ``v``. d/dbase = g with those cells zeroed; d/dv = g at those cells. ``x`` is the base's
    buffer, already holding the new values (the write happened in place)."""

    def forward(self, x, v, pos):
        self.pos = pos
        return x

    def backward(self, g, F):
        keep = xp.ones(g.shape, dtype=bool)
        keep.reshape(-1)[self.pos.reshape(-1)] = False
        return g * keep, F.getitem(F.reshape(g, (-1,)), (self.pos,))


def mark_view(out, x, fn):
    """Mark ``out`` as a view of ``x`` (it shares x's memory), as PyTorch does: one version
    counter for a base and all its views (so a change through any of them invalidates every
    saved copy), and the root base plus the array functions that map the base to the view
    (``view_positions`` replays them, for the in-place ops that rebase the base's graph)."""
    out._version_counter = x._version_counter
    if x._no_grad_view or (x._requires_grad and not is_grad_enabled()):
        # as in PyTorch: it requires grad like its base, but no graph links the two, so a
        # later in-place change with grad mode on could not be tracked: refused then
        out._requires_grad = True
        out._no_grad_view = True
    if x._multi_view is not None:  # a view of a split/unbind piece: in place refused too
        out._multi_view = x._multi_view
    base = x._base
    if base is None:
        base = out._base = x
        out._view_fns = (fn,)
    else:
        out._base, out._view_fns = base, x._view_fns + (fn,)
    if out._requires_grad and base.grad_fn is not None:  # (parameters: only under no_grad)
        views = base._views
        if views is None:
            views = base._views = []
        elif len(views) % 64 == 63:  # a long-lived base indexed again and again: drop the dead
            views = base._views = [r for r in views if r() is not None]
        views.append(weakref.ref(out))
    return out


def view_positions(t):
    """The flat indices in ``t._base`` of each element of the view ``t`` (t's shape)."""
    base = t._base
    pos = np.arange(base._array.size).reshape(base._array.shape)
    for fn in t._view_fns:
        pos = fn(pos)
    return np.asarray(pos)
