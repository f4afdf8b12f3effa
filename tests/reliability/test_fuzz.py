"""Differential fuzzing against PyTorch: random graphs (``graphs.py``), same float64 inputs,
every forward value and every leaf gradient (and, for a quarter of the graphs, the gradient of
the gradient norm: double backward) must agree.

The CI test runs a bounded number of graphs (``CI_GRAPHS``); ``pytest -m fuzz
--hypothesis-profile=long`` runs the marked test with the profile's far larger count. The
number of graphs tried and steps run is printed in pytest's terminal summary.
"""
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

import chaingrad as cg

from .graphs import OPS, Replay, inplace_through_view, leaf_shapes
from . import report

CI_GRAPHS = 300
MAX_STEPS = 10
USED = "inplace_on_used"  # an in-place op on a value already used by later ops
VIEW = "inplace_through_view"  # an in-place op through a view, in place in both libraries
NAMES = sorted(OPS)
USED_KINDS = {"mul_": lambda t: t.mul_(1.5), "add_": lambda t: t.add_(0.25),
              "clamp_": lambda t: t.clamp_(-0.5, 0.5), "exp_": lambda t: t.clamp_(-3, 3).exp_(),
              "setitem": lambda t: t.__setitem__((0,) * t.ndim if t.ndim else (), 0.5)}


def _out_of_place(kind, t):
    """PyTorch's reference for an in-place change of a used value: the same change out of
    place (earlier consumers keep the old value, later ones see the new one), which is what
    the in-place program means; PyTorch itself may refuse the in-place form at backward."""
    c = t.clone()
    USED_KINDS[kind](c)
    return c


def _mutable(pool, i):
    """Whether PyTorch and chaingrad can both change pool[i] in place with the same meaning:
    a non-leaf that is not a view and shares memory with no other value of the pool (the
    out-of-place reference could not mimic the views; ``_view_step`` covers those)."""
    c, t = pool[i]
    if t.grad_fn is None or t._base is not None or not t.numel():
        return False
    ptr = t.untyped_storage().data_ptr()
    for j, (oc, ot) in enumerate(pool):
        if j != i and (ot.untyped_storage().data_ptr() == ptr
                       or np.shares_memory(oc._array, c._array)):
            return False
    # nor with a tensor some graph node saved (an intermediate view, e.g. c.unsqueeze(0)
    # inside an op): the out-of-place reference would not see the change (finding 5, fixed)
    seen, stack = set(), [p[0].grad_fn for p in pool if p[0].grad_fn is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for v in (getattr(node, "_saved", None) or ()):
            if isinstance(v, cg.Tensor) and v is not c and np.shares_memory(v._array, c._array):
                return False
        stack.extend(fn for fn, _ in node.next_functions if fn is not None)
    return True


def _shares_with_split(pool, i):
    """Whether pool[i] shares memory with a split/chunk piece: once its base changes, PyTorch
    refuses to use such a piece at all, which chaingrad allows (a difference, not compared)."""
    ptr = pool[i][1].untyped_storage().data_ptr()
    return any(type(t.grad_fn).__name__.startswith(("Split", "Unbind"))
               and t.untyped_storage().data_ptr() == ptr for _c, t in pool)


def _inplace_on_used(data, pool, i):
    kind = data.draw(st.sampled_from(sorted(USED_KINDS)), label="in-place kind")
    USED_KINDS[kind](pool[i][0])  # chaingrad: in place
    pool[i] = (pool[i][0], _out_of_place(kind, pool[i][1]))  # PyTorch: the reference
    _close(pool[i][0], pool[i][1], f"in-place {kind}")
    return kind


def _np(t):
    return t.detach().numpy() if isinstance(t, cg.Tensor) else t.detach().cpu().numpy()


def _close(c, t, what):
    a, b = _np(c), _np(t)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs PyTorch {b.shape}"
    scale = max(1.0, float(np.abs(b).max())) if b.size else 1.0
    np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9 * scale, err_msg=what)


