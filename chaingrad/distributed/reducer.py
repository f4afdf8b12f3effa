"""The gradient reducer of ``DistributedDataParallel``: buckets, hooks, overlap.

Gradients are averaged over ranks while the backward pass is still running:

1. Parameters are grouped into *buckets* (flat arrays of about ``bucket_cap_mb``), in reverse
   registration order, the order in which back-propagation usually produces their gradients
   (the last layer first); after the first iteration the buckets are re-packed in the order
   the gradients really arrived (rank 0's). The first bucket is small (1 MB) so
   communication starts early.
2. Each parameter carries a post-accumulate-grad hook; the engine calls it as soon as the
   parameter's ``.grad`` is complete. The hook copies the gradient into its bucket. When a
   bucket's last gradient arrives, the bucket's sum over ranks starts as a NON-BLOCKING
   ``MPI_Iallreduce``, and back-propagation goes on through the earlier layers meanwhile.
   Buckets are always started in index order (a full bucket waits for its predecessors), so
   every rank issues the same sequence of collectives even if hooks fire in another order.
   Open MPI progresses a non-blocking collective only inside MPI calls, so every later hook
   also pokes the outstanding requests (``MPI_Test``).
3. The end of the backward pass, for the gradients, is the moment the last expected
   parameter has reported: that hook starts the last bucket, waits for all of them
   (``MPI_Wait``), divides by the world size and writes the averages back into ``.grad``.
   When ``loss.backward()`` returns, the gradients are averaged; ``optimizer.step()`` needs
   no extra call.

"Expected" parameters are those requiring grad; with ``find_unused_parameters=True`` the
graph of the forward outputs is walked at the end of forward, and parameters it does not
reach are marked ready at once (contributing zeros, and left untouched if no rank used them).
If an expected parameter never gets a gradient, the reduction cannot finish: the next forward
raises an error naming the parameters (as PyTorch does), and ``synchronize()`` can finish it
by hand.
"""
from __future__ import annotations

import time
import weakref

from ..backend import xp
from .comm import ReduceOp

_FIRST_BUCKET_BYTES = 1024 * 1024


class _Bucket:
    def __init__(self, index, members, dtype):
        self.index = index
        self.members = members            # parameter indices, in bucket order
        self.dtype = dtype
        self.buffer = None                # the flat array that travels
        self.numel = 0
        self.pending = 0                  # gradients still to arrive this iteration
        self.request = None               # the MPI request once started
        self.done = False


