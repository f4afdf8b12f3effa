"""Round-3 conformance of chaingrad.data with torch.utils.data: collation of nested and NumPy
samples, DataLoader options, attributes and errors, samplers, datasets (compared directly)."""
import collections
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as TD

import chaingrad as cg
import chaingrad.utils.data as CD

Pt = collections.namedtuple("Pt", "x y")


def _norm(r):
    """A library-neutral description of a (nested) result."""
    if isinstance(r, (torch.Tensor, cg.Tensor)):
        return ("T", str(r.dtype).split(".")[-1], tuple(r.shape), r.tolist())
    if isinstance(r, dict):
        return (type(r).__name__, {k: _norm(v) for k, v in r.items()})
    if isinstance(r, tuple) and hasattr(r, "_fields"):
        return ("namedtuple", tuple(_norm(x) for x in r))
    if isinstance(r, (list, tuple)):
        return (type(r).__name__, [_norm(x) for x in r])
    return (type(r).__name__, r)


def _both(f):
    """f(module, lib) for torch and chaingrad: equal results or the same error type."""
    out = []
    for mod, lib in ((TD, torch), (CD, cg)):
        try:
            out.append(("ok", _norm(f(mod, lib))))
        except Exception as e:  # noqa: BLE001 - compared below
            out.append(("err", [c.__name__ for c in type(e).__mro__
                                if c.__module__ == "builtins"][0]))
    assert out[0] == out[1]


BATCHES = {
    "np scalars": lambda L: [np.float32(1), np.float32(2)],
    "np int64": lambda L: [np.int64(1), np.int64(2)],
    "np bool_": lambda L: [np.bool_(True), np.bool_(False)],
    "tuple with str": lambda L: [(1, 2.0, "a"), (3, 4.0, "b")],
    "ordered dict": lambda L: [collections.OrderedDict(a=1), collections.OrderedDict(a=2)],
    "defaultdict": lambda L: [collections.defaultdict(int, a=1.0), collections.defaultdict(int, a=2.0)],
    "nested": lambda L: [{"x": (np.zeros(2), {"z": 1})}, {"x": (np.ones(2), {"z": 2})}],
    "range": lambda L: [range(2), range(2)],
    "int then float": lambda L: [1, 2.5],
    "namedtuple": lambda L: [Pt(np.int32(1), 2.0), Pt(np.int32(3), 4.0)],
    "mismatched": lambda L: [L.zeros(2), L.ones(3)],
    "object": lambda L: [None, None],
}


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_default_collate_and_convert_like_torch(name):
    _both(lambda M, L: M.default_collate(BATCHES[name](L)))
    if name != "mismatched":
        _both(lambda M, L: M.default_convert(BATCHES[name](L)))


def test_stack_error_names_the_entry():
    with pytest.raises(RuntimeError, match="at entry 0 and \\[3\\] at entry 2"):
        CD.default_collate([cg.zeros(2), cg.zeros(2), cg.zeros(3)])


def test_loader_attributes_and_default_collate_fn():
    for kw in ({"batch_size": 3}, {"batch_size": None}, {"batch_size": 2, "num_workers": 2}):
        t, c = TD.DataLoader(list(range(5)), **kw), CD.DataLoader(list(range(5)), **kw)
        for name in ("batch_size", "drop_last", "num_workers", "timeout", "pin_memory",
                     "prefetch_factor", "persistent_workers", "worker_init_fn",
                     "pin_memory_device", "in_order"):
            assert getattr(c, name) == getattr(t, name), name
        assert c.collate_fn is (CD.default_collate if kw["batch_size"] else CD.default_convert)
        assert type(c.sampler).__name__ == type(t.sampler).__name__
        assert (c.batch_sampler is None) == (t.batch_sampler is None)


@pytest.mark.parametrize("kw", [dict(timeout=-1), dict(prefetch_factor=2),
                                dict(persistent_workers=True), dict(num_workers=-1),
                                dict(num_workers=2, prefetch_factor=-1),
                                dict(multiprocessing_context="spawn"),
                                dict(num_workers=1, multiprocessing_context="nope")])
def test_loader_option_errors(kw):
    _both(lambda M, L: M.DataLoader(list(range(5)), **kw))


