"""Creation functions: PyTorch's exception types for bad ranges and non-float random draws."""
import numpy as np
import pytest

import chaingrad as cg

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("fn,exc", [
    (lambda m: m.arange(0, 5, 0), RuntimeError),
    (lambda m: m.arange(0, 5, -1), RuntimeError),
    (lambda m: m.randint(5, 2, (3,)), RuntimeError),
    (lambda m: m.randint(3, 3, (1,)), RuntimeError),
    (lambda m: m.rand(2, dtype=m.int64), NotImplementedError),
    (lambda m: m.randn(2, dtype=m.int64), NotImplementedError),
    (lambda m: m.rand_like(m.tensor([1, 2])), NotImplementedError),
    (lambda m: m.randn_like(m.tensor([1, 2])), NotImplementedError),
    (lambda m: m.zeros(-1), RuntimeError),
    (lambda m: m.ones(2, -3), RuntimeError),
    (lambda m: m.linspace(0, 1, -1), RuntimeError),
    (lambda m: m.tensor(None), RuntimeError),
])
def test_error_types(fn, exc):
    for m in (torch, cg):
        with pytest.raises(exc):
            fn(m)


def test_valid_ranges_still_work():
    assert cg.arange(0, 0).shape == (0,)
    assert cg.arange(5, 0, -2).tolist() == torch.arange(5, 0, -2).tolist()
    assert cg.rand_like(cg.ones(2, dtype=cg.float64)).dtype == cg.float64
    assert int(cg.randint(3, (50,)).max()) < 3


def test_size_keyword_and_array_lists():
    for name in ("zeros", "ones", "empty", "rand", "randn"):
        assert tuple(getattr(cg, name)(size=(2, 3)).shape) == (2, 3)
    arrays = [np.ones(2), np.zeros(2)]
    t, c = torch.tensor(np.stack(arrays)), cg.tensor(arrays)
    assert c.dtype == cg.float64 and str(t.dtype) == "torch.float64"


def test_seeds():
    g = cg.Generator().manual_seed(3)
    assert g.initial_seed() == 3
    cg.manual_seed(7)
    from chaingrad.random import initial_seed
    assert initial_seed() == 7
    s = cg.seed()  # a fresh seed, returned
    assert isinstance(s, int) and initial_seed() == s
