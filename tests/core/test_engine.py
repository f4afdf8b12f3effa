"""The DP backward pass: ordering, accumulation, retained grads, hooks, retain_graph."""
import numpy as np
import pytest
import torch

import chaingrad as cg


def test_100k_node_chain_no_recursion_limit():
    x = cg.tensor([0.5, -1.0], requires_grad=True)
    h = x
    for _ in range(50_000):
        h = h * 1.0
        h = h + 0.0
    assert h.grad_fn is not None
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_diamond_sums_paths_once():
    # y = a*b where a = x^2, b = 3x: both paths reach x; dy/dx = 2x*3x + x^2*3 = 9x^2
    calls = []
    x = cg.tensor(2.0, requires_grad=True)
    a = x * x
    a.grad_fn.register_hook(lambda gi, go: calls.append("a"))
    b = x * 3
    y = a * b
    y.backward()
    assert float(x.grad) == pytest.approx(9 * 4)
    assert calls == ["a"]  # the shared node ran once


def test_wide_fanout_matches_torch():
    rng = np.random.default_rng(0)
    xv = rng.standard_normal((4,))

    def f(lib, x):
        hs = [x * (i + 1) for i in range(30)]
        s = hs[0]
        for h in hs[1:]:
            s = s + h.tanh() * s.sin()
        return s.sum()
    xc = cg.tensor(xv, requires_grad=True)
    xt = torch.tensor(xv, requires_grad=True)
    f(cg, xc).backward()
    f(torch, xt).backward()
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-10)


def test_grads_accumulate_across_backward_calls():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2 + 3, 4 + 3])
    g = x.grad
    (x * 1).sum().backward()
    assert x.grad is g  # accumulated in place, as PyTorch
    x.grad = None
    (x * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 1])


def test_non_leaf_grad_none_unless_retain_grad():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    k = h * 3
    k.retain_grad()
    (k * k).sum().backward()
    assert h.grad is None
    assert not h.is_leaf and x.is_leaf
    np.testing.assert_array_equal(k.grad.numpy(), 2 * k.detach().numpy())
    assert k.retains_grad and not h.retains_grad


def test_retain_grad_accumulates_like_torch():
    for lib in (cg, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x * 2
        h.retain_grad()
        h.sum().backward(retain_graph=True)
        h.sum().backward()
        assert np.allclose(np.asarray(h.grad.tolist()), [2.0, 2.0])


def test_tensor_hook_replaces_gradient():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    seen = []
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    h.register_hook(lambda g: g * 10)
    (h * h).sum().backward()
    np.testing.assert_array_equal(seen[0], 2 * h.detach().numpy())
    np.testing.assert_array_equal(x.grad.numpy(), 10 * 2 * h.detach().numpy() * 2)


def test_leaf_hook_replaces_gradient_and_can_be_removed():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 0 + 7)
    x.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [7, 7])
    handle.remove()
    x.grad = None
    x.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 1])


def test_hook_on_tensor_without_grad_refused():
    with pytest.raises(RuntimeError):
        cg.tensor([1.0]).register_hook(lambda g: g)


def test_post_accumulate_grad_hook():
    x = cg.tensor([1.0], requires_grad=True)
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(float(t.grad)))
    (x * 4).sum().backward()
    assert seen == [4.0]


def test_backward_of_non_scalar_needs_gradient():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="gradient="):
        y.backward()
    y.backward(gradient=cg.tensor([1.0, 0.5]))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 1.0])
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).backward(gradient=cg.ones(3))


def test_scalar_shaped_one_element_backward_allowed():
    x = cg.tensor([3.0], requires_grad=True)
    (x * 2).backward()
    assert float(x.grad) == 2.0


def test_retain_graph_allows_second_backward():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_backward_does_not_need_graph_for_ops_without_saved_values():
    # as PyTorch: a graph of adds saves nothing, so a second backward works
    x = cg.tensor([1.0], requires_grad=True)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    assert float(x.grad) == 2.0


def test_backward_inputs_argument():
    x = cg.tensor([1.0], requires_grad=True)
    w = cg.tensor([2.0], requires_grad=True)
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None and float(w.grad) == 1.0


def test_next_functions_walk_the_graph():
    x = cg.tensor([1.0], requires_grad=True)
    w = cg.tensor([2.0], requires_grad=True)
    y = (x * w).tanh()
    assert y.grad_fn.name() == "TanhBackward0"
    (mul_node, nr), = y.grad_fn.next_functions
    assert mul_node.name() == "MulBackward0" and nr == 0
    leaves = [e[0] for e in mul_node.next_functions]
    assert [n.name() for n in leaves] == ["AccumulateGrad", "AccumulateGrad"]
    assert leaves[0].variable is x and leaves[1].variable is w


def test_no_grad_builds_no_graph_and_decorators():
    x = cg.tensor([1.0], requires_grad=True)
    with cg.no_grad():
        y = x * 2
        assert not cg.is_grad_enabled()
        with cg.enable_grad():
            z = x * 2
    assert y.grad_fn is None and not y.requires_grad and z.requires_grad

    @cg.no_grad()
    def f(t):
        return t * 2
    assert not f(x).requires_grad
    with cg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert cg.is_grad_enabled()
    cg.set_grad_enabled(False)
    assert not cg.is_grad_enabled()
    cg.set_grad_enabled(True)
    with cg.inference_mode():
        assert not (x * 2).requires_grad


def test_detach_and_requires_grad_flags():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    d._array[0] = 5.0  # shares memory, as PyTorch
    assert float(x._array[0]) == 5.0
    y = x * 2
    with pytest.raises(RuntimeError):
        y.requires_grad = False
    z = cg.tensor([1.0]).requires_grad_()
    assert z.requires_grad and z.is_leaf


def test_integer_outputs_do_not_require_grad():
    x = cg.tensor([1.5, 2.5], requires_grad=True)
    assert not x.argmax().requires_grad
    assert not (x > 1).requires_grad
    assert not x.long().requires_grad
    assert x.max(0)[0].requires_grad and not x.max(0)[1].requires_grad


def test_float32_grads_stay_float32():
    x = cg.randn(3, 4, requires_grad=True)
    w = cg.randn(4, 2, dtype=cg.float64, requires_grad=True)
    (x.double() @ w).sum().backward()
    assert x.grad.dtype == cg.float32 and w.grad.dtype == cg.float64


def test_grad_of_expanded_and_broadcast_summed_back_once():
    x = cg.tensor([[1.0], [2.0]], requires_grad=True)
    y = x.expand(2, 3) * cg.tensor([1.0, 2.0, 3.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[6.0], [6.0]])


def test_an_input_without_gradient_is_none_0_in_next_functions_as_in_pytorch():
    import torch
    shown = []
    for L in (cg, torch):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = x * L.tensor([3.0, 4.0])
        nodes = [fn for fn, nr in y.grad_fn.next_functions]  # unpacks like PyTorch's
        shown.append(([None if fn is None else fn.name().split("::")[-1] for fn in nodes],
                      [nr for _, nr in y.grad_fn.next_functions]))
        assert y.grad_fn.next_functions[1] == (None, 0)
    assert shown[0] == shown[1]
    z = (cg.tensor([1.0, 2.0], requires_grad=True) * cg.tensor([3.0, 4.0])).sum()
    z.backward()  # the engine and the op skip the edge that leads nowhere
