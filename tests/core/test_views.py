"""Views and in-place changes through them, against PyTorch.

A view (basic indexing, reshape/view, transpose/permute, expand, unbind/chunk ...) shares its
base's memory and version counter; an in-place op through it changes the base, and gradients
through the base see the change (PyTorch's CopySlices). Each case runs the same body in both
libraries and compares every forward value and every leaf gradient, or checks both refuse.
"""
import numpy as np
import pytest
import torch

import chaingrad as cg


def _leaves(L):
    a = L.tensor([1.0, 2.0, 3.0], dtype=L.float64, requires_grad=True)
    m = L.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=L.float64, requires_grad=True)
    return a, m


def _run(L, body):
    a, m = _leaves(L)
    try:
        outs = body(L, a, m)
        loss = sum((o * o).sum() * (i + 1) for i, o in enumerate(outs))
        loss.backward()
    except RuntimeError as exc:
        return "raised", str(exc)
    grads = [np.zeros(t.shape) if t.grad is None else np.asarray(t.grad.tolist()) for t in (a, m)]
    return [np.asarray(o.detach().tolist()) for o in outs], grads


def _mul_slice(L, a, m):
    c = a * 1
    c[0:2].mul_(a[0:2])
    return [c]


def _view_of_view(L, a, m):
    c = a * 1
    v = c[1:]
    v[0:1].mul_(3.0)
    return [c, v]


def _transposed_row(L, a, m):
    c = m * 1
    c.t()[1].add_(a[0:2])  # column 1 of c
    return [c]


def _reshaped(L, a, m):
    c = m * 2
    c.view(3, 2)[1].mul_(a[1:])
    return [c]


def _setitem_on_view(L, a, m):
    c = m * 1
    r = c[0]
    r[1] = a[0] * 5
    return [c, r]


def _copy_into_constant_base(L, a, m):
    buf = L.zeros(4, dtype=L.float64)
    buf[1:3].copy_(a[0:2] * 2)
    return [buf]


def _exp_on_view(L, a, m):
    c = a * 1
    v = c[0:2]
    v.exp_()
    return [v * c[1:], c]


def _unbind_piece(L, a, m):
    c = m * 1
    r0, r1 = c.unbind(0)
    r0.add_(a)
    return [c, r1]


def _zero_d_view(L, a, m):
    c = a * 1
    c[0].mul_(4.0)
    return [c]


def _chunk_piece(L, a, m):
    c = (m * 1).reshape(-1)
    first, second = c.chunk(2)
    second.sub_(first * a)
    return [c]


def _base_changed_after_view(L, a, m):
    c = m * 1
    v = c[:, 1:]
    w = c.t()
    c.mul_(m)  # v and w read the new c
    return [v, w * 2]


def _new_inplace_methods(L, a, m):
    c = m * 1
    c[0].tanh_()
    c[1, 0:2].sigmoid_()
    c[:, 2].abs_()
    d = a * 1
    d.clamp_min_(1.5).clamp_max_(2.5)
    return [c, d]


def _view_of_leaf(L, a, m):
    a[0:2].mul_(2.0)  # PyTorch refuses: a view of a leaf that requires grad
    return [a]


def _expanded_view(L, a, m):
    c = a * 1
    c.unsqueeze(0).expand(2, 3).add_(1.0)  # cells share memory: refused
    return [c]


def _saved_view_then_base_changed(L, a, m):
    c = a * 1
    v = c[0:2]
    y = v * v  # saves v
    c.mul_(2.0)  # changes v too
    return [y]


def _saved_base_then_view_changed(L, a, m):
    c = m * 1
    y = c.exp()  # saves its output only: a change of c is fine ...
    z = c.sin()  # ... but sin saved c
    c[1].zero_()
    return [y, z]


CASES = {f.__name__[1:]: f for f in [
    _mul_slice, _view_of_view, _transposed_row, _reshaped, _setitem_on_view,
    _copy_into_constant_base, _exp_on_view, _unbind_piece, _zero_d_view, _chunk_piece,
    _base_changed_after_view, _new_inplace_methods, _view_of_leaf, _expanded_view,
    _saved_view_then_base_changed,
    _saved_base_then_view_changed]}


