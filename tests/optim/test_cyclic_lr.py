"""CyclicLR against PyTorch: learning rates and cycled momentum/beta1 step by step."""
import numpy as np
import pytest

import chaingrad as cg

torch = pytest.importorskip("torch")


def _trace(m, opt_name, opt_kw, sched_kw, n=14):
    w, b = m.ones(2, requires_grad=True), m.ones(1, requires_grad=True)
    opt = getattr(m.optim, opt_name)([{"params": [w]}, {"params": [b], "lr": 0.01}],
                                     **({"lr": 0.1} | opt_kw))
    sched = m.optim.lr_scheduler.CyclicLR(opt, **sched_kw)
    out = []
    for _ in range(n):
        opt.step()
        sched.step()
        for g in opt.param_groups:
            out += [g["lr"], g["betas"][0] if "betas" in g else g["momentum"]]
    return np.array(out + sched.get_last_lr())


@pytest.mark.parametrize("opt_name,opt_kw,sched_kw", [
    ("SGD", {"momentum": 0.9}, dict(base_lr=0.01, max_lr=0.1, step_size_up=3)),
    ("SGD", {"momentum": 0.9}, dict(base_lr=[0.01, 0.02], max_lr=[0.1, 0.2], step_size_up=2,
                                    step_size_down=3, mode="triangular2")),
    ("SGD", {}, dict(base_lr=0.01, max_lr=0.1, step_size_up=2, mode="exp_range", gamma=0.9,
                     cycle_momentum=False)),
    ("Adam", {}, dict(base_lr=0.01, max_lr=0.1, step_size_up=2)),
    ("SGD", {"momentum": 0.5}, dict(base_lr=0.01, max_lr=0.1, step_size_up=2,
                                    scale_fn=lambda x: 0.5 ** x, scale_mode="iterations")),
])
def test_matches_torch(opt_name, opt_kw, sched_kw):
    np.testing.assert_allclose(_trace(cg, opt_name, opt_kw, sched_kw),
                               _trace(torch, opt_name, opt_kw, sched_kw), rtol=1e-12)


def test_invalid_mode_is_value_error():
    for m in (torch, cg):
        opt = m.optim.SGD([m.ones(1, requires_grad=True)], lr=0.1, momentum=0.9)
        with pytest.raises(ValueError):
            m.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1, mode="foo")


def test_state_dict_round_trip():
    def run(resume):
        opt = cg.optim.SGD([cg.ones(1, requires_grad=True)], lr=0.1, momentum=0.9)
        s = cg.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=3)
        for _ in range(4):
            opt.step()
            s.step()
        if resume:
            opt2 = cg.optim.SGD([cg.ones(1, requires_grad=True)], lr=0.1, momentum=0.9)
            s2 = cg.optim.lr_scheduler.CyclicLR(opt2, 0.01, 0.1, step_size_up=3)
            s2.load_state_dict(s.state_dict())
            opt, s = opt2, s2
        opt.step()
        s.step()
        return s.get_last_lr(), opt.param_groups[0]["momentum"]
    assert run(True) == run(False)
