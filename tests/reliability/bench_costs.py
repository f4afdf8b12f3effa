"""What the reliability checks cost (figures quoted in docs/reliability.md).

    python -m tests.reliability.bench_costs [--rounds 300]

* W4 per-op time: a 200-op chain (mul/add/tanh on 16 float32) forward + backward, median
  microseconds per op (the same workload as benchmarks/overhead.py).
* The retention check alone (``chaingrad.autograd.retention.check``) per recorded op input.
* The options for recording source lines: a frame walk to the first non-chaingrad frame (what
  would run for every op that saves a tensor) vs ``traceback.extract_stack`` (detect_anomaly).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import traceback

import numpy as np

import chaingrad as cg
from benchmarks.overhead import N_OPS, chain, make


def w4(rounds):
    ts = make(cg)
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        chain(*ts).backward()
        out.append((time.perf_counter() - t0) / N_OPS * 1e6)
        for t in ts:
            t.grad = None
    return statistics.median(out)


def per_call(fn, n=20000):
    best = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best.append((time.perf_counter() - t0) / n * 1e6)
    return min(best)


def user_site():
    f = sys._getframe(1)
    while f is not None and "/chaingrad/" in f.f_code.co_filename:
        f = f.f_back
    return None if f is None else (f.f_code.co_filename, f.f_lineno)


def _nested(depth, fn):
    # a user frame below `depth` library-like frames (as Tensor.method -> ops.fn -> Op.apply)
    return fn() if depth == 0 else _nested(depth - 1, fn)


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=300)
    a = p.parse_args(argv)
    print(f"W4 chain, forward+backward: {w4(a.rounds):.2f} us/op (median of {a.rounds})")
    from chaingrad.autograd import retention
    x = cg.tensor([1.0], requires_grad=True) * 2
    g = x.grad_fn
    print(f"retention check per input: {per_call(lambda: retention.is_dead(g)) * 1e3:.0f} ns")
    print(f"frame walk to the user's line (3 frames): {per_call(lambda: _nested(0, user_site)):.2f} us")
    print(f"traceback.extract_stack (detect_anomaly): {per_call(traceback.extract_stack, 2000):.2f} us")


if __name__ == "__main__":
    main()
