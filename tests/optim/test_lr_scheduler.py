"""Every learning-rate scheduler against PyTorch: the lrs (and momenta) at every step."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import chaingrad as cg
from chaingrad.optim import lr_scheduler as cgs

torch = pytest.importorskip("torch")
ths = torch.optim.lr_scheduler

SCHEDULES = [
    ("StepLR", dict(step_size=3)),
    ("StepLR", dict(step_size=2, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=5)),
    ("CosineAnnealingLR", dict(T_max=4, eta_min=0.01)),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.9, total_iters=4)),
    ("ConstantLR", dict(factor=0.5, total_iters=3)),
    ("LambdaLR", dict(lr_lambda=lambda e: 1.0 / (1 + e))),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=14)),
    ("OneCycleLR", dict(max_lr=[0.5, 1.0], total_steps=14, anneal_strategy="linear",
                        pct_start=0.25, div_factor=10.0, final_div_factor=100.0)),
    ("OneCycleLR", dict(max_lr=0.5, epochs=2, steps_per_epoch=7, three_phase=True,
                        base_momentum=0.8, max_momentum=0.9)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=14, cycle_momentum=False)),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.9 if e % 2 else 0.95)),
    ("PolynomialLR", dict(total_iters=6, power=2.0)),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.001)),
    ("CosineAnnealingWarmRestarts", dict(T_0=4)),
]


def _pair(opt_name="SGD", **opt_kw):
    opt_kw = opt_kw or dict(lr=0.1, momentum=0.9)
    cgp = [cg.Parameter(cg.zeros(2)), cg.Parameter(cg.zeros(3))]
    thp = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))]
    groups = lambda ps: [{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.2}]
    return (getattr(cg.optim, opt_name)(groups(cgp), **opt_kw),
            getattr(torch.optim, opt_name)(groups(thp), **opt_kw))


def _same_groups(cg_opt, th_opt, keys=("lr", "momentum", "betas")):
    for cgrp, tgrp in zip(cg_opt.param_groups, th_opt.param_groups):
        for k in keys:
            if k in tgrp:
                np.testing.assert_allclose(np.asarray(cgrp[k], dtype=float),
                                           np.asarray(tgrp[k], dtype=float), rtol=1e-12,
                                           atol=1e-15, err_msg=k)


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
@pytest.mark.parametrize("name,kwargs", SCHEDULES, ids=[f"{n}-{i}" for i, (n, _) in
                                                        enumerate(SCHEDULES)])
def test_lrs_match_torch(name, kwargs, opt_name):
    cg_opt, th_opt = _pair(opt_name, lr=0.1)
    cs, ts = getattr(cgs, name)(cg_opt, **kwargs), getattr(ths, name)(th_opt, **kwargs)
    np.testing.assert_allclose(cs.get_last_lr(), ts.get_last_lr(), rtol=1e-12)
    _same_groups(cg_opt, th_opt)
    for _ in range(14 if name == "OneCycleLR" else 12):  # fractional epochs not tested
        cg_opt.step(), th_opt.step()
        cs.step(), ts.step()
        np.testing.assert_allclose(cs.get_last_lr(), ts.get_last_lr(), rtol=1e-12, atol=1e-15)
        _same_groups(cg_opt, th_opt)
        assert cs.last_epoch == ts.last_epoch


def test_sequential_lr_matches_torch():
    cg_opt, th_opt = _pair()
    make = lambda lib, opt: lib.SequentialLR(opt, [
        lib.LinearLR(opt, start_factor=0.1, total_iters=3),
        lib.CosineAnnealingLR(opt, T_max=5),
        lib.StepLR(opt, step_size=2, gamma=0.5)], milestones=[3, 8])
    cs, ts = make(cgs, cg_opt), make(ths, th_opt)
    _same_groups(cg_opt, th_opt)
    for _ in range(14):
        cg_opt.step(), th_opt.step(), cs.step(), ts.step()
        np.testing.assert_allclose(cs.get_last_lr(), ts.get_last_lr(), rtol=1e-12)
        _same_groups(cg_opt, th_opt)
    state = cs.state_dict()
    assert len(state["_schedulers"]) == 3


def test_chained_scheduler_matches_torch():
    cg_opt, th_opt = _pair()
    cs = cgs.ChainedScheduler([cgs.ConstantLR(cg_opt, factor=0.5, total_iters=2),
                               cgs.ExponentialLR(cg_opt, gamma=0.9)])
    ts = ths.ChainedScheduler([ths.ConstantLR(th_opt, factor=0.5, total_iters=2),
                               ths.ExponentialLR(th_opt, gamma=0.9)])
    for _ in range(6):
        cg_opt.step(), th_opt.step(), cs.step(), ts.step()
        np.testing.assert_allclose(cs.get_last_lr(), ts.get_last_lr(), rtol=1e-12)


def test_two_chained_schedulers_match_torch():
    cg_opt, th_opt = _pair()
    cs = [cgs.LinearLR(cg_opt, start_factor=0.2, total_iters=3),
          cgs.ExponentialLR(cg_opt, gamma=0.8)]
    ts = [ths.LinearLR(th_opt, start_factor=0.2, total_iters=3),
          ths.ExponentialLR(th_opt, gamma=0.8)]
    for _ in range(8):
        cg_opt.step(), th_opt.step()
        for a, b in zip(cs, ts):
            a.step(), b.step()
        _same_groups(cg_opt, th_opt)


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(mode="max", factor=0.5, patience=1, threshold=0.1, threshold_mode="abs"),
    dict(patience=0, cooldown=2, min_lr=[0.02, 0.05]),
    dict(mode="max", patience=2, threshold_mode="rel", min_lr=0.03, factor=0.3),
])
def test_reduce_on_plateau_matches_torch(kwargs):
    cg_opt, th_opt = _pair()
    cs, ts = cgs.ReduceLROnPlateau(cg_opt, **kwargs), ths.ReduceLROnPlateau(th_opt, **kwargs)
    rng = np.random.default_rng(3)
    metrics = np.concatenate([np.linspace(1, 0.5, 5), 0.5 + 0.01 * rng.standard_normal(25)])
    for m in metrics:
        cs.step(m), ts.step(m)
        np.testing.assert_allclose(cs.get_last_lr(), ts.get_last_lr(), rtol=1e-12)
        assert (cs.num_bad_epochs, cs.cooldown_counter) == (ts.num_bad_epochs, ts.cooldown_counter)
    assert cs.best == ts.best


@pytest.mark.parametrize("name,kwargs", [("StepLR", dict(step_size=2)),
                                         ("MultiStepLR", dict(milestones=[1, 3, 3])),
                                         ("CosineAnnealingLR", dict(T_max=6)),
                                         ("OneCycleLR", dict(max_lr=1.0, total_steps=12))])
def test_state_dict_resume_through_cg_save(tmp_path, name, kwargs):
    """Stop after 4 steps, cg.save the optimizer and scheduler, resume: same lrs as torch."""
    cg_opt, th_opt = _pair()
    cs, ts = getattr(cgs, name)(cg_opt, **kwargs), getattr(ths, name)(th_opt, **kwargs)
    for _ in range(4):
        cg_opt.step(), th_opt.step(), cs.step(), ts.step()
    cg.save({"opt": cg_opt.state_dict(), "sched": cs.state_dict()}, tmp_path / "ck.cgt")
    ck = cg.load(tmp_path / "ck.cgt")
    opt2, _ = _pair()
    s2 = getattr(cgs, name)(opt2, **kwargs)
    opt2.load_state_dict(ck["opt"])
    s2.load_state_dict(ck["sched"])
    assert s2.get_last_lr() == ts.get_last_lr()
    for _ in range(6):
        opt2.step(), th_opt.step(), s2.step(), ts.step()
        np.testing.assert_allclose(s2.get_last_lr(), ts.get_last_lr(), rtol=1e-12)


def test_closed_form_epoch_argument_matches_torch():
    cg_opt, th_opt = _pair()
    cs, ts = cgs.StepLR(cg_opt, step_size=2, gamma=0.5), ths.StepLR(th_opt, step_size=2, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cg_opt.step(), th_opt.step()
        cs.step(7), ts.step(7)
    assert cs.get_last_lr() == ts.get_last_lr()


def test_resume_requires_initial_lr_and_one_cycle_limits():
    cg_opt, _ = _pair()
    with pytest.raises(KeyError, match="initial_lr"):
        cgs.StepLR(cg_opt, step_size=2, last_epoch=3)
    with pytest.raises(ValueError, match="total_steps OR"):
        cgs.OneCycleLR(cg_opt, max_lr=0.1)
    with pytest.raises(ValueError, match="anneal_strategy"):
        cgs.OneCycleLR(cg_opt, max_lr=0.1, total_steps=3, anneal_strategy="exp")
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        cgs.ReduceLROnPlateau(cg_opt, factor=1.0)
    s = cgs.OneCycleLR(cg_opt, max_lr=0.1, total_steps=2)
    cg_opt.step()
    s.step(), s.step()
    with pytest.raises(ValueError, match="Tried to step 3 times"):
        s.step()


def test_warns_when_scheduler_steps_before_optimizer():
    cg_opt, _ = _pair()
    s = cgs.ExponentialLR(cg_opt, gamma=0.5)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        s.step()
    assert math.isclose(s.get_last_lr()[0], 0.05)
