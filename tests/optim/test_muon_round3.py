"""Round-3: Muon (Newton-Schulz orthogonalized momentum, in bfloat16) against PyTorch's."""
import numpy as np
import pytest
import torch

import chaingrad as cg

RNG = np.random.default_rng(0)
SHAPES = [(4, 6), (7, 3)]
INITS = [RNG.standard_normal(s) for s in SHAPES]
GRADS = [[RNG.standard_normal(s) for s in SHAPES] for _ in range(4)]


def _run(lib, dtype, kw):
    dt = getattr(lib, dtype)
    params = [lib.tensor(a, dtype=dt, requires_grad=True) for a in INITS]
    opt = lib.optim.Muon(params, **kw)
    for grads in GRADS:
        for p, g in zip(params, grads):
            p.grad = lib.tensor(g, dtype=dt)
        opt.step()
    return [np.asarray(p.tolist()) for p in params], repr(opt), sorted(opt.state[params[0]])


@pytest.mark.parametrize("kw", [dict(lr=0.02),
                                dict(lr=0.1, nesterov=False, adjust_lr_fn="match_rms_adamw"),
                                dict(lr=0.05, weight_decay=0, momentum=0.5, ns_steps=3)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matches_torch(kw, dtype):
    (pt, rt, st), (pc, rc, sc) = _run(torch, dtype, kw), _run(cg, dtype, kw)
    for a, b in zip(pt, pc):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
    assert (rt, st) == (rc, sc)


@pytest.mark.parametrize("kw", [dict(lr=-1), dict(momentum=-1), dict(weight_decay=-1),
                                dict(adjust_lr_fn="x")])
def test_invalid_hyper_parameters(kw):
    msgs = []
    for lib in (torch, cg):
        with pytest.raises(ValueError) as info:
            lib.optim.Muon([lib.zeros(3, 2, requires_grad=True)], **kw)
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]


def test_only_matrices():
    for lib in (torch, cg):
        with pytest.raises(ValueError, match="Muon only supports 2D parameters"):
            lib.optim.Muon([lib.zeros(3, requires_grad=True)])
