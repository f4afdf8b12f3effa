"""The Winograd F(2x2, 3x3) path of 3x3 stride-1 convolutions (``chaingrad/ops/winograd.py``):
against PyTorch through ``F.conv2d`` on shapes that take it, and against the direct
im2col convolution on odd sizes and every padding it accepts."""
import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn.functional as F
from chaingrad.ops import conv as C
from chaingrad.ops import winograd as W
from tests.oracle import check_op

torch = pytest.importorskip("torch")
TF = torch.nn.functional

# (N, C, H, W, O, padding): all take the Winograd path (checked below)
CASES = [
    (4, 16, 8, 8, 16, 1),
    (4, 16, 9, 7, 20, 1),     # odd output sizes: cropped tiles
    (3, 17, 13, 12, 16, 0),   # no padding
    (1, 16, 19, 18, 18, 2),   # padding 2: dL/dx with no padding
]


def _a(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def _params(pad):
    return C.ConvParams((1, 1), ((pad, pad), (pad, pad)), (1, 1), 1)


@pytest.mark.parametrize("case", CASES)
def test_takes_the_winograd_path(case):
    n, c, h, w, o, pad = case
    assert W.usable((n, c, h, w), (o, c, 3, 3), _params(pad), np.dtype(np.float32))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES)
def test_conv2d_matches_torch(case, dtype):
    n, c, h, w, o, pad = case
    check_op(lambda x, wt, b: F.conv2d(x, wt, b, 1, pad),
             lambda x, wt, b: TF.conv2d(x, wt, b, 1, pad),
             [_a((n, c, h, w), 0), _a((o, c, 3, 3), 1) / 12, _a((o,), 2)], dtype=dtype,
             gradcheck=False, gradgradcheck=False)


def test_double_backward_after_a_winograd_forward():
    n, c, h, w, o, pad = CASES[1]
    xs, ws = _a((n, c, h, w), 0), _a((o, c, 3, 3), 1)
    x, wt = cg.tensor(xs, requires_grad=True), cg.tensor(ws, requires_grad=True)
    tx, tw = torch.tensor(xs, requires_grad=True), torch.tensor(ws, requires_grad=True)
    gx, gw = cg.autograd.grad((F.conv2d(x, wt, padding=pad) ** 2).sum(), [x, wt],
                              create_graph=True)
    tgx, tgw = torch.autograd.grad((TF.conv2d(tx, tw, padding=pad) ** 2).sum(), [tx, tw],
                                   create_graph=True)
    h2 = cg.autograd.grad((gx * gx).sum() + (gw * gw).sum(), [x, wt])
    th2 = torch.autograd.grad((tgx * tgx).sum() + (tgw * tgw).sum(), [tx, tw])
    for a, b in zip((gx, gw) + tuple(h2), (tgx, tgw) + tuple(th2)):
        np.testing.assert_allclose(a._array, b.detach().numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("pads", [((1, 1), (1, 1)), ((0, 0), (0, 0)), ((2, 2), (0, 1)),
                                  ((0, 2), (2, 1)), ((1, 0), (0, 2))])
@pytest.mark.parametrize("size", [(4, 4), (5, 7), (6, 9), (3, 3)])
def test_matches_direct_convolution(pads, size):
    h, w = size
    p = C.ConvParams((1, 1), pads, (1, 1), 1)
    x, wt = _a((2, 3, h, w), 0), _a((4, 3, 3, 3), 1)
    y0, cols = C.conv_forward(x, wt, p)
    if min(y0.shape[2:]) < 1:
        return
    y1, ctx = W.forward(x, wt, pads)
    g = _a(y0.shape, 2)
    gx1, gw1 = W.backward(g, ctx, x.shape, pads)
    np.testing.assert_allclose(y1, y0, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gx1, C.conv_grad_input(g, wt, x.shape, p), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(gw1, C.conv_grad_weight(cols, g, wt.shape, p), rtol=1e-12,
                               atol=1e-12)


def test_resnet_step_float32_close_to_float64():
    """A train step of a block on the Winograd path: float32 stays within float32 rounding
    of the float64 result (the transforms add no large error)."""
    n, c, h, w, o, pad = CASES[0]
    xs, ws = _a((n, c, h, w), 0), _a((o, c, 3, 3), 1) / 12
    out = {}
    for dt in (np.float32, np.float64):
        x = cg.tensor(xs.astype(dt), requires_grad=True)
        wt = cg.tensor(ws.astype(dt), requires_grad=True)
        y = F.relu(F.conv2d(F.relu(F.conv2d(x, wt, padding=1)), wt, padding=1))
        y.sum().backward()
        out[dt] = (y._array, x.grad._array, wt.grad._array)
    for a, b in zip(out[np.float32], out[np.float64]):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-4 * np.abs(b).max())


@pytest.mark.parametrize("chunk_bytes", [1, 100000])
def test_image_ranges_give_the_same_result(monkeypatch, chunk_bytes):
    """The batch is processed in image ranges (one image each, or a few): same values and
    gradients as one range, the weight gradient summed over the ranges."""
    x, wt = _a((5, 16, 9, 8), 0), _a((16, 16, 3, 3), 1)
    pads = ((1, 1), (1, 1))
    y0, ctx0 = W.forward(x, wt, pads)
    g = _a(y0.shape, 2)
    gx0, gw0 = W.backward(g, ctx0, x.shape, pads)
    monkeypatch.setattr(W, "_CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(W, "_MIN_ROWS", 1)
    monkeypatch.setattr(W._threads, "_known", 1)  # ranges are used at one BLAS thread
    assert len(W._chunks(5, 20, 16, 16, 8)) > 1
    y1, ctx1 = W.forward(x, wt, pads)
    gx1, gw1 = W.backward(g, ctx1, x.shape, pads)
    for a, b in ((y1, y0), (gx1, gx0), (gw1, gw0)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    gx2, gw2 = W.backward(g, ctx1, x.shape, pads, need_x=False)
    assert gx2 is None
    np.testing.assert_allclose(gw2, gw0, rtol=1e-12, atol=1e-12)


def test_one_range_with_several_blas_threads(monkeypatch):
    monkeypatch.setattr(W, "_CHUNK_BYTES", 1)
    monkeypatch.setattr(W, "_MIN_ROWS", 1)
    monkeypatch.setattr(W._threads, "_known", 2)
    assert W._chunks(7, 20, 16, 16, 8) == [(0, 7)]
    monkeypatch.setattr(W._threads, "_known", 1)
    assert W._chunks(7, 20, 16, 16, 8) == [(i, i + 1) for i in range(7)]


def test_ranges_hold_enough_tiles(monkeypatch):
    monkeypatch.setattr(W._threads, "_known", 1)
    # ResNet-18's second stage (16 tiles per image, 128 channels): one range of 16 images
    assert W._chunks(16, 16, 128, 128, 4) == [(0, 16)]
    # W2's second convolution (49 tiles per image, 64 channels): about 1 MiB, >= 256 tiles
    ranges = W._chunks(64, 49, 32, 64, 4)
    assert all((j - i) * 49 >= 256 for i, j in ranges[:-1]) and ranges[-1][1] == 64
