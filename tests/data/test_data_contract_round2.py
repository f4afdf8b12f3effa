"""Data contract details from the second API audit, against torch.utils.data: strings keep
the container PyTorch gives them (a tuple inside a sequence), ConcatDataset([]) is an
AssertionError; plus cg.normal / cg.bernoulli reproducible from cg.manual_seed."""
import collections

import pytest

import chaingrad as cg

torch = pytest.importorskip("torch")

NT = collections.namedtuple("NT", "a b")


def _plain(x):
    if isinstance(x, (cg.Tensor, torch.Tensor)):
        return ("T", x.tolist())
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_plain(v) for v in x])
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    return x


@pytest.mark.parametrize("batch", [
    [(1, "a"), (2, "b")], [["x", 1.5], ["y", 2.5]], ["a", "b"], [NT(1, "s"), NT(2, "t")],
    [{"n": "a", "v": (1, "q")}, {"n": "b", "v": (2, "r")}]])
def test_default_collate_containers(batch):
    got = cg.utils.data.default_collate(batch)
    want = torch.utils.data.default_collate(batch)
    assert _plain(got) == _plain(want)


def test_dataloader_batches_of_tuples_with_strings():
    got = list(cg.utils.data.DataLoader([(1, "a"), (2, "b")], batch_size=2))
    want = list(torch.utils.data.DataLoader([(1, "a"), (2, "b")], batch_size=2))
    assert _plain(got) == _plain(want)


def test_concat_of_nothing_is_an_assertion():
    for M in (cg, torch):
        with pytest.raises(AssertionError):
            M.utils.data.ConcatDataset([])


def test_normal_and_bernoulli():
    cg.manual_seed(0)
    a = cg.normal(cg.zeros(3), cg.ones(3))
    cg.manual_seed(0)
    assert cg.normal(cg.zeros(3), cg.ones(3)).tolist() == a.tolist()
    for M in (cg, torch):
        assert M.normal(M.tensor([1., 2.]), M.tensor([0., 0.])).tolist() == [1., 2.]
        assert M.normal(2., 0., size=(2,)).tolist() == [2., 2.]
        assert M.normal(2., 0., size=(2,)).dtype == M.float32
        assert M.bernoulli(M.tensor([0., 1.])).tolist() == [0., 1.]
    assert abs(cg.bernoulli(cg.full((4000,), 0.3)).mean().item() - 0.3) < 0.05
