"""``chaingrad.data``: datasets, samplers, the ``DataLoader`` and batch transforms
(PyTorch's ``torch.utils.data`` names and semantics).

    from chaingrad.data import DataLoader, TensorDataset
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
"""
from .dataset import (Dataset, IterableDataset, TensorDataset, Subset, ConcatDataset,
                      random_split)
from .sampler import (Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler,
                      WeightedRandomSampler, BatchSampler)
from .dataloader import DataLoader, default_collate, default_convert
from .dataset_extra import ChainDataset, StackDataset, get_worker_info
from . import transforms, datasets

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
           "random_split", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "DataLoader",
           "default_collate", "default_convert", "transforms", "datasets", "ChainDataset",
           "StackDataset", "get_worker_info", "DistributedSampler"]


def __getattr__(name):
    # torch.utils.data.DistributedSampler; it lives with the MPI code, loaded on first use
    if name == "DistributedSampler":
        from ..distributed.sampler import DistributedSampler
        return DistributedSampler
    raise AttributeError(f"module 'chaingrad.data' has no attribute {name!r}")
