"""Scheduler state_dict keys as PyTorch's (second API audit): every key PyTorch writes is
there, CyclicLR's ``_scale_fn_custom`` included, and the values agree after some steps."""
import pytest

import chaingrad as cg

torch = pytest.importorskip("torch")

KINDS = [("StepLR", dict(step_size=2)), ("LambdaLR", dict(lr_lambda=lambda e: 0.9 ** e)),
         ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.9)), ("ExponentialLR", dict(gamma=0.5)),
         ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=2)),
         ("OneCycleLR", dict(max_lr=1., total_steps=5)), ("LinearLR", {}), ("ConstantLR", {})]


@pytest.mark.parametrize("name,kw", KINDS, ids=[k[0] for k in KINDS])
def test_state_dict_keys_and_values(name, kw):
    sds = []
    for M in (cg, torch):
        w = M.nn.Parameter(M.ones(1))
        opt = M.optim.SGD([w], lr=0.1, momentum=0.9)
        sched = getattr(M.optim.lr_scheduler, name)(opt, **kw)
        for _ in range(3):
            opt.step()
            sched.step()
        sds.append(sched.state_dict())
    ours, theirs = sds
    assert set(ours) == set(theirs)
    for k in ("last_epoch", "_step_count", "_get_lr_called_within_step", "base_lrs"):
        assert ours[k] == theirs[k]
    assert ours["_last_lr"] == pytest.approx(theirs["_last_lr"])
