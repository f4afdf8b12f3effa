"""Rprop and ASGD against PyTorch: parameters after several steps, state layout, errors."""
import numpy as np
import pytest

import chaingrad as cg

torch = pytest.importorskip("torch")

W0 = np.random.default_rng(0).standard_normal((3, 4))


def _run(m, name, kw, dtype, steps=8):
    w = m.tensor(W0.astype(dtype), requires_grad=True)
    opt = getattr(m.optim, name)([w], **kw)
    for _ in range(steps):
        opt.zero_grad()
        ((w ** 3).sum() * 0.1 + (w * w).mean() + w.sin().sum()).backward()
        opt.step()
    return w.detach().numpy(), opt.state_dict()


@pytest.mark.parametrize("name,kw", [
    ("Rprop", {}), ("Rprop", dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2), maximize=True)),
    ("ASGD", {}), ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=3, weight_decay=0.1)),
    ("ASGD", dict(lr=0.05, t0=0, maximize=True)),
])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_torch(name, kw, dtype):
    (wc, sc), (wt, st) = _run(cg, name, kw, dtype), _run(torch, name, kw, dtype)
    np.testing.assert_allclose(wc, wt, rtol=1e-6 if dtype == np.float32 else 1e-12, atol=1e-7)
    assert sorted(sc["state"][0]) == sorted(st["state"][0])
    for key, value in st["state"][0].items():
        np.testing.assert_allclose(sc["state"][0][key].numpy(), value.numpy(), rtol=1e-5)
        assert sc["state"][0][key].numpy().dtype == value.numpy().dtype, key


def test_bad_hyper_parameters():
    for m in (torch, cg):
        with pytest.raises(ValueError):
            m.optim.Rprop([m.ones(1, requires_grad=True)], etas=(1.5, 1.2))
        with pytest.raises(ValueError):
            m.optim.ASGD([m.ones(1, requires_grad=True)], lr=-1)
