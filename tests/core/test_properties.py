"""Property-based tests (hypothesis): random compositions of ops agree with PyTorch.

A random program keeps a pool of tensors, starting from two float64 leaves of broadcastable
shapes; every step applies a random op to random members of the pool (so values fan out and
are reused) and appends the result. The loss sums every pool member. Forward value and both
leaves' gradients must equal PyTorch's.
"""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import chaingrad as cg

UNARY = {
    "tanh": lambda L, a: a.tanh(),
    "sigmoid": lambda L, a: a.sigmoid(),
    "sin": lambda L, a: a.sin(),
    "cos": lambda L, a: L.cos(a),
    "exp_tanh": lambda L, a: a.tanh().exp(),
    "square": lambda L, a: a * a,
    "pow3": lambda L, a: a ** 3,
    "rational": lambda L, a: a / (1 + a * a),
    "soft_sqrt": lambda L, a: (a * a + 1).sqrt(),
    "log_sq": lambda L, a: (a * a + 1).log(),
    "neg_rsub": lambda L, a: 2.0 - a,
    "clamp": lambda L, a: a.clamp(-0.5, 0.5),
    "relu": lambda L, a: L.relu(a),
    "abs": lambda L, a: a.abs(),
    "softmax": lambda L, a: a.softmax(-1),
    "log_softmax": lambda L, a: a.log_softmax(-1),
    "cumsum": lambda L, a: a.cumsum(-1),
    "flip": lambda L, a: a.flip(-1),
    "sum_keep": lambda L, a: a.sum(-1, keepdim=True),
    "mean_keep0": lambda L, a: a.mean(0, keepdim=True) if a.ndim == 2 else a.mean(),
    "amax_keep": lambda L, a: a.amax(-1, keepdim=True),
    "var_keep": lambda L, a: a.var(-1, keepdim=True, correction=0),
    "logsumexp": lambda L, a: a.logsumexp(-1, keepdim=True),
    "norm_all": lambda L, a: a.norm(),
    "view_roundtrip": lambda L, a: a.reshape(-1).reshape(a.shape),
    "transpose_back": lambda L, a: (a.transpose(0, 1) * 2).transpose(0, 1) if a.ndim == 2 else a,
    "stack_sum": lambda L, a: L.stack([a, a * 2], 0).sum(0),
    "cat_half": lambda L, a: L.cat([a, a], -1)[..., : a.shape[-1]] * 3 if a.ndim else a * 3,
}
BINARY = {
    "add": lambda L, a, b: a + b,
    "sub": lambda L, a, b: a - b,
    "mul": lambda L, a, b: a * b,
    "div_safe": lambda L, a, b: a / (b * b + 1),
    "maximum": lambda L, a, b: L.maximum(a, b),
    "where": lambda L, a, b: L.where(a > b, a, b * 2),
    "pow_pos": lambda L, a, b: (a * a + 0.5) ** b.tanh(),
}


def _program(data, m, n):
    """A list of (op name, operand indices) drawn step by step."""
    steps = []
    size = 2
    for _ in range(data.draw(st.integers(1, 8), label="steps")):
        if data.draw(st.booleans(), label="binary"):
            name = data.draw(st.sampled_from(sorted(BINARY)), label="op")
            args = (data.draw(st.integers(0, size - 1)), data.draw(st.integers(0, size - 1)))
        else:
            name = data.draw(st.sampled_from(sorted(UNARY)), label="op")
            args = (data.draw(st.integers(0, size - 1)),)
        steps.append((name, args))
        size += 1
    return steps


def _run(L, steps, leaves, gather_idx):
    pool = list(leaves)
    for name, args in steps:
        fn = BINARY.get(name) or UNARY[name]
        pool.append(fn(L, *[pool[i] for i in args]))
    total = 0
    for i, t in enumerate(pool):
        total = total + (t * (i + 1)).sum()
    m, n = pool[0].shape
    # finish with an indexing op with repeated indices (scatter-add in backward)
    last = pool[-1].expand(m, n) if pool[-1].ndim == 2 else pool[-1].reshape(1, -1).expand(m, n)
    return total + last[:, gather_idx].sum() * 0.5


