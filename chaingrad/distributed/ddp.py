"""``DistributedDataParallel``: one model replica per rank, gradients averaged over ranks.

Every rank runs the same model on its own shard of the global batch. If the loss is the mean
over the local batch of b examples and there are W ranks, the average of the ranks' gradients

    (1/W) sum_r d/dθ [ (1/b) sum_{i in shard r} l_i ]  =  d/dθ [ (1/(Wb)) sum_{i in batch} l_i ]

is exactly the gradient of the global batch of B = W*b examples: W ranks with batch b take the
same optimizer steps as one process with batch B, and the replicas stay identical because they
start identical (rank 0's weights are broadcast) and apply identical updates.
"""
from __future__ import annotations

import contextlib
import zlib

from ..autograd.grad_mode import is_grad_enabled, no_grad
from ..backend import xp
from ..nn.module import Module
from . import comm
from .reducer import Reducer


class DistributedDataParallel(Module):
    """Data parallelism over the ranks of an MPI job (as ``torch.nn.parallel.DDP``).

    At construction, rank 0's parameters and buffers are broadcast to every rank. During
    ``loss.backward()`` gradients are averaged over ranks, bucket by bucket, with non-blocking
    all-reduces started from gradient hooks and overlapped with the rest of the backward pass;
    when ``backward()`` returns, ``.grad`` holds the average and ``optimizer.step()`` can run.
    (How the end of the backward pass is detected: see ``chaingrad.distributed.reducer``.)

    Args (PyTorch's signature; ``device_ids``, ``output_device``, ``check_reduction``,
    ``gradient_as_bucket_view`` and ``static_graph`` are accepted and have no effect on CPU):
        module: the model (identical architecture on every rank).
        bucket_cap_mb: bucket size in MiB (default None: 25); smaller buckets start
            communicating earlier, larger ones make fewer calls.
        broadcast_buffers: broadcast rank 0's buffers (BatchNorm running statistics) at the
            start of every training forward (default True, as PyTorch; forwards under
            ``no_grad`` or in ``no_sync`` communicate nothing); see ``SyncBatchNorm``.
        find_unused_parameters: walk the output graph after every forward to find parameters
            that will get no gradient, so the reduction does not wait for them (default False).
        process_group: the group to use (default: a duplicate of the world communicator, so
            its gradient traffic never mixes with other collectives).

    ``state_dict()`` keys start with ``module.``; save ``ddp.module.state_dict()`` to get the
    plain model's keys. ``no_sync()`` skips the averaging (gradient accumulation).

    Example (``mpirun -n 4 python train.py``)::

        dist.init()
        model = DistributedDataParallel(Net())
        opt = cg.optim.SGD(model.parameters(), lr=0.1)
        for x, y in loader:                       # loader with a DistributedSampler
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()   # gradients averaged over ranks here
            opt.step()
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel expects a chaingrad.nn.Module, got "
                            f"{type(module).__name__}")
        if dim != 0:
            raise ValueError("DistributedDataParallel: only dim=0 (batch-first) is supported")
        for d in (device_ids or []) + ([output_device] if output_device is not None else []):
            if str(d) not in ("cpu", "-1"):
                raise ValueError(f"DistributedDataParallel: device {d!r} is not available "
                                 "(chaingrad ranks run on the CPU)")
        bucket_cap_mb = 25.0 if bucket_cap_mb is None else bucket_cap_mb
        if not comm.is_initialized():
            comm.init()
        self.module = module
        group = process_group if process_group is not None else comm.new_group()
        self.process_group = group
        self.broadcast_buffers = bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.bucket_cap_mb = float(bucket_cap_mb)
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        _verify_same_model(module, group)
        _broadcast_coalesced([p for _, p in module.named_parameters()]
                             + [b for _, b in module.named_buffers()], group)
        self.reducer = Reducer([p for _, p in named], [n for n, _ in named], group,
                               bucket_cap_mb, find_unused_parameters)

    def forward(self, *args, **kwargs):
        training_step = is_grad_enabled() and self.reducer.sync
        # buffers are synced only in forwards that a synced backward will follow: a forward
        # under no_grad (evaluation) is then free of collectives and may run on rank 0 alone
        if training_step and self.broadcast_buffers and self.process_group.size > 1:
            buffers = [b for _, b in self.module.named_buffers()]
            if buffers:
                _broadcast_coalesced(buffers, self.process_group)
        out = self.module(*args, **kwargs)
        if training_step:
            self.reducer.prepare_for_backward(out)
        return out

    @contextlib.contextmanager
    def no_sync(self):
        """Inside this context backward passes only accumulate local gradients; the first
        backward after it averages the accumulated sums::

            with ddp.no_sync():
                ddp(x1).sum().backward()     # local only
            ddp(x2).sum().backward()         # averages grad(x1) + grad(x2) over ranks
        """
        previous = self.reducer.sync
        self.reducer.sync = False
        try:
            yield
        finally:
            self.reducer.sync = previous

    def synchronize(self):
        """Finish the current reduction by hand when some expected parameters got no
        gradient in this backward pass (they count as zero). Every rank must call it."""
        self.reducer.synchronize()

    def extra_repr(self):
        return (f"world_size={self.process_group.size}, buckets={len(self.reducer.buckets)}, "
                f"bucket_cap_mb={self.bucket_cap_mb:g}")


def _broadcast_coalesced(tensors, group, src=0):
    """Broadcast ``tensors`` from ``src`` with one MPI_Bcast per dtype."""
    if group.size == 1 or not tensors:
        return
    by_dtype = {}
    for t in tensors:
        by_dtype.setdefault(t._array.dtype.str, []).append(t)
    for _, ts in sorted(by_dtype.items()):
        wire_dtype = xp.float32 if ts[0]._array.dtype == xp.float16 else ts[0]._array.dtype
        flat = xp.concatenate([t._array.reshape(-1) for t in ts]).astype(wire_dtype, copy=False)
        flat = xp.ascontiguousarray(flat)
        group.bcast(flat, src)
        off = 0
        with no_grad():
            for t in ts:
                n = t._array.size
                t._array[...] = flat[off:off + n].reshape(t._array.shape)
                t._version_counter.value += 1
                off += n


def _verify_same_model(module, group):
    """Fail on every rank at once (not hang) when the ranks hold different models."""
    if group.size == 1:
        return
    sig = ";".join(f"{n}:{tuple(p.shape)}:{p._array.dtype.str}" for n, p in
                   list(module.named_parameters()) + list(module.named_buffers()))
    mine = xp.asarray([zlib.crc32(sig.encode()), len(sig)], dtype=xp.int64)
    every = xp.empty((group.size, 2), dtype=xp.int64)
    group.allgather(mine, every)
    bad = [r for r in range(group.size) if not (every[r] == every[0]).all()]
    if bad:
        raise RuntimeError(f"DistributedDataParallel: ranks {bad} hold a model whose parameter "
                           f"names/shapes/dtypes differ from rank 0's; every rank must build "
                           f"the same model")
