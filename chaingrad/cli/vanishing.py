"""``chaingrad vanishing``: the course's chapter 9 as an experiment (see chaingrad.viz.vanishing).

    chaingrad vanishing                       # 5 configurations, ~30-60 s on 2 cores
    chaingrad vanishing --configs sigmoid relu --epochs 1 --out /tmp/v
"""
from __future__ import annotations

import os


def add_parser(sub, name):
    from ..viz.vanishing import CONFIGS
    p = sub.add_parser(name, help="gradient vanishing in a 20-layer MLP: sigmoid vs tanh/Xavier "
                                  "vs ReLU/He vs BatchNorm vs residual, on Fashion-MNIST")
    p.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS),
                   help="configurations to run (default: all five)")
    p.add_argument("--depth", type=int, default=20, help="number of Linear layers (default 20)")
    p.add_argument("--width", type=int, default=64, help="hidden width (default 64)")
    p.add_argument("--epochs", type=int, default=3, help="training epochs (default 3)")
    p.add_argument("--train", type=int, default=6000, help="training samples used (default 6000)")
    p.add_argument("--test", type=int, default=2000, help="test samples used (default 2000)")
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--lr", type=float, default=0.01, help="SGD learning rate, momentum 0.9")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="vanishing",
                   help="folder for the gradient-flow plots (default ./vanishing)")
    p.set_defaults(run=run)


def run(args):
    from .main import CLIError
    from ..viz import vanishing as v
    if args.depth < 3:
        raise CLIError("--depth must be at least 3")
    if min(args.width, args.epochs, args.train, args.test, args.batch_size) < 1:
        raise CLIError("--width, --epochs, --train, --test and --batch-size must be positive")
    if args.batch_size > args.train:
        raise CLIError(f"--batch-size {args.batch_size} is larger than --train {args.train}")
    data = v.load_data(args.train, args.test, args.seed)
    print(f"{args.depth}-layer MLP (width {args.width}) on {data[4]}: {len(data[1])} training "
          f"and {len(data[3])} test samples, {args.epochs} epoch(s), SGD lr {args.lr} "
          f"momentum 0.9")
    results = v.run(args.configs, args.depth, args.width, args.epochs, batch_size=args.batch_size,
                    lr=args.lr, seed=args.seed, data=data, log=print)
    print()
    print("gradient norm of the first and last weight layer on the first batch, before any "
          "update; test accuracy after training:")
    print(v.table(results))
    print()
    print(v.explanation(results))
    os.makedirs(args.out, exist_ok=True)
    paths = []
    for r in results:
        path = os.path.join(args.out, f"gradient_flow_{r['config']}.png")
        r["flow"].plot(path)
        paths.append(path)
    paths.append(v.plot_all(results, os.path.join(args.out, "gradient_flow_all.png")))
    for r in results:
        for w in r["flow"].warnings:
            print(f"[{r['label']}] {w.split(';')[0].split('. ')[0]}")
    print("plots: " + ", ".join(paths))
    return 0
