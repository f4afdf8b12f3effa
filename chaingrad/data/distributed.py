"""``torch.utils.data.distributed``'s spelling: ``DistributedSampler`` (it lives with the MPI
code in ``chaingrad.distributed.sampler`` and is loaded on first use)."""
from __future__ import annotations

__all__ = ["DistributedSampler"]


def __getattr__(name):
    if name == "DistributedSampler":
        from ..distributed.sampler import DistributedSampler
        return DistributedSampler
    raise AttributeError(f"module 'chaingrad.data.distributed' has no attribute {name!r}")
