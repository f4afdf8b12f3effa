"""``gradient_flow``: how well the gradient reaches every layer, after a backward pass.

For each parameter (in ``named_parameters`` order, i.e. from the input towards the output):
the gradient's norm ||g||, its mean |g|, the weight norm and the update-to-weight ratio
||dW|| / ||W||; for each activation module seen by a ``GradientFlowMonitor``: the fraction
of saturated sigmoid / tanh units (where the derivative is nearly 0) and of dead ReLU units
(never positive on the batch). Warnings say, plainly, when the gradient vanishes towards the
input or explodes.

    monitor = viz.GradientFlowMonitor(model)      # hooks on the activations
    loss = loss_fn(model(x), y); loss.backward()
    report = viz.gradient_flow(model, monitor=monitor, lr=0.1)
    print(report); report.plot("flow.png")
"""
from __future__ import annotations

import math

import numpy as np

from ._record import array_of

SIGMOID_SATURATED = 0.02   # sigma(x) < 0.02 or > 0.98: sigma' < 0.02
TANH_SATURATED = 0.97      # |tanh(x)| > 0.97: tanh' < 0.06


def _activation_kind(module):
    name = type(module).__name__
    return {"Sigmoid": "sigmoid", "Tanh": "tanh", "ReLU": "relu"}.get(name)


class GradientFlowMonitor:
    """Forward hooks on every Sigmoid, Tanh and ReLU module of ``model`` recording, for the
    last forward pass, the fraction of saturated units (sigmoid outside [0.02, 0.98], |tanh|
    above 0.97) or of dead ReLU units (zero for every sample of the batch) and the fraction of
    zero ReLU outputs. ``step(optimizer)`` runs the optimizer and measures the real update
    ratios. Use it as a context manager or call ``remove()``.
    """

    def __init__(self, model):
        self.model = model
        self.stats = {}
        self.updates = {}
        self._handles = []
        for name, mod in model.named_modules():
            kind = _activation_kind(mod)
            if kind is not None:
                self._handles.append(mod.register_forward_hook(self._hook(name, kind)))

    def _hook(self, name, kind):
        def hook(module, inputs, output):
            y = array_of(output)
            if y is None or y.size == 0:
                return
            y = y.astype(np.float64, copy=False)
            if kind == "sigmoid":
                sat = float(np.mean((y < SIGMOID_SATURATED) | (y > 1 - SIGMOID_SATURATED)))
                self.stats[name] = {"module": name, "kind": kind, "saturated": sat}
            elif kind == "tanh":
                sat = float(np.mean(np.abs(y) > TANH_SATURATED))
                self.stats[name] = {"module": name, "kind": kind, "saturated": sat}
            else:
                units = y.reshape(y.shape[0], -1) if y.ndim > 1 else y.reshape(1, -1)
                dead = float(np.mean(np.all(units <= 0, axis=0)))
                self.stats[name] = {"module": name, "kind": kind, "dead": dead,
                                    "zero": float(np.mean(y <= 0))}
        return hook

    def step(self, optimizer):
        """``optimizer.step()``, recording ||W_after - W_before|| / ||W_before|| per param."""
        before = {n: array_of(p).copy() for n, p in self.model.named_parameters()}
        optimizer.step()
        self.updates = {}
        for n, p in self.model.named_parameters():
            w0 = before[n].astype(np.float64)
            dw = array_of(p).astype(np.float64) - w0
            self.updates[n] = float(np.linalg.norm(dw) / max(np.linalg.norm(w0), 1e-12))

    def remove(self):
        for h in self._handles:
            h.remove()
        self._handles = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class GradientFlowReport:
    """Per-parameter rows (``params``), activation rows (``activations``), ``warnings``,
    and the flags ``vanishing`` / ``exploding``. ``str()`` is the table then the warnings."""

    def __init__(self, params, activations, warnings, vanishing, exploding, title=None):
        self.params = params
        self.activations = activations
        self.warnings = warnings
        self.vanishing = vanishing
        self.exploding = exploding
        self.title = title

    def weight_rows(self):
        """Rows of the weight matrices / kernels (ndim >= 2), input side first."""
        return [r for r in self.params if len(r["shape"]) >= 2] or self.params

    @property
    def first_last_ratio(self) -> float:
        """||grad|| of the first weight layer / ||grad|| of the last one."""
        rows = self.weight_rows()
        if not rows or not rows[-1]["grad_norm"]:
            return float("nan")
        return rows[0]["grad_norm"] / rows[-1]["grad_norm"]

    def __str__(self):
        head = ["#", "parameter", "shape", "|grad|", "mean |grad|", "|W|", "update/|W|"]
        body = []
        for r in self.params:
            upd = "-" if r["update_ratio"] is None else f"{r['update_ratio']:.2e}"
            body.append([str(r["depth"]), r["name"], "x".join(map(str, r["shape"])),
                         _num(r["grad_norm"]), _num(r["grad_mean_abs"]),
                         _num(r["weight_norm"]), upd])
        out = [self.title] if self.title else []
        out.append(_text_table(head, body))
        if self.activations:
            ahead = ["activation", "kind", "saturated", "dead units", "zero outputs"]
            abody = [[a["module"], a["kind"], _pct(a.get("saturated")), _pct(a.get("dead")),
                      _pct(a.get("zero"))] for a in self.activations]
            out += ["", _text_table(ahead, abody)]
        if self.warnings:
            out += [""] + self.warnings
        return "\n".join(out)

    def plot(self, path=None, ax=None, label=None):
        """Gradient norm (log scale) against depth, weights as a line and biases as dots.
        Writes a PNG to ``path`` when given (matplotlib, Agg backend); returns the axes."""
        own = ax is None
        if own:
            fig = new_figure(figsize=(6.4, 3.6))
            ax = fig.add_subplot()
        plot_flow(ax, self, label=label)
        ax.set_title(self.title or "gradient flow")
        if own:
            fig.tight_layout()
            if path is not None:
                fig.savefig(path)
        return ax


