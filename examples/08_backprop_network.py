"""Chapter 8 - back-propagation through a small network, step by step.

The classic 2-2-2 network worked by hand in many courses (inputs 0.05, 0.10; targets 0.01,
0.99; sigmoid units; E = sum (target - out)^2 / 2):

    h = sigma(W1 x + b1)      W1 = [[.15, .20], [.25, .30]]   b1 = .35
    o = sigma(W2 h + b2)      W2 = [[.40, .45], [.50, .55]]   b2 = .60

Backward by hand (the delta rule), every sub-result stored and reused, which is the DP:

    delta_o = (o - target) * o (1 - o)          dE/dW2 = delta_o h^T
    delta_h = (W2^T delta_o) * h (1 - h)        dE/dW1 = delta_h x^T

then the same by the engine, its DP table (explain_backward) and its graph (draw_graph), and one
gradient-descent step with lr 0.5 on the weights: w5 becomes 0.35891648 and w1 0.149780716,
the numbers of the hand computation, and E falls from 0.298371109 to 0.291027774.

Last, the lecture's closing ResNet-18 snippet through the same machinery: the DP's cost against
the path-by-path expansion, and the graph with one box per residual block.

Run:  python examples/08_backprop_network.py [--out DIR]
"""
from __future__ import annotations

import argparse
import os

import numpy as np

import chaingrad as cg
from chaingrad import viz

HERE = os.path.dirname(os.path.abspath(__file__))


def sigma(z):
    return 1 / (1 + np.exp(-z))


def _rows(a):
    return "[" + ", ".join("[" + ", ".join(f"{v:.9f}" for v in r) + "]" for r in a) + "]"


def resnet18_section(out):
    """The lecture's closing snippet: the same DP on ResNet-18, and its graph with one box
    per residual block."""
    from chaingrad.models import resnet18
    cg.manual_seed(0)
    model = resnet18()
    data, labels = cg.rand(1, 3, 64, 64), cg.rand(1, 1000)
    with viz.trace_modules(model):           # tag every node with the module that made it
        loss = (model(data) - labels).sum()
    graph = viz.draw_graph(loss, params=model, collapse=True, show_values=False)
    table = viz.explain_backward(loss, params=model)
    print(f"\nResNet-18 on a 1x3x64x64 input, loss = (prediction - labels).sum(): "
          f"{len(table.rows)} op nodes, {len(table.leaves)} parameter tensors")
    for line in table.summary_lines():
        print("  " + line)
    path = os.path.join(out, "resnet18_graph.png")
    try:
        graph.render(path)
        print(f"graph, one box per residual block: {path}")
    except viz.GraphvizNotFound as exc:
        print(exc)
        path = None
    return {"dp_cost": table.dp_cost, "naive_cost": table.naive_cost, "rows": len(table.rows),
            "total_paths": table.total_paths, "plot": path}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(HERE, "..", "docs", "img"))
    ap.add_argument("--no-resnet", action="store_true", help="skip the ResNet-18 part")
    args = ap.parse_args(argv)
    x = np.array([0.05, 0.10])
    t = np.array([0.01, 0.99])
    W1n = np.array([[0.15, 0.20], [0.25, 0.30]])
    W2n = np.array([[0.40, 0.45], [0.50, 0.55]])
    b1n, b2n = np.array([0.35, 0.35]), np.array([0.60, 0.60])

    print("forward, by hand")
    h = sigma(W1n @ x + b1n)
    o = sigma(W2n @ h + b2n)
    E = 0.5 * np.sum((t - o) ** 2)
    print(f"  h = sigma(W1 x + b1) = {h}\n  o = sigma(W2 h + b2) = {o}\n  E = {E:.9f}")
    print("backward, by hand (each delta computed once and reused: the DP)")
    delta_o = (o - t) * o * (1 - o)
    dW2 = np.outer(delta_o, h)
    delta_h = (W2n.T @ delta_o) * h * (1 - h)
    dW1 = np.outer(delta_h, x)
    print(f"  delta_o = (o - t) o (1 - o)          = {delta_o}\n"
          f"  dE/dW2  = delta_o h^T                = {_rows(dW2)}\n"
          f"  delta_h = (W2^T delta_o) h (1 - h)   = {delta_h}\n"
          f"  dE/dW1  = delta_h x^T                = {_rows(dW1)}")

    W1 = cg.tensor(W1n, requires_grad=True)
    W2 = cg.tensor(W2n, requires_grad=True)
    b1 = cg.tensor(b1n, requires_grad=True)
    b2 = cg.tensor(b2n, requires_grad=True)
    names = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    xt, tt = cg.tensor(x), cg.tensor(t)
    with viz.record_values():                # keep every node's value for the drawing
        ht = (W1 @ xt + b1).sigmoid()
        ot = (W2 @ ht + b2).sigmoid()
        loss = 0.5 * ((tt - ot) ** 2).sum()
    graph = viz.draw_graph(loss, params=names)
    table = viz.explain_backward(loss, params=names)
    print("\nthe engine's backward pass, as its DP table (one row per node, in visit order):")
    print(table)
    err1 = np.abs(W1.grad.numpy() - dW1).max()
    err2 = np.abs(W2.grad.numpy() - dW2).max()
    print(f"\nengine vs hand: max |dE/dW1 diff| = {err1:.1e}, max |dE/dW2 diff| = {err2:.1e}")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "backprop_graph.png")
    try:
        graph.render(path)
    except viz.GraphvizNotFound as exc:
        print(exc)
        path = None
    with cg.no_grad():  # one step of gradient descent on the weights, lr 0.5
        W1 -= 0.5 * W1.grad
        W2 -= 0.5 * W2.grad
        h2 = (W1 @ xt + b1).sigmoid()
        E2 = float((0.5 * ((tt - (W2 @ h2 + b2).sigmoid()) ** 2).sum()).item())
    print(f"after one step W <- W - 0.5 dE/dW: w5 = W2[0, 0] = {W2[0, 0].item():.8f}, "
          f"w1 = W1[0, 0] = {W1[0, 0].item():.9f}, E = {E2:.9f} (was {E:.9f})")
    if path:
        print(f"graph: {path}")
    resnet = None if args.no_resnet else resnet18_section(args.out)
    return {"resnet": resnet, "E": E, "E_after": E2, "dW1": dW1, "dW2": dW2, "err_W1": err1,
            "err_W2": err2,
            "w5": W2[0, 0].item(), "w1": W1[0, 0].item(), "rows": table.rows,
            "dp_cost": table.dp_cost, "naive_cost": table.naive_cost, "plot": path}


if __name__ == "__main__":
    main()