def run_graph(data, only=None):
    shapes = leaf_shapes(data)
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1), label="seed"))
    xs = [rng.standard_normal(s) for s in shapes]
    pool = [(cg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)) for x in xs]
    leaves = list(pool)
    program = []
    for _ in range(1 if only else data.draw(st.integers(1, MAX_STEPS), label="steps")):
        for _attempt in range(4):  # an op whose precondition holds for the drawn operands
            roll = 7 if only else data.draw(st.integers(0, 7), label="in place")
            if roll == 1:  # (one step in 8) through a view, both libraries in place
                name = VIEW
                ok = [j for j in range(len(pool)) if not _shares_with_split(pool, j)
                      and pool[j][0]._array.flags.writeable]  # (not expanded: open finding 9)
                inner = [j for j in ok if pool[j][1].grad_fn is not None]
                if not inner or data.draw(st.integers(0, 3), label="leaf base") == 0:
                    inner = ok  # (a view of a leaf: both must refuse)
                if not inner:
                    continue
                idx = [data.draw(st.sampled_from(inner), label="base"),
                       data.draw(st.integers(0, len(pool) - 1), label="operand")]
                break
            if roll == 0:
                name = USED  # (one step in 8)
                candidates = [j for j in range(len(pool)) if _mutable(pool, j)]
                if candidates:
                    i = data.draw(st.sampled_from(candidates), label="operand")
                    break
                continue
            name = only or data.draw(st.sampled_from(NAMES), label="op")
            arity, pre, fn = OPS[name]
            idx = [data.draw(st.integers(0, len(pool) - 1), label="operand")
                   for _ in range(arity)]
            if pre(*[tuple(pool[i][1].shape) for i in idx]):
                break
        else:
            continue
        if name == USED:
            program.append((name, i, _inplace_on_used(data, pool, i)))
            report.FUZZ["steps"] += 1
            report.FUZZ["ops"].add(name)
            continue
        if name == VIEW:
            program.append(_view_step(data, pool, idx))
            report.FUZZ["steps"] += 1
            report.FUZZ["ops"].add(name)
            continue
        draw = Replay(data)
        program.append((name, idx))
        try:
            t_out = fn(torch, draw, *[pool[i][1] for i in idx])
        except (RuntimeError, IndexError, ValueError) as exc:  # illegal here (e.g. empty)
            draw.replay()
            with pytest.raises(Exception):
                fn(cg, draw, *[pool[i][0] for i in idx])
            program[-1] += ("raises", type(exc).__name__)
            continue
        draw.replay()
        c_out = fn(cg, draw, *[pool[i][0] for i in idx])
        _close(c_out, t_out, f"forward of {name} in {program}")
        assert c_out.requires_grad == t_out.requires_grad, f"requires_grad of {name}"
        pool.append((c_out, t_out))
        report.FUZZ["steps"] += 1
        report.FUZZ["ops"].add(name)
    report.FUZZ["graphs"] += 1
    report.FUZZ["used"] += any(p[0] == USED for p in program)
    report.FUZZ["view"] += any(p[0] == VIEW and "raises" not in p for p in program)
    return pool, leaves, program, rng


def _view_step(data, pool, idx):
    """In place through a view, in both libraries: PyTorch refuses it (a view of a leaf that
    requires grad, of an expanded or a split value) exactly when chaingrad does; otherwise the
    view, its base and every other value sharing memory must read the same in both."""
    draw = Replay(data)
    try:
        t_out = inplace_through_view(torch, draw, *[pool[i][1] for i in idx])
    except RuntimeError as exc:
        draw.replay()
        with pytest.raises(RuntimeError):
            inplace_through_view(cg, draw, *[pool[i][0] for i in idx])
        return (VIEW, idx, draw.log, "raises", str(exc)[:40])
    draw.replay()
    c_out = inplace_through_view(cg, draw, *[pool[i][0] for i in idx])
    step = (VIEW, idx, draw.log)
    _close(c_out, t_out, f"view after in-place {step}")
    assert c_out.requires_grad == t_out.requires_grad, f"requires_grad of {step}"
    pool.append((c_out, t_out))
    for j, (c, t) in enumerate(pool):
        _close(c, t, f"value {j} after in-place through a view {step}")
    return step


