"""The (rows, cols, N, C) im2col path of convolutions on small images
(``chaingrad/ops/conv_hwnc.py``): against PyTorch through ``F.conv2d`` on shapes that take
it, and against the NCHW im2col convolution for both column orders."""
import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn.functional as F
from chaingrad.ops import conv as C
from chaingrad.ops import conv_hwnc as H
from tests.oracle import check_op

torch = pytest.importorskip("torch")
TF = torch.nn.functional

# (N, C, H, W, O, kernel, stride, padding, dilation)
CASES = [
    (2, 16, 8, 8, 16, 3, 2, 1, 1),            # ResNet's strided 3x3
    (1, 16, 2, 2, 40, 3, 1, 1, 1),            # more output channels than rows: (c, i, j)
    (3, 17, 9, 7, 16, (3, 2), (2, 1), (1, 0), (1, 2)),
    (2, 16, 5, 6, 18, (2, 3), 2, (0, 2), 1),
]


def _a(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def _p(case):
    n, c, h, w, o, k, s, p, d = case
    k = (k, k) if isinstance(k, int) else k
    two = (lambda v: (v, v) if isinstance(v, int) else tuple(v))
    pads = tuple((v, v) for v in two(p))
    return (n, c, h, w), (o, c) + k, C.ConvParams(two(s), pads, two(d), 1)


@pytest.mark.parametrize("case", CASES)
def test_takes_the_hwnc_path(case):
    xs, ws, p = _p(case)
    x, w = np.zeros(xs, np.float32), np.zeros(ws, np.float32)
    assert C._path(x, w, p) == "hwnc"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES)
def test_conv2d_matches_torch(case, dtype):
    n, c, h, w, o, k, s, p, d = case
    xs, ws, _ = _p(case)
    check_op(lambda x, wt, b: F.conv2d(x, wt, b, s, p, d),
             lambda x, wt, b: TF.conv2d(x, wt, b, s, p, d),
             [_a(xs, 0), _a(ws, 1) / 12, _a((o,), 2)], dtype=dtype, gradcheck=False,
             gradgradcheck=False)


@pytest.mark.parametrize("case", CASES)
def test_matches_nchw_im2col(case):
    xs, ws, p = _p(case)
    x, w = _a(xs, 0), _a(ws, 1)
    y0, cols = C.conv_forward(x, w, p)
    y1, ctx = H.forward(x, w, p)
    g = _a(y0.shape, 2)
    gx1, gw1 = H.backward(g, ctx, w.shape, x.shape, p)
    np.testing.assert_allclose(y1, y0, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gx1, C.conv_grad_input(g, w, x.shape, p), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(gw1, C.conv_grad_weight(cols, g, w.shape, p), rtol=1e-12,
                               atol=1e-12)
    gx2, gw2 = H.backward(g, ctx, w.shape, x.shape, p, need_w=False)
    assert gw2 is None
    np.testing.assert_allclose(gx2, gx1, rtol=0, atol=0)


def test_double_backward_after_an_hwnc_forward():
    n, c, h, w, o, k, s, p, d = CASES[0]
    xs, ws = _a((n, c, h, w), 0), _a((o, c, k, k), 1)
    x, wt = cg.tensor(xs, requires_grad=True), cg.tensor(ws, requires_grad=True)
    tx, tw = torch.tensor(xs, requires_grad=True), torch.tensor(ws, requires_grad=True)
    gx, gw = cg.autograd.grad((F.conv2d(x, wt, None, s, p) ** 2).sum(), [x, wt],
                              create_graph=True)
    tgx, tgw = torch.autograd.grad((TF.conv2d(tx, tw, None, s, p) ** 2).sum(), [tx, tw],
                                   create_graph=True)
    h2 = cg.autograd.grad((gx * gx).sum() + (gw * gw).sum(), [x, wt])
    th2 = torch.autograd.grad((tgx * tgx).sum() + (tgw * tgw).sum(), [tx, tw])
    for a, b in zip((gx, gw) + tuple(h2), (tgx, tgw) + tuple(th2)):
        np.testing.assert_allclose(a._array, b.detach().numpy(), rtol=1e-7, atol=1e-9)
