"""Loss corner cases against PyTorch: class weights that require grad, all-ignored targets,
and the error types of misuse."""
import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn.functional as F
from tests.oracle import check_op

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((5, 4))
PROBS = np.abs(RNG.standard_normal((5, 4)))
PROBS /= PROBS.sum(1, keepdims=True)
LABELS = np.array([0, 3, 1, 1, 2])
W = np.array([0.5, 1.0, 2.0, 1.5])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_probability_targets_weight_gets_gradient(reduction, smoothing):
    check_op(lambda x, p, w: F.cross_entropy(x, p, weight=w, reduction=reduction,
                                             label_smoothing=smoothing),
             lambda x, p, w: TF.cross_entropy(x, p, weight=w, reduction=reduction,
                                              label_smoothing=smoothing),
             [LOGITS, PROBS, W], grad=[True, False, True])


@pytest.mark.parametrize("call", [
    lambda m, w: m.nn.functional.cross_entropy(m.tensor(LOGITS), m.tensor(LABELS), weight=w),
    lambda m, w: m.nn.functional.nll_loss(m.tensor(LOGITS), m.tensor(LABELS), weight=w),
    lambda m, w: m.nn.functional.binary_cross_entropy(m.tensor(PROBS[:, 0]), m.tensor(PROBS[:, 1]),
                                                      weight=w[:1]),
    lambda m, w: m.nn.functional.binary_cross_entropy_with_logits(
        m.tensor(LOGITS[:, 0]), m.tensor(PROBS[:, 1]), weight=w[:1]),
    lambda m, w: m.nn.functional.binary_cross_entropy_with_logits(
        m.tensor(LOGITS[:, :1]), m.tensor(PROBS[:, :1]), pos_weight=w[:1]),
])
def test_fused_losses_refuse_a_weight_that_requires_grad(call):
    for m in (torch, cg):
        w = m.tensor(W, requires_grad=True)
        with pytest.raises(RuntimeError, match="not differentiable"):
            call(m, w)
        with m.no_grad():
            call(m, w)  # fine without a graph


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_all_targets_ignored_gives_nan_loss_and_zero_gradient(fn):
    x = LOGITS[2:4]
    t = LABELS[2:4]  # both are class 1
    out = check_op(lambda a, b: getattr(F, fn)(a, b, ignore_index=1),
                   lambda a, b: getattr(TF, fn)(a, b, ignore_index=1), [x, t],
                   gradcheck=False, gradgradcheck=False)
    assert np.isnan(out[0].item())


def test_cross_entropy_error_types():
    for m, exc in ((torch, ValueError), (cg, ValueError)):
        with pytest.raises(exc):  # batch sizes differ
            m.nn.functional.cross_entropy(m.ones(2, 3), m.tensor([0, 1, 1]))
    for m in (torch, cg):
        with pytest.raises(RuntimeError):
            m.nn.functional.cross_entropy(m.ones(2, 3), m.tensor([0, 1]), label_smoothing=1.5)
        with pytest.raises(RuntimeError):  # spatial sizes differ
            m.nn.functional.cross_entropy(m.ones(2, 3, 4), m.zeros(2, 5, dtype=m.int64))


@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
@pytest.mark.parametrize("order", [0, 1])
def test_mixed_float_dtypes_promote_as_torch(fn, order):
    x, y = np.array([0.5, 1.5, -2.0]), np.array([0.0, 1.0, 1.0])
    for m in (torch,):
        a, b = m.tensor(x, dtype=m.float32), m.tensor(y, dtype=m.float64)
        t = getattr(m.nn.functional, fn)(*((a, b) if order == 0 else (b, a)))
    a, b = cg.tensor(x, dtype=cg.float32), cg.tensor(y, dtype=cg.float64)
    c = getattr(F, fn)(*((a, b) if order == 0 else (b, a)))
    assert str(c.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_allclose(c.numpy(), t.numpy(), rtol=1e-6)


def test_cross_entropy_of_integer_logits_is_not_implemented():
    for m in (torch, cg):
        with pytest.raises(NotImplementedError):
            m.nn.functional.cross_entropy(m.ones(2, 3, dtype=m.int64), m.tensor([0, 1]))


def test_nll_with_zero_total_weight_is_nan_like_torch():
    w = np.array([0.0, 0.0, 1.0, 1.0])
    check_op(lambda x, t: F.nll_loss(x, t, weight=cg.tensor(w)),
             lambda x, t: TF.nll_loss(x, t, weight=torch.tensor(w)), [LOGITS[:3], np.array([0, 0, 1])],
             gradcheck=False, gradgradcheck=False)