def _loss(pool, weights, L):
    k = 0 if L is cg else 1
    total = 0
    for (pair, w) in zip(pool, weights):
        t = pair[k]
        if t.requires_grad and t.numel():
            total = total + (t * (w if L is cg else torch.tensor(w))).sum()
    return total


def _backward_raises(torch_backward, cg_backward, program):
    """Run both backward passes. chaingrad may refuse one after an in-place change of a
    value its backward needs (as PyTorch would): then nothing is compared. Otherwise both
    must run, and the caller compares the gradients with PyTorch's out-of-place reference."""
    try:
        torch_backward()
        t_exc = None
    except RuntimeError as exc:  # only after both ran an in-place op through a view
        assert any(p[0] == VIEW for p in program), f"{exc}; {program}"
        t_exc = exc
    try:
        cg_backward()
    except RuntimeError as exc:
        assert "modified by an inplace operation" in str(exc), f"{exc}; {program}"
        assert any(p[0] in (USED, VIEW) for p in program), f"{exc}; {program}"
        report.FUZZ["refused"] += 1
        report.FUZZ["both_refused"] += t_exc is not None
        return True
    if t_exc is not None:  # PyTorch refuses what chaingrad runs (finding 6): not compared
        report.FUZZ["torch_only_refused"] += 1
        return True
    return False


def check_graph(data, only=None):
    pool, leaves, program, rng = run_graph(data, only)
    weights = [rng.standard_normal(tuple(p[1].shape)) for p in pool]
    loss_c = _loss(pool, [cg.tensor(w) for w in weights], cg)
    loss_t = _loss(pool, weights, torch)
    _close(loss_c, loss_t, f"loss of {program}")
    second = data.draw(st.integers(0, 3), label="double backward") == 0
    cl, tl = [p[0] for p in leaves], [p[1] for p in leaves]
    if not second:
        if _backward_raises(lambda: loss_t.backward(), lambda: loss_c.backward(), program):
            return
        for i, (c, t) in enumerate(zip(cl, tl)):
            tg = torch.zeros_like(t) if t.grad is None else t.grad
            assert c.grad is not None or not tg.any(), f"leaf {i} got no gradient: {program}"
            _close(c.grad if c.grad is not None else cg.zeros(*t.shape, dtype=cg.float64), tg,
                   f"gradient of leaf {i} in {program}")
        return
    report.FUZZ["double"] += 1
    res = {}
    if _backward_raises(
            lambda: res.setdefault("t", torch.autograd.grad(loss_t, tl, create_graph=True,
                                                            allow_unused=True)),
            lambda: res.setdefault("c", cg.autograd.grad(loss_c, cl, create_graph=True,
                                                         allow_unused=True)), program):
        return
    gc_, gt_ = res["c"], res["t"]
    for i, (a, b) in enumerate(zip(gc_, gt_)):
        if b is None:
            assert a is None or not _np(a).any()
        else:
            _close(a, b, f"gradient of leaf {i} in {program}")
    nc = sum((g * g).sum() for g in gc_ if g is not None and g.requires_grad)
    nt = sum((g * g).sum() for g in gt_ if g is not None and g.requires_grad)
    if not isinstance(nt, torch.Tensor):
        return
    ggt = torch.autograd.grad(nt, tl, allow_unused=True)
    ggc = cg.autograd.grad(nc, cl, allow_unused=True) if isinstance(nc, cg.Tensor) else [None] * len(cl)
    for i, (a, b, t) in enumerate(zip(ggc, ggt, tl)):
        b = torch.zeros_like(t) if b is None else torch.zeros_like(t) + b
        a = cg.zeros(*t.shape, dtype=cg.float64) if a is None else a
        _close(a, b, f"second derivative of leaf {i} in {program}")


@settings(max_examples=CI_GRAPHS, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_random_graphs_match_pytorch(data):
    check_graph(data)


@pytest.mark.fuzz
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_random_graphs_match_pytorch_long(data):
    """Same as above, as many graphs as the hypothesis profile says (long: 5,000)."""
    check_graph(data)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_each_op_alone(name, data):
    """Every op of the catalogue, alone on random leaves (first and second order): a
    deterministic floor under the random mix above."""
    check_graph(data, only=name)