@pytest.mark.parametrize("name", ["batch_size", "sampler", "batch_sampler", "drop_last",
                                  "dataset", "persistent_workers"])
def test_loader_attributes_frozen_after_init(name):
    loader = CD.DataLoader(list(range(5)), batch_size=2)
    with pytest.raises(ValueError, match=f"{name} attribute should not be set"):
        setattr(loader, name, None)
    loader.collate_fn = lambda b: len(b)  # allowed, as in PyTorch
    assert list(loader) == [2, 2, 1]


def test_iterator_has_length_and_is_its_own_iterator():
    for mod in (TD, CD):
        it = iter(mod.DataLoader(list(range(5)), batch_size=2))
        assert len(it) == 3 and iter(it) is it and next(it).tolist() == [0, 1]


def test_custom_keys_pass_through_unchanged():
    # a sampler may yield any keys (here dict keys); PyTorch hands them over as they are
    d = {"a": 1, "b": 2}
    for kw in (dict(sampler=["a", "b"]), dict(sampler=["a", "b"], batch_size=2),
               dict(batch_sampler=[["a", "b"]]), dict(sampler=["b"], batch_size=None)):
        _both(lambda M, L: list(M.DataLoader(d, **kw)))


def test_subclass_overriding_getitem_is_honoured():
    class Doubled(CD.TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x * 2, y

    ds = Doubled(cg.arange(6.0), cg.arange(6))
    xb, yb = next(iter(CD.DataLoader(ds, batch_size=6)))
    assert xb.tolist() == [0, 2, 4, 6, 8, 10] and yb.tolist() == list(range(6))


def test_getitems_is_used_for_batches():
    class Batched(CD.Dataset):
        calls = []

        def __len__(self):
            return 5

        def __getitem__(self, i):
            raise AssertionError("per-sample read although __getitems__ exists")

        def __getitems__(self, idx):
            self.calls.append(list(idx))
            return [float(i) for i in idx]

    assert [b.tolist() for b in CD.DataLoader(Batched(), batch_size=3)] == [[0, 1, 2], [3, 4]]
    assert Batched.calls == [[0, 1, 2], [3, 4]]
    sub = CD.Subset(Batched(), [4, 2])
    assert sub.__getitems__([0, 1]) == [4.0, 2.0]


def test_iterable_dataset_errors_name_the_option():
    class It(CD.IterableDataset):
        def __iter__(self):
            return iter(range(5))

    for kw, word in ((dict(shuffle=True), "shuffle"), (dict(sampler=[0]), "sampler"),
                     (dict(batch_sampler=[[0]]), "batch_sampler")):
        with pytest.raises(ValueError, match=f"expected unspecified {word} option"):
            CD.DataLoader(It(), **kw)
    assert [b.tolist() for b in CD.DataLoader(It(), batch_size=2, shuffle=False)] == \
        [[0, 1], [2, 3], [4]]
    with pytest.raises(AssertionError):
        CD.ConcatDataset([It()])


def test_weighted_sampler_like_torch():
    s = CD.WeightedRandomSampler([1, 2], 3)
    assert s.weights.dtype == cg.float64 and s.weights.tolist() == [1.0, 2.0]
    for w in ([-1.0, 1.0], [0.0, 0.0], [float("inf"), 1.0]):
        t, c = TD.WeightedRandomSampler(w, 2), CD.WeightedRandomSampler(w, 2)  # no error yet
        with pytest.raises(RuntimeError) as et:
            list(t)
        with pytest.raises(RuntimeError) as ec:
            list(c)
        assert str(ec.value) == str(et.value)
    # as torch: len(weights) bounds a draw without replacement, zero weights come last
    assert list(CD.WeightedRandomSampler([1.0, 0.0], 2, replacement=False)) == [0, 1]
    got = sorted(CD.WeightedRandomSampler([1.0, 5.0, 2.0], 3, replacement=False))
    assert got == [0, 1, 2]
    with pytest.raises(RuntimeError, match="without replacement"):
        list(CD.WeightedRandomSampler([1.0, 1.0], 3, replacement=False))


def test_subset_random_sampler_keeps_indices():
    s = CD.SubsetRandomSampler([5, 3, 9], generator=cg.Generator().manual_seed(0))
    assert s.indices == [5, 3, 9] and sorted(s) == [3, 5, 9]
    keys = CD.SubsetRandomSampler(["a", "b"])
    assert sorted(keys) == ["a", "b"]


def test_random_split_zero_length_warns():
    for fn in (TD.random_split, CD.random_split):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            parts = fn(range(2), [0.5, 0.4, 0.1])
        assert [len(p) for p in parts] == [2, 0, 0]
        assert any("Length of split at index 1 is 0" in str(x.message) for x in w)


def test_dataset_messages_and_empty_tensor_dataset():
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement"):
        CD.Dataset()[0]
    with pytest.raises(IndexError):
        CD.TensorDataset()
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        CD.TensorDataset(cg.zeros(2), cg.zeros(3))


def test_batches_of_a_tensor_requiring_grad_stay_in_the_graph():
    for mod, lib in ((TD, torch), (CD, cg)):
        w = lib.ones(4, requires_grad=True)
        (b,) = next(iter(mod.DataLoader(mod.TensorDataset(w), batch_size=2, sampler=[3, 0])))
        assert b.requires_grad
        (b * 3).sum().backward()
        assert w.grad.tolist() == [3.0, 0.0, 0.0, 3.0]


def _order(loader):
    return [int(v) for (b,) in loader for v in b]


def test_generator_semantics_of_shuffling():
    ds = CD.TensorDataset(cg.arange(12))
    cg.manual_seed(0)
    a = _order(CD.DataLoader(ds, batch_size=5, shuffle=True))
    cg.default_generator.manual_seed(0)  # torch.default_generator's spelling: the same stream
    assert _order(CD.DataLoader(ds, batch_size=5, shuffle=True)) == a
    loader = CD.DataLoader(ds, batch_size=5, shuffle=True)
    assert sorted(_order(loader)) == list(range(12)) and _order(loader) != _order(loader)
    # a loader's own generator: reproducible, and it leaves the global stream alone
    cg.manual_seed(5)
    x = cg.rand(3)
    cg.manual_seed(5)
    g1, g2 = cg.Generator().manual_seed(1), cg.Generator().manual_seed(1)
    assert _order(CD.DataLoader(ds, batch_size=5, shuffle=True, generator=g1)) == \
        _order(CD.DataLoader(ds, batch_size=5, shuffle=True, generator=g2))
    assert cg.rand(3).tolist() == x.tolist()
    cg.manual_seed(2)
    first = CD.random_split(range(10), [0.5, 0.5])[0].indices
    parts = CD.random_split(range(10), [0.5, 0.5],
                            generator=cg.default_generator.manual_seed(2))
    assert parts[0].indices == first and isinstance(cg.default_generator, cg.Generator)
    assert cg.default_generator.initial_seed() == 2 == cg.initial_seed()


def test_default_collate_of_tensors_requiring_grad_is_differentiable():
    for mod, lib in ((TD, torch), (CD, cg)):
        w = lib.ones(2, requires_grad=True)
        batch = mod.default_collate([w * 2, w * 3])
        assert batch.requires_grad
        batch.sum().backward()
        assert w.grad.tolist() == [5.0, 5.0]


def test_torch_submodule_spellings_import():
    from chaingrad.utils.data.dataloader import default_collate
    from chaingrad.utils.data.distributed import DistributedSampler
    from chaingrad.utils.data.sampler import RandomSampler
    from chaingrad.utils.data.dataset import Subset
    assert RandomSampler is CD.RandomSampler and Subset is CD.Subset
    assert default_collate is CD.default_collate
    assert DistributedSampler is CD.DistributedSampler


def _sharded(mod):
    class Range(mod.IterableDataset):
        """torch's documented example: each worker takes its share of [start, end)."""

        def __init__(self, start, end):
            self.start, self.end = start, end

        def __iter__(self):
            info = mod.get_worker_info()
            lo, hi = self.start, self.end
            if info is not None:
                per = -(-(self.end - self.start) // info.num_workers)
                lo = self.start + info.id * per
                hi = min(lo + per, self.end)
            return iter(range(lo, hi))
    return Range


def _flat(x):
    if hasattr(x, "tolist"):
        return x.tolist()
    return [_flat(t) for t in x] if isinstance(x, (list, tuple)) else x


@pytest.mark.parametrize("kw", [dict(num_workers=2), dict(num_workers=3, batch_size=2),
                                dict(num_workers=2, batch_size=2, drop_last=True)])
def test_iterable_dataset_with_workers_orders_batches_as_torch(kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: "suggested max number of worker"
        ref = _flat(list(TD.DataLoader(_sharded(TD)(3, 10), **kw)))
    assert _flat(list(CD.DataLoader(_sharded(CD)(3, 10), **kw))) == ref
    # without sharding every worker yields the whole stream, as in PyTorch
    assert len(_flat(list(CD.DataLoader(_sharded(CD)(0, 0), **kw)))) == 0


def test_workers_info_init_fn_and_random_streams():
    seen = []

    class Rand(CD.Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            info = CD.get_worker_info()
            return info.id, float(cg.rand(1)), info.seed - i % 2 * 0

    def init(worker_id):
        info = CD.get_worker_info()
        seen.append((worker_id, info.id, info.num_workers))

    assert CD.get_worker_info() is None
    cg.manual_seed(0)
    before = cg.rand(2).tolist()
    cg.manual_seed(0)
    loader = CD.DataLoader(Rand(), batch_size=None, num_workers=2, worker_init_fn=init,
                           generator=cg.Generator().manual_seed(3))
    first = list(loader)
    assert cg.rand(2).tolist() == before  # the main process's stream untouched
    assert seen == [(0, 0, 2), (1, 1, 2)] and CD.get_worker_info() is None
    assert [int(w) for w, _, _ in first] == [0, 1, 0, 1, 0, 1]
    assert first[1][2] == first[0][2] + 1  # seed = base_seed + worker id
    again = list(CD.DataLoader(Rand(), batch_size=None, num_workers=2,
                               generator=cg.Generator().manual_seed(3)))
    assert [r[1] for r in again] == [r[1] for r in first]  # reproducible from the generator
    with pytest.raises(RuntimeError, match="Cannot assign attributes"):
        loader2 = CD.DataLoader(Rand(), num_workers=1, worker_init_fn=lambda i: setattr(
            CD.get_worker_info(), "id", 5))
        list(loader2)
    seen.clear()
    persistent = CD.DataLoader(Rand(), num_workers=2, worker_init_fn=init,
                               persistent_workers=True)
    list(persistent), list(persistent)
    assert len(seen) == 2  # started once


def test_to_tensor_takes_hwc_arrays_as_torchvision():
    from chaingrad.data import transforms as T
    img = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)  # H, W, C
    out = T.ToTensor()(img)
    assert tuple(out.shape) == (4, 2, 3) and out.dtype == cg.float32
    np.testing.assert_allclose(out.numpy(), torch.from_numpy(img).permute(2, 0, 1).numpy() / 255,
                               rtol=1e-6)
    assert T.ToTensor()(np.ones((2, 3))).dtype == cg.float64  # non-uint8 dtypes kept
    assert tuple(T.ToTensor()(np.ones((2, 3), np.uint8)).shape) == (1, 2, 3)
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional"):
        T.ToTensor()(np.ones(3))


def test_manual_seed_returns_the_default_generator():
    g = cg.manual_seed(4)
    assert g is cg.default_generator and isinstance(torch.manual_seed(4), torch.Generator)
    a = cg.rand(3, generator=g)
    cg.manual_seed(4)
    assert cg.rand(3).tolist() == a.tolist()


def test_typed_datasets_samplers_and_loaders_as_torch():
    from typing import Tuple
    for name in ("Dataset", "IterableDataset", "Sampler", "DataLoader", "TensorDataset",
                 "Subset", "ConcatDataset", "StackDataset", "RandomSampler", "BatchSampler"):
        outcome = []
        for mod in (TD, CD):
            try:
                getattr(mod, name)[int]
                outcome.append("ok")
            except TypeError:
                outcome.append("TypeError")
        assert outcome[0] == outcome[1], name

    class Typed(CD.Dataset[Tuple[cg.Tensor, int]]):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return cg.ones(2) * i, i

    assert [b[1].tolist() for b in CD.DataLoader(Typed(), batch_size=2)] == [[0, 1], [2]]
