"""The graph is freed after backward, and by reference counting alone (no cycles)."""
import gc
import tracemalloc
import weakref

import numpy as np

import chaingrad as cg


def _live_tensors():
    return sum(1 for o in gc.get_objects() if isinstance(o, cg.Tensor))


def _step(w, x):
    h = (x @ w).tanh()
    loss = ((h * h).mean() + h.sigmoid().sum() * 0.1 + h[0].exp().sum()).log()
    loss.backward()
    with cg.no_grad():
        w -= 0.01 * w.grad
    w.grad = None
    return float(loss)


def test_10k_iterations_no_growth_in_live_tensors_or_memory():
    cg.manual_seed(0)
    w = cg.randn(4, 3, requires_grad=True)
    x = cg.randn(5, 4)
    for _ in range(200):  # warm-up: caches, lazily created objects
        _step(w, x)
    gc.collect()
    before = _live_tensors()
    for _ in range(10_000):
        _step(w, x)
    gc.collect()
    after = _live_tensors()
    assert after <= before, f"live tensors grew from {before} to {after}"
    # traced allocations (tracemalloc is slow: a shorter run, after its own warm-up)
    tracemalloc.start()
    for _ in range(100):
        _step(w, x)
    snap0 = tracemalloc.take_snapshot()
    for _ in range(1_000):
        _step(w, x)
    gc.collect()
    snap1 = tracemalloc.take_snapshot()
    tracemalloc.stop()
    growth = sum(s.size_diff for s in snap1.compare_to(snap0, "filename"))
    assert growth < 16 * 1024, f"traced memory grew by {growth} bytes over 1,000 steps"


def test_graph_freed_by_refcount_alone():
    gc.collect()
    gc.disable()
    try:
        x = cg.tensor([1.0, 2.0], requires_grad=True)
        h = x.exp()
        y = (h * x).sin().sum()
        node_ref = weakref.ref(y.grad_fn)
        mid_ref = weakref.ref(h)
        mid_node_ref = weakref.ref(h.grad_fn)
        del h  # still referenced as a saved input of MulBackward0 (not a cycle)
        del y
        assert node_ref() is None, "the output's node outlived it: a reference cycle"
        assert mid_node_ref() is None, "an inner node outlived the graph"
        assert mid_ref() is None, "a saved intermediate tensor outlived the graph"
        # after backward too
        y = (x * x).tanh().sum()
        out_ref = weakref.ref(y)
        node_ref = weakref.ref(y.grad_fn)
        y.backward()
        del y
        assert out_ref() is None and node_ref() is None
        # a tensor whose grad_fn saved its own output (exp) is not kept alive by its node
        e = x.exp()
        e_ref = weakref.ref(e)
        e_node = weakref.ref(e.grad_fn)
        del e
        assert e_ref() is None and e_node() is None
        assert x.grad is not None
    finally:
        gc.enable()


def test_retain_grad_and_hooks_create_no_cycles():
    gc.collect()
    gc.disable()
    try:
        x = cg.tensor([1.0, 2.0], requires_grad=True)
        h = x * 2
        h.retain_grad()
        h.register_hook(lambda g: g)
        r = weakref.ref(h)
        n = weakref.ref(h.grad_fn)
        (h * h).sum().backward()
        del h
        assert r() is None and n() is None
    finally:
        gc.enable()


def test_saved_arrays_released_after_backward():
    x = cg.tensor(np.ones(1000), requires_grad=True)
    y = x.sin()
    node = y.grad_fn
    assert node._saved is not None
    y.sum().backward()
    assert node._saved is None
