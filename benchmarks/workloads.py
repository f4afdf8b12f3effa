"""The workloads, written once against the API chaingrad shares with PyTorch.

``L`` is the library module (``torch`` or ``chaingrad``): both have ``L.nn.Linear``,
``L.optim.SGD``, ``L.from_numpy``, ``L.no_grad`` ... with the same meaning, so one builder
serves both and the two sides cannot drift apart. Initial weights and data are drawn from a
NumPy generator in a fixed order (parameters sorted by name) and copied in, so both libraries
start from identical numbers and must compute the same loss.

A built workload is a ``Bench``: ``step()`` runs one timed unit of work (a full training step:
zero_grad, forward, loss, backward, optimizer step) and returns the loss tensor.
"""
from __future__ import annotations

import math

import numpy as np

from . import flops as _flops


class Spec:
    """What a workload is: its name, the issue's target ratio and its sizes."""

    def __init__(self, name, title, target, build, flops=None, ops_per_step=None,
                 unit="ms"):
        self.name, self.title, self.target = name, title, target
        self.build, self.flops, self.ops_per_step, self.unit = build, flops, ops_per_step, unit


class Bench:
    def __init__(self, step, model=None, optimizer=None, timing_lr=None):
        self.step, self.model, self.optimizer = step, model, optimizer
        self.timing_lr = timing_lr

    def start_timing(self):
        """After the checked steps: the learning rate for the timed ones (W3's sum loss would
        drive the weights to overflow over hundreds of steps at the checked rate; the work
        per step is the same at any rate)."""
        if self.timing_lr is not None:
            for group in self.optimizer.param_groups:
                group["lr"] = self.timing_lr


def init_from_numpy(L, model, seed):
    """Overwrite every parameter with NumPy draws (sorted by name); return [(name, shape)].

    Matrices/kernels: U(-1/sqrt(fan_in), 1/sqrt(fan_in)); 1-d weights (norm scales):
    U(0.5, 1.5); biases: U(-0.1, 0.1).
    """
    rng = np.random.default_rng(seed)
    signature = []
    with L.no_grad():
        for name, p in sorted(model.named_parameters(), key=lambda kv: kv[0]):
            shape = tuple(p.shape)
            if len(shape) >= 2:
                bound = 1.0 / math.sqrt(math.prod(shape[1:]))
                arr = rng.uniform(-bound, bound, shape)
            elif name.endswith("weight"):
                arr = rng.uniform(0.5, 1.5, shape)
            else:
                arr = rng.uniform(-0.1, 0.1, shape)
            p.copy_(L.from_numpy(np.ascontiguousarray(arr, dtype=np.float32)))
            signature.append((name, list(shape)))
    return signature


def _train_step(L, model, crit, opt, x, y):
    def step():
        opt.zero_grad()
        loss = crit(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def _classifier_data(L, rng, x_shape, classes):
    x = L.from_numpy(rng.standard_normal(x_shape).astype(np.float32))
    y = L.from_numpy(rng.integers(0, classes, x_shape[0]).astype(np.int64))
    return x, y


# ---- W1: MLP ------------------------------------------------------------------------------
def _w1_batch(tiny):
    return 8 if tiny else 128


def build_w1(L, tiny=False, seed=0):
    nn = L.nn
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                          nn.Linear(512, 10))
    sig = init_from_numpy(L, model, seed)
    x, y = _classifier_data(L, np.random.default_rng(seed + 1), (_w1_batch(tiny), 784), 10)
    opt = L.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return Bench(_train_step(L, model, nn.CrossEntropyLoss(), opt, x, y), model, opt), sig


# ---- W2: small CNN ------------------------------------------------------------------------
def _w2_batch(tiny):
    return 4 if tiny else 64


def build_w2(L, tiny=False, seed=0):
    nn = L.nn
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 10))
    sig = init_from_numpy(L, model, seed)
    x, y = _classifier_data(L, np.random.default_rng(seed + 1), (_w2_batch(tiny), 1, 28, 28),
                            10)
    opt = L.optim.SGD(model.parameters(), lr=0.01)
    return Bench(_train_step(L, model, nn.CrossEntropyLoss(), opt, x, y), model, opt), sig


