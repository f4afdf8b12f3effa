"""NaN-safe gradients through masked branches: a structurally zero gradient stays zero."""
import numpy as np
import pytest
import torch

import chaingrad as cg

# forward values such as log(0) warn in NumPy; the backward pass itself must stay quiet
pytestmark = pytest.mark.filterwarnings("ignore:.*encountered:RuntimeWarning")


def _grad(f, xs, dtype=cg.float64, create_graph=False):
    x = cg.tensor(xs, dtype=dtype, requires_grad=True)
    (g,) = cg.autograd.grad(f(x).sum(), x, create_graph=create_graph)
    return x, g


@pytest.mark.parametrize("dtype", [cg.float32, cg.float64])
def test_where_sqrt_at_zero(dtype):
    x, g = _grad(lambda x: cg.where(x > 0, x.sqrt(), 0.0), [0.0, 4.0, 0.0], dtype)
    np.testing.assert_allclose(g.numpy(), [0.0, 0.25, 0.0])
    # PyTorch produces nan here (the open bug this rule fixes)
    xt = torch.tensor([0.0, 4.0], requires_grad=True)
    torch.where(xt > 0, xt.sqrt(), 0.0).sum().backward()
    assert np.isnan(xt.grad[0].item())


def test_sinc_where_at_zero():
    x, g = _grad(lambda x: cg.where(x != 0, x.sin() / x, 1.0), [0.0, 1.0, -2.0])
    want = [0.0] + [(np.cos(v) * v - np.sin(v)) / v ** 2 for v in (1.0, -2.0)]
    np.testing.assert_allclose(g.numpy(), want, rtol=1e-12)
    assert np.isfinite(g.numpy()).all()


def test_clamp_guarded_log():
    # BCE-style: log clamped at -100 (log 0 = -inf): the clamp blocks the gradient
    x, g = _grad(lambda x: x.log().clamp(min=-100), [0.0, 0.5])
    np.testing.assert_allclose(g.numpy(), [0.0, 2.0])
    # masked log via where, and a clamp on the input
    x, g = _grad(lambda x: cg.where(x > 0, x.log(), 0.0), [0.0, 2.0])
    np.testing.assert_allclose(g.numpy(), [0.0, 0.5])
    x, g = _grad(lambda x: x.clamp(min=1e-12).log(), [0.0, 2.0])
    np.testing.assert_allclose(g.numpy(), [0.0, 0.5])


def test_unmasked_singularities_still_report_inf():
    x, g = _grad(lambda x: x.sqrt(), [0.0, 1.0])
    assert np.isposinf(g.numpy()[0]) and g.numpy()[1] == 0.5
    x, g = _grad(lambda x: x.log(), [0.0])
    assert np.isposinf(g.numpy()[0])
    x, g = _grad(lambda x: 1.0 / x, [0.0])
    assert np.isneginf(g.numpy()[0])


def test_masked_branches_of_other_singular_ops():
    cases = [
        (lambda x: cg.where(x > 0, x * x.log(), 0.0), [0.0, 1.0], [0.0, 1.0]),
        (lambda x: cg.where(x > 0, x.rsqrt(), 0.0), [0.0, 4.0], [0.0, -0.5 * 4.0 ** -1.5]),
        (lambda x: cg.where(x > 0, x ** 0.5, 0.0), [0.0, 4.0], [0.0, 0.25]),
        (lambda x: cg.where(x != 0, 1.0 / x, 0.0), [0.0, 2.0], [0.0, -0.25]),
        (lambda x: cg.where(x < 10, x.exp(), 0.0), [1000.0, 0.0], [0.0, 1.0]),
        (lambda x: cg.where(x > -1, x.log1p(), 0.0), [-1.0, 1.0], [0.0, 0.5]),
    ]
    for f, xs, want in cases:
        x, g = _grad(f, xs)
        np.testing.assert_allclose(g.numpy(), want, rtol=1e-12, err_msg=str(xs))


def test_nan_safe_with_broadcast_and_fanout():
    x = cg.tensor([[0.0, 1.0], [4.0, 0.0]], dtype=cg.float64, requires_grad=True)
    y = cg.where(x > 0, x.sqrt(), 0.0) * cg.tensor([1.0, 2.0], dtype=cg.float64) + x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1.0, 2.0], [1.25, 1.0]])


def test_nan_safe_second_order():
    x, g = _grad(lambda x: cg.where(x > 0, x.sqrt() * x, 0.0), [0.0, 4.0], create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [0.0, 1.5 * 2.0])
    (gg,) = cg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), [0.0, 0.75 / 2.0])


def test_genuine_nan_is_kept():
    # a NaN that is a value (inf - inf with a nonzero incoming gradient) is not hidden
    x = cg.tensor([np.inf], dtype=cg.float64, requires_grad=True)
    y = x * x - x * x
    y.backward()
    assert np.isnan(x.grad.numpy()[0])


def test_no_numpy_warnings_from_backward():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _grad(lambda x: x.sqrt(), [0.0, 1.0])
        _grad(lambda x: cg.where(x > 0, x.sqrt(), 0.0), [0.0, 1.0])


def test_floating_point_state_restored():
    before = np.geterr()
    _grad(lambda x: cg.where(x > 0, x.sqrt(), 0.0), [0.0])
    assert np.geterr() == before
    with pytest.raises(RuntimeError):
        x = cg.tensor([1.0], requires_grad=True)
        (x * 2).backward(gradient=cg.ones(3))
    assert np.geterr() == before