@pytest.mark.parametrize("name", sorted(CASES))
def test_inplace_through_view_matches_pytorch(name):
    ours, ref = _run(cg, CASES[name]), _run(torch, CASES[name])
    if ref[0] == "raised" or ours[0] == "raised":
        assert ours[0] == ref[0], (ours, ref)
        return
    for x, y in zip(ours[0] + ours[1], ref[0] + ref[1]):
        np.testing.assert_allclose(x, y, rtol=1e-7, atol=1e-12)


def test_views_share_memory_and_version_counter():
    a = cg.arange(6, dtype=cg.float64).reshape(2, 3)
    for v in [a[0], a[:, 1:], a.t(), a.view(3, 2), a.unsqueeze(0), a.expand(4, 2, 3),
              a.permute(1, 0), a.flatten(), a[1, 2], a.narrow(1, 0, 2), a.unbind(1)[2]]:
        assert np.shares_memory(v._array, a._array)
        before = a._version
        v._version_counter.value += 0
        assert v._version == before
    a[0].add_(1.0)
    assert a._version == 1 and a.t()._version == 1
    assert a.tolist() == [[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]]
    b = cg.arange(6, dtype=cg.float64).reshape(2, 3).t().reshape(6)  # a copy, not a view
    b.add_(1.0)
    assert b._base is None


def test_second_order_through_an_inplace_on_a_view():
    res = []
    for L in (cg, torch):
        a = L.tensor([1.0, 2.0, 3.0], dtype=L.float64, requires_grad=True)
        c = a * a
        c[1:].mul_(a[:2])
        (g,) = L.autograd.grad((c * c).sum(), a, create_graph=True)
        (h,) = L.autograd.grad((g * g).sum(), a)
        res.append((np.asarray(g.tolist()), np.asarray(h.tolist())))
    for x, y in zip(*res):
        np.testing.assert_allclose(x, y, rtol=1e-7)


def test_inplace_on_a_view_under_no_grad_changes_the_base_only():
    a = cg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with cg.no_grad():
        a[0:2].mul_(2.0)  # as optimizers do with parameter slices
    assert a.tolist() == [2.0, 4.0, 3.0] and a.grad_fn is None and a._version == 1


def test_a_base_indexed_many_times_keeps_few_view_references():
    h = cg.randn(4, 3, requires_grad=True) * 1
    for _ in range(1000):
        h[1:3].sum()
    assert len(h._views) < 70  # dead views are dropped, not collected forever


# -- views made under no_grad (PyTorch's CreationMeta.NO_GRAD_MODE) ---------------------------
_NO_GRAD_VIEW_CASES = {
    "non-leaf base": lambda lib: lib.randn(3, requires_grad=True).clone(),
    "leaf base": lambda lib: lib.randn(3, requires_grad=True),
    "base without grad": lambda lib: lib.randn(3),
}


@pytest.mark.parametrize("case", sorted(_NO_GRAD_VIEW_CASES))
@pytest.mark.parametrize("change", ["mul_", "copy_", "setitem", "view of view"])
def test_view_made_under_no_grad_changed_in_place_with_grad_on(case, change):
    import torch
    outcomes = []
    for lib in (cg, torch):
        base = _NO_GRAD_VIEW_CASES[case](lib)
        with lib.no_grad():
            v = base[:2]
        try:
            if change == "mul_":
                v.mul_(2)
            elif change == "copy_":
                v.copy_(lib.ones(2))
            elif change == "setitem":
                v[0] = 5.0
            else:
                v[:1].add_(1)
            outcomes.append(("ok", v.requires_grad))
        except RuntimeError as exc:
            outcomes.append(("no_grad mode" in str(exc), None))
    assert outcomes[0] == outcomes[1]


def test_view_made_and_changed_under_no_grad_is_allowed():
    x = cg.randn(3, requires_grad=True).clone()
    with cg.no_grad():
        v = x[:2]
        v.mul_(2)
    assert v.requires_grad
