"""chaingrad.utils.checkpoint (torch.utils.checkpoint): same values and gradients as the
plain call, dropout masks repeated on recomputation, PyTorch's warnings and errors."""
import warnings

import numpy as np
import pytest
import torch
import torch.utils.checkpoint as tck

import chaingrad as cg
from chaingrad.utils import checkpoint as cck


def _net(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Dropout(0.3),
                             lib.nn.Linear(8, 8), lib.nn.Tanh(), lib.nn.Linear(8, 2)).double()


def _grads(lib, ck, reentrant, x):
    net = _net(lib)
    xt = lib.tensor(x, requires_grad=True)
    lib.manual_seed(1)
    if ck == "plain":
        out = net(xt)
    elif ck == "seq":
        out = (tck if lib is torch else cck).checkpoint_sequential(
            net, 2, xt, use_reentrant=reentrant)
    else:
        out = (tck if lib is torch else cck).checkpoint(net, xt, use_reentrant=reentrant)
    (out ** 2).sum().backward()
    return [out.detach().numpy(), xt.grad.numpy()] + [p.grad.numpy() for p in net.parameters()]


@pytest.mark.parametrize("ck", ["one", "seq"])
@pytest.mark.parametrize("reentrant", [True, False])
def test_values_and_gradients_equal_the_plain_call(ck, reentrant):
    x = np.random.default_rng(0).standard_normal((5, 4))
    ref = _grads(cg, "plain", None, x)
    got = _grads(cg, ck, reentrant, x)
    for a, b in zip(ref, got):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    # and torch's checkpoint is likewise the plain call (same structure of results)
    t_ref, t_got = _grads(torch, "plain", None, x), _grads(torch, ck, reentrant, x)
    assert len(t_got) == len(got)
    for a, b in zip(t_ref, t_got):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_reentrant_keeps_no_intermediate_graph_and_warns_like_torch():
    lin = cg.nn.Linear(3, 3)
    x = cg.randn(2, 3, requires_grad=True)
    out = cck.checkpoint(lambda v: lin(v).relu().exp(), x, use_reentrant=True)
    assert out.requires_grad and "CheckpointFunctionBackward" in repr(out.grad_fn)
    nxt = [type(f).__name__ for f, _ in out.grad_fn.next_functions if f is not None]
    assert nxt == ["AccumulateGrad"]  # straight to x: the segment's graph was not kept
    for lib, mod in ((torch, tck), (cg, cck)):
        v = lib.ones(2, 3)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            y = mod.checkpoint(lambda a: a * 2, v)
        msgs = " ".join(str(m.message) for m in w)
        assert "use_reentrant parameter should be passed explicitly" in msgs
        assert "None of the inputs have requires_grad=True" in msgs
        assert not y.requires_grad
        with pytest.raises(ValueError, match="Unexpected keyword arguments: foo"):
            mod.checkpoint(lambda a, foo: a, v, use_reentrant=True, foo=1)
        assert mod.checkpoint(lambda a, foo: a * foo, v, use_reentrant=False,
                              foo=3).tolist() == [[3.0] * 3] * 2


def test_non_reentrant_gives_parameter_grads_without_input_grad():
    lin = cg.nn.Linear(3, 1)
    cck.checkpoint(lin, cg.ones(2, 3), use_reentrant=False).sum().backward()
    assert lin.weight.grad.tolist() == [[2.0, 2.0, 2.0]]
