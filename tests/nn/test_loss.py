"""Losses (F and modules) against PyTorch in float64: values and gradients, every reduction."""
import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn.functional as F
from tests.oracle import check_op

torch = pytest.importorskip("torch")
TF = torch.nn.functional
RED = ["mean", "sum", "none"]


def rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_losses(fn, reduction):
    r = rng()
    x, y = r.standard_normal((3, 4)), r.standard_normal((3, 4))
    check_op(lambda a, b: getattr(F, fn)(a, b, reduction=reduction),
             lambda a, b: getattr(TF, fn)(a, b, reduction=reduction), [x, y])
    x[0, 0] = y[0, 0]  # a zero difference: the kink, compared with PyTorch only
    check_op(lambda a, b: getattr(F, fn)(a, b, reduction=reduction),
             lambda a, b: getattr(TF, fn)(a, b, reduction=reduction), [x, y], gradcheck=False,
             gradgradcheck=False)


@pytest.mark.parametrize("beta", [0.0, 0.5, 2.0])
def test_smooth_l1_beta_and_huber_delta(beta):
    r = rng(1)
    x, y = r.standard_normal(20) * 2, r.standard_normal(20)
    check_op(lambda a, b: F.smooth_l1_loss(a, b, beta=beta),
             lambda a, b: TF.smooth_l1_loss(a, b, beta=beta), [x, y], gradgradcheck=False)
    if beta:
        check_op(lambda a, b: F.huber_loss(a, b, delta=beta),
                 lambda a, b: TF.huber_loss(a, b, delta=beta), [x, y], gradgradcheck=False)


CE_CONFIGS = [
    dict(),
    dict(label_smoothing=0.1),
    dict(weight=True),
    dict(weight=True, label_smoothing=0.2),
    dict(ignore_index=1),
    dict(ignore_index=2, weight=True, label_smoothing=0.3),
]


@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("cfg", CE_CONFIGS)
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 2, 3)])
def test_cross_entropy_class_indices(cfg, reduction, shape):
    r = rng(2)
    x = r.standard_normal(shape)
    t = r.integers(0, shape[1], (shape[0],) + shape[2:])
    t.reshape(-1)[0] = 1  # at least one ignored row when ignore_index=1
    kw = dict(cfg)
    w = r.uniform(0.5, 2.0, shape[1]) if kw.pop("weight", False) else None
    check_op(lambda a, tt: F.cross_entropy(a, tt, weight=None if w is None else cg.tensor(w),
                                           reduction=reduction, **kw),
             lambda a, tt: TF.cross_entropy(a, tt, weight=None if w is None else
                                            torch.tensor(w), reduction=reduction, **kw),
             [x, t], gradgradcheck=shape == (6, 4))


@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("ls", [0.0, 0.25])
def test_cross_entropy_probability_targets(reduction, ls):
    r = rng(3)
    x = r.standard_normal((5, 3, 2))
    p = r.random((5, 3, 2))
    p /= p.sum(1, keepdims=True)
    w = r.uniform(0.5, 2, 3)
    check_op(lambda a, b: F.cross_entropy(a, b, weight=cg.tensor(w), reduction=reduction,
                                          label_smoothing=ls),
             lambda a, b: TF.cross_entropy(a, b, weight=torch.tensor(w), reduction=reduction,
                                           label_smoothing=ls), [x, p], gradgradcheck=False)


def test_cross_entropy_extreme_logits_float32():
    x = cg.tensor([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]], requires_grad=True)
    t = cg.tensor([1, 2])
    loss = F.cross_entropy(x, t)
    loss.backward()
    tx = torch.tensor(x._array, requires_grad=True)
    tl = TF.cross_entropy(tx, torch.tensor([1, 2]))
    tl.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(x.grad._array))
    np.testing.assert_allclose(loss.item(), tl.item(), rtol=1e-5)
    np.testing.assert_allclose(x.grad._array, tx.grad.numpy(), atol=1e-6)
    assert loss.dtype == cg.float32 and x.grad.dtype == cg.float32


def test_cross_entropy_errors_and_all_ignored():
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(cg.randn(2, 3), cg.tensor([0, 3]))
    with pytest.raises(ValueError):
        F.cross_entropy(cg.randn(2, 3), cg.tensor([0, 1]), reduction="avg")
    loss = F.cross_entropy(cg.randn(2, 3), cg.tensor([-100, -100]))
    assert np.isnan(loss.item())
    assert F.cross_entropy(cg.randn(3), cg.tensor(1)).shape == ()


