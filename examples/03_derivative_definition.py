"""Chapter 3 - the derivative by its definition, against the analytic one and the engine.

    f'(x) = lim_{h -> 0} (f(x + h) - f(x)) / h

For f(x) = x^3 at x = 1 (f'(1) = 3) the forward difference has a truncation error ~ h f''/2 = 3h
and the central difference (f(x+h) - f(x-h)) / 2h one ~ h^2 f'''/6 = h^2; below some h the
rounding error of float64 (~ 1e-16 |f| / h) takes over, so the error is smallest near
h ~ 1e-8 (forward) and h ~ 1e-5 (central). The engine's derivative is exact: 3x^2 evaluated.

Run:  python examples/03_derivative_definition.py [--out DIR]
"""
from __future__ import annotations

import argparse
import os

import numpy as np

import chaingrad as cg

HERE = os.path.dirname(os.path.abspath(__file__))


def f(x):
    return x ** 3


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(HERE, "..", "docs", "img"))
    args = ap.parse_args(argv)
    x0 = 1.0
    exact = 3 * x0 ** 2
    x = cg.tensor(x0, dtype=cg.float64, requires_grad=True)
    f(x).backward()
    engine = x.grad.item()
    hs = 10.0 ** -np.arange(1, 15)
    fwd = (f(x0 + hs) - f(x0)) / hs
    cen = (f(x0 + hs) - f(x0 - hs)) / (2 * hs)
    e_fwd, e_cen = np.abs(fwd - exact), np.abs(cen - exact)
    print("f(x) = x^3 at x = 1: f'(1) = 3 (analytic)")
    print(f"engine (x.grad after backward): {engine!r}, error {abs(engine - exact):.1e}\n")
    print(f"{'h':>8} {'forward (f(x+h)-f(x))/h':>24} {'error':>9} "
          f"{'central (f(x+h)-f(x-h))/2h':>27} {'error':>9}")
    for h, a, ea, c, ec in zip(hs, fwd, e_fwd, cen, e_cen):
        print(f"{h:>8.0e} {a:>24.15f} {ea:>9.1e} {c:>27.15f} {ec:>9.1e}")
    best_f, best_c = hs[np.argmin(e_fwd)], hs[np.argmin(e_cen)]
    print(f"\nsmallest error: forward {e_fwd.min():.1e} at h = {best_f:.0e}, central "
          f"{e_cen.min():.1e} at h = {best_c:.0e}; too small an h loses to rounding.")
    from chaingrad.viz import new_figure
    fig = new_figure(figsize=(6.4, 4.0))
    ax = fig.add_subplot()
    ax.loglog(hs, e_fwd, "o-", label="forward difference  ~ 3h")
    ax.loglog(hs, e_cen, "s-", label="central difference  ~ h^2")
    ax.loglog(hs, 1.1e-16 / hs, "k:", lw=1, label="float64 rounding  ~ eps / h")
    ax.axhline(max(abs(engine - exact), 1e-17), color="C2", ls="--",
               label="chaingrad backward: error 0 (drawn at 1e-17)")
    ax.set_xlabel("h")
    ax.set_ylabel("|error| vs f'(1) = 3")
    ax.set_title("derivative by definition: error against h   (f = x^3, x = 1)")
    ax.invert_xaxis()
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "derivative_error.png")
    fig.savefig(path)
    print(f"plot: {path}")
    return {"engine": engine, "exact": exact, "best_h_forward": best_f, "best_h_central": best_c,
            "min_err_forward": e_fwd.min(), "min_err_central": e_cen.min(),
            "err_forward_1e-1": e_fwd[0], "err_central_1e-1": e_cen[0], "plot": path}


if __name__ == "__main__":
    main()
