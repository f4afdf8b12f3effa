"""BatchNorm / LayerNorm / GroupNorm against PyTorch: outputs, gradients, running statistics."""
import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn.functional as F
from tests.oracle import check_op

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def r(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("shape", [(4, 3), (3, 2, 5), (2, 3, 4, 5)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_function(shape, affine):
    c = shape[1]
    x = r(shape) * 2 + 1
    arrays = [x, r(c, 1) + 1, r(c, 2)] if affine else [x]

    def cgf(x, w=None, b=None):
        return F.batch_norm(x, None, None, w, b, training=True, eps=1e-3)

    def thf(x, w=None, b=None):
        return TF.batch_norm(x, None, None, w, b, training=True, eps=1e-3)
    check_op(cgf, thf, arrays, gradgradcheck=shape != (2, 3, 4, 5))


def test_batch_norm_eval_function():
    x = r((3, 4, 2, 2))
    rm, rv = r(4, 5), np.abs(r(4, 6)) + 0.5
    check_op(lambda x, w, b: F.batch_norm(x, cg.tensor(rm), cg.tensor(rv), w, b, False),
             lambda x, w, b: TF.batch_norm(x, torch.tensor(rm), torch.tensor(rv), w, b, False),
             [x, r(4, 1), r(4, 2)])


@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)),
                                       ("BatchNorm2d", (4, 3, 5, 2))])
@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
def test_batchnorm_running_stats_match_torch(cls, shape, momentum):
    cm = getattr(cg.nn, cls)(3, momentum=momentum).double()
    tm = getattr(torch.nn, cls)(3, momentum=momentum).double()
    rng = np.random.default_rng(0)
    with torch.no_grad():
        w, b = rng.standard_normal(3), rng.standard_normal(3)
        cm.weight._array[...] = w
        cm.bias._array[...] = b
        tm.weight.copy_(torch.tensor(w))
        tm.bias.copy_(torch.tensor(b))
    for step in range(4):
        x = rng.standard_normal(shape) * (step + 1) + step
        cx, tx = cg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        cy, ty = cm(cx), tm(tx)
        np.testing.assert_allclose(cy._array, ty.detach().numpy(), rtol=1e-9, atol=1e-10)
        go = rng.standard_normal(shape)
        cy.backward(cg.tensor(go))
        ty.backward(torch.tensor(go))
        np.testing.assert_allclose(cx.grad._array, tx.grad.numpy(), rtol=1e-8, atol=1e-10)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(getattr(cm, name)._array, getattr(tm, name).numpy(), rtol=1e-10)
    np.testing.assert_allclose(cm.weight.grad._array, tm.weight.grad.numpy(), rtol=1e-8)
    np.testing.assert_allclose(cm.bias.grad._array, tm.bias.grad.numpy(), rtol=1e-8)
    cm.eval()
    tm.eval()
    x = rng.standard_normal(shape)
    cx, tx = cg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    cy, ty = cm(cx), tm(tx)
    np.testing.assert_allclose(cy._array, ty.detach().numpy(), rtol=1e-9, atol=1e-10)
    cy.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(cx.grad._array, tx.grad.numpy(), rtol=1e-9)
    before = cm.running_mean._array.copy()
    cm(cx)
    np.testing.assert_array_equal(cm.running_mean._array, before)  # eval: stats untouched


def test_batchnorm_options_and_errors():
    m = cg.nn.BatchNorm2d(3, affine=False, track_running_stats=False)
    assert list(m.state_dict()) == []
    m.eval()  # no running stats: batch statistics even in eval, as PyTorch
    x = r((2, 3, 2, 2))
    np.testing.assert_allclose(m(cg.tensor(x))._array,
                               torch.nn.BatchNorm2d(3, affine=False, track_running_stats=False)
                               .eval()(torch.tensor(x)).numpy(), rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="expected 4D input"):
        cg.nn.BatchNorm2d(3)(cg.randn(2, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        cg.nn.BatchNorm1d(3)(cg.randn(1, 3))
    assert list(cg.nn.BatchNorm2d(2).state_dict()) == list(torch.nn.BatchNorm2d(2).state_dict())
    y = cg.nn.BatchNorm2d(3)(cg.randn(4, 3, 5, 5, requires_grad=True))
    assert y.dtype == cg.float32


@pytest.mark.parametrize("norm_shape,shape", [((5,), (3, 5)), ((4, 5), (2, 3, 4, 5)),
                                              ((6,), (6,))])
def test_layer_norm(norm_shape, shape):
    check_op(lambda x, w, b: F.layer_norm(x, norm_shape, w, b, 1e-4),
             lambda x, w, b: TF.layer_norm(x, norm_shape, w, b, 1e-4),
             [r(shape) * 3, r(norm_shape, 1), r(norm_shape, 2)])
    check_op(lambda x: F.layer_norm(x, norm_shape), lambda x: TF.layer_norm(x, norm_shape),
             [r(shape)], gradgradcheck=False)


def test_layer_norm_module():
    cm, tm = cg.nn.LayerNorm((3, 4)).double(), torch.nn.LayerNorm((3, 4)).double()
    x = r((2, 3, 4))
    np.testing.assert_allclose(cm(cg.tensor(x))._array, tm(torch.tensor(x)).detach().numpy(),
                               rtol=1e-9, atol=1e-12)
    with pytest.raises(RuntimeError, match="normalized_shape"):
        cm(cg.randn(2, 4, 3).double())


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_group_norm(groups):
    check_op(lambda x, w, b: F.group_norm(x, groups, w, b),
             lambda x, w, b: TF.group_norm(x, groups, w, b),
             [r((2, 4, 3, 2)), r(4, 1), r(4, 2)], gradgradcheck=groups == 2)
    cm, tm = cg.nn.GroupNorm(groups, 4), torch.nn.GroupNorm(groups, 4)
    assert repr(cm) == repr(tm) and list(cm.state_dict()) == list(tm.state_dict())


def test_batchnorm_loads_checkpoint_without_num_batches_tracked():
    m = cg.nn.Sequential(cg.nn.Conv2d(1, 2, 3), cg.nn.BatchNorm2d(2))
    sd = dict(m.state_dict())  # an old checkpoint: no version metadata (PyTorch's rule)
    del sd["1.num_batches_tracked"]
    assert repr(m.load_state_dict(sd)) == "<All keys matched successfully>"
    del sd["1.running_mean"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "1.running_mean"'):
        m.load_state_dict(sd)
