"""No leaks: a small CNN trained for 2,000 steps keeps resident memory and the number of live
tensors and graph nodes flat (the figures are printed in pytest's summary). The loop runs in a
fresh Python process so that the RSS figure is the loop's own."""
import gc
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.autograd.function import Node

from . import report

PAGE = 4096


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def _live():
    objs = gc.get_objects()
    return (sum(1 for o in objs if isinstance(o, cg.Tensor)),
            sum(1 for o in objs if isinstance(o, Node)))


def _cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Conv2d(4, 8, 3), nn.ReLU(), nn.Flatten(),
                         nn.Dropout(0.1), nn.Linear(8 * 2 * 2, 3))


def soak(steps, warmup=200, leak=False):
    cg.manual_seed(0)
    model = _cnn()
    opt = cg.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    data = cg.tensor(rng.standard_normal((64, 1, 8, 8)).astype(np.float32))
    labels = cg.tensor(rng.integers(0, 3, 64))
    total = 0.0
    marks = {}
    for step in range(warmup + steps):
        if step == warmup:
            gc.collect()
            marks["rss0"], marks["live0"] = rss_bytes(), _live()
        i = (2 * step) % 64
        out = model(data[i:i + 2])  # a tiny batch: per-step overheads dominate
        loss = F.cross_entropy(out, labels[i:i + 2])
        opt.zero_grad()
        loss.backward()
        opt.step()
        total = total + loss if leak else total + loss.item()
    gc.collect()
    return marks["rss0"], rss_bytes(), marks["live0"], _live(), float(total)


def _check(steps):
    # a fresh process: the RSS of one that already ran other tests (PyTorch loaded, allocator
    # arenas grown) drifts for reasons that have nothing to do with this loop
    code = ("import json; from tests.reliability.test_soak import soak; "
            f"print(json.dumps(soak({steps})))")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    rss0, rss1, live0, live1, total = json.loads(out.stdout.strip().splitlines()[-1])
    grow = (rss1 - rss0) / 2 ** 20
    report.figure(f"soak: {steps} CNN training steps (batch 2): RSS {rss0 / 2 ** 20:.1f} -> "
                  f"{rss1 / 2 ** 20:.1f} MiB ({grow:+.2f} MiB), live tensors {live0[0]} -> "
                  f"{live1[0]}, graph nodes {live0[1]} -> {live1[1]}")
    assert np.isfinite(total)
    assert live1[0] <= live0[0] and live1[1] <= live0[1], "tensors or graph nodes leaked"
    assert grow < 2.0, f"resident memory grew by {grow:.2f} MiB over {steps} steps"


def test_soak_2000_steps_memory_flat():
    _check(2000)


@pytest.mark.slow
def test_soak_20000_steps_memory_flat():
    _check(20000)


def test_the_soak_check_sees_a_leak():
    """The same loop with ``total = total + loss`` (the graph-retention mistake) keeps every
    step's graph nodes alive: the live-node count the soak test checks grows (and the
    RetentionWarning fires)."""
    from chaingrad.autograd import retention
    retention.reset()
    with pytest.warns(retention.RetentionWarning):
        _, _, live0, live1, _ = soak(100, warmup=20, leak=True)
    assert live1[1] > live0[1] + 100
    retention.reset()
