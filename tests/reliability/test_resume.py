"""Exact resume through the library's public API: a training run interrupted at step k (also
mid-epoch) and resumed from its checkpoint file ends bit-identical to an uninterrupted run.

The checkpoint (``cg.save``) holds the model, the optimizer (momentum/Adam moments), the
scheduler, the DataLoader's position in its shuffled pass and chaingrad's random state
(dropout masks, the next pass's shuffle). Between the two halves every object is thrown away
and the global generator is reseeded, so everything the second half uses must come from the
file. (``chaingrad train --resume`` is tested the same way in tests/cli/test_train.py.)
"""
import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.data import DataLoader, TensorDataset

EPOCHS, N, BATCH = 3, 40, 7  # 6 batches per epoch (the last one short): 18 steps


def _setup(opt_name):
    cg.manual_seed(0)
    rng = np.random.default_rng(0)
    data = TensorDataset(cg.tensor(rng.standard_normal((N, 1, 6, 6)).astype(np.float32)),
                         cg.tensor(rng.integers(0, 3, N)))
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(),
                          nn.Dropout(0.3), nn.Linear(3 * 4 * 4, 3))
    if opt_name == "sgd":
        opt = cg.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4,
                           nesterov=True)
        sched = cg.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.7)
    else:
        opt = cg.optim.AdamW(model.parameters(), lr=3e-3)
        sched = cg.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-2, total_steps=EPOCHS * 6)
    loader = DataLoader(data, batch_size=BATCH, shuffle=True)
    return model, opt, sched, loader


def _run(opt_name, path, stop_at=None, resume=False):
    """Train; stop (after saving a checkpoint) once ``stop_at`` steps are done."""
    model, opt, sched, loader = _setup(opt_name)
    epoch, step, losses = 0, 0, []
    if resume:
        cg.manual_seed(12345)  # whatever the state now, the file must restore it
        ck = cg.load(path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        sched.load_state_dict(ck["scheduler"])
        loader.load_state_dict(ck["loader"])
        cg.set_rng_state(ck["rng"])
        epoch, step, losses = ck["epoch"], ck["step"], list(ck["losses"])
    while epoch < EPOCHS:
        model.train()
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            losses.append(loss.item())
            if step == stop_at:
                # (stopped after the last batch of a pass: that epoch is complete)
                done = loader.state_dict()["batches_done"] == len(loader)
                cg.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                         "scheduler": sched.state_dict(), "loader": loader.state_dict(),
                         "rng": cg.get_rng_state(), "epoch": epoch + done, "step": step,
                         "losses": losses}, path)
                return None
        epoch += 1
    return model.state_dict(), opt.state_dict(), losses


def _same(a, b):
    """Bit-identical: equal arrays (same dtype, same bits) and equal plain values."""
    if isinstance(a, cg.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a.numpy().reshape(-1).view(np.uint8), b.numpy().reshape(-1).view(np.uint8))
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    else:
        assert a == b or (a != a and b != b)


@pytest.mark.parametrize("opt_name", ["sgd", "adamw"])
@pytest.mark.parametrize("stops", [(1,), (8,), (12,), (3, 10, 14)])
def test_interrupted_and_resumed_run_is_bit_identical(tmp_path, opt_name, stops):
    reference = _run(opt_name, None)
    path = tmp_path / "ckpt.cgt"
    _run(opt_name, path, stop_at=stops[0])
    for nxt in stops[1:]:  # interrupted again after resuming
        assert _run(opt_name, path, stop_at=nxt, resume=True) is None
    resumed = _run(opt_name, path, resume=True)
    assert len(resumed[2]) == EPOCHS * 6
    _same(resumed, reference)  # parameters, BN buffers, optimizer state, every step's loss


def test_resume_without_restoring_rng_or_loader_differs(tmp_path):
    """The check above can fail: leave out the data position and random state and the run
    is no longer the same."""
    reference = _run("sgd", None)
    path = tmp_path / "ckpt.cgt"
    _run("sgd", path, stop_at=8)
    ck = cg.load(path)
    ck["loader"] = {}
    ck["rng"] = (cg.manual_seed(7), cg.get_rng_state())[1]
    cg.save(ck, path)
    resumed = _run("sgd", path, resume=True)
    assert resumed[2][:8] == reference[2][:8]
    assert resumed[2][8:] != reference[2][8:]
