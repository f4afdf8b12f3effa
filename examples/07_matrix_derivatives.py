"""Chapter 7 - matrix derivatives of a linear layer.

    Y = X W + b          X: (N, n)  W: (n, m)  b: (m,)  Y: (N, m)
    G = dL/dY            (whatever comes from above; here L = sum(Y * C) + 0.5 sum(Y^2))

    dL/dW = X^T G        (n, m): every weight collects input x its output's gradient
    dL/dX = G W^T        (N, n): the gradient sent to the layer below
    dL/db = sum_rows G   (m,)
    y = W x (one column vector):  dL/dW = g x^T  (an outer product)

Each formula is checked against the engine (loss.backward()) and against central finite
differences (chaingrad.autograd.numerical_grad), in float64.

Run:  python examples/07_matrix_derivatives.py
"""
from __future__ import annotations

import argparse

import numpy as np

import chaingrad as cg
from chaingrad.autograd import numerical_grad


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="(unused: this chapter draws nothing)")
    ap.parse_args(argv)
    rng = np.random.default_rng(0)
    N, n, m = 4, 3, 2
    Xa, Wa, ba, Ca = (rng.standard_normal(s) for s in ((N, n), (n, m), (m,), (N, m)))
    X, W, b = (cg.tensor(a, requires_grad=True) for a in (Xa, Wa, ba))
    C = cg.tensor(Ca)

    def loss_fn(X, W, b):
        Y = X @ W + b
        return (Y * C).sum() + 0.5 * (Y * Y).sum()

    L = loss_fn(X, W, b)
    L.backward()
    Ya = Xa @ Wa + ba
    G = Ca + Ya                               # dL/dY
    formulas = {"dL/dW = X^T G": Xa.T @ G, "dL/dX = G W^T": G @ Wa.T,
                "dL/db = sum_rows G": G.sum(axis=0)}
    engine = [W.grad.numpy(), X.grad.numpy(), b.grad.numpy()]
    fd_X, fd_W, fd_b = numerical_grad(loss_fn, (X, W, b))
    fds = [fd_W.numpy(), fd_X.numpy(), fd_b.numpy()]
    print(f"Y = X W + b with X {Xa.shape}, W {Wa.shape}, b {ba.shape}; "
          f"L = sum(Y * C) + sum(Y^2)/2, so G = dL/dY = C + Y\n")
    print(f"{'formula':<22} {'shape':>7} {'max |formula - engine|':>24} "
          f"{'max |formula - finite diff|':>28}")
    errs = {}
    for (name, val), eng, fd in zip(formulas.items(), engine, fds):
        e1, e2 = np.abs(val - eng).max(), np.abs(val - fd).max()
        errs[name] = (e1, e2)
        print(f"{name:<22} {str(val.shape):>7} {e1:>24.1e} {e2:>28.1e}")
    print("\ndL/dW = X^T G, written out:")
    print(np.array2string(formulas["dL/dW = X^T G"], precision=4))
    # a single column vector: y = W x, L = g . y  ->  dL/dW = g x^T
    x = rng.standard_normal(3)
    g = rng.standard_normal(2)
    Wv = cg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    (cg.tensor(g) * (Wv @ cg.tensor(x))).sum().backward()
    outer_err = np.abs(Wv.grad.numpy() - np.outer(g, x)).max()
    print(f"\ny = W x, L = g . y:  dL/dW = g x^T (outer product), max |g x^T - engine| = "
          f"{outer_err:.1e}")
    return {"errors": errs, "outer_error": outer_err}


if __name__ == "__main__":
    main()
