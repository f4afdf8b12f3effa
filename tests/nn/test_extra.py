"""The smaller layers (padding, InstanceNorm, PixelShuffle, AdaptiveMaxPool2d, shrinks, CELU)
against PyTorch: repr, values and gradients in float64."""
import numpy as np
import pytest

import chaingrad as cg

torch = pytest.importorskip("torch")

LAYERS = [
    ("ZeroPad2d", (1,), (2, 3, 4, 5)), ("ZeroPad1d", ((1, 2),), (2, 3, 5)),
    ("ConstantPad2d", ((1, 2, 0, 1), 3.0), (2, 3, 4, 5)),
    ("ReflectionPad2d", (2,), (2, 3, 4, 5)), ("ReplicationPad2d", ((1, 0, 2, 1),), (2, 3, 4, 5)),
    ("ReflectionPad1d", (2,), (2, 3, 5)), ("ReplicationPad1d", (1,), (2, 3, 5)),
    ("InstanceNorm2d", (3,), (2, 3, 4, 5)), ("InstanceNorm1d", (3,), (2, 3, 6)),
    ("PixelShuffle", (2,), (2, 8, 3, 3)), ("PixelUnshuffle", (2,), (2, 2, 4, 6)),
    ("AdaptiveMaxPool2d", (3,), (2, 3, 7, 8)), ("AdaptiveMaxPool2d", ((2, 4),), (2, 3, 6, 8)),
    ("Softshrink", (0.3,), (4, 5)), ("Hardshrink", (), (4, 5)), ("CELU", (0.7,), (4, 5)),
    ("ZeroPad3d", (1,), (1, 2, 3, 4, 5)), ("ConstantPad3d", ((1, 0, 2, 1, 0, 1), 2.5), (1, 2, 3, 4, 5)),
    ("ReflectionPad3d", ((1, 2, 1, 0, 2, 1),), (1, 2, 3, 4, 5)), ("ReplicationPad3d", (2,), (2, 3, 4, 5)),
    ("CircularPad1d", ((1, 2),), (2, 3, 5)), ("CircularPad2d", (1,), (2, 3, 4, 5)),
    ("CircularPad3d", ((1, 0, 1, 2, 0, 1),), (1, 2, 3, 4, 5)),
]


@pytest.mark.parametrize("name,args,shape", LAYERS, ids=[f"{n}{i}" for i, (n, _, _) in
                                                      enumerate(LAYERS)])
def test_extra_layers_match_torch(name, args, shape):
    cm, tm = getattr(cg.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(cm) == repr(tm)
    x = np.random.default_rng(0).standard_normal(shape)
    cx, tx = cg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    cy, ty = cm(cx), tm(tx)
    # (PyTorch's float64 CELU computes 1/alpha in single precision: rtol 1e-6 there)
    rtol = 1e-6 if name == "CELU" else 1e-9
    np.testing.assert_allclose(cy._array, ty.detach().numpy(), rtol=rtol, atol=1e-12)
    g = np.random.default_rng(1).standard_normal(ty.shape)
    cy.backward(cg.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(cx.grad._array, tx.grad.numpy(), rtol=rtol, atol=1e-12)


def test_celu_slope_at_zero_is_one_as_torch():
    from tests.oracle import check_op
    x = np.array([-2.0, 0.0, 0.0, 1.5])
    check_op(lambda a: cg.nn.functional.celu(a, 1.5), lambda a: torch.nn.functional.celu(a, 1.5),
             [x], gradcheck=False, gradgradcheck=False, rtol=1e-6)
