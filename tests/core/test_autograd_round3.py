"""Autograd API corners against PyTorch: inference mode, bare decorators, Variable, batched
grads, gradient edges, deprecated keyword names."""
import numpy as np
import pytest
import torch

import chaingrad as cg
from chaingrad.autograd import Variable
from chaingrad.autograd.graph import GradientEdge, get_gradient_edge, increment_version


@pytest.mark.parametrize("lib", [cg, torch], ids=["chaingrad", "torch"])
def test_inference_mode_states(lib):
    assert not lib.is_inference_mode_enabled()
    with lib.inference_mode():
        assert lib.is_inference_mode_enabled() and not lib.is_grad_enabled()
        y = lib.ones(2, requires_grad=True) * 2
        assert not y.requires_grad
    with lib.no_grad():
        with lib.inference_mode(False):
            assert not lib.is_inference_mode_enabled() and lib.is_grad_enabled()
        assert not lib.is_grad_enabled()
    assert lib.is_grad_enabled() and not lib.is_inference_mode_enabled()


@pytest.mark.parametrize("lib", [cg, torch], ids=["chaingrad", "torch"])
def test_bare_decorators(lib):
    @lib.no_grad
    def off():
        return lib.is_grad_enabled()

    @lib.enable_grad
    def on():
        return lib.is_grad_enabled()

    @lib.inference_mode
    def infer():
        return lib.is_grad_enabled(), lib.is_inference_mode_enabled()

    assert off() is False and infer() == (False, True)
    with lib.no_grad():
        assert on() is True
    assert off.__name__ == "off"


def test_variable_is_a_tensor():
    t = cg.ones(2)
    v = Variable(t, requires_grad=True)
    assert type(v) is cg.Tensor and v.requires_grad and isinstance(t, Variable)
    assert np.shares_memory(v.detach().numpy(), t.numpy())
    tv = torch.autograd.Variable(torch.ones(2), requires_grad=True)
    assert tv.requires_grad and isinstance(torch.ones(1), torch.autograd.Variable)


def test_is_grads_batched_gives_jacobian_rows():
    x_np = np.array([0.5, -1.0, 2.0])
    res = []
    for lib in (cg, torch):
        x = lib.tensor(x_np, requires_grad=True)
        y = x.tanh() * x
        (jac,) = lib.autograd.grad(y, x, lib.eye(3, dtype=x.dtype), is_grads_batched=True)
        res.append(jac.detach().numpy())
    np.testing.assert_allclose(res[0], res[1], rtol=1e-12)
    assert res[0].shape == (3, 3)


def test_gradient_edges():
    x = cg.ones(3, requires_grad=True)
    y = x * 2
    e = get_gradient_edge(y)
    assert isinstance(e, GradientEdge) and e.node is y.grad_fn and e.output_nr == 0
    assert get_gradient_edge(x).node.name() == "AccumulateGrad"
    with pytest.raises(RuntimeError, match="does not require gradients"):
        get_gradient_edge(cg.ones(2))
    z = x * x
    increment_version(x)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_backward_grad_variables_alias():
    for lib in (cg, torch):
        x = lib.ones(3, requires_grad=True)
        with pytest.warns(FutureWarning, match="grad_variables"):
            lib.autograd.backward((x * x).sum(), grad_variables=lib.tensor(2.0))
        assert x.grad.tolist() == [4.0, 4.0, 4.0]
        with pytest.raises(RuntimeError, match="grad_variables"), \
                pytest.warns(FutureWarning):
            lib.autograd.backward((x * x).sum(), grad_tensors=lib.tensor(1.0),
                                  grad_variables=lib.tensor(1.0))
