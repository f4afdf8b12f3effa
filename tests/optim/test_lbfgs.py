"""LBFGS (fixed step, no line search) against PyTorch: parameters, returned losses and
closure-evaluation counts over several steps."""
import numpy as np
import pytest

import chaingrad as cg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
A, B, W0 = RNG.standard_normal((6, 4)), RNG.standard_normal(6), RNG.standard_normal(4)


def _run(m, kw, steps=3):
    w = m.tensor(W0.copy(), requires_grad=True)
    b = m.tensor(np.zeros(1), requires_grad=True)
    a, bv = m.tensor(A), m.tensor(B)
    opt = m.optim.LBFGS([w, b], **kw)

    def closure():
        opt.zero_grad()
        r = a @ w + b - bv
        loss = (r * r).sum() + (w ** 4).sum() * 0.1
        loss.backward()
        return loss

    losses = [float(opt.step(closure).detach()) for _ in range(steps)]
    st = opt.state[w]
    return np.concatenate([w.detach().numpy(), b.detach().numpy()]), losses, st["func_evals"], \
        st["n_iter"]


@pytest.mark.parametrize("kw", [{}, dict(lr=0.5, max_iter=5), dict(history_size=2, max_iter=10),
                                dict(tolerance_grad=1e-3), dict(max_iter=1),
                                dict(lr=0.1, max_eval=7, tolerance_change=1e-4)])
def test_matches_torch(kw):
    (pc, lc, ec, nc), (pt, lt, et, nt) = _run(cg, kw), _run(torch, kw)
    np.testing.assert_allclose(pc, pt, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(lc, lt, rtol=1e-9)
    assert (ec, nc) == (et, nt)


def test_one_parameter_group_only_and_closure_required():
    for m in (torch, cg):
        with pytest.raises(ValueError):
            m.optim.LBFGS([{"params": [m.ones(1, requires_grad=True)]},
                           {"params": [m.ones(1, requires_grad=True)]}])
    with pytest.raises(RuntimeError):
        cg.optim.LBFGS([cg.ones(1, requires_grad=True)]).step(None)