@given(st.data())
def test_random_programs_match_pytorch(data):
    m = data.draw(st.integers(1, 4), label="m")
    n = data.draw(st.integers(1, 4), label="n")
    second = data.draw(st.sampled_from([(m, n), (1, n), (m, 1), (n,), ()]), label="shape_b")
    steps = _program(data, m, n)
    seed = data.draw(st.integers(0, 2 ** 16), label="seed")
    rng = np.random.default_rng(seed)
    xs = [rng.standard_normal((m, n)), rng.standard_normal(second)]
    gather_idx = rng.integers(0, n, size=n + 2)
    cg_leaves = [cg.tensor(x, requires_grad=True) for x in xs]
    th_leaves = [torch.tensor(x, requires_grad=True) for x in xs]
    out_cg = _run(cg, steps, cg_leaves, cg.tensor(gather_idx))
    out_th = _run(torch, steps, th_leaves, torch.tensor(gather_idx))
    np.testing.assert_allclose(float(out_cg.detach()), out_th.item(), rtol=1e-9, atol=1e-9)
    out_cg.backward()
    out_th.backward()
    for c, t in zip(cg_leaves, th_leaves):
        assert c.grad is not None and c.grad.shape == tuple(t.grad.shape)
        np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=1e-7, atol=1e-9,
                                   err_msg=str(steps))


@given(st.data())
def test_random_programs_second_order_match_pytorch(data):
    """Gradient of the gradient norm (double backward) on random programs."""
    m = data.draw(st.integers(1, 3), label="m")
    n = data.draw(st.integers(1, 3), label="n")
    steps = _program(data, m, n)
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 16), label="seed"))
    xs = [rng.standard_normal((m, n)), rng.standard_normal((1, n))]
    idx = rng.integers(0, n, size=n)
    res = []
    for L, ids in ((cg, cg.tensor(idx)), (torch, torch.tensor(idx))):
        leaves = [L.tensor(x, requires_grad=True) for x in xs]
        out = _run(L, steps, leaves, ids)
        gs = L.autograd.grad(out, leaves, create_graph=True)
        gnorm = sum((g * g).sum() for g in gs)
        if not gnorm.requires_grad:  # the gradient is constant: its derivative is zero
            res.append([np.zeros(x.shape) for x in xs])
            continue
        ggs = L.autograd.grad(gnorm, leaves, allow_unused=True)
        # (+ 0 * ...: PyTorch may return a ZeroTensor, which refuses .numpy())
        res.append([np.zeros(x.shape) if g is None else
                    (g.detach() if L is cg else L.zeros(x.shape, dtype=L.float64) + g.detach()).numpy()
                    for g, x in zip(ggs, xs)])
    for a, b in zip(*res):
        # Where PyTorch's double backward is nan/inf (e.g. norm at the zero vector), chaingrad's
        # NaN-safe rule may give a finite value instead (docs/reliability.md); compare the rest.
        finite = np.isfinite(b)
        np.testing.assert_allclose(a[finite], b[finite], rtol=1e-6, atol=1e-8, err_msg=str(steps))


@given(st.lists(st.integers(1, 4), min_size=0, max_size=4),
       st.lists(st.integers(1, 4), min_size=0, max_size=4), st.integers(0, 1000))
def test_broadcast_gradients_summed_to_input_shapes(sa, sb, seed):
    sb = [1 if (i < len(sa) and i % 2) else s for i, s in enumerate(sb)]
    try:
        np.broadcast_shapes(tuple(sa), tuple(sb))
    except ValueError:
        with pytest.raises(RuntimeError, match="broadcast"):
            cg.ones(*sa) * cg.ones(*sb)
        return
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    ca, cb = cg.tensor(a, requires_grad=True), cg.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (ca * cb + ca).sum().backward()
    (ta * tb + ta).sum().backward()
    np.testing.assert_allclose(ca.grad.numpy(), ta.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(cb.grad.numpy(), tb.grad.numpy(), rtol=1e-10)
