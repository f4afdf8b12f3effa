"""The course's chapter 9 as an experiment: one deep MLP, five ways to keep its gradient alive.

The same 20-layer MLP (784 -> 64 x 19 -> 10) is trained on a Fashion-MNIST subset with

  (a) sigmoid + naive init   (PyTorch's default U(+-1/sqrt(fan_in)), which is what most people
                              start with): every layer multiplies the gradient by
                              sigma' <= 1/4 times a weight of size ~0.6, so it shrinks ~7x per layer
  (b) tanh + Xavier          (Glorot: Var W = 2 / (fan_in + fan_out), tanh' = 1 at 0)
  (c) ReLU + He              (Var W = 2 / fan_in keeps the signal's scale through ReLU)
  (d) ReLU + BatchNorm       (each layer re-normalised to mean 0, variance 1)
  (e) residual               (h <- h + W relu(h): the identity path carries the gradient)

and the gradient norm of the first and last weight layer is measured on the first batch,
before any update: ``run()`` returns the rows, ``table()`` prints them.
"""
from __future__ import annotations

import math
import time

import numpy as np

import chaingrad as cg
from chaingrad import nn

CONFIGS = {
    "sigmoid": "sigmoid + naive init",
    "tanh": "tanh + Xavier init",
    "relu": "ReLU + He init",
    "batchnorm": "ReLU + BatchNorm",
    "residual": "residual (ReLU + He)",
}


def _act(kind):
    return {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}[kind]()


class ResidualBlock(nn.Module):
    """h + W relu(h), W scaled by 1/sqrt(blocks) so the forward signal stays bounded."""

    def __init__(self, width, scale):
        super().__init__()
        self.act = _act("relu")
        self.linear = nn.Linear(width, width)
        with cg.no_grad():
            nn.init.kaiming_normal_(self.linear.weight, nonlinearity="relu")
            self.linear.weight.mul_(scale)
            nn.init.zeros_(self.linear.bias)

    def forward(self, h):
        return h + self.linear(self.act(h))


def build(kind, depth=20, width=64, n_in=784, n_out=10):
    """The ``depth``-layer MLP of configuration ``kind`` (a key of CONFIGS)."""
    if kind not in CONFIGS:
        raise ValueError(f"unknown configuration {kind!r}; choose from {', '.join(CONFIGS)}")
    sizes = [n_in] + [width] * (depth - 1) + [n_out]
    layers = []
    if kind == "residual":
        first = nn.Linear(n_in, width)
        layers += [first]
        blocks = depth - 2
        layers += [ResidualBlock(width, 1 / math.sqrt(blocks)) for _ in range(blocks)]
        layers += [_act("relu"), nn.Linear(width, n_out)]
        with cg.no_grad():
            nn.init.kaiming_normal_(first.weight, nonlinearity="relu")
            nn.init.zeros_(first.bias)
        return nn.Sequential(*layers)
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        lin = nn.Linear(a, b)
        with cg.no_grad():
            if kind == "tanh":
                nn.init.xavier_normal_(lin.weight)
            elif kind in ("relu", "batchnorm"):
                nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
            if kind != "sigmoid":
                nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < len(sizes) - 2:
            if kind == "batchnorm":
                layers.append(nn.BatchNorm1d(b))
            layers.append(_act("sigmoid" if kind == "sigmoid" else
                               "tanh" if kind == "tanh" else "relu"))
    return nn.Sequential(*layers)


def load_data(n_train=6000, n_test=2000, seed=0):
    """A Fashion-MNIST subset as float32 (N, 784) arrays in [0, 1] (scaled to mean 0, std 1),
    or scikit-learn's digits (64 features) when Fashion-MNIST is not installed. Returns
    (x_train, y_train, x_test, y_test, name)."""
    try:
        from chaingrad.data.datasets import FashionMNIST
        tr, te = FashionMNIST(train=True), FashionMNIST(train=False)
        xtr, ytr = np.asarray(tr.data.numpy()), np.asarray(tr.targets.numpy())
        xte, yte = np.asarray(te.data.numpy()), np.asarray(te.targets.numpy())
        name = "Fashion-MNIST"
    except (ImportError, OSError):
        from sklearn.datasets import load_digits
        d = load_digits()
        rng = np.random.default_rng(seed)
        idx = rng.permutation(len(d.target))
        split = int(0.75 * len(idx))
        xtr, ytr = d.data[idx[:split]], d.target[idx[:split]]
        xte, yte = d.data[idx[split:]], d.target[idx[split:]]
        name = "digits (scikit-learn)"
    rng = np.random.default_rng(seed)
    itr = rng.permutation(len(ytr))[:n_train]
    ite = rng.permutation(len(yte))[:n_test]
    xtr = xtr[itr].reshape(len(itr), -1).astype(np.float32)
    xte = xte[ite].reshape(len(ite), -1).astype(np.float32)
    mu, sd = xtr.mean(), xtr.std()
    return ((xtr - mu) / sd, ytr[itr].astype(np.int64), (xte - mu) / sd,
            yte[ite].astype(np.int64), name)


