"""The engine keeps a gradient array without copying only when nobody else refers to it.

A leaf's first ``.grad`` can be the array the backward pass produced, and memo sums can be
accumulated in place, but never when that array is also another tensor's gradient, a saved or
user array, a read-only or broadcast view, or something a hook has seen: a later in-place
accumulation would then change the other holder too. Each case runs two backward passes (the
second accumulates in place) and compares with PyTorch.
"""
from __future__ import annotations

import numpy as np
import pytest

import chaingrad as cg
from chaingrad.autograd import engine

torch = pytest.importorskip("torch")

SHAPE = (64, 96)  # above the engine's ownership threshold


@pytest.fixture(params=["large", "all sizes"])
def owning(request, monkeypatch):
    if request.param == "all sizes":
        monkeypatch.setattr(engine, "_OWN_MIN_SIZE", 0)
    return request.param


def _data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _both(arrays):
    cgs = [cg.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    return cgs, ts


def _twice(fn, cgs, ts):
    for _ in range(2):
        fn(cg, *cgs).backward()
        fn(torch, *ts).backward()
    for c, t in zip(cgs, ts):
        np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=1e-7, atol=1e-9)


def _independent(*tensors):
    for i, a in enumerate(tensors):
        assert a.grad._array.flags.writeable
        for b in tensors[i + 1:]:
            assert not np.shares_memory(a.grad._array, b.grad._array)


def test_add_sends_one_array_to_both_inputs(owning):
    cgs, ts = _both([_data(*SHAPE), _data(*SHAPE, seed=1)])
    _twice(lambda lib, a, b: ((a + b) * 3).sum(), cgs, ts)
    _independent(*cgs)


@pytest.mark.parametrize("first", ["u", "v"])
def test_add_gradient_shared_by_two_nodes_that_sum_more(owning, first):
    # Add sends one array to u and v; both sum more into it before either runs (the right
    # operand's graph runs first): an in-place sum into one must not change the other
    def fn(lib, x, w):
        u, v = x * 2, w * 3
        m = lib.tensor(_data(*SHAPE, seed=2))  # g * m: a fresh, writable array for Add
        a, b = ((u * 5).sum(), (v * 7).sum()) if first == "u" else ((v * 7).sum(), (u * 5).sum())
        return b + a + ((u + v) * m).sum()
    cgs, ts = _both([_data(*SHAPE), _data(*SHAPE, seed=1)])
    _twice(fn, cgs, ts)
    _independent(*cgs)


def test_same_leaf_on_many_paths_sums_in_place(owning):
    cgs, ts = _both([_data(*SHAPE), _data(*SHAPE, seed=1)])
    _twice(lambda lib, x, w: (x * w + x * 2 + (x * x).tanh() + x @ w.T @ w).sum(), cgs, ts)
    _independent(*cgs)


def test_expand_and_broadcast(owning):
    cgs, ts = _both([_data(1, SHAPE[1]), _data(SHAPE[0], 1), _data(*SHAPE)])
    _twice(lambda lib, r, c, m: ((r.expand(*SHAPE) * m) + c + r).sum(), cgs, ts)
    _independent(*cgs)


def test_sum_sends_a_read_only_broadcast_view(owning):
    cgs, ts = _both([_data(*SHAPE)])
    _twice(lambda lib, x: x.sum() * 2, cgs, ts)
    _independent(*cgs)


def test_views_of_the_output_gradient(owning):
    cgs, ts = _both([_data(*SHAPE)])
    _twice(lambda lib, x: (x.reshape(-1) * 2).reshape(SHAPE[1], SHAPE[0]).t().sum(), cgs, ts)


def test_user_gradient_passed_through_views_is_not_taken():
    x = cg.tensor(_data(*SHAPE), requires_grad=True)
    g = cg.tensor(_data(SHAPE[0] * SHAPE[1], seed=3))
    before = g.numpy().copy()
    for _ in range(2):
        x.reshape(-1).backward(g)
    np.testing.assert_array_equal(g.numpy(), before)
    np.testing.assert_allclose(x.grad.numpy(), 2 * before.reshape(SHAPE))
    assert not np.shares_memory(x.grad._array, g._array)


