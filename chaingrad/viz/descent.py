"""Gradient descent on 2-D functions, with chaingrad's own optimizers (the course's chapter 5).

Each step: f(p) is computed with chaingrad ops, ``f.backward()`` gives the gradient, and a
``chaingrad.optim`` optimizer moves p = (x, y):

    SGD        p <- p - lr g
    momentum   v <- 0.9 v + g;          p <- p - lr v
    Nesterov   v <- 0.9 v + g;          p <- p - lr (g + 0.9 v)
    RMSprop    s <- 0.99 s + 0.01 g^2;  p <- p - lr g / (sqrt(s) + eps)
    Adam       m, s as moving averages of g and g^2, bias-corrected; p <- p - lr m / (sqrt(s) + eps)

A learning rate larger than 2 / (largest curvature) makes plain gradient descent diverge; the
learning-rate panel shows it rather than hiding it.
"""
from __future__ import annotations

import math

import numpy as np

import chaingrad as cg


class Function2D:
    """A test function of two variables, with its start point, minimum and plot window."""

    def __init__(self, name, title, fn, start, minimum, window, lrs, steps, log_levels=False):
        self.name, self.title, self.fn = name, title, fn
        self.start, self.minimum, self.window = start, minimum, window
        self.lrs, self.steps, self.log_levels = lrs, steps, log_levels

    def __call__(self, x, y):
        return self.fn(x, y)


def _bowl(x, y):
    return 0.5 * (x * x + 10.0 * y * y)


def _rosenbrock(x, y):
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def _saddle(x, y):
    return 0.5 * x * x - 0.5 * y * y + 0.25 * y ** 4


OPTIMIZERS = ("SGD", "momentum", "Nesterov", "RMSprop", "Adam")

FUNCTIONS = {
    "bowl": Function2D("bowl", "quadratic bowl  f = (x^2 + 10 y^2) / 2", _bowl, (-4.0, 1.5),
                       (0.0, 0.0), (-4.5, 4.5, -2.2, 2.2),
                       {"SGD": 0.17, "momentum": 0.03, "Nesterov": 0.03, "RMSprop": 0.05,
                        "Adam": 0.3}, 60),
    "rosenbrock": Function2D("rosenbrock", "Rosenbrock  f = (1 - x)^2 + 100 (y - x^2)^2",
                             _rosenbrock, (-1.5, 2.0), (1.0, 1.0), (-2.0, 2.0, -1.0, 3.0),
                             {"SGD": 1e-3, "momentum": 1e-3, "Nesterov": 1e-3, "RMSprop": 1e-2,
                              "Adam": 0.05}, 1000, log_levels=True),
    "saddle": Function2D("saddle", "saddle  f = x^2/2 - y^2/2 + y^4/4 (saddle at 0)", _saddle,
                         (-2.0, 1e-3), (0.0, 1.0), (-2.5, 2.5, -1.6, 1.6),
                         {"SGD": 0.1, "momentum": 0.03, "Nesterov": 0.03, "RMSprop": 0.03,
                          "Adam": 0.1}, 80),
}


