"""DistributedSampler: disjoint shards that together cover the data set, as PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

from chaingrad.distributed import DistributedSampler

torch = pytest.importorskip("torch")
from torch.utils.data.distributed import DistributedSampler as TorchSampler  # noqa: E402


def _shards(n, replicas, **kw):
    return [list(DistributedSampler(range(n), num_replicas=replicas, rank=r, **kw))
            for r in range(replicas)]


@pytest.mark.parametrize("n", [0, 1, 7, 10, 12, 13])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_unshuffled_matches_torch(n, replicas, drop_last):
    for r in range(replicas):
        ours = DistributedSampler(range(n), replicas, r, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(range(n), replicas, r, shuffle=False, drop_last=drop_last)
        if n == 0 and not drop_last:
            assert len(ours) == len(theirs) == 0
            continue
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs) == len(list(ours))


@pytest.mark.parametrize("n", [1, 7, 13, 100])
@pytest.mark.parametrize("replicas", [1, 2, 3])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("seed", [0, 7])
def test_shuffled_matches_torch(n, replicas, drop_last, seed):
    for epoch in (0, 3):
        for r in range(replicas):
            ours = DistributedSampler(range(n), replicas, r, seed=seed, drop_last=drop_last)
            theirs = TorchSampler(range(n), replicas, r, seed=seed, drop_last=drop_last)
            ours.set_epoch(epoch)
            theirs.set_epoch(epoch)
            assert list(ours) == list(theirs)


def test_torch_randperm_bit_identical():
    from chaingrad.distributed.sampler import torch_randperm
    for n, seed in [(0, 0), (1, 3), (2, 1), (1000, 5), (60000, 123), (50, 2 ** 40 + 9)]:
        g = torch.Generator()
        g.manual_seed(seed)
        np.testing.assert_array_equal(torch_randperm(n, seed), torch.randperm(n, generator=g))


@pytest.mark.parametrize("n, replicas", [(10, 2), (13, 4), (12, 3), (3, 4)])
def test_shuffled_shards_disjoint_and_complete(n, replicas):
    shards = _shards(n, replicas, shuffle=True, seed=5)
    assert len({len(s) for s in shards}) == 1          # equal shard sizes (padding)
    flat = [i for s in shards for i in s]
    assert set(flat) == set(range(n))                  # complete
    if n % replicas == 0:
        assert len(flat) == n                          # disjoint: no index twice
    else:                                              # padding repeats the first indices
        assert len(flat) == len(shards[0]) * replicas
    dropped = _shards(n, replicas, shuffle=True, seed=5, drop_last=True)
    flat = [i for s in dropped for i in s]
    assert len(flat) == len(set(flat))                 # drop_last: strictly disjoint
    assert len(flat) == (n // replicas) * replicas


def test_epochs_reshuffle_from_the_shared_seed():
    a = DistributedSampler(range(50), 2, 0, seed=3)
    b = DistributedSampler(range(50), 2, 1, seed=3)
    e0 = list(a), list(b)
    assert set(e0[0]).isdisjoint(e0[1])
    assert list(a) == e0[0]                          # same epoch, same order
    a.set_epoch(1)
    b.set_epoch(1)
    e1 = list(a), list(b)
    assert e1[0] != e0[0] and set(e1[0]).isdisjoint(e1[1])
    assert sorted(e1[0] + e1[1]) == list(range(50))
    c = DistributedSampler(range(50), 2, 0, seed=4)
    assert list(c) != e0[0]                          # another seed, another order
    np.testing.assert_array_equal(a.index_array(), e1[0])


def test_invalid_rank():
    with pytest.raises(ValueError, match="Invalid rank 2"):
        DistributedSampler(range(5), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="Invalid rank -1"):
        DistributedSampler(range(5), num_replicas=2, rank=-1)


def test_with_dataloader():
    import chaingrad as cg
    from chaingrad.data import DataLoader, TensorDataset
    ds = TensorDataset(cg.arange(10))
    seen = []
    for r in range(2):
        s = DistributedSampler(ds, num_replicas=2, rank=r, seed=1)
        seen += [int(v) for (x,) in DataLoader(ds, batch_size=2, sampler=s) for v in x.tolist()]
    assert sorted(seen) == list(range(10))
