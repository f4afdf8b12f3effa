"""Chapter 4 - partial derivatives and the gradient.

    f(x, y) = x^2 y + sin(y)
    df/dx = 2 x y                 (y held fixed)
    df/dy = x^2 + cos(y)          (x held fixed)
    grad f = (df/dx, df/dy): the direction of steepest ascent, orthogonal to the contours

Each partial derivative by its definition (move one variable by h, keep the other), by hand and
by the engine; then the whole gradient field from ONE backward pass over a grid of points
(f summed over the grid: every point's partials arrive at once), drawn over the contours.

Run:  python examples/04_partial_derivatives.py [--out DIR]
"""
from __future__ import annotations

import argparse
import math
import os

import numpy as np

import chaingrad as cg

HERE = os.path.dirname(os.path.abspath(__file__))


def f(x, y):
    return x * x * y + (y.sin() if hasattr(y, "sin") else np.sin(y))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(HERE, "..", "docs", "img"))
    args = ap.parse_args(argv)
    x0, y0, h = 1.0, 2.0, 1e-6
    by_hand = (2 * x0 * y0, x0 ** 2 + math.cos(y0))
    by_def = ((f(x0 + h, y0) - f(x0 - h, y0)) / (2 * h), (f(x0, y0 + h) - f(x0, y0 - h)) / (2 * h))
    x = cg.tensor(x0, dtype=cg.float64, requires_grad=True)
    y = cg.tensor(y0, dtype=cg.float64, requires_grad=True)
    f(x, y).backward()
    engine = (x.grad.item(), y.grad.item())
    print(f"f(x, y) = x^2 y + sin(y) at (x, y) = ({x0}, {y0})\n")
    print(f"{'':<8} {'by hand':>20} {'by definition (h=1e-6)':>24} {'engine':>20}")
    for i, name in enumerate(("df/dx", "df/dy")):
        print(f"{name:<8} {by_hand[i]:>20.15f} {by_def[i]:>24.15f} {engine[i]:>20.15f}")
    g = np.array(engine)
    print(f"\ngradient = ({g[0]:.6f}, {g[1]:.6f}), |gradient| = {np.linalg.norm(g):.6f}: "
          f"f rises fastest along it, at that rate")
    # the gradient field: one backward pass for the whole grid
    xs, ys = np.meshgrid(np.linspace(-2, 2, 13), np.linspace(-3, 3, 13))
    gx = cg.tensor(xs, requires_grad=True)
    gy = cg.tensor(ys, requires_grad=True)
    f(gx, gy).sum().backward()
    field_err = max(np.abs(gx.grad.numpy() - 2 * xs * ys).max(),
                    np.abs(gy.grad.numpy() - (xs ** 2 + np.cos(ys))).max())
    print(f"grid of {xs.size} points, one backward pass: max error vs the formulas "
          f"{field_err:.1e}")
    from chaingrad.viz import new_figure
    fig = new_figure(figsize=(6.6, 5.0))
    ax = fig.add_subplot()
    fx, fy = np.meshgrid(np.linspace(-2.2, 2.2, 200), np.linspace(-3.2, 3.2, 200))
    ax.contour(fx, fy, f(fx, fy), levels=20, colors="#888888", linewidths=0.7)
    u, v = gx.grad.numpy(), gy.grad.numpy()
    mag = np.hypot(u, v)
    # arrows of one length show the direction; their colour shows |grad f|
    q = ax.quiver(xs, ys, u / mag, v / mag, mag, cmap="autumn_r", angles="xy",
                  scale_units="xy", scale=3.2, width=0.005)
    fig.colorbar(q, ax=ax, label="|grad f|")
    ax.plot(x0, y0, "ko")
    ax.annotate(f"grad f(1, 2) = ({g[0]:.2f}, {g[1]:.2f})", (x0, y0), (x0 - 1.9, y0 + 0.7),
                fontsize=8, arrowprops={"arrowstyle": "->"})
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("f = x^2 y + sin y: contours and gradient (engine, one backward)", fontsize=9)
    fig.tight_layout()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "partial_gradient.png")
    fig.savefig(path)
    print(f"plot: {path}")
    return {"by_hand": by_hand, "by_definition": by_def, "engine": engine,
            "field_error": field_err, "plot": path}


if __name__ == "__main__":
    main()
