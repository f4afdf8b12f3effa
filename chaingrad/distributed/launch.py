"""Helpers for training scripts run under ``mpirun``: what ``chaingrad train --distributed``
plugs into its Trainer, usable from any hand-written loop too.

    import chaingrad.distributed as dist
    hooks = dist.train_hooks(train_set, seed=0)
    hooks["is_main_process"]      # rank 0: prints, writes checkpoints and plots
    hooks["wrap_model"](model)    # DistributedDataParallel(model): rank 0's weights, averaged grads
    hooks["train_sampler"]        # DistributedSampler(train_set, seed): this rank's shard
    hooks["reduce_metrics"](d)    # sums an epoch's counts (loss_sum, correct, seen) over ranks

``--batch-size`` is per rank, as in PyTorch: the global batch is world_size x batch_size.
"""
from __future__ import annotations

import os

from ..backend import xp
from . import comm
from .sampler import DistributedSampler


def is_main_process() -> bool:
    """True on rank 0 (and when no process group exists)."""
    return not comm.is_initialized() or comm.get_rank() == 0


def print0(*args, **kwargs):
    """``print`` on rank 0 only."""
    if is_main_process():
        print(*args, **kwargs)


def reduce_metrics(counts: dict) -> dict:
    """Sum every number of ``counts`` over all ranks (one all-reduce); ints stay ints."""
    if not comm.is_initialized() or comm.get_world_size() == 1:
        return dict(counts)
    keys = sorted(counts)
    buf = xp.asarray([float(counts[k]) for k in keys], dtype=xp.float64)
    comm._default_group().allreduce(buf, comm.ReduceOp.SUM)
    return {k: (int(round(v)) if isinstance(counts[k], int) else float(v))
            for k, v in zip(keys, buf.tolist())}


def agree_stop(flag: bool) -> bool:
    """Whether any rank sets ``flag`` (one tiny all-reduce): called by every rank after every
    training step, so that an interrupted job stops after the same step everywhere."""
    if not comm.is_initialized() or comm.get_world_size() == 1:
        return bool(flag)
    buf = xp.asarray([1.0 if flag else 0.0], dtype=xp.float64)
    comm._default_group().allreduce(buf, comm.ReduceOp.MAX)
    return bool(buf[0] > 0)


def average_gradients(model) -> None:
    """Replace every ``.grad`` of ``model`` by its average over ranks, with one blocking
    all-reduce per dtype: the simple alternative to ``DistributedDataParallel`` (no overlap).
    Every rank must call it with the same model after its backward pass."""
    if not comm.is_initialized() or comm.get_world_size() == 1:
        return
    group = comm._default_group()
    params = [p for p in model.parameters() if p.requires_grad]
    by_dtype = {}
    for p in params:
        by_dtype.setdefault(p._array.dtype.str, []).append(p)
    for _, ps in sorted(by_dtype.items()):
        flat = xp.concatenate([p.grad._array.reshape(-1) if p.grad is not None
                               else xp.zeros(p._array.size, dtype=p._array.dtype) for p in ps])
        group.allreduce(flat, comm.ReduceOp.SUM)
        flat /= group.size
        off = 0
        from ..tensor import Tensor
        for p in ps:
            n = p._array.size
            avg = flat[off:off + n].reshape(p._array.shape)
            if p.grad is None:
                p.grad = Tensor._wrap(avg.copy())
            else:
                p.grad._array[...] = avg
            off += n


def local_size() -> int:
    """How many ranks the launcher started on this host (1 if it does not say)."""
    for var in ("OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "PMI_LOCAL_SIZE",
                "SLURM_NTASKS_PER_NODE"):
        v = os.environ.get(var, "")
        if v.isdigit() and int(v) > 0:
            return int(v)
    return 1


def train_hooks(train_set, seed=0, bucket_cap_mb=25, threads=None, announce=True):
    """Join the MPI job and return the Trainer's data-parallel hooks (see the module doc).

    Rank r trains on ``DistributedSampler(train_set, seed=seed)``'s shard r; the Trainer calls
    ``train_sampler.set_epoch(epoch)`` at the start of each epoch, so the shards are reshuffled
    per epoch and a resumed run replays the same order. Unless ``threads`` (the user's choice),
    ``OMP_NUM_THREADS`` or ``cg.set_num_threads`` set a count, the cores are shared out: each of the L ranks on a host
    uses cores // L BLAS threads, so that ranks do not fight over cores."""
    comm.init()
    from .ddp import DistributedDataParallel
    rank, world = comm.get_rank(), comm.get_world_size()
    local = local_size()
    note = ""
    chosen = threads is not None or any(v in os.environ for v in (
        "OMP_NUM_THREADS", "CHAINGRAD_NUM_THREADS"))  # the latter: set by --threads
    if not chosen and local > 1:
        from .._threads import set_num_threads
        n = max(1, (os.cpu_count() or 1) // local)
        set_num_threads(n)
        note = f", {n} BLAS thread{'s' if n != 1 else ''} per rank"
    if announce and rank == 0:
        print(f"chaingrad.distributed: {world} rank{'s' if world != 1 else ''} "
              f"({comm.get_backend()}){note}; batch size is per rank", flush=True)

    def wrap_model(model):
        return DistributedDataParallel(model, bucket_cap_mb=bucket_cap_mb)

    return {"is_main_process": rank == 0,
            "train_sampler": DistributedSampler(train_set, num_replicas=world, rank=rank,
                                                shuffle=True, seed=seed),
            "wrap_model": wrap_model,
            "reduce_metrics": reduce_metrics,
            "agree_stop": agree_stop}