# ---- W3: ResNet-18 ------------------------------------------------------------------------
def _w3_shape(batch, tiny):
    # tiny: 2 images; at 32x32 the last batch norm would see only 2 values per channel, too
    # ill-conditioned in float32 for the loss check after a step
    return (2, 3, 64, 64) if tiny else (batch, 3, 64, 64)


def resnet18_for(L):
    """chaingrad.models.resnet18 for chaingrad (the thing measured); the reference otherwise."""
    if L.__name__ == "chaingrad":
        from chaingrad.models import resnet18
        return resnet18(num_classes=1000)
    from .resnet_ref import resnet18
    return resnet18(L, num_classes=1000)


def _build_w3(L, batch, tiny, seed):
    model = resnet18_for(L)
    model.train()
    sig = init_from_numpy(L, model, seed)
    rng = np.random.default_rng(seed + 1)
    shape = _w3_shape(batch, tiny)
    x = L.from_numpy(rng.standard_normal(shape).astype(np.float32))
    labels = L.from_numpy(rng.standard_normal((shape[0], 1000)).astype(np.float32))
    opt = L.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)

    def step():
        opt.zero_grad()
        loss = (model(x) - labels).sum()
        loss.backward()
        opt.step()
        return loss
    return Bench(step, model, opt, timing_lr=1e-7), sig


def build_w3a(L, tiny=False, seed=0):
    return _build_w3(L, 1, tiny, seed)


def build_w3b(L, tiny=False, seed=0):
    return _build_w3(L, 16, tiny, seed)


# ---- W4: per-op overhead ------------------------------------------------------------------
def _w4_ops(tiny):
    return 20 if tiny else 200


def build_w4(L, tiny=False, seed=0):
    """A chain of elementwise ops (mul, add, tanh in turn) on 16 floats, forward + backward."""
    rng = np.random.default_rng(seed)
    x = L.from_numpy(rng.standard_normal(16).astype(np.float32)).requires_grad_(True)
    c = L.from_numpy(np.full(16, 0.9, dtype=np.float32))
    n = _w4_ops(tiny)

    def step():
        x.grad = None
        y = x
        for i in range(n):
            k = i % 3
            if k == 0:
                y = y * c
            elif k == 1:
                y = y + c
            else:
                y = L.tanh(y)
        loss = y.sum()
        loss.backward()
        return loss
    return Bench(step), [("x", [16])]


WORKLOADS = {
    "W1": Spec("W1", "MLP 784-512-512-10, ReLU, CE, batch 128, SGD momentum: one step", 1.0,
               build_w1, flops=lambda tiny: _flops.train_flops(_flops.mlp_macs(_w1_batch(tiny)))),
    "W2": Spec("W2", "small CNN 64x1x28x28 (2 conv+ReLU+maxpool, linear), CE, SGD: one step",
               1.0, build_w2,
               flops=lambda tiny: _flops.train_flops(_flops.small_cnn_macs(_w2_batch(tiny)))),
    "W3a": Spec("W3a", "ResNet-18 train-mode BN, fwd+bwd+SGD momentum, 1x3x64x64", 1.0,
                build_w3a, flops=lambda tiny: _flops.train_flops(
                    _flops.resnet18_macs(*_w3_shape(1, tiny)[::3]))),
    "W3b": Spec("W3b", "ResNet-18 train-mode BN, fwd+bwd+SGD momentum, 16x3x64x64", 1.3,
                build_w3b, flops=lambda tiny: _flops.train_flops(
                    _flops.resnet18_macs(*_w3_shape(16, tiny)[::3]))),
    "W4": Spec("W4", "per-op overhead: 200 elementwise ops (mul/add/tanh) on 16 floats, "
               "fwd+bwd, per op", 0.5, build_w4, ops_per_step=_w4_ops, unit="us/op"),
}
