"""Data API corners against torch.utils.data: WeightedRandomSampler, TensorDataset's size
check."""
import numpy as np
import pytest

import chaingrad as cg

torch = pytest.importorskip("torch")
tud = torch.utils.data


def test_weighted_random_sampler_frequencies_and_seed():
    cg.manual_seed(0)
    s = cg.data.WeightedRandomSampler([0.1, 0.0, 0.9], 2000)
    first = list(s)
    assert len(s) == len(first) == 2000
    counts = np.bincount(first, minlength=3)
    assert counts[1] == 0 and 0.85 < counts[2] / 2000 < 0.95
    cg.manual_seed(0)
    assert list(s) == first


def test_weighted_random_sampler_without_replacement_is_a_permutation():
    s = cg.data.WeightedRandomSampler(cg.tensor([1.0, 2.0, 3.0, 4.0]), 4, replacement=False)
    assert sorted(s) == [0, 1, 2, 3]


@pytest.mark.parametrize("args,kw", [(([1.0, 2.0], 0), {}), (([1.0, 2.0], 2), {"replacement": 1}),
                                     (([[1.0, 2.0]], 2), {})])
def test_weighted_random_sampler_value_errors(args, kw):
    with pytest.raises(ValueError):
        tud.WeightedRandomSampler(*args, **kw)
    with pytest.raises(ValueError):
        cg.data.WeightedRandomSampler(*args, **kw)


def test_weighted_sampler_in_a_loader():
    ds = cg.data.TensorDataset(cg.arange(6.0), cg.arange(6))
    loader = cg.data.DataLoader(ds, batch_size=4, sampler=cg.data.WeightedRandomSampler([1] * 6, 10))
    assert [len(b[1]) for b in loader] == [4, 4, 2]


def test_tensor_dataset_size_mismatch_is_an_assertion_error_as_torch():
    with pytest.raises(AssertionError):
        tud.TensorDataset(torch.ones(2), torch.ones(3))
    with pytest.raises(AssertionError):
        cg.data.TensorDataset(cg.ones(2), cg.ones(3))
    with pytest.raises(ValueError):  # and still the ValueError it was
        cg.data.TensorDataset(cg.ones(2), cg.ones(3))


def test_collating_unequal_sizes_is_runtime_error():
    with pytest.raises(RuntimeError):
        tud.default_collate([torch.ones(2), torch.ones(3)])
    with pytest.raises(RuntimeError):
        cg.data.default_collate([cg.ones(2), cg.ones(3)])


def test_torch_utils_data_spelling():
    from chaingrad.utils.data import DataLoader, TensorDataset
    assert cg.utils.data is cg.data
    assert DataLoader is cg.data.DataLoader and TensorDataset is cg.data.TensorDataset


def test_chain_and_stack_datasets_and_worker_info():
    def stream(m, n):
        class Stream(m.IterableDataset):
            def __iter__(self):
                return iter(range(n))

            def __len__(self):
                return n
        return Stream()

    for m in (tud, cg.data):
        assert list(m.ChainDataset([stream(m, 3), stream(m, 2)])) == [0, 1, 2, 0, 1]
        assert list(stream(m, 2) + stream(m, 1)) == [0, 1, 0]
        assert m.get_worker_info() is None
        with pytest.raises(ValueError):
            m.StackDataset([1, 2], [1])
    s = cg.data.StackDataset(x=cg.arange(4.0), y=cg.arange(4))
    batch = next(iter(cg.data.DataLoader(s, batch_size=2)))
    assert set(batch) == {"x", "y"} and batch["y"].tolist() == [0, 1]
    assert cg.data.StackDataset(cg.arange(3), cg.arange(3) * 2)[1][1].item() == 2
    assert cg.data.DistributedSampler is cg.distributed.DistributedSampler