def cross_entropy(logits, y):
    return nn.functional.cross_entropy(logits, y)


def _accuracy(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with cg.no_grad():
        for i in range(0, len(y), batch):
            out = model(cg.from_numpy(x[i:i + batch]))
            correct += int((out.numpy().argmax(1) == y[i:i + batch]).sum())
    model.train()
    return correct / max(len(y), 1)


def run_one(kind, data, depth=20, width=64, epochs=3, batch_size=100, lr=0.01, seed=0):
    """Train one configuration; returns a dict with the gradient-flow report at the first
    batch (``flow``), first / last layer grad norms, their ratio, test accuracy, time."""
    from . import GradientFlowMonitor, gradient_flow
    xtr, ytr, xte, yte, _ = data
    cg.manual_seed(seed)
    model = build(kind, depth, width, n_in=xtr.shape[1])
    opt = cg.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    flow = None
    losses = []
    with GradientFlowMonitor(model) as monitor:
        for epoch in range(epochs):
            perm = rng.permutation(len(ytr))
            for i in range(0, len(perm) - batch_size + 1, batch_size):
                idx = perm[i:i + batch_size]
                loss = cross_entropy(model(cg.from_numpy(xtr[idx])), cg.from_numpy(ytr[idx]))
                opt.zero_grad()
                loss.backward()
                if flow is None:
                    flow = gradient_flow(model, monitor=monitor, title=CONFIGS[kind])
                    monitor.remove()
                opt.step()
                losses.append(float(loss.item()))
    weights = flow.weight_rows()
    first, last = weights[0]["grad_norm"], weights[-1]["grad_norm"]
    return {"config": kind, "label": CONFIGS[kind], "first": first, "last": last,
            "ratio": first / last if last else float("nan"), "flow": flow,
            "accuracy": _accuracy(model, xte, yte), "final_loss": float(np.mean(losses[-20:])),
            "seconds": time.perf_counter() - t0}


def run(configs=tuple(CONFIGS), depth=20, width=64, epochs=3, n_train=6000, n_test=2000,
        batch_size=100, lr=0.01, seed=0, data=None, log=None):
    """Run every configuration on the same data; returns the list of result dicts."""
    data = data or load_data(n_train, n_test, seed)
    out = []
    for kind in configs:
        r = run_one(kind, data, depth, width, epochs, batch_size, lr, seed)
        r["dataset"] = data[4]
        out.append(r)
        if log:
            log(f"  {r['label']:<24} done in {r['seconds']:.1f} s")
    return out


def table(results):
    """The comparison as text: first vs last layer ||grad|| at initialisation, accuracy."""
    head = f"{'configuration':<24} {'|grad| layer 1':>14} {'|grad| last':>12} " \
           f"{'first/last':>11} {'test acc':>9}"
    lines = [head, "-" * len(head)]
    for r in results:
        lines.append(f"{r['label']:<24} {r['first']:>14.3e} {r['last']:>12.3e} "
                     f"{r['ratio']:>11.2e} {100 * r['accuracy']:>8.1f}%")
    return "\n".join(lines)


def explanation(results):
    """One sentence saying what the numbers show."""
    by = {r["config"]: r for r in results}
    if "sigmoid" in by:
        s = by["sigmoid"]
        others = [r for r in results if r["config"] != "sigmoid"]
        best = max(others, key=lambda r: r["accuracy"]) if others else None
        tail = (f", while {best['label']} keeps it at {best['ratio']:.2g}x and reaches "
                f"{100 * best['accuracy']:.0f}% test accuracy") if best else ""
        return (f"With sigmoid every layer multiplies the gradient by sigma' <= 1/4 (times its "
                f"weights), so after {len(s['flow'].weight_rows()) - 1} layers the first "
                f"layer gets {s['ratio']:.1e}x the last layer's gradient and barely learns "
                f"({100 * s['accuracy']:.0f}% test accuracy){tail}.")
    return ("Each counter-measure keeps the first layer's gradient within a small factor of "
            "the last layer's.")


def plot_all(results, path):
    """All gradient-flow curves on one log-scale figure (PNG)."""
    from . import new_figure, plot_flow
    fig = new_figure(figsize=(7.0, 4.2))
    ax = fig.add_subplot()
    for r in results:
        plot_flow(ax, r["flow"], label=r["label"])
    ax.set_title("gradient norm per layer at initialisation (20-layer MLP)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    return path