def test_custom_function_returning_a_saved_array(owning):
    k = _data(*SHAPE, seed=5)

    class Scale(cg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.k = cg.tensor(k)
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return ctx.k  # the same array on every call

    x = cg.tensor(_data(*SHAPE), requires_grad=True)
    y = Scale.apply(x)
    for _ in range(3):
        y.sum().backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), 3 * k)
    np.testing.assert_array_equal(y.grad_fn.k.numpy(), k)


def test_hooks_keep_what_they_saw(owning):
    cgs, ts = _both([_data(*SHAPE), _data(*SHAPE, seed=1)])
    seen = []
    cgs[0].register_hook(lambda g: seen.append(g) or None)
    mid = []

    def fn(lib, x, w):
        h = x @ w.T
        if lib is cg:
            h.register_hook(lambda g: mid.append(g) or None)
        return (h * 2).sum()

    _twice(fn, cgs, ts)
    first = [seen[0].numpy().copy(), mid[0].numpy().copy()]
    assert not np.shares_memory(seen[0]._array, cgs[0].grad._array)
    np.testing.assert_allclose(seen[0].numpy(), seen[1].numpy())
    np.testing.assert_array_equal(seen[0].numpy(), first[0])
    np.testing.assert_array_equal(mid[0].numpy(), first[1])


def test_retained_intermediate_grad_and_retain_graph(owning):
    x = cg.tensor(_data(*SHAPE), requires_grad=True)
    xt = torch.tensor(_data(*SHAPE), requires_grad=True)
    outs = []
    for lib, t in ((cg, x), (torch, xt)):
        h = t * 3
        h.retain_grad()
        loss = (h * h).sum() + h.sum()
        loss.backward(retain_graph=True)
        loss.backward()
        outs.append((h.grad.numpy() if lib is cg else h.grad.detach().numpy(),
                     t.grad.numpy() if lib is cg else t.grad.detach().numpy()))
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-7)


def test_autograd_grad_results_are_not_reused(owning):
    x = cg.tensor(_data(*SHAPE), requires_grad=True)
    (g1,) = cg.autograd.grad((x * x).sum(), x)
    x2 = (x * 2)
    x2.sum().backward()
    np.testing.assert_allclose(g1.numpy(), 2 * x.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.ones(SHAPE))


def test_taken_gradient_is_the_float32_leaf_dtype(owning):
    x = cg.tensor(_data(*SHAPE).astype(np.float32), requires_grad=True)
    w = cg.tensor(_data(SHAPE[1], SHAPE[1]), requires_grad=True)  # float64
    (x.double() @ w).sum().backward()
    assert x.grad.dtype == cg.float32 and w.grad.dtype == cg.float64
    np.testing.assert_allclose(x.grad.numpy(), np.tile(w.detach().numpy().sum(1), (SHAPE[0], 1)),
                               rtol=1e-5)


def test_relu_masks_an_owned_gradient_in_place(owning):
    cgs, ts = _both([_data(*SHAPE), _data(SHAPE[1], SHAPE[1], seed=1)])
    _twice(lambda lib, x, w: ((x @ w).relu() @ w).relu().sum() + (x @ w).relu().mean(), cgs, ts)


def test_relu_node_hook_sees_the_unmasked_gradient(owning):
    x = cg.tensor(_data(*SHAPE), requires_grad=True)
    w = cg.tensor(_data(SHAPE[1], SHAPE[1], seed=1), requires_grad=True)
    y = (x @ w).relu()
    seen = []
    y.grad_fn.register_hook(lambda grads_in, grads_out: seen.append(grads_out[0].copy()))
    m = _data(*SHAPE, seed=4)
    (y * cg.tensor(m)).sum().backward()
    np.testing.assert_array_equal(seen[0], m)