def make_optimizer(name, params, lr):
    """The chaingrad optimizer for one of OPTIMIZERS."""
    opt = cg.optim
    if name == "SGD":
        return opt.SGD(params, lr=lr)
    if name == "momentum":
        return opt.SGD(params, lr=lr, momentum=0.9)
    if name == "Nesterov":
        return opt.SGD(params, lr=lr, momentum=0.9, nesterov=True)
    if name == "RMSprop":
        return opt.RMSprop(params, lr=lr)
    if name == "Adam":
        return opt.Adam(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")


def descend(func, optimizer="SGD", lr=None, steps=None, blow_up=1e6):
    """Run ``steps`` steps of ``optimizer`` on ``func`` from its start point.

    Returns a dict: ``path`` (steps+1, 2) array of points, ``f`` values, ``grads`` (steps, 2),
    ``diverged`` (|f| passed ``blow_up`` or went non-finite; the run stops there),
    ``steps_to`` (first step with f within 1e-3 of the minimum's value, or None)."""
    lr = func.lrs[optimizer] if lr is None else lr
    steps = func.steps if steps is None else steps
    p = cg.nn.Parameter(cg.tensor(func.start, dtype=cg.float64))
    opt = make_optimizer(optimizer, [p], lr)
    f_min = func(*func.minimum)
    path, fs, grads = [np.array(func.start)], [], []
    diverged, steps_to = False, None
    for k in range(steps + 1):
        opt.zero_grad()
        f = func(p[0], p[1])
        fv = float(f.item())
        fs.append(fv)
        if not math.isfinite(fv) or abs(fv) > blow_up:
            diverged = True
            break
        if steps_to is None and fv - f_min < 1e-3:
            steps_to = k
        if k == steps:
            break
        f.backward()
        grads.append(p.grad.detach().numpy().copy())
        opt.step()
        path.append(p.detach().numpy().copy())
    return {"optimizer": optimizer, "lr": lr, "path": np.array(path), "f": np.array(fs),
            "grads": np.array(grads), "diverged": diverged, "steps_to": steps_to,
            "function": func.name}


def run(functions=tuple(FUNCTIONS), optimizers=OPTIMIZERS, steps=None, lr_scale=1.0):
    """Every optimizer on every function: {function name: [result dicts]}."""
    out = {}
    for name in functions:
        func = FUNCTIONS[name]
        out[name] = [descend(func, o, func.lrs[o] * lr_scale, steps) for o in optimizers]
    return out


def learning_rates(lrs=(0.05, 0.15, 0.19, 0.21), steps=60):
    """Plain SGD on the bowl for several learning rates; the curvature along y is 10, so any
    lr above 2/10 = 0.2 diverges."""
    return [descend(FUNCTIONS["bowl"], "SGD", lr, steps) for lr in lrs]


def steps_table(result, n=6):
    """The first ``n`` steps of one run: k, x, y, f, df/dx, df/dy."""
    lines = [f"{'k':>3} {'x':>10} {'y':>10} {'f(x, y)':>12} {'df/dx':>11} {'df/dy':>11}"]
    for k in range(min(n, len(result["grads"]))):
        (x, y), (gx, gy) = result["path"][k], result["grads"][k]
        lines.append(f"{k:>3} {x:>10.4f} {y:>10.4f} {result['f'][k]:>12.5g} {gx:>11.4g} "
                     f"{gy:>11.4g}")
    return "\n".join(lines)


def summary_table(results):
    """One line per run: optimizer, lr, steps, final point and f, steps to f* + 1e-3."""
    lines = [f"{'function':<11} {'optimizer':<9} {'lr':>7} {'steps':>5} {'final x':>9} "
             f"{'final y':>9} {'final f':>11} {'reached':>8}"]
    for r in results:
        x, y = r["path"][-1]
        reached = "diverged" if r["diverged"] else ("-" if r["steps_to"] is None
                                                    else str(r["steps_to"]))
        lines.append(f"{r['function']:<11} {r['optimizer']:<9} {r['lr']:>7.3g} "
                     f"{len(r['path']) - 1:>5} {x:>9.4g} {y:>9.4g} {r['f'][-1]:>11.4g} "
                     f"{reached:>8}")
    return "\n".join(lines)


def _contours(ax, func):
    x0, x1, y0, y1 = func.window
    xs, ys = np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 300))
    zs = func.fn(xs, ys)
    if func.log_levels:
        levels = np.logspace(-1, 3.5, 18)
    else:
        levels = np.linspace(zs.min(), np.percentile(zs, 90), 18)
    ax.contour(xs, ys, zs, levels=levels, colors="#9a9a9a", linewidths=0.6)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)


def plot(results, lr_results=None, path="gradient_descent.png"):
    """Trajectories over contours: one panel per function, plus the learning-rate panel."""
    from .gradient_flow import new_figure
    panels = list(results.items()) + ([("lr", lr_results)] if lr_results else [])
    cols = 2
    rows = math.ceil(len(panels) / cols)
    fig = new_figure(figsize=(11, 4.3 * rows), dpi=80)
    for i, (name, runs) in enumerate(panels):
        ax = fig.add_subplot(rows, cols, i + 1)
        func = FUNCTIONS["bowl" if name == "lr" else name]
        _contours(ax, func)
        for r in runs:
            label = (f"SGD lr={r['lr']:g}" if name == "lr" else f"{r['optimizer']} "
                     f"(lr {r['lr']:g})") + (" diverges" if r["diverged"] else "")
            every = max(1, len(r["path"]) // 60)  # long runs: a marker every few steps
            ax.plot(r["path"][:, 0], r["path"][:, 1], "-o", ms=2, lw=1.2, markevery=every,
                    label=label)
        ax.plot(*func.start, "ks", ms=5)
        ax.plot(*func.minimum, "r*", ms=10)
        ax.set_title("bowl, plain SGD: learning rate too large (> 2/10)" if name == "lr"
                     else func.title, fontsize=10)
        ax.legend(fontsize=7, loc={"rosenbrock": "upper left", "saddle": "lower left"}.get(
            name, "lower right"))
    fig.tight_layout()
    fig.savefig(path)
    return path