@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss(reduction, weighted):
    r = rng(4)
    x = r.standard_normal((6, 4))
    t = r.integers(0, 4, 6)
    w = r.uniform(0.5, 2, 4) if weighted else None
    check_op(lambda a, tt: F.nll_loss(a, tt, weight=None if w is None else cg.tensor(w),
                                      ignore_index=2, reduction=reduction),
             lambda a, tt: TF.nll_loss(a, tt, weight=None if w is None else torch.tensor(w),
                                       ignore_index=2, reduction=reduction), [x, t])


@pytest.mark.parametrize("reduction", RED)
def test_binary_cross_entropy(reduction):
    r = rng(5)
    x = r.uniform(0.05, 0.95, (4, 3))
    y = r.random((4, 3))
    w = r.uniform(0.5, 2, 3)
    check_op(lambda a, b: F.binary_cross_entropy(a, b, weight=cg.tensor(w), reduction=reduction),
             lambda a, b: TF.binary_cross_entropy(a, b, weight=torch.tensor(w),
                                                  reduction=reduction), [x, y])


def test_binary_cross_entropy_clamps_log():
    x = np.array([0.0, 1.0, 0.5])
    y = np.array([1.0, 0.0, 1.0])
    check_op(lambda a, b: F.binary_cross_entropy(a, b), lambda a, b: TF.binary_cross_entropy(a, b),
             [x, y], gradcheck=False, gradgradcheck=False)


@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("pos", [False, True])
def test_bce_with_logits(reduction, pos):
    r = rng(6)
    x = r.standard_normal((4, 3)) * 3
    x[0, 0] = 0.0
    x[1, 1] = 200.0
    y = r.random((4, 3))
    pw = r.uniform(0.5, 3, 3) if pos else None
    w = r.uniform(0.5, 2, (4, 1))
    check_op(lambda a, b: F.binary_cross_entropy_with_logits(
                 a, b, weight=cg.tensor(w), reduction=reduction,
                 pos_weight=None if pw is None else cg.tensor(pw)),
             lambda a, b: TF.binary_cross_entropy_with_logits(
                 a, b, weight=torch.tensor(w), reduction=reduction,
                 pos_weight=None if pw is None else torch.tensor(pw)), [x, y],
             gradcheck=False, gradgradcheck=False)


@pytest.mark.filterwarnings("ignore:reduction")
@pytest.mark.parametrize("reduction", ["mean", "sum", "batchmean", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    r = rng(7)
    x = np.log(r.dirichlet(np.ones(4), 3))
    t = r.dirichlet(np.ones(4), 3)
    t[0, 0] = 0.0
    if log_target:
        t = np.log(t + 0.1)
    check_op(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target),
             lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target), [x, t],
             grad=[True, log_target], gradcheck=False, gradgradcheck=False)


def test_loss_modules_match_torch():
    r = rng(8)
    x = r.standard_normal((5, 3))
    t = r.integers(0, 3, 5)
    y = r.random((5, 3))
    w = r.uniform(0.5, 2, 3)
    pairs = [
        (cg.nn.MSELoss(reduction="sum"), torch.nn.MSELoss(reduction="sum"), y),
        (cg.nn.L1Loss(), torch.nn.L1Loss(), y),
        (cg.nn.SmoothL1Loss(beta=0.5), torch.nn.SmoothL1Loss(beta=0.5), y),
        (cg.nn.HuberLoss(delta=0.3), torch.nn.HuberLoss(delta=0.3), y),
        (cg.nn.CrossEntropyLoss(weight=cg.tensor(w), label_smoothing=0.1, ignore_index=0),
         torch.nn.CrossEntropyLoss(weight=torch.tensor(w), label_smoothing=0.1, ignore_index=0), t),
        (cg.nn.NLLLoss(reduction="none"), torch.nn.NLLLoss(reduction="none"), t),
        (cg.nn.BCEWithLogitsLoss(pos_weight=cg.tensor(w)),
         torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(w)), y),
    ]
    for cm, tm, target in pairs:
        a = cm(cg.tensor(x), cg.tensor(target))._array
        b = tm(torch.tensor(x), torch.tensor(target)).numpy()
        np.testing.assert_allclose(a, b, rtol=1e-10, err_msg=type(cm).__name__)
    bce = cg.nn.BCELoss()(cg.tensor(y * 0.9 + 0.05), cg.tensor(y)).item()
    tb = torch.nn.BCELoss()(torch.tensor(y * 0.9 + 0.05), torch.tensor(y)).item()
    assert abs(bce - tb) < 1e-10
    assert "weight" in dict(cg.nn.CrossEntropyLoss(weight=cg.ones(3)).named_buffers())
