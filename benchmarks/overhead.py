"""Per-op overhead (issue 6, W4): a 200-op elementwise chain (mul/add/tanh) on 16 float32
values, forward + backward, chaingrad and PyTorch side by side.

    python benchmarks/overhead.py [--rounds 200] [--profile] [--nan-safe]

Prints microseconds per op (median over rounds; p10/p90) for each library and the ratio
chaingrad / PyTorch, paired per round (the libraries alternate, so drifts hit both alike).
``--profile`` prints chaingrad's cProfile instead (where the per-op time goes).
``--nan-safe`` measures the cost of the NaN-safe gradient rule (docs/reliability.md): the
W4 chain with the engine's floating-point guard on and off, and the backward pass of
``where(x > 0, x.sqrt(), 0)`` when the rule fires (x has zeros) and when it does not.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

N_OPS = 200
SIZE = 16


def chain(x, a, b):
    """200 ops: (h * a, h + b, tanh h) repeated; then the sum the gradient starts from."""
    h = x
    for i in range(N_OPS):
        k = i % 3
        if k == 0:
            h = h * a
        elif k == 1:
            h = h + b
        else:
            h = h.tanh()
    return h.sum()


def make(lib, seed=0):
    rng = np.random.default_rng(seed)
    vals = [rng.uniform(0.5, 1.0, SIZE).astype(np.float32) for _ in range(3)]
    return [lib.tensor(v, requires_grad=True) for v in vals]


def run_once(lib, tensors):
    t0 = time.perf_counter()
    loss = chain(*tensors)
    loss.backward()
    t1 = time.perf_counter()
    for t in tensors:
        t.grad = None
    return (t1 - t0) / N_OPS * 1e6


def check_same(cg, torch):
    a, b = make(cg), make(torch)
    la, lb = chain(*a), chain(*b)
    la.backward()
    lb.backward()
    assert np.allclose(la.item(), lb.detach().item(), rtol=1e-4)
    for ta, tb in zip(a, b):
        assert np.allclose(ta.grad.numpy(), tb.grad.numpy(), rtol=1e-3, atol=1e-5)


def _p10(ts):
    ts = sorted(ts)
    return ts[len(ts) // 10]


def nan_safe_cost(cg, rounds):
    """Cost of the NaN-safe rule: the guard on every backward, and the rule when it fires."""
    import numpy as np
    from chaingrad.autograd import engine

    class NoGuard:  # the pass without the invalid-operation trap (NaNs left as they come)
        def __enter__(self):
            self._old = np.seterr(all="ignore")

        def __exit__(self, *exc):
            np.seterr(**self._old)

    guard = engine._FloatingPointGuard
    ts = make(cg)
    res = {"on": [], "off": []}
    try:
        for _ in range(3):
            for key, g in (("on", guard), ("off", NoGuard)):
                engine._FloatingPointGuard = g
                res[key].append(_p10([run_once(cg, ts) for _ in range(rounds)]))
    finally:
        engine._FloatingPointGuard = guard
    print(f"W4 chain, p10 us/op: guard on {min(res['on']):.2f}, off {min(res['off']):.2f}")
    for n in (16, 10_000, 1_000_000):
        rng = np.random.default_rng(0)
        base = np.abs(rng.standard_normal(n)) + 0.5
        out = {}
        for label, zeros in (("fires", 0.0), ("idle", 1.0)):
            xv = base.copy()
            xv[::10] = zeros  # every 10th element masked (x = 0) or not
            x = cg.tensor(xv, requires_grad=True)
            times = []
            for _ in range(max(5, rounds // (1 + n // 10_000))):
                y = cg.where(x > 0, x.sqrt(), 0.0).sum()
                t0 = time.perf_counter()
                y.backward()
                times.append(time.perf_counter() - t0)
                x.grad = None
            out[label] = statistics.median(times) * 1e6
        print(f"where(x > 0, x.sqrt(), 0) backward, n={n:>9,}: rule fires {out['fires']:9.1f} us, "
              f"idle {out['idle']:9.1f} us ({out['fires'] / out['idle']:.2f}x)")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=200)
    p.add_argument("--profile", action="store_true")
    p.add_argument("--nan-safe", action="store_true")
    args = p.parse_args(argv)
    import chaingrad as cg
    cg.set_num_threads(1)
    if args.nan_safe:
        import warnings
        warnings.simplefilter("ignore", RuntimeWarning)
        nan_safe_cost(cg, args.rounds)
        return
    if args.profile:
        import cProfile
        import pstats
        ts = make(cg)
        for _ in range(20):
            run_once(cg, ts)
        pr = cProfile.Profile()
        pr.enable()
        for _ in range(args.rounds):
            run_once(cg, ts)
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(25)
        return
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None
    libs = {"chaingrad": cg}
    if torch is not None:
        check_same(cg, torch)
        libs["pytorch"] = torch
    inputs = {name: make(lib) for name, lib in libs.items()}
    for name, lib in libs.items():  # warm-up
        for _ in range(20):
            run_once(lib, inputs[name])
    times = {name: [] for name in libs}
    for _ in range(args.rounds):
        for name, lib in libs.items():
            times[name].append(run_once(lib, inputs[name]))
    print(f"W4 per-op overhead: {N_OPS}-op mul/add/tanh chain on {SIZE} float32, "
          f"forward + backward, {args.rounds} rounds, 1 thread")
    for name, ts in times.items():
        q = statistics.quantiles(ts, n=10)
        print(f"  {name:10s} median {statistics.median(ts):7.2f} us/op   "
              f"p10 {q[0]:7.2f}  p90 {q[-1]:7.2f}")
    if "pytorch" in times:
        ratios = [c / t for c, t in zip(times["chaingrad"], times["pytorch"])]
        p10 = _p10(times["chaingrad"]) / _p10(times["pytorch"])
        print(f"  ratio chaingrad/pytorch: paired median {statistics.median(ratios):.3f}, "
              f"p10/p10 {p10:.3f} (on a busy machine the p10 ratio is the steadier figure)")


if __name__ == "__main__":
    main()
