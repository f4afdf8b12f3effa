"""Autograd API details from the second audit, against PyTorch: Function with setup_context,
once_differentiable, mark_dirty returning the same tensor, the invalid-gradient-shape error;
autograd.functional.jacobian/hessian/vjp with strict=True, strategy=, and create_graph=True
results that reach the inputs."""
import numpy as np
import pytest

import chaingrad as cg

torch = pytest.importorskip("torch")


def _x(M, v=(1., 2., 3.)):
    return M.tensor(list(v), dtype=M.float64, requires_grad=True)


def test_setup_context_style():
    for M in (cg, torch):
        class Scale(M.autograd.Function):
            @staticmethod
            def forward(a, k):
                return a * k

            @staticmethod
            def setup_context(ctx, inputs, output):
                ctx.k = inputs[1]

            @staticmethod
            def backward(ctx, g):
                return g * ctx.k, None
        a = _x(M)
        Scale.apply(a, 4.).sum().backward()
        assert a.grad.tolist() == [4., 4., 4.]


def test_once_differentiable_and_mark_dirty():
    for M in (cg, torch):
        class Five(M.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a.clone()

            @staticmethod
            @M.autograd.function.once_differentiable
            def backward(ctx, g):
                return g * 5
        a = _x(M)
        Five.apply(a).sum().backward()
        assert a.grad.tolist() == [5., 5., 5.]

        class Double(M.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                a.mul_(2)
                ctx.mark_dirty(a)
                return a

            @staticmethod
            def backward(ctx, g):
                return g * 2
        a = _x(M)
        b = a.clone()
        y = Double.apply(b)
        assert y is b and y.grad_fn is not None
        y.sum().backward()
        assert a.grad.tolist() == [2., 2., 2.]


def test_wrong_gradient_shape_is_a_runtime_error():
    for M in (cg, torch):
        class Bad(M.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a.sum()

            @staticmethod
            def backward(ctx, g):
                return g.expand(2)
        with pytest.raises(RuntimeError, match="invalid gradient at index 0"):
            Bad.apply(_x(M)).backward()

        class Broadcast(M.autograd.Function):  # a broadcastable gradient is summed back
            @staticmethod
            def forward(ctx, a):
                return a.sum()

            @staticmethod
            def backward(ctx, g):
                return g.expand(2, 3)
        a = _x(M)
        Broadcast.apply(a).backward()
        assert a.grad.tolist() == [2., 2., 2.]


def test_functional_strict():
    for M in (cg, torch):
        F = M.autograd.functional
        ins = (M.tensor([1., 2.], dtype=M.float64), M.tensor([3., 4.], dtype=M.float64))
        with pytest.raises(RuntimeError, match="independent of input 1"):
            F.jacobian(lambda a, b: a * 2, ins, strict=True)
        with pytest.raises(RuntimeError, match="independent of input 1"):
            F.vjp(lambda a, b: (a * 2).sum(), ins, strict=True)
        J = F.jacobian(lambda a, b: a * 2, ins)
        assert J[1].tolist() == [[0., 0.], [0., 0.]]
        with pytest.raises(RuntimeError, match="Output 1 .* independent of input 1"):
            F.hessian(lambda a, b: (a ** 3 * b).sum(), ins, strict=True)
        H = F.hessian(lambda a, b: (a ** 3 * b ** 2).sum(), ins, strict=True)
        assert len(H) == 2 and H[1][1].tolist() == [[2., 0.], [0., 16.]]
        with pytest.raises(RuntimeError):
            F.jacobian(lambda a, b: a * b, ins, strict=True, vectorize=True)


def test_jacobian_strategy_keyword():
    ins = (cg.tensor([1., 2.], dtype=cg.float64), cg.tensor([3., 4.], dtype=cg.float64))
    J = cg.autograd.functional.jacobian(lambda a, b: a * b, ins, vectorize=True,
                                        strategy="forward-mode")
    Jt = torch.autograd.functional.jacobian(
        lambda a, b: a * b, tuple(torch.tensor(t.numpy()) for t in ins), vectorize=True,
        strategy="forward-mode")
    for j, jt in zip(J, Jt):
        np.testing.assert_allclose(j.numpy(), jt.numpy())
    with pytest.raises(NotImplementedError):
        cg.autograd.functional.jacobian(lambda a, b: a * b, ins, strategy="forward-mode")


@pytest.mark.parametrize("which", ["jacobian", "hessian", "vjp", "hvp"])
def test_create_graph_results_reach_the_inputs(which):
    out = []
    for M in (cg, torch):
        F = M.autograd.functional
        a = _x(M, (1., 2.))
        v = M.tensor([1., -1.], dtype=M.float64)
        if which == "jacobian":
            r = F.jacobian(lambda a: a ** 3, a, create_graph=True)
        elif which == "hessian":
            r = F.hessian(lambda a: (a ** 4).sum(), a, create_graph=True)
        elif which == "vjp":
            r = F.vjp(lambda a: a ** 3, a, v, create_graph=True)[1]
        else:
            r = F.hvp(lambda a: (a ** 4).sum(), a, v, create_graph=True)[1]
        assert r.requires_grad
        (r * r).sum().backward()
        out.append(a.grad.numpy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-10)


def test_post_accumulate_grad_hook_must_return_none():
    for M in (cg, torch):
        a = _x(M)
        a.register_post_accumulate_grad_hook(lambda t: t.grad.mul_(2))
        with pytest.raises(RuntimeError, match="should return None"):
            (a * 3).sum().backward()
        b = _x(M)
        seen = []
        h = b.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
        (b * 3).sum().backward()
        h.remove()
        (b * 3).sum().backward()
        assert seen == [[3., 3., 3.]] and b.grad.tolist() == [6., 6., 6.]


def test_functional_and_gradcheck_argument_errors():
    for M in (cg, torch):
        F = M.autograd.functional
        one = M.ones(2, dtype=M.float64)
        with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
            M.autograd.gradcheck(lambda a: a * 2, (one,))
        with pytest.raises(RuntimeError, match="v can only be None"):
            F.jvp(lambda a: a * 2, one)
        with pytest.raises(TypeError, match="tuple of Tensors"):
            F.jacobian(lambda a, b: a * b, [one, one])
        H = F.hessian(lambda a: (a ** 3).sum(), M.tensor([1., 2.], dtype=M.float64),
                      outer_jacobian_strategy="reverse-mode")
        assert H.tolist() == [[6., 0.], [0., 12.]]
