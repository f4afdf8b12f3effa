"""Chapter 6 - the chain rule, by hand and by the engine.

One path:      y = exp(sin(x^2))
               dy/dx = dy/du * du/dv * dv/dx = exp(u) * cos(v) * 2x,  v = x^2, u = sin(v)
Several paths: a = x y,  b = a + y,  L = b^2
               dL/dy = dL/db (db/da da/dy + db/dy) = 2b (x + 1)    (y reaches b along 2 paths)

Every local derivative is printed, multiplied by hand, and compared with the engine and with
a central finite difference. explain_backward shows the same numbers as the engine's DP table
(one row per node, in the order it ran), and draw_graph the graph with its gradients.

Run:  python examples/06_chain_rule.py [--out DIR]
"""
from __future__ import annotations

import argparse
import math
import os

import chaingrad as cg
from chaingrad import viz

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(HERE, "..", "docs", "img"))
    args = ap.parse_args(argv)
    x0 = 0.7
    v = x0 ** 2
    u = math.sin(v)
    y = math.exp(u)
    local = [("dy/du = exp(u)", math.exp(u)), ("du/dv = cos(v)", math.cos(v)),
             ("dv/dx = 2x", 2 * x0)]
    print(f"y = exp(sin(x^2)) at x = {x0}:  v = x^2 = {v:.6f}, u = sin v = {u:.6f}, "
          f"y = e^u = {y:.6f}")
    hand = 1.0
    for name, val in local:
        hand *= val
        print(f"  {name:<16} = {val:.12f}")
    x = cg.tensor(x0, dtype=cg.float64, requires_grad=True)
    out = (x * x).sin().exp()
    table = viz.explain_backward(out, params={"x": x})
    engine = x.grad.item()
    h = 1e-6
    fd = (math.exp(math.sin((x0 + h) ** 2)) - math.exp(math.sin((x0 - h) ** 2))) / (2 * h)
    print(f"  product by hand   = {hand:.12f}\n  engine x.grad     = {engine:.12f}\n"
          f"  finite difference = {fd:.12f}\n")
    print(table)
    # several paths: the gradients along them add up
    x0, y0 = 2.0, 0.5
    b = x0 * y0 + y0
    hand_x, hand_y = 2 * b * y0, 2 * b * (x0 + 1)
    xt = cg.tensor(x0, dtype=cg.float64, requires_grad=True)
    yt = cg.tensor(y0, dtype=cg.float64, requires_grad=True)
    with viz.record_values():                # keep every node's value for the drawing
        L = (xt * yt + yt) ** 2
    graph = viz.draw_graph(L, params={"x": xt, "y": yt})
    multi = viz.explain_backward(L, params={"x": xt, "y": yt})
    print(f"\nL = (x y + y)^2 at x = {x0}, y = {y0}: b = {b}")
    print(f"  dL/dx = 2b y       = {hand_x}   engine {xt.grad.item()}")
    print(f"  dL/dy = 2b (x + 1) = {hand_y}   engine {yt.grad.item()}  "
          f"(y has {[lf['paths'] for lf in multi.leaves if lf['name'] == 'y'][0]} paths to L)")
    print()
    print(multi)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "chain_rule_graph.png")
    try:
        graph.render(path)
        print(f"graph: {path}")
    except viz.GraphvizNotFound as exc:
        print(exc)
        path = None
    return {"hand": hand, "engine": engine, "fd": fd, "hand_x": hand_x, "hand_y": hand_y,
            "engine_x": xt.grad.item(), "engine_y": yt.grad.item(),
            "paths_y": [lf["paths"] for lf in multi.leaves if lf["name"] == "y"][0],
            "rows": [r["op"] for r in table.rows], "plot": path}


if __name__ == "__main__":
    main()
