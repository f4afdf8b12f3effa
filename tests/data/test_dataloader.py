"""DataLoader, samplers, datasets and collation against torch.utils.data."""
import numpy as np
import pytest

import chaingrad as cg
from chaingrad.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, RandomSampler,
                            SequentialSampler, Subset, TensorDataset, default_collate,
                            random_split)

torch = pytest.importorskip("torch")


def _np(t):
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t)


class Squares(Dataset):
    """A per-sample dataset (no batch hook): exercises the collate path."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return {"x": np.full(2, i, dtype=np.float32), "y": i * i, "name": f"s{i}"}


@pytest.mark.parametrize("n,bs,drop", [(10, 3, False), (10, 3, True), (9, 3, False), (1, 4, False)])
def test_sequential_batches_match_torch(n, bs, drop):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n)
    ours = list(DataLoader(TensorDataset(cg.tensor(x), cg.tensor(y)), batch_size=bs, drop_last=drop))
    ref = list(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)),
                                           batch_size=bs, drop_last=drop))
    assert len(ours) == len(ref)
    for (a, b), (ta, tb) in zip(ours, ref):
        np.testing.assert_array_equal(_np(a), ta.numpy())
        np.testing.assert_array_equal(_np(b), tb.numpy())
        assert _np(b).dtype == np.int64


def test_len_matches_torch():
    ds = TensorDataset(cg.zeros(10, 1))
    for bs in (1, 3, 4, 10, 11):
        for drop in (False, True):
            ref = torch.utils.data.DataLoader(range(10), batch_size=bs, drop_last=drop)
            assert len(DataLoader(ds, batch_size=bs, drop_last=drop)) == len(ref)


def test_collate_path_matches_torch():
    ours = list(DataLoader(Squares(), batch_size=3))
    ref = list(torch.utils.data.DataLoader(Squares(), batch_size=3))
    for a, b in zip(ours, ref):
        np.testing.assert_array_equal(_np(a["x"]), b["x"].numpy())
        np.testing.assert_array_equal(_np(a["y"]), b["y"].numpy())
        assert a["name"] == b["name"]


def test_default_collate_types():
    out = default_collate([(1.5, 2, np.zeros(3)), (2.5, 3, np.ones(3))])
    ref = torch.utils.data.default_collate([(1.5, 2, np.zeros(3)), (2.5, 3, np.ones(3))])
    for a, b in zip(out, ref):
        assert _np(a).dtype == b.numpy().dtype
        np.testing.assert_array_equal(_np(a), b.numpy())
    with pytest.raises(RuntimeError):
        default_collate([[1, 2], [1]])


def test_shuffle_is_a_permutation_and_seeded():
    ds = TensorDataset(cg.arange(50))
    cg.manual_seed(3)
    a = np.concatenate([_np(b[0]) for b in DataLoader(ds, batch_size=8, shuffle=True)])
    cg.manual_seed(3)
    b = np.concatenate([_np(b[0]) for b in DataLoader(ds, batch_size=8, shuffle=True)])
    np.testing.assert_array_equal(a, b)
    assert sorted(a.tolist()) == list(range(50)) and a.tolist() != list(range(50))
    loader = DataLoader(ds, batch_size=50, shuffle=True, seed=1)
    e1, e2 = (_np(next(iter(loader))[0]) for _ in range(2))
    assert e1.tolist() != e2.tolist()          # a new order every pass
    g = cg.Generator().manual_seed(1)
    np.testing.assert_array_equal(_np(next(iter(DataLoader(ds, 50, shuffle=True, generator=g)))[0]), e1)


def test_resume_mid_pass_replays_the_same_order():
    ds = TensorDataset(cg.arange(40))
    full = DataLoader(ds, batch_size=6, shuffle=True, seed=5)
    order = [[_np(b[0]).tolist() for b in full] for _ in range(2)]
    loader = DataLoader(ds, batch_size=6, shuffle=True, seed=5)
    it = iter(loader)
    first = [_np(next(it)[0]).tolist() for _ in range(3)]
    state = loader.state_dict()
    fresh = DataLoader(ds, batch_size=6, shuffle=True, seed=99)
    fresh.load_state_dict(state)
    rest = [_np(b[0]).tolist() for b in fresh]
    assert first + rest == order[0]
    assert [_np(b[0]).tolist() for b in fresh] == order[1]


def test_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    assert list(BatchSampler(SequentialSampler(range(5)), 2, False)) == [[0, 1], [2, 3], [4]]
    assert list(BatchSampler(SequentialSampler(range(5)), 2, True)) == [[0, 1], [2, 3]]
    s = RandomSampler(range(10), generator=cg.Generator().manual_seed(0))
    assert sorted(s) == list(range(10))
    assert len(list(RandomSampler(range(10), replacement=True, num_samples=25))) == 25
    with pytest.raises(ValueError):
        BatchSampler(SequentialSampler(range(5)), 0, False)
    with pytest.raises(ValueError):
        DataLoader(TensorDataset(cg.zeros(3)), batch_size=0)
    with pytest.raises(ValueError):
        DataLoader(TensorDataset(cg.zeros(3)), shuffle=True, sampler=SequentialSampler(range(3)))


def test_custom_sampler_and_collate():
    ds = TensorDataset(cg.arange(6))
    loader = DataLoader(ds, batch_size=2, sampler=[5, 4, 3, 2, 1, 0],
                        collate_fn=lambda items: [int(i[0]) for i in items])
    assert list(loader) == [[5, 4], [3, 2], [1, 0]]
    assert [int(x[0]) for x in DataLoader(ds, batch_size=None)] == list(range(6))


def test_subset_concat_random_split():
    a = TensorDataset(cg.arange(5))
    b = TensorDataset(cg.arange(10, 13))
    c = ConcatDataset([a, b])
    assert len(c) == 8 and int(c[6][0]) == 11 and int(c[-1][0]) == 12
    got = next(iter(DataLoader(c, batch_size=8, sampler=[7, 0, 5, 2, 6, 1, 3, 4])))[0]
    assert _np(got).tolist() == [12, 0, 10, 2, 11, 1, 3, 4]
    s = Subset(a, [4, 0])
    assert _np(next(iter(DataLoader(s, batch_size=2)))[0]).tolist() == [4, 0]
    parts = random_split(range(10), [0.5, 0.3, 0.2], generator=cg.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [5, 3, 2]
    assert sorted(sum((list(p) for p in parts), [])) == list(range(10))
    assert [len(p) for p in random_split(range(10), [0.34, 0.33, 0.33])] == \
        [len(p) for p in torch.utils.data.random_split(range(10), [0.34, 0.33, 0.33])]
    with pytest.raises(ValueError):
        random_split(range(10), [3, 3])


def test_fast_path_does_no_per_sample_work(monkeypatch):
    def no_sample_access(self, index):
        raise AssertionError("per-sample access in the batched hot path")

    # patched on the class itself: a subclass overriding __getitem__ is read per sample
    monkeypatch.setattr(TensorDataset, "__getitem__", no_sample_access)
    ds = TensorDataset(cg.arange(20).reshape(10, 2), cg.arange(10))
    batches = list(DataLoader(ds, batch_size=4, shuffle=True, seed=0))
    assert [len(b[1]) for b in batches] == [4, 4, 2]


def test_fast_path_equals_per_sample_collation():
    from chaingrad.data.datasets import Digits
    from chaingrad.data import transforms as T
    ds = Subset(Digits(transform=T.Normalize((0.2,), (0.4,))), list(range(50)))
    fast = list(DataLoader(ds, batch_size=16))
    slow = list(DataLoader(ds, batch_size=16, collate_fn=lambda b: default_collate(b)))
    for (xf, yf), (xs, ys) in zip(fast, slow):
        np.testing.assert_allclose(xf.numpy(), xs.numpy(), rtol=1e-6)
        np.testing.assert_array_equal(yf.numpy(), ys.numpy())
