"""``DistributedSampler``: each rank reads its own disjoint slice of the data set."""
from __future__ import annotations

import math

import numpy as np

from ..data.sampler import Sampler


def torch_randperm(n: int, seed: int) -> np.ndarray:
    """The permutation ``torch.randperm(n, generator=torch.Generator().manual_seed(seed))``
    gives, bit for bit, so that shards match a PyTorch job's (for n < 2**32 / 20).

    PyTorch's CPU generator is the 32-bit Mersenne Twister seeded with ``init_genrand(seed)``,
    the seeding NumPy's legacy ``RandomState(seed)`` uses too, and ``randperm`` is the
    Fisher-Yates shuffle ``swap(r[i], r[i + u_i % (n - i)])`` over its raw 32-bit draws u_i.
    (A seeded stream of its own, not chaingrad's global generator: every rank must draw the
    same permutation whatever else it has drawn.)
    """
    rs = np.random.RandomState(int(seed) % 2 ** 32)
    draws = rs.randint(0, 2 ** 32, size=max(n - 1, 0), dtype=np.uint64)
    z = (draws % (n - np.arange(n - 1, dtype=np.uint64))).tolist() if n > 1 else []
    r = list(range(n))
    for i, k in enumerate(z):
        j = i + k
        r[i], r[j] = r[j], r[i]
    return np.asarray(r, dtype=np.int64)


class DistributedSampler(Sampler):
    """Indices of the data set for one rank: disjoint across ranks, together the whole set.

    Every rank draws the same permutation of ``range(len(dataset))`` from the shared
    ``seed + epoch`` (so nothing has to be communicated; it is PyTorch's permutation for that
    seed, see ``torch_randperm``), makes its length a multiple of the number of replicas, and
    keeps every ``num_replicas``-th index starting at ``rank``:

        indices = perm(seed + epoch)                       # or range(N) without shuffle
        padded  = indices + indices[:pad]   (drop_last=False: repeat the first ones)
                  indices[:total]           (drop_last=True:  drop the tail)
        mine    = padded[rank : total : num_replicas]      # total = num_samples * num_replicas

    ``num_samples = ceil(N / R)`` (or ``ceil((N - R) / R)`` with ``drop_last`` when R does not
    divide N), as PyTorch. Call ``set_epoch(e)`` at the start of every epoch, or every epoch
    sees the same order.

    Args:
        dataset: anything with ``len()``.
        num_replicas: number of ranks (default: the world size).
        rank: this rank (default: ``get_rank()``).
        shuffle: permute the indices every epoch (default True).
        seed: the shared seed (default 0); must be the same on every rank.
        drop_last: drop the tail instead of padding (default False).

    Example::

        sampler = DistributedSampler(train_set, shuffle=True, seed=0)
        loader = DataLoader(train_set, batch_size=32, sampler=sampler)
        for epoch in range(epochs):
            sampler.set_epoch(epoch)
            for x, y in loader: ...
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        from . import comm
        if num_replicas is None:
            num_replicas = comm.get_world_size()
        if rank is None:
            rank = comm.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.epoch = 0
        self.drop_last = bool(drop_last)
        n = len(dataset)
        if self.drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = bool(shuffle)
        self.seed = int(seed)

    def indices(self) -> np.ndarray:
        """This rank's indices for the current epoch, as an int64 array."""
        n = len(self.dataset)
        if self.shuffle:
            idx = torch_randperm(n, self.seed + self.epoch)
        else:
            idx = np.arange(n, dtype=np.int64)
        if not self.drop_last:
            pad = self.total_size - n
            if pad > 0:
                reps = math.ceil(pad / max(n, 1))
                idx = np.concatenate([idx, np.tile(idx, reps)[:pad]])
        else:
            idx = idx[:self.total_size]
        return idx[self.rank:self.total_size:self.num_replicas]

    index_array = indices  # what DataLoader's fast batching path asks a sampler for

    def __iter__(self):
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use the permutation of ``seed + epoch`` from now on (call it once per epoch)."""
        self.epoch = int(epoch)
