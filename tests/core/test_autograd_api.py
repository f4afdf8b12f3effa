"""autograd.grad (higher order), custom Function, functional transforms, gradcheck, anomaly."""
import numpy as np
import pytest
import torch

import chaingrad as cg
from chaingrad.autograd import Function, GradcheckError


def test_grad_returns_tuple_and_leaves_grad_untouched():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    y = (x ** 3).sum()
    (g,) = cg.autograd.grad(y, x, retain_graph=True)
    np.testing.assert_array_equal(g.numpy(), 3 * x.detach().numpy() ** 2)
    assert x.grad is None and not g.requires_grad
    g2 = cg.autograd.grad([y], [x], retain_graph=False)
    assert isinstance(g2, tuple)


def test_grad_allow_unused():
    x = cg.tensor([1.0], requires_grad=True)
    z = cg.tensor([1.0], requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        cg.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = cg.autograd.grad(y, [x, z], allow_unused=True)
    assert gz is None and float(gx) == 2.0


@pytest.mark.parametrize("fn", ["sin", "exp_tanh", "poly", "div_log", "softmax"])
def test_third_order_derivatives_match_torch(fn):
    def f(lib, x):
        if fn == "sin":
            return x.sin().sum()
        if fn == "exp_tanh":
            return (x.exp() * x.tanh()).sum()
        if fn == "poly":
            return (x ** 4 - 3 * x ** 2 + x).sum()
        if fn == "div_log":
            return (x.log() / (x + 2)).sum()
        return (x.softmax(0) * x).sum()
    xv = np.array([0.3, 1.2, 0.7])
    res = []
    for lib in (cg, torch):
        x = lib.tensor(xv, requires_grad=True)
        y = f(lib, x)
        gs = []
        g = y
        for _ in range(3):
            (g,) = lib.autograd.grad(g.sum() if g.ndim else g, x, create_graph=True)
            gs.append(np.asarray(g.detach().numpy()))
        res.append(gs)
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_create_graph_backward_gives_differentiable_grad():
    x = cg.tensor([1.5], requires_grad=True)
    y = x ** 3
    y.backward(create_graph=True)
    assert x.grad.requires_grad
    (gg,) = cg.autograd.grad(x.grad, x)
    assert float(gg) == pytest.approx(6 * 1.5)


class Cube(Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x ** 3 * scale

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2 * ctx.scale, None


class SplitSum(Function):
    """Two outputs, and an integer output marked non-differentiable."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.needs = ctx.needs_input_grad
        idx = (a > 0).long()
        ctx.mark_non_differentiable(idx)
        return a + b, a * 2, idx

    @staticmethod
    def backward(ctx, g_sum, g_double, g_idx):
        ga = g_sum + 2 * g_double if ctx.needs_input_grad[0] else None
        gb = g_sum if ctx.needs_input_grad[1] else None
        return ga, gb


def test_custom_function_ctx():
    x = cg.tensor([1.0, -2.0], requires_grad=True)
    y = Cube.apply(x, 2.0)
    assert y.grad_fn.name() == "CubeBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.detach().numpy() ** 2)
    assert cg.autograd.gradcheck(lambda t: Cube.apply(t, 2.0), (cg.tensor([0.5, 1.5], dtype=cg.float64, requires_grad=True),))
    assert cg.autograd.gradgradcheck(lambda t: Cube.apply(t, 2.0), (cg.tensor([0.5, 1.5], dtype=cg.float64, requires_grad=True),))


def test_custom_function_multiple_outputs_and_needs_input_grad():
    a = cg.tensor([1.0, -1.0], requires_grad=True)
    b = cg.tensor([3.0, 4.0])
    s, d, idx = SplitSum.apply(a, b)
    assert s.requires_grad and d.requires_grad and not idx.requires_grad
    assert s.grad_fn is d.grad_fn
    assert s.grad_fn.needs == (True, False)
    (s.sum() + d.sum() * 10).backward()
    np.testing.assert_array_equal(a.grad.numpy(), [21.0, 21.0])
    assert b.grad is None
    # only one output used: the other's gradient arrives as zeros (materialized)
    a.grad = None
    s, d, _ = SplitSum.apply(a, b)
    d.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0])


def test_custom_function_inplace_saved_detected():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = Cube.apply(h, 1.0)
    h.add_(1)
    with pytest.raises(RuntimeError, match="CubeBackward"):
        y.sum().backward()


def test_custom_function_wrong_number_of_grads():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    x = cg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(x, x).sum().backward()


def _fns():
    def f1(x, y):
        return (x.sin() * y).sum(0) + x.prod(0)

    def f2(x):
        return (x ** 3).sum() + (x[0] * x[1]).sum()
    return f1, f2


def _pair(*arrays):
    return ([cg.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays])


def test_functional_vjp_jvp_jacobian_vs_torch(rng):
    f1, _ = _fns()
    xv, yv = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    (xc, yc), (xt, yt) = _pair(xv, yv)
    v = rng.standard_normal((3,))
    out_c, vjp_c = cg.autograd.functional.vjp(f1, (xc, yc), cg.tensor(v))
    out_t, vjp_t = torch.autograd.functional.vjp(f1, (xt, yt), torch.tensor(v))
    np.testing.assert_allclose(out_c.numpy(), out_t.numpy(), rtol=1e-10)
    for a, b in zip(vjp_c, vjp_t):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10)
    u = (rng.standard_normal((2, 3)), rng.standard_normal((2, 3)))
    _, jvp_c = cg.autograd.functional.jvp(f1, (xc, yc), tuple(cg.tensor(a) for a in u))
    _, jvp_t = torch.autograd.functional.jvp(f1, (xt, yt), tuple(torch.tensor(a) for a in u))
    np.testing.assert_allclose(jvp_c.numpy(), jvp_t.numpy(), rtol=1e-10)
    jac_c = cg.autograd.functional.jacobian(f1, (xc, yc))
    jac_t = torch.autograd.functional.jacobian(f1, (xt, yt))
    for a, b in zip(jac_c, jac_t):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10)
    jc = cg.autograd.functional.jacobian(lambda t: t.tanh(), xc)
    jt = torch.autograd.functional.jacobian(lambda t: t.tanh(), xt)
    np.testing.assert_allclose(jc.numpy(), jt.numpy(), rtol=1e-10)


def test_functional_hessian_hvp_vs_torch(rng):
    _, f2 = _fns()
    xv = rng.standard_normal((2, 3))
    (xc,), (xt,) = _pair(xv)
    hc = cg.autograd.functional.hessian(f2, xc)
    ht = torch.autograd.functional.hessian(f2, xt)
    assert tuple(hc.shape) == tuple(ht.shape) == (2, 3, 2, 3)
    np.testing.assert_allclose(hc.numpy(), ht.numpy(), rtol=1e-10, atol=1e-12)
    v = rng.standard_normal((2, 3))
    out_c, hv_c = cg.autograd.functional.hvp(f2, xc, cg.tensor(v))
    out_t, hv_t = torch.autograd.functional.hvp(f2, xt, torch.tensor(v))
    np.testing.assert_allclose(out_c.numpy(), out_t.numpy(), rtol=1e-10)
    np.testing.assert_allclose(hv_c.numpy(), hv_t.numpy(), rtol=1e-10)
    out_c, vh_c = cg.autograd.functional.vhp(f2, xc, cg.tensor(v))
    np.testing.assert_allclose(vh_c.numpy(), hv_t.numpy(), rtol=1e-10)


def test_numerical_grad_and_gradcheck():
    x = cg.tensor([0.5, 1.0, 2.0], dtype=cg.float64, requires_grad=True)
    (num,) = cg.autograd.numerical_grad(lambda t: (t ** 2).sum(), (x,))
    np.testing.assert_allclose(num.numpy(), 2 * x.detach().numpy(), rtol=1e-6)
    assert cg.autograd.gradcheck(lambda t: t.exp() * t, (x,))
    assert cg.autograd.gradgradcheck(lambda t: t.exp() * t, (x,))


class WrongGrad(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x  # should be 2 x


def test_gradcheck_error_names_input_element_and_values():
    a = cg.tensor([1.0, 2.0], dtype=cg.float64, requires_grad=True)
    b = cg.tensor([[0.0, 1.0], [3.0, 4.0]], dtype=cg.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        cg.autograd.gradcheck(lambda p, q: p.sum() + WrongGrad.apply(q).sum(), (a, b),
                              grad_outputs=[np.ones(())])
    msg = str(info.value)
    assert "input 1" in msg and "element (0, 1)" in msg
    assert "analytic 1" in msg and "numerical 2" in msg
    assert cg.autograd.gradcheck(lambda q: WrongGrad.apply(q), (b,), raise_exception=False) is False


def test_detect_anomaly_names_op_and_user_line():
    x = cg.tensor([0.0, 1.0], requires_grad=True)
    with cg.autograd.detect_anomaly():
        y = x.sqrt()  # ANOMALY-LINE
        z = (y * 0 + y).sum()
        with pytest.raises(RuntimeError) as info:
            z.backward()
    msg = str(info.value)
    assert "SqrtBackward0" in msg
    assert "test_autograd_api.py" in msg and "ANOMALY-LINE" in msg
    assert "inf" in msg


def test_detect_anomaly_off_gives_inf_silently():
    x = cg.tensor([0.0, 1.0], requires_grad=True)
    x.sqrt().sum().backward()
    assert np.isinf(x.grad.numpy()[0])


def test_detect_anomaly_custom_function():
    class NanGrad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    x = cg.tensor([1.0], requires_grad=True)
    with cg.autograd.detect_anomaly():
        y = NanGrad.apply(x)  # NAN-LINE
        with pytest.raises(RuntimeError, match="NanGradBackward") as info:
            y.sum().backward()
    assert "NAN-LINE" in str(info.value) and "nan" in str(info.value)


def test_functional_with_tuples_of_inputs_and_outputs_vs_torch(rng):
    def f(x, y):
        return (x.sin().sum() * y * y).sum() + (x * x * y.sum()).sum()
    xv, yv = rng.standard_normal(2), rng.standard_normal(3)
    hc = cg.autograd.functional.hessian(f, (cg.tensor(xv), cg.tensor(yv)))
    ht = torch.autograd.functional.hessian(f, (torch.tensor(xv), torch.tensor(yv)))
    for i in range(2):
        for j in range(2):
            assert tuple(hc[i][j].shape) == tuple(ht[i][j].shape)
            np.testing.assert_allclose(hc[i][j].numpy(), ht[i][j].numpy(), rtol=1e-10, atol=1e-12)

    def g(x):
        return x ** 3, x.sin().sum()
    jc = cg.autograd.functional.jacobian(g, cg.tensor(xv))
    jt = torch.autograd.functional.jacobian(g, torch.tensor(xv))
    for a, b in zip(jc, jt):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10)
    _, hvc = cg.autograd.functional.hvp(f, (cg.tensor(xv), cg.tensor(yv)),
                                        (cg.ones(2, dtype=cg.float64), cg.ones(3, dtype=cg.float64)))
    _, hvt = torch.autograd.functional.hvp(f, (torch.tensor(xv), torch.tensor(yv)),
                                           (torch.ones(2, dtype=torch.float64), torch.ones(3, dtype=torch.float64)))
    for a, b in zip(hvc, hvt):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10)
