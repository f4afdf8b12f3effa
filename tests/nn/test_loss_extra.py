"""The less common losses (margin ranking, hinge embedding, soft margin, multilabel soft
margin, cosine embedding, triplet margin, Poisson NLL, Gaussian NLL) against PyTorch."""
import numpy as np
import pytest

import chaingrad as cg
from tests.oracle import check_op

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X1, X2, X3 = (RNG.standard_normal((5, 4)) for _ in range(3))
Y = np.array([1.0, -1.0, 1.0, -1.0, -1.0])
YML = (RNG.random((5, 4)) > 0.5).astype(float)
YPOS = np.abs(RNG.standard_normal((5, 4))) * 3

CASES = [
    ("margin_ranking_loss", dict(margin=0.3), [X1[:, 0], X2[:, 0], Y], [1, 1, 0]),
    ("hinge_embedding_loss", dict(margin=0.5), [X1[:, 0], Y], [1, 0]),
    ("soft_margin_loss", {}, [X1, np.sign(X2)], [1, 0]),
    ("multilabel_soft_margin_loss", {}, [X1, YML], [1, 0]),
    ("cosine_embedding_loss", dict(margin=0.1), [X1, X2, Y], [1, 1, 0]),
    ("triplet_margin_loss", {}, [X1, X2, X3], [1, 1, 1]),
    ("triplet_margin_loss", dict(margin=2.0, p=1, swap=True), [X1, X2, X3], [1, 1, 1]),
    ("poisson_nll_loss", {}, [X1, YPOS], [1, 0]),
    ("poisson_nll_loss", dict(log_input=False, full=True), [np.abs(X1), YPOS], [1, 0]),
    ("gaussian_nll_loss", {}, [X1, X2, np.abs(X3)], [1, 1, 1]),
    ("gaussian_nll_loss", dict(full=True, eps=0.5), [X1, X2, np.abs(X3)], [1, 1, 1]),
    ("gaussian_nll_loss", {}, [X1, X2, np.abs(X3[:, 0])], [1, 1, 1]),
]


@pytest.mark.parametrize("name,kw,arrays,grad", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_matches_torch(name, kw, arrays, grad, reduction):
    # var below eps is raised in value only (PyTorch's no_grad clamp): not a true derivative
    # there, so no finite-difference check for that case
    check_op(lambda *t: getattr(cg.nn.functional, name)(*t, reduction=reduction, **kw),
             lambda *t: getattr(torch.nn.functional, name)(*t, reduction=reduction, **kw),
             arrays, grad=grad, gradgradcheck=False, gradcheck=kw.get("eps") is None)


@pytest.mark.parametrize("name,args,arrays,grad", [
    ("MarginRankingLoss", (0.2,), [X1[:, 0], X2[:, 0], Y], [1, 1, 0]),
    ("MultiLabelSoftMarginLoss", (), [X1, YML], [1, 0]),
    ("TripletMarginLoss", (), [X1, X2, X3], [1, 1, 1]),
    ("GaussianNLLLoss", (), [X1, X2, np.abs(X3)], [1, 1, 1]),
])
def test_modules(name, args, arrays, grad):
    assert repr(getattr(cg.nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))
    check_op(getattr(cg.nn, name)(*args), getattr(torch.nn, name)(*args), arrays, grad=grad,
             gradcheck=False, gradgradcheck=False)


def test_gaussian_nll_errors():
    for m in (torch, cg):
        with pytest.raises(ValueError):
            m.nn.functional.gaussian_nll_loss(m.ones(2, 3), m.ones(2, 3), m.ones(3))
        with pytest.raises(ValueError):
            m.nn.functional.gaussian_nll_loss(m.ones(2, 3), m.ones(2, 3), -m.ones(2, 3))