def new_figure(figsize=(6.4, 4.0), dpi=110):
    """A matplotlib Figure drawn by the Agg backend, without pyplot's global state (safe in
    scripts, tests and notebooks alike)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def plot_flow(ax, report, label=None):
    w = report.weight_rows()
    xs = list(range(1, len(w) + 1))
    ys = [max(r["grad_norm"], 1e-30) for r in w]
    ax.semilogy(xs, ys, marker="o", ms=3, label=label)
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("layer (input -> output)")
    ax.set_ylabel("||grad|| of the weights")
    ax.grid(True, which="both", alpha=0.3)


def _num(v):
    return "-" if v is None else f"{v:.3e}"


def _pct(v):
    return "-" if v is None else f"{100 * v:.1f}%"


def _text_table(head, body):
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*head), "  ".join("-" * w for w in widths)]
                     + [fmt.format(*r) for r in body])


def _lr_of(optimizer, param):
    for group in optimizer.param_groups:
        if any(p is param for p in group["params"]):
            return group.get("lr")
    return None


def _warnings(rows, window, factor, explode_at):
    """Vanishing: some layer's RMS gradient per weight (||grad|| / sqrt(numel), so that layers
    of different sizes compare) is more than ``factor`` x smaller than that of a layer at most
    ``window`` layers closer to the output. Exploding: the mirror image, any norm above
    ``explode_at``, or a non-finite gradient."""
    out, vanish, explode = [], False, False
    norms = [r["grad_rms"] for r in rows]
    bad = [r["name"] for r in rows if r["grad_norm"] is not None and
           not math.isfinite(r["grad_norm"])]
    if bad:
        explode = True
        out.append(f"exploding gradients: non-finite gradient in {', '.join(bad)}")
    n = len(norms)
    worst_v, worst_e = None, None
    for i in range(n):
        for j in range(i + 1, min(n, i + window + 1)):
            a, b = norms[i], norms[j]
            if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
                continue
            if b > 0 and a < b / factor and (worst_v is None or b / max(a, 1e-300) >
                                              worst_v[0]):
                worst_v = (b / max(a, 1e-300), i, j)
            if a > 0 and b < a / factor and (worst_e is None or a / max(b, 1e-300) >
                                              worst_e[0]):
                worst_e = (a / max(b, 1e-300), i, j)
    first, last = rows[0] if rows else None, rows[-1] if rows else None
    if worst_v is not None:
        vanish = True
        _, i, j = worst_v
        out.append(
            f"vanishing gradients: the RMS gradient per weight shrinks from {norms[j]:.2e} at "
            f"{rows[j]['name']} "
            f"to {norms[i]:.2e} at {rows[i]['name']} ({norms[j] / max(norms[i], 1e-300):.3g}x "
            f"in {j - i} layer(s) towards the input); ||grad|| is {last['grad_norm']:.2e} at the "
            f"output layer and {first['grad_norm']:.2e} at the input layer. Early layers barely "
            f"learn: try ReLU with He init, BatchNorm or residual connections.")
    big = [r for r in rows if r["grad_norm"] is not None and math.isfinite(r["grad_norm"])
           and r["grad_norm"] > explode_at]
    if worst_e is not None or big:
        explode = True
        if big:
            r = max(big, key=lambda r: r["grad_norm"])
            msg = f"||grad|| = {r['grad_norm']:.2e} at {r['name']} (above {explode_at:g})"
        else:
            _, i, j = worst_e
            msg = (f"the RMS gradient per weight grows from {norms[j]:.2e} at {rows[j]['name']} to "
                   f"{norms[i]:.2e} at {rows[i]['name']} ({norms[i] / max(norms[j], 1e-300):.3g}x "
                   f"in {j - i} layer(s) towards the input)")
        out.append(f"exploding gradients: {msg}; lower the learning rate, clip gradients "
                   f"(nn.utils.clip_grad_norm_) or normalise the layers.")
    return out, vanish, explode


def gradient_flow(model, lr=None, optimizer=None, monitor=None, window=3, factor=10.0,
                  explode_at=1e3, title=None):
    """Gradient statistics per parameter after ``loss.backward()``.

    Args:
        model: a Module (or an iterable of (name, tensor) pairs).
        lr (None) / optimizer (None): to estimate the update ratio lr ||g|| / ||W|| (a plain
            SGD step; the optimizer's group lr is used). A monitor that ran
            ``monitor.step(optimizer)`` gives the measured ratio instead.
        monitor (None): a ``GradientFlowMonitor`` attached before the forward pass, for the
            saturation / dead-unit fractions.
        window (3), factor (10.0): warn "vanishing gradients" when a weight's RMS gradient
            (||grad|| / sqrt(numel): layers of different sizes compare) is more than ``factor``
            times smaller than that of a layer at most ``window`` layers closer to the output
            (and "exploding gradients" for the mirror image).
        explode_at (1e3): warn "exploding gradients" above this norm, or on inf / NaN.

    Returns a ``GradientFlowReport``: ``params`` (dicts: depth, name, shape, grad_norm,
    grad_rms, grad_mean_abs, weight_norm, update_ratio), ``activations``, ``warnings``, ``vanishing``,
    ``exploding``, ``first_last_ratio``; ``str()`` = table + warnings; ``.plot(path)``.

    Example::

        loss.backward()
        print(viz.gradient_flow(model, lr=0.1))
    """
    named = list(model.named_parameters()) if hasattr(model, "named_parameters") else list(model)
    rows = []
    for depth, (name, p) in enumerate(named, 1):
        w = array_of(p).astype(np.float64, copy=False)
        g = None if p.grad is None else array_of(p.grad).astype(np.float64, copy=False)
        wn = float(np.linalg.norm(w.ravel()))
        gn = None if g is None else float(np.sqrt(np.sum(g * g)))
        upd = None
        if monitor is not None and name in monitor.updates:
            upd = monitor.updates[name]
        else:
            step_lr = _lr_of(optimizer, p) if optimizer is not None else lr
            if step_lr is not None and gn is not None:
                upd = step_lr * gn / max(wn, 1e-12)
        rms = None if gn is None else gn / math.sqrt(max(w.size, 1))
        rows.append({"depth": depth, "name": name, "shape": tuple(p.shape), "grad_norm": gn,
                     "grad_rms": rms,
                     "grad_mean_abs": None if g is None else float(np.mean(np.abs(g)))
                     if g.size else 0.0, "weight_norm": wn, "update_ratio": upd})
    weights = [r for r in rows if len(r["shape"]) >= 2 and r["grad_norm"] is not None]
    warns, vanish, explode = _warnings(weights or [r for r in rows if r["grad_norm"]
                                                   is not None], window, factor, explode_at)
    acts = list(monitor.stats.values()) if monitor is not None else []
    return GradientFlowReport(rows, acts, warns, vanish, explode, title)
