"""``chaingrad descent``: gradient descent on 2-D functions (see chaingrad.viz.descent).

    chaingrad descent                          # all functions, all optimizers, gradient_descent.png
    chaingrad descent --function rosenbrock --optimizers SGD Adam --steps 500 --out r.png
"""
from __future__ import annotations


def add_parser(sub, name):
    from ..viz.descent import FUNCTIONS, OPTIMIZERS
    p = sub.add_parser(name, help="gradient descent on a bowl, Rosenbrock and a saddle with SGD, "
                                  "momentum, Nesterov, RMSprop and Adam; trajectories to PNG")
    p.add_argument("--function", nargs="+", default=list(FUNCTIONS), choices=list(FUNCTIONS),
                   help="functions (default: all)")
    p.add_argument("--optimizers", nargs="+", default=list(OPTIMIZERS), choices=list(OPTIMIZERS))
    p.add_argument("--steps", type=int, default=None,
                   help="steps per run (default: per function, 60-1000)")
    p.add_argument("--lr-scale", type=float, default=1.0,
                   help="multiply every default learning rate (try 3 to see divergence)")
    p.add_argument("--show-steps", type=int, default=5,
                   help="print the first N steps of each run on the first function (default 5)")
    p.add_argument("--out", default="gradient_descent.png", help="PNG to write")
    p.add_argument("--no-lr-panel", action="store_true",
                   help="leave out the learning-rate-too-large panel")
    p.set_defaults(run=run)


def run(args):
    from .main import CLIError
    from ..viz import descent as d
    if args.steps is not None and args.steps < 1:
        raise CLIError("--steps must be positive")
    if not args.lr_scale > 0:
        raise CLIError("--lr-scale must be positive")
    if not args.out.lower().endswith(".png"):
        raise CLIError(f"--out must name a .png file, got {args.out!r}")
    results = d.run(args.function, args.optimizers, args.steps, args.lr_scale)
    first = args.function[0]
    if args.show_steps > 0:
        for r in results[first]:
            print(f"{first}, {r['optimizer']} (lr {r['lr']:g}): the first steps")
            print(d.steps_table(r, args.show_steps))
            print()
    for name in args.function:
        print(d.summary_table(results[name]))
        print()
    lr_runs = None
    if not args.no_lr_panel:
        lr_runs = d.learning_rates()
        print("plain SGD on the bowl: the curvature along y is 10, so lr > 2/10 diverges")
        print(d.summary_table(lr_runs))
        print()
    print("reached = first step with f within 1e-3 of the minimum")
    path = d.plot(results, lr_runs, args.out)
    print(f"trajectories: {path}")
    return 0
