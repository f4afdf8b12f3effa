"""Chapter 9 - gradient vanishing, and its counter-measures, measured on real data.

The same 20-layer MLP on a Fashion-MNIST subset, trained a few epochs five ways:
(a) sigmoid + naive init, (b) tanh + Xavier, (c) ReLU + He, (d) ReLU + BatchNorm, (e) residual.
The table gives the weight gradient's norm at the first and the last layer on the first batch
(before any update) and the test accuracy after training; each configuration's gradient-flow
plot (norm against depth) is written, and all five on one figure.

Back-propagation multiplies, layer after layer, by the activation's derivative and the
weights: sigmoid' <= 1/4, so the gradient shrinks geometrically on its way to the input.

Run:  python examples/09_gradient_vanishing.py [--out DIR] [--quick]   (= `chaingrad vanishing`)
"""
from __future__ import annotations

import argparse
import os

from chaingrad.viz import vanishing

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(HERE, "..", "docs", "img"))
    ap.add_argument("--quick", action="store_true",
                    help="1 epoch on 1500 samples (a few seconds; accuracies are lower)")
    args = ap.parse_args(argv)
    n_train, n_test, epochs = (1500, 500, 1) if args.quick else (6000, 2000, 3)
    data = vanishing.load_data(n_train, n_test)
    print(f"20-layer MLP (width 64) on {data[4]}: {n_train} training / {n_test} test samples, "
          f"{epochs} epoch(s), SGD lr 0.01 momentum 0.9")
    results = vanishing.run(epochs=epochs, data=data, log=print)
    print()
    print(vanishing.table(results))
    print()
    print(vanishing.explanation(results))
    os.makedirs(args.out, exist_ok=True)
    for r in results:
        r["flow"].plot(os.path.join(args.out, f"gradient_flow_{r['config']}.png"))
    path = vanishing.plot_all(results, os.path.join(args.out, "gradient_flow_all.png"))
    print()
    print(results[0]["flow"].warnings[0] if results[0]["flow"].warnings else "")
    print(f"plots: {args.out}/gradient_flow_*.png, {path}")
    return {r["config"]: r for r in results}


if __name__ == "__main__":
    main()
