"""Round-3: ``optim.swa_utils`` (AveragedModel, SWALR, update_bn, the averaging functions)
against PyTorch."""
import numpy as np
import pytest
import torch

import chaingrad as cg


def _model_run(lib, kind, use_buffers):
    U = lib.optim.swa_utils
    m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.Linear(4, 2))
    with lib.no_grad():
        for i, p in enumerate(m.parameters()):
            values = np.linspace(-1, 1, p.numel()).reshape(tuple(p.shape)) * (i + 1)
            p.copy_(lib.tensor(values, dtype=lib.float64))
    kw = {"swa": {}, "ema": dict(multi_avg_fn=U.get_ema_multi_avg_fn(0.9)),
          "ema_fn": dict(avg_fn=U.get_ema_avg_fn(0.8)),
          "swa_multi": dict(multi_avg_fn=U.get_swa_multi_avg_fn())}[kind]
    m = m.double()
    averaged = U.AveragedModel(m, use_buffers=use_buffers, **kw)
    opt = lib.optim.SGD(m.parameters(), lr=0.001)
    x = lib.tensor(np.linspace(-2, 2, 24).reshape(8, 3), dtype=lib.float64)
    for _ in range(4):
        opt.zero_grad()
        m(x).pow(2).sum().backward()
        opt.step()
        averaged.update_parameters(m)
    U.update_bn([(x, 0), (x * 2, 1)], averaged)
    with lib.no_grad():
        out = averaged(x)
    return (np.asarray(out.tolist()), int(averaged.n_averaged), sorted(averaged.state_dict()),
            np.asarray(averaged.module[1].running_var.tolist()))


@pytest.mark.parametrize("kind", ["swa", "ema", "ema_fn"])
@pytest.mark.parametrize("use_buffers", [False, True])
def test_averaged_model_and_update_bn_match_torch(kind, use_buffers):
    t, c = _model_run(torch, kind, use_buffers), _model_run(cg, kind, use_buffers)
    np.testing.assert_allclose(c[0], t[0], rtol=1e-9, atol=1e-12)
    assert c[1:3] == t[1:3]
    np.testing.assert_allclose(c[3], t[3], rtol=1e-9)


def _swalr(lib, kw, n=15):
    groups = [{"params": [lib.zeros(2, requires_grad=True)]},
              {"params": [lib.zeros(2, requires_grad=True)], "lr": 0.5}]
    opt = lib.optim.SGD(groups, lr=0.1)
    sched = lib.optim.swa_utils.SWALR(opt, **kw)
    seq = [sched.get_last_lr()]
    for _ in range(n):
        opt.step()
        sched.step()
        seq.append(sched.get_last_lr())
    return seq, sorted(sched.state_dict())


@pytest.mark.parametrize("kw", [dict(swa_lr=0.05),
                                dict(swa_lr=[0.05, 0.01], anneal_epochs=3,
                                     anneal_strategy="linear"),
                                dict(swa_lr=0.2, anneal_epochs=0)])
def test_swalr_sequence(kw):
    (ts, tk), (cs, ck) = _swalr(torch, kw), _swalr(cg, kw)
    assert tk == ck
    np.testing.assert_allclose(np.array(cs), np.array(ts), rtol=1e-12)


@pytest.mark.parametrize("kw", [dict(swa_lr=0.05, anneal_strategy="x"),
                                dict(swa_lr=0.05, anneal_epochs=-1), dict(swa_lr=[0.1])])
def test_swalr_errors(kw):
    msgs = []
    for lib in (torch, cg):
        with pytest.raises(ValueError) as info:
            _swalr(lib, kw, n=0)
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]


def test_decay_must_be_in_unit_interval():
    for lib in (torch, cg):
        with pytest.raises(ValueError, match=r"Invalid decay value 1.5"):
            lib.optim.swa_utils.get_ema_multi_avg_fn(1.5)
