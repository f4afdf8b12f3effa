"""Activations (F and modules) against PyTorch in float64, with finite differences and
second derivatives through ``check_op``."""
import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn.functional as F
from tests.oracle import check_op

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def x_arr(seed=0, shape=(3, 5)):
    x = np.random.default_rng(seed).standard_normal(shape) * 3
    return x


SMOOTH = [  # (name, chaingrad fn, torch fn)
    ("elu", lambda x: F.elu(x, 0.7), lambda x: TF.elu(x, 0.7)),
    ("selu", F.selu, TF.selu),
    ("gelu", F.gelu, TF.gelu),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"),
     lambda x: TF.gelu(x, approximate="tanh")),
    ("silu", F.silu, TF.silu),
    ("mish", F.mish, TF.mish),
    ("softplus", F.softplus, TF.softplus),
    ("softplus_beta", lambda x: F.softplus(x, 2.0, 3.0), lambda x: TF.softplus(x, 2.0, 3.0)),
    ("logsigmoid", F.logsigmoid, TF.logsigmoid),
    ("sigmoid", F.sigmoid, torch.sigmoid),
    ("tanh", F.tanh, torch.tanh),
    ("softsign", F.softsign, TF.softsign),
    ("tanhshrink", F.tanhshrink, TF.tanhshrink),
    ("softmax0", lambda x: F.softmax(x, 0), lambda x: TF.softmax(x, 0)),
    ("softmax1", lambda x: F.softmax(x, dim=1), lambda x: TF.softmax(x, dim=1)),
    ("log_softmax", lambda x: F.log_softmax(x, -1), lambda x: TF.log_softmax(x, -1)),
    ("softmin", lambda x: F.softmin(x, 1), lambda x: TF.softmin(x, 1)),
    ("glu", lambda x: F.glu(x, 0), lambda x: TF.glu(x, 0)),
]

PIECEWISE = [
    ("relu", F.relu, TF.relu),
    ("relu6", F.relu6, TF.relu6),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    ("hardtanh", lambda x: F.hardtanh(x, -2.0, 1.5), lambda x: TF.hardtanh(x, -2.0, 1.5)),
    ("hardswish", F.hardswish, TF.hardswish),
    ("hardsigmoid", F.hardsigmoid, TF.hardsigmoid),
    ("threshold", lambda x: F.threshold(x, 0.5, -1.0), lambda x: TF.threshold(x, 0.5, -1.0)),
]


@pytest.mark.parametrize("name,cf,tf", SMOOTH, ids=[s[0] for s in SMOOTH])
def test_smooth_activation(name, cf, tf):
    x = x_arr(0, (4, 6) if name == "glu" else (3, 5))
    check_op(cf, tf, [x])


@pytest.mark.parametrize("name,cf,tf", PIECEWISE, ids=[s[0] for s in PIECEWISE])
def test_piecewise_activation(name, cf, tf):
    x = x_arr(1)
    check_op(cf, tf, [x], gradgradcheck=False)
    # the kinks themselves: the derivative PyTorch picks there
    kinks = np.array([-3.0, -2.0, -1.0, 0.0, 0.5, 1.0, 1.5, 3.0, 6.0])
    check_op(cf, tf, [kinks], gradcheck=False, gradgradcheck=False)


def test_extreme_inputs_stay_finite():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    for cf, tf in [(F.softplus, TF.softplus), (F.logsigmoid, TF.logsigmoid),
                   (F.silu, TF.silu), (F.mish, TF.mish), (F.elu, TF.elu),
                   (lambda x: F.log_softmax(x, 0), lambda x: TF.log_softmax(x, 0))]:
        check_op(cf, tf, [x], gradcheck=False, gradgradcheck=False)
        out = cf(cg.tensor(x.astype(np.float32)))
        assert np.all(np.isfinite(out._array))


def test_float32_preserved():
    x = cg.randn(4, 3, requires_grad=True)
    for f in (F.gelu, F.silu, F.elu, F.mish, F.softplus, F.hardswish, F.leaky_relu):
        y = f(x)
        assert y.dtype == cg.float32
        y.sum().backward()
        assert x.grad.dtype == cg.float32


MODULES = [
    ("ReLU", (), {}), ("ReLU6", (), {}), ("LeakyReLU", (0.3,), {}), ("ELU", (), {"alpha": 0.5}),
    ("SELU", (), {}), ("GELU", (), {"approximate": "tanh"}), ("SiLU", (), {}), ("Mish", (), {}),
    ("Hardswish", (), {}), ("Hardsigmoid", (), {}), ("Sigmoid", (), {}), ("Tanh", (), {}),
    ("Softplus", (), {"beta": 2.0}), ("Softmax", (), {"dim": 1}), ("LogSoftmax", (1,), {}),
    ("Softmin", (0,), {}), ("Hardtanh", (-0.5, 0.5), {}), ("LogSigmoid", (), {}),
    ("Softsign", (), {}), ("Tanhshrink", (), {}), ("Threshold", (0.1, 20.0), {}),
    ("PReLU", (), {}), ("GLU", (), {}),
]


@pytest.mark.parametrize("name,args,kwargs", MODULES, ids=[m[0] for m in MODULES])
def test_activation_modules(name, args, kwargs):
    cm = getattr(cg.nn, name)(*args, **kwargs).double()
    tm = getattr(torch.nn, name)(*args, **kwargs).double()
    assert repr(cm) == repr(tm)
    x = x_arr(2, (4, 6))
    cx, tx = cg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    cy, ty = cm(cx), tm(tx)
    np.testing.assert_allclose(cy._array, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    cy.sum().backward()
    ty.sum().backward()
    # (PyTorch's float64 hardsigmoid gradient uses a float32 1/6, hence rtol 1e-7)
    np.testing.assert_allclose(cx.grad._array, tx.grad.numpy(), rtol=1e-7, atol=1e-12)
    for (n, p), (_, q) in zip(cm.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(p.grad._array, q.grad.numpy(), rtol=1e-10, err_msg=n)


def test_inplace_variants():
    x = np.random.default_rng(3).standard_normal((3, 4))
    for name in ("relu", "leaky_relu", "elu", "silu", "hardtanh", "relu6"):
        a = cg.tensor(x, requires_grad=True) * 1.0
        y = getattr(F, name)(a, inplace=True)
        assert y is a
        y.sum().backward()
        b = torch.tensor(x, requires_grad=True) * 1.0
        getattr(TF, name)(b, inplace=True).sum().backward()
        np.testing.assert_allclose(a._array, b.detach().numpy(), rtol=1e-12)


def test_softmax_implicit_dim_warns():
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = F.softmax(cg.randn(2, 3))
    np.testing.assert_allclose(y._array.sum(1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("name,args", [("relu_", ()), ("leaky_relu_", (0.2,)), ("elu_", (0.5,)),
                                       ("selu_", ()), ("hardtanh_", (-1.0, 1.0)),
                                       ("threshold_", (0.6, 9.0))])
def test_inplace_functional_spellings(name, args):
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    t, c = torch.tensor(x), cg.tensor(x)
    assert getattr(cg.nn.functional, name)(c, *args) is c
    getattr(torch.nn.functional, name)(t, *args)
    np.testing.assert_allclose(c.numpy(), t.numpy(), rtol=1e-12)
