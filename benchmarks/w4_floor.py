"""What W4 could cost at best, for docs/performance.md's W4 section.

    python benchmarks/w4_floor.py

Prints microseconds per op of the W4 chain (200 mul/add/tanh ops on 16 float32, forward +
backward) for (1) NumPy alone: the same ufunc calls with the backward written out by hand,
and (2) a minimal reverse-mode autograd in pure Python made for this chain only (slotted node
and tensor objects, a heap on creation order, no version counters, hooks, dtype/shape
fitting, grad-mode or anomaly checks). chaingrad keeps all of those.
"""
from __future__ import annotations

import heapq
import itertools
import time

import numpy as np

N_OPS, SIZE = 200, 16


def numpy_only(x, a, b):
    hs, h = [], x
    for i in range(N_OPS):
        k = i % 3
        h = h * a if k == 0 else (h + b if k == 1 else np.tanh(h))
        hs.append(h)
    g, ga, gb = np.ones_like(h), np.zeros_like(a), np.zeros_like(b)
    for i in range(N_OPS - 1, -1, -1):
        k = i % 3
        if k == 0:
            ga = ga + g * (hs[i - 1] if i else x)
            g = g * a
        elif k == 1:
            gb = gb + g
        else:
            y = hs[i]
            g = g - g * y * y
    return ga, gb


_seq = itertools.count()


class _Node:
    __slots__ = ("next", "seq", "a", "b", "y", "kind")


class _T:
    __slots__ = ("data", "node", "grad", "acc")

    def __init__(self, d):
        self.data, self.node, self.grad, self.acc = d, None, None, None

    def edge(self):
        if self.node is not None:
            return self.node
        if self.acc is None:
            n = _Node()
            n.next, n.kind, n.a, n.seq = (), 3, self, -next(_seq)
            self.acc = n
        return self.acc

    def _out(self, data, node):
        t = _T.__new__(_T)
        t.data, t.node, t.grad, t.acc = data, node, None, None
        return t

    def __mul__(self, o):
        n = _Node()
        n.kind, n.a, n.b, n.next, n.seq = 0, self.data, o.data, (self.edge(), o.edge()), next(_seq)
        return self._out(self.data * o.data, n)

    def __add__(self, o):
        n = _Node()
        n.kind, n.next, n.seq = 1, (self.edge(), o.edge()), next(_seq)
        return self._out(self.data + o.data, n)

    def tanh(self):
        n = _Node()
        y = np.tanh(self.data)
        n.kind, n.next, n.seq, n.y = 2, (self.edge(),), next(_seq), y
        return self._out(y, n)


def minimal_autograd(x, a, b):
    h = x
    for i in range(N_OPS):
        k = i % 3
        h = h * a if k == 0 else (h + b if k == 1 else h.tanh())
    root = h.node
    memo = {root: np.ones_like(h.data)}
    heap = [(-root.seq, root)]
    while heap:
        n = heapq.heappop(heap)[1]
        g = memo.pop(n)
        if n.kind == 3:
            v = n.a
            v.grad = g if v.grad is None else v.grad + g
            continue
        k = n.kind
        gs = (g * n.b, g * n.a) if k == 0 else ((g, g) if k == 1 else (g - g * n.y * n.y,))
        for c, gi in zip(n.next, gs):
            p = memo.get(c)
            if p is None:
                memo[c] = gi
                heapq.heappush(heap, (-c.seq, c))
            else:
                memo[c] = p + gi


def _median_us(fn, make, rounds=300):
    ts = []
    for _ in range(rounds):
        args = make()
        t0 = time.perf_counter()
        fn(*args)
        ts.append((time.perf_counter() - t0) / N_OPS * 1e6)
    return sorted(ts)[len(ts) // 2]


def main():
    rng = np.random.default_rng(0)
    vals = [rng.uniform(0.5, 1.0, SIZE).astype(np.float32) for _ in range(3)]
    print(f"NumPy alone:          {_median_us(numpy_only, lambda: vals):.2f} us/op")
    print(f"minimal autograd:     {_median_us(minimal_autograd, lambda: [_T(v) for v in vals]):.2f} us/op")


if __name__ == "__main__":
    main()
