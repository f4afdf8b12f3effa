"""The engine's visit order: reverse creation order (Node._seq), and a leaf's AccumulateGrad
renumbered at its first use after a backward pass (see autograd/function.py)."""
import numpy as np
import pytest
import torch

import chaingrad as cg


def _both(fn):
    """Run ``fn(lib)`` for chaingrad and PyTorch; return both results as NumPy."""
    out = []
    for lib in (cg, torch):
        res = fn(lib)
        out.append([np.asarray(r.detach().numpy() if hasattr(r, "detach") else r) for r in res])
    return out


def test_every_node_runs_after_all_its_consumers_on_a_diamond_lattice():
    # many paths meet at every level: a node run too early would miss a part of its sum
    def f(lib):
        x = lib.tensor([0.3, -0.7, 1.1], dtype=lib.float64, requires_grad=True)
        a, b = x * 2, x.tanh()
        for _ in range(6):
            a, b = a * b + a, (a - b).sin() + b * a
        (a.sum() + b.sum()).backward()
        return [x.grad]
    ours, theirs = _both(f)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10)


def test_leaf_used_again_after_a_backward_is_numbered_anew():
    def f(lib):
        w = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = (w * 2).sum()
        y.backward(retain_graph=True)          # runs w's AccumulateGrad
        z = (w * 3).sum()                      # first use after that: renumbered
        (y + z).backward()                     # an older op (w * 2) sends to it as well
        return [w.grad]
    ours, theirs = _both(f)
    np.testing.assert_array_equal(ours[0], [7.0, 7.0])
    np.testing.assert_array_equal(ours[0], theirs[0])


def test_autograd_grad_sums_every_part_reaching_a_renumbered_leaf():
    w = cg.tensor([1.0, 2.0], dtype=cg.float64, requires_grad=True)
    y = (w * 2).sum()
    y.backward(retain_graph=True)
    z = (w * w).sum()
    (g,) = cg.autograd.grad(y + z, w)
    np.testing.assert_array_equal(g.numpy(), 2 + 2 * w.detach().numpy())


def test_a_leaf_gradient_is_complete_right_after_its_last_use_is_differentiated():
    # what DDP's overlap relies on: the last layer's parameters are done before the first
    # layer's op runs
    lin1, lin2 = cg.nn.Linear(3, 4), cg.nn.Linear(4, 2)
    seen = []
    lin2.weight.register_post_accumulate_grad_hook(lambda p: seen.append(("w2", p.grad is not None)))
    lin1.weight.register_post_accumulate_grad_hook(lambda p: seen.append(("w1", p.grad is not None)))
    order = []
    h = lin1(cg.randn(5, 3))
    h.grad_fn.register_hook(lambda gi, go: order.append(("lin1-op", len(seen))))
    lin2(h.relu()).sum().backward()
    assert [s[0] for s in seen] == ["w2", "w1"]
    assert order == [("lin1-op", 1)]  # w2's gradient was finished before lin1's op ran


def test_nodes_run_in_reverse_creation_order():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    a = x * 2
    b = x + 1
    c = a * b
    visited = []
    from chaingrad.autograd.engine import run_backward
    run_backward([c.grad_fn and (c.grad_fn, 0)], [np.ones(2, np.float32)],
                 observer=lambda node, gout, gin: visited.append(node.name()))
    assert visited == ["MulBackward0", "AddBackward0", "MulBackward0", "AccumulateGrad"]
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 10.0])  # d(2x (x + 1))/dx = 4x + 2


@pytest.mark.parametrize("n", [100_000])
def test_long_chain_runs_iteratively(n):
    x = cg.tensor([1.0], requires_grad=True)
    h = x
    for _ in range(n):
        h = h * 1.0
    h.sum().backward()
    assert x.grad.item() == 1.0
