"""Collectives that back-propagate: the building blocks of ``SyncBatchNorm``.

The sum over ranks is a function of every rank's input, so its derivative crosses ranks too.
If every rank r computes ``y = sum_k x_k`` and the job's loss is ``L = sum_r L_r(y)``, then

    dL/dx_k = sum_r dL_r/dy

which is again a sum over ranks: the backward of an all-reduce is an all-reduce of the
incoming gradients. Every rank must run the same sequence of these ops (forward and backward),
as for any collective.
"""
from __future__ import annotations

from ..autograd.function import Op
from ..backend import xp
from . import comm


class AllReduceSum(Op):
    """y = sum over ranks of x (out of place)."""

    def forward(self, x, group=None):
        self.group = group
        out = xp.array(x, copy=True)
        (group or comm._default_group()).allreduce(out, comm.ReduceOp.SUM)
        return out

    def backward(self, g, F):  # d(sum_k x_k)/dx_r = 1 for every r: sum the ranks' gradients
        if F.graph:
            return AllReduceSum.apply(g, group=self.group)
        out = xp.array(g, copy=True)
        (self.group or comm._default_group()).allreduce(out, comm.ReduceOp.SUM)
        return out


def all_reduce(tensor, group=None):
    """The sum of ``tensor`` over all ranks, as a new tensor that back-propagates (its
    gradient is the sum over ranks of the incoming gradients). Unlike
    ``chaingrad.distributed.all_reduce`` it does not modify ``tensor``."""
    return AllReduceSum.apply(tensor, group=group)