class Reducer:
    """Averages the gradients of ``params`` over ``group`` with bucketed Iallreduce."""

    def __init__(self, params, names, group, bucket_cap_mb=25.0, find_unused_parameters=False):
        self.params = list(params)
        self.names = list(names)
        self.group = group
        self.find_unused = bool(find_unused_parameters)
        self.cap = int(bucket_cap_mb * 1024 * 1024)
        self._assign(list(reversed(range(len(self.params)))))
        self.arrival = []                 # the order gradients came in, first iteration
        self.rebuilt = False
        self.sync = True                  # False inside no_sync()
        self.armed = False                # a forward ran and its backward is expected
        self.marked = [False] * len(self.params)
        self.used = [True] * len(self.params)
        self.next_launch = 0
        self.finished_iteration = False
        self.stats = {"wait_s": 0.0, "iterations": 0}
        # in a world of one the average is the gradient itself: no hooks, no copies
        self.enabled = group.size > 1
        me = weakref.ref(self)
        self.handles = [p.register_post_accumulate_grad_hook(_hook(me, i))
                        for i, p in enumerate(self.params)] if self.enabled else []

    def _assign(self, order):
        """Pack the parameters, in ``order``, into buckets (first one small) of one dtype."""
        buckets, current, size, dtype = [], [], 0, None
        limit = min(_FIRST_BUCKET_BYTES, self.cap)
        for i in order:
            p = self.params[i]
            nbytes = p._array.nbytes
            if current and (p._array.dtype != dtype or size + nbytes > limit):
                buckets.append(_Bucket(len(buckets), current, dtype))
                current, size, limit = [], 0, self.cap
            current.append(i)
            size += nbytes
            dtype = p._array.dtype
        if current:
            buckets.append(_Bucket(len(buckets), current, dtype))
        self.buckets = buckets
        self.where = {}                   # parameter index -> (bucket, offset)
        for b in buckets:
            off = 0
            for i in b.members:
                self.where[i] = (b, off)
                off += self.params[i]._array.size
            b.numel = off
            # float16 gradients travel as float32: MPI has no half-precision type
            b.buffer = xp.zeros(off, dtype=xp.float32 if b.dtype == xp.float16 else b.dtype)

    def _rebuild_from_arrival(self):
        """After the first iteration, re-pack the buckets in the order gradients really
        arrived (rank 0's order, broadcast, so every rank has the same buckets), as PyTorch
        does: then bucket 0 fills first and its all-reduce overlaps the most."""
        self.rebuilt = True
        seen = set(self.arrival)
        order = self.arrival + [i for i in reversed(range(len(self.params))) if i not in seen]
        arr = xp.asarray(order, dtype=xp.int64)
        self.group.bcast(arr, 0)
        order = [int(i) for i in arr]
        if order != list(reversed(range(len(self.params)))):
            self._assign(order)
        self.arrival = []

    def remove_hooks(self):
        for h in self.handles:
            h.remove()
        self.handles = []

    # -- one iteration ----------------------------------------------------------------------
    def prepare_for_backward(self, outputs=()):
        """Called at the end of every forward that will be followed by a synced backward."""
        if not self.enabled:
            return
        if self.armed and any(self.marked):
            missing = [self.names[i] for i, m in enumerate(self.marked) if not m]
            raise RuntimeError(
                "DistributedDataParallel: expected to have finished reduction in the prior "
                "iteration before starting a new one. These parameters did not receive "
                f"gradients in the last backward: {', '.join(missing[:10])}"
                f"{' ...' if len(missing) > 10 else ''}. If some parameters are not used in "
                "the loss, pass find_unused_parameters=True; to accumulate gradients over "
                "several backward passes use no_sync().")
        if not self.rebuilt and self.finished_iteration:
            self._rebuild_from_arrival()
        self.armed = True
        self.finished_iteration = False
        self.marked = [False] * len(self.params)
        self.used = [True] * len(self.params)
        self.next_launch = 0
        for b in self.buckets:
            b.pending = len(b.members)
            b.request = None
            b.done = False
        if self.find_unused:
            reached = _leaves_reached(outputs)
            for i, p in enumerate(self.params):
                if id(p) not in reached:
                    self.used[i] = False
                    self._mark_ready(i, None)

    def on_grad(self, i):
        if not self.sync:
            return
        if not self.armed:
            if self.finished_iteration:
                raise RuntimeError(
                    "DistributedDataParallel: a gradient arrived after this iteration's "
                    f"reduction had finished (parameter {self.names[i]}): run the forward "
                    "pass again before each backward, or use no_sync() to accumulate.")
            return  # backward of a graph not built through the DDP forward
        if self.marked[i]:
            raise RuntimeError(f"DistributedDataParallel: expected to mark a variable ready "
                               f"only once (parameter {self.names[i]})")
        if not self.rebuilt:
            self.arrival.append(i)
        self._mark_ready(i, self.params[i].grad)

    def _mark_ready(self, i, grad):
        bucket, off = self.where[i]
        n = self.params[i]._array.size
        if grad is None:
            bucket.buffer[off:off + n] = 0
        else:
            bucket.buffer[off:off + n] = grad._array.reshape(-1)
        self.marked[i] = True
        bucket.pending -= 1
        self._launch_ready()
        if self.next_launch == len(self.buckets):
            self.finalize()

    def _launch_ready(self):
        buckets = self.buckets
        while self.next_launch < len(buckets) and buckets[self.next_launch].pending == 0:
            b = buckets[self.next_launch]
            b.request = self.group.iallreduce(b.buffer, ReduceOp.SUM)
            self.next_launch += 1
        for b in buckets[:self.next_launch]:  # let MPI progress what is in flight
            if not b.done:
                b.done = bool(b.request.Test())

    def finalize(self):
        """Wait for every bucket and write the averaged gradients into ``.grad``."""
        t0 = time.perf_counter()
        for b in self.buckets:
            if not b.done:
                b.request.Wait()
                b.done = True
        # communication not hidden behind back-propagation (for benchmarks/distributed_bench.py)
        self.stats["wait_s"] += time.perf_counter() - t0
        self.stats["iterations"] += 1
        globally_used = self.used
        if self.find_unused:
            flags = xp.asarray(self.used, dtype=xp.int32)
            self.group.allreduce(flags, ReduceOp.MAX)
            globally_used = [bool(f) for f in flags]
        from ..tensor import Tensor
        scale = 1.0 / self.group.size
        for b in self.buckets:
            if self.group.size > 1:
                b.buffer *= scale
            for i in b.members:
                if not globally_used[i]:
                    continue
                p = self.params[i]
                _, off = self.where[i]
                avg = b.buffer[off:off + p._array.size].reshape(p._array.shape)
                if p.grad is None:
                    p.grad = Tensor._wrap(avg.copy())
                else:
                    p.grad._array[...] = avg
                    p.grad._version_counter.value += 1
        self.armed = False
        self.finished_iteration = True

    def synchronize(self):
        """Finish a reduction whose backward left some expected parameters without a
        gradient (their local ``.grad``, or zeros without one, is used). Every rank must
        call it."""
        if not self.armed:
            return
        for i, m in enumerate(self.marked):
            if not m:
                self._mark_ready(i, self.params[i].grad)
                if not self.armed:
                    break


def _hook(reducer_ref, i):
    def hook(param):
        reducer = reducer_ref()
        if reducer is not None:
            reducer.on_grad(i)
    return hook


def _leaves_reached(outputs):
    """ids of the leaf tensors whose gradient the graph of ``outputs`` can reach."""
    from ..tensor import Tensor
    from ..autograd.function import AccumulateGrad
    stack, seen, leaves = [], set(), set()
    todo = [outputs]
    while todo:  # find the tensors inside nested outputs
        o = todo.pop()
        if isinstance(o, Tensor):
            if o.grad_fn is not None:
                stack.append(o.grad_fn)
            elif o._requires_grad:
                leaves.add(id(o))
        elif isinstance(o, (list, tuple)):
            todo.extend(o)
        elif isinstance(o, dict):
            todo.extend(o.values())
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if isinstance(node, AccumulateGrad):
            leaves.add(id(node.variable))
            continue
        for edge in node.next_functions or ():
            if edge and edge[0] not in seen:
                stack.append(edge[0])
    return leaves
