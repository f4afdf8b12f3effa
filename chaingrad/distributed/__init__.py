"""``chaingrad.distributed``: data-parallel training across processes and machines, on MPI.

    mpirun -n 4 python train.py                     # 4 ranks on this machine
    mpirun -n 8 --hostfile hosts python train.py    # 8 ranks across machines

    import chaingrad.distributed as dist
    dist.init()                                     # rank / world size from the launcher
    model = dist.DistributedDataParallel(model)     # rank 0's weights everywhere
    sampler = dist.DistributedSampler(train_set)    # a disjoint shard per rank
    ...loss.backward()                              # gradients averaged over ranks

Without a launcher, ``init()`` gives a world of one and everything still runs. The transport is
MPI through mpi4py (``pip install 'chaingrad[mpi]'`` plus a system MPI); see docs/distributed.md.
"""
from __future__ import annotations

from .comm import (ReduceOp, Work, init, init_process_group, is_initialized, is_available,
                   is_mpi_available, launched_by_mpi, destroy_process_group, get_rank,
                   get_world_size, get_backend, new_group, barrier, all_reduce, broadcast,
                   all_gather)
from .sampler import DistributedSampler


def __getattr__(name):
    # these need chaingrad.nn; load them on first use
    if name in ("DistributedDataParallel", "DDP"):
        from .ddp import DistributedDataParallel
        return DistributedDataParallel
    if name == "SyncBatchNorm":
        from .sync_batchnorm import SyncBatchNorm
        return SyncBatchNorm
    if name in ("train_hooks", "average_gradients", "reduce_metrics", "is_main_process",
                "print0"):
        from . import launch
        return getattr(launch, name)
    if name in ("functional", "launch"):
        import importlib
        return importlib.import_module(f"chaingrad.distributed.{name}")
    raise AttributeError(f"module 'chaingrad.distributed' has no attribute {name!r}")


__all__ = ["ReduceOp", "Work", "init", "init_process_group", "is_initialized", "is_available",
           "is_mpi_available",
           "launched_by_mpi", "destroy_process_group", "get_rank", "get_world_size",
           "get_backend", "new_group", "barrier", "all_reduce", "broadcast", "all_gather",
           "DistributedSampler", "DistributedDataParallel", "SyncBatchNorm", "train_hooks",
           "average_gradients", "reduce_metrics", "is_main_process", "print0"]
