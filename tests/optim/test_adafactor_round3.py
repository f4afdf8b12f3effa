"""Round-3: Adafactor (factored second moments) against PyTorch's."""
import numpy as np
import pytest
import torch

import chaingrad as cg

RNG = np.random.default_rng(1)
SHAPES = [(3, 4), (5,), (2, 3, 4), ()]
INITS = [RNG.standard_normal(s) for s in SHAPES]
GRADS = [[RNG.standard_normal(s) for s in SHAPES] for _ in range(5)]


def _run(lib, dtype, kw):
    dt = getattr(lib, dtype)
    params = [lib.tensor(a, dtype=dt, requires_grad=True) for a in INITS]
    opt = lib.optim.Adafactor(params, **kw)
    for grads in GRADS:
        for p, g in zip(params, grads):
            p.grad = lib.tensor(g, dtype=dt)
        opt.step()
    sd = opt.state_dict()
    layout = {i: {k: (str(v.dtype).split(".")[-1], tuple(v.shape)) for k, v in s.items()}
              for i, s in sd["state"].items()}
    return [np.asarray(p.tolist()) for p in params], layout, repr(opt)


@pytest.mark.parametrize("kw", [{}, dict(lr=0.1, weight_decay=0.1),
                                dict(maximize=True, d=2.0, eps=(1e-20, 1e-2)),
                                dict(beta2_decay=-0.5)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_matches_torch(kw, dtype):
    (pt, lt, rt), (pc, lc, rc) = _run(torch, dtype, kw), _run(cg, dtype, kw)
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == "float64" else dict(rtol=1e-5, atol=1e-6)
    for a, b in zip(pt, pc):
        np.testing.assert_allclose(b, a, **tol)
    assert lt == lc and rt == rc


@pytest.mark.parametrize("kw", [dict(lr=-1), dict(beta2_decay=0.5), dict(eps=(-1, 1e-3)),
                                dict(eps=(None, -1)), dict(d=0.5), dict(weight_decay=-1)])
def test_invalid_hyper_parameters(kw):
    msgs = []
    for lib in (torch, cg):
        with pytest.raises(ValueError) as info:
            lib.optim.Adafactor([lib.zeros(2, requires_grad=True)], **kw)
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]
