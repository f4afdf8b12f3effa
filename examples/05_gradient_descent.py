"""Chapter 5 - gradient descent: W <- W - lr dL/dW, on 2-D functions you can see.

A quadratic bowl (curvatures 1 and 10), the Rosenbrock valley and a saddle, each minimised
with chaingrad's own optimizers: SGD, momentum, Nesterov, RMSprop and Adam. The gradient of
every step comes from the engine (f.backward()); the trajectories are drawn over the contours.
The last panel is plain SGD on the bowl with growing learning rates: beyond 2 / 10 (two over
the largest curvature) every step overshoots further, and the run diverges.

Run:  python examples/05_gradient_descent.py [--out DIR]      (same as `chaingrad descent`)
"""
from __future__ import annotations

import argparse
import os

from chaingrad.viz import descent

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(HERE, "..", "docs", "img"))
    args = ap.parse_args(argv)
    results = descent.run()
    print("the first steps of plain SGD on the bowl (lr 0.17): x <- x - lr df/dx")
    print(descent.steps_table(results["bowl"][0], 6))
    print()
    for name, runs in results.items():
        print(descent.summary_table(runs))
        print()
    lr_runs = descent.learning_rates()
    print("plain SGD on the bowl: the curvature along y is 10, so lr > 2/10 = 0.2 diverges")
    print(descent.summary_table(lr_runs))
    print("\nreached = first step with f within 1e-3 of the minimum")
    os.makedirs(args.out, exist_ok=True)
    path = descent.plot(results, lr_runs, os.path.join(args.out, "gradient_descent.png"))
    print(f"trajectories: {path}")
    final = {(n, r["optimizer"]): r for n, runs in results.items() for r in runs}
    return {"final": final, "lr_runs": lr_runs, "plot": path}


if __name__ == "__main__":
    main()
