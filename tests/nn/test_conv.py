"""Conv2d / ConvTranspose2d / pooling: forward and gradients against PyTorch (float64),
finite differences and double backward through ``check_op``."""
import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn.functional as F
from tests.oracle import check_op

torch = pytest.importorskip("torch")
TF = torch.nn.functional

# (N, C, H, W, O, kernel, stride, padding, dilation, groups)
CONV_CASES = [
    (2, 4, 7, 9, 6, (3, 2), (2, 1), (1, 0), (1, 2), 2),
    (1, 3, 6, 6, 4, 3, 1, 1, 1, 1),
    (2, 6, 5, 6, 6, 3, 2, 2, 1, 6),        # depthwise
    (3, 2, 5, 4, 4, 1, 1, 0, 1, 1),        # 1x1
    (2, 4, 8, 7, 4, (2, 3), (3, 2), (1, 1), (2, 1), 1),
    (1, 2, 5, 5, 3, 5, 1, 2, 1, 1),        # kernel as big as the input
    (2, 3, 10, 9, 4, 3, 1, 1, 1, 1),       # >= 64 output pixels: the batch-first layout
    (3, 4, 12, 11, 6, (3, 2), 1, (1, 2), (2, 1), 2),
    (2, 2, 17, 16, 3, 3, 1, 1, 1, 1),      # >= 256 pixels per image: per-image products
    (2, 8, 16, 16, 4, 3, 1, 1, 1, 1),      # wide (C*kh*kw > 64) and large: per image
    (2, 16, 16, 17, 8, 3, 1, 1, 1, 2),     # the same with groups
    (2, 16, 9, 9, 6, 3, 1, 1, 1, 2),       # wide, few pixels: one product for the batch
]


def _w(shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_matches_torch(case):
    n, c, h, w, o, k, s, p, d, g = case
    k2 = (k, k) if isinstance(k, int) else k
    x = _w((n, c, h, w), 0)
    wt = _w((o, c // g) + k2, 1)
    b = _w((o,), 2)
    check_op(lambda x, w, b: F.conv2d(x, w, b, s, p, d, g),
             lambda x, w, b: TF.conv2d(x, w, b, s, p, d, g), [x, wt, b],
             gradcheck=(n * h * w < 300), gradgradcheck=(n * h * w < 80))


@pytest.mark.parametrize("case", CONV_CASES[:3])
def test_conv2d_same_padding(case):
    n, c, h, w, o, k, s, p, d, g = case
    k2 = (k, k) if isinstance(k, int) else k
    check_op(lambda x, w: F.conv2d(x, w, None, 1, "same", d, g),
             lambda x, w: TF.conv2d(x, w, None, 1, "same", d, g),
             [_w((n, c, h, w), 0), _w((o, c // g) + k2, 1)], gradcheck=False,
             gradgradcheck=False)


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_transpose2d_matches_torch(case):
    n, c, h, w, o, k, s, p, d, g = case
    k2 = (k, k) if isinstance(k, int) else k
    s2 = (s, s) if isinstance(s, int) else s
    d2 = (d, d) if isinstance(d, int) else d
    p2 = (p, p) if isinstance(p, int) else p
    op = tuple(max(0, min(si, di) - 1) for si, di in zip(s2, d2))
    # keep outputs positive-sized
    if any((hh - 1) * si - 2 * pi + di * (ki - 1) + oi + 1 <= 0
           for hh, si, pi, di, ki, oi in zip((h, w), s2, p2, d2, k2, op)):
        pytest.skip("empty output")
    check_op(lambda x, w, b: F.conv_transpose2d(x, w, b, s, p, op, g, d),
             lambda x, w, b: TF.conv_transpose2d(x, w, b, s, p, op, g, d),
             [_w((n, c, h, w), 0), _w((c, o // g) + k2, 1), _w((o,), 2)],
             gradcheck=(n * h * w < 300), gradgradcheck=(n * h * w < 80))


def test_conv_modules_match_torch():
    cg.manual_seed(0)
    for mk in [lambda lib: lib.nn.Conv2d(3, 4, (3, 2), stride=2, padding=1, dilation=(1, 2)),
               lambda lib: lib.nn.Conv2d(4, 4, 3, padding="same", groups=2, bias=False),
               lambda lib: lib.nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect"),
               lambda lib: lib.nn.Conv2d(3, 4, 3, padding=1, padding_mode="circular"),
               lambda lib: lib.nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1,
                                                  output_padding=1)]:
        cm, tm = mk(cg).double(), mk(torch).double()
        assert repr(cm) == repr(tm)
        tm.load_state_dict({k: torch.from_numpy(v._array.copy()) for k, v in
                            cm.state_dict().items()})
        cin = tm.weight.shape[0] if isinstance(tm, torch.nn.ConvTranspose2d) else tm.in_channels
        x = _w((2, cin, 6, 7), 3)
        cx, tx = cg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        cy, ty = cm(cx), tm(tx)
        np.testing.assert_allclose(cy._array, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
        (cy * cy).sum().backward()
        (ty * ty).sum().backward()
        np.testing.assert_allclose(cx.grad._array, tx.grad.numpy(), rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(cm.weight.grad._array, tm.weight.grad.numpy(), rtol=1e-9,
                                   atol=1e-10)


def test_conv_transpose_output_size():
    m = cg.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    assert m(cg.randn(1, 3, 5, 5), output_size=(10, 10)).shape == (1, 2, 10, 10)
    assert m(cg.randn(1, 3, 5, 5)).shape == (1, 2, 9, 9)
    with pytest.raises(ValueError):
        m(cg.randn(1, 3, 5, 5), output_size=(12, 12))


def test_conv_errors_and_unbatched():
    with pytest.raises(RuntimeError, match="channels"):
        F.conv2d(cg.randn(1, 3, 5, 5), cg.randn(4, 2, 3, 3))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
        F.conv2d(cg.randn(1, 1, 2, 2), cg.randn(1, 1, 3, 3))
    with pytest.raises(ValueError, match="strided"):
        cg.nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="divisible"):
        cg.nn.Conv2d(3, 4, 3, groups=2)
    assert F.conv2d(cg.randn(3, 5, 5), cg.randn(4, 3, 3, 3)).shape == (4, 3, 3)


def test_conv_float32_stays_float32():
    y = F.conv2d(cg.randn(2, 3, 8, 8, requires_grad=True), cg.randn(4, 3, 3, 3, requires_grad=True),
                 cg.randn(4, requires_grad=True), padding=1)
    assert y.dtype == cg.float32
    y.sum().backward()


# (kernel, stride, padding, dilation, ceil_mode)
POOL_CASES = [(2, None, 0, 1, False), (3, 2, 1, 1, True), (3, 1, 1, 2, False),
              ((2, 3), (2, 1), (1, 0), 1, True), (3, 3, 1, 1, True), (2, 1, 0, 1, False)]


@pytest.mark.parametrize("case", POOL_CASES)
def test_max_pool2d(case):
    k, s, p, d, ceil = case
    x = _w((2, 3, 7, 8), 0)
    check_op(lambda x: F.max_pool2d(x, k, s, p, d, ceil),
             lambda x: TF.max_pool2d(x, k, s, p, d, ceil), [x], gradgradcheck=False)
    ci = F.max_pool2d(cg.tensor(x), k, s, p, d, ceil, return_indices=True)[1]
    ti = TF.max_pool2d(torch.tensor(x), k, s, p, d, ceil, return_indices=True)[1]
    assert ci.dtype == cg.int64
    np.testing.assert_array_equal(ci._array, ti.numpy())


def test_max_pool2d_ties_and_double_backward():
    x = np.ones((1, 1, 4, 4))
    check_op(lambda x: F.max_pool2d(x, 2, 1), lambda x: TF.max_pool2d(x, 2, 1), [x],
             gradcheck=False, gradgradcheck=False)
    check_op(lambda x: F.max_pool2d(x, 3, 2, 1), lambda x: TF.max_pool2d(x, 3, 2, 1),
             [_w((1, 2, 5, 5), 4)])


@pytest.mark.parametrize("case", [c for c in POOL_CASES if c[3] == 1])
@pytest.mark.parametrize("include", [True, False])
def test_avg_pool2d(case, include):
    k, s, p, d, ceil = case
    check_op(lambda x: F.avg_pool2d(x, k, s, p, ceil, include),
             lambda x: TF.avg_pool2d(x, k, s, p, ceil, include), [_w((2, 2, 7, 8), 0)],
             gradgradcheck=not ceil)


def test_avg_pool2d_divisor_override():
    check_op(lambda x: F.avg_pool2d(x, 3, 2, 1, divisor_override=5),
             lambda x: TF.avg_pool2d(x, 3, 2, 1, divisor_override=5), [_w((1, 2, 6, 6), 0)],
             gradgradcheck=False)


@pytest.mark.parametrize("size", [(1, 1), 3, (2, 5), (7, None), (4, 4)])
def test_adaptive_avg_pool2d(size):
    check_op(lambda x: F.adaptive_avg_pool2d(x, size),
             lambda x: TF.adaptive_avg_pool2d(x, size), [_w((2, 3, 7, 8), 0)],
             gradgradcheck=False)


def test_pool_modules_and_errors():
    x = cg.randn(1, 2, 6, 6)
    assert cg.nn.MaxPool2d(2)(x).shape == (1, 2, 3, 3)
    assert cg.nn.AvgPool2d(3, 2, 1)(x).shape == (1, 2, 3, 3)
    assert cg.nn.AdaptiveAvgPool2d((1, 1))(x).shape == (1, 2, 1, 1)
    y, idx = cg.nn.MaxPool2d(2, return_indices=True)(x)
    assert idx.shape == y.shape
    assert repr(cg.nn.MaxPool2d(2)) == repr(torch.nn.MaxPool2d(2))
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.max_pool2d(x, 2, padding=2)


@pytest.mark.parametrize("cfg", [dict(stride=1, padding=0), dict(stride=2, padding=2, dilation=2),
                                 dict(padding="same", groups=2)])
def test_conv1d_and_pool1d(cfg):
    check_op(lambda x, w, b: F.conv1d(x, w, b, **cfg), lambda x, w, b: TF.conv1d(x, w, b, **cfg),
             [_w((2, 4, 9), 0), _w((6, 4 // cfg.get("groups", 1), 3), 1), _w(6, 2)],
             gradgradcheck=False)
    x = _w((2, 3, 11), 3)
    check_op(lambda x: F.max_pool1d(x, 3, 2, 1, ceil_mode=True),
             lambda x: TF.max_pool1d(x, 3, 2, 1, ceil_mode=True), [x], gradgradcheck=False)
    check_op(lambda x: F.avg_pool1d(x, 3, 2, 1, count_include_pad=False),
             lambda x: TF.avg_pool1d(x, 3, 2, 1, count_include_pad=False), [x],
             gradgradcheck=False)
    check_op(lambda x: F.adaptive_avg_pool1d(x, 4), lambda x: TF.adaptive_avg_pool1d(x, 4), [x],
             gradgradcheck=False)


def test_conv1d_module_matches_torch():
    cm = cg.nn.Conv1d(4, 6, 3, stride=2, padding=1).double()
    tm = torch.nn.Conv1d(4, 6, 3, stride=2, padding=1).double()
    assert repr(cm) == repr(tm) and list(cm.state_dict()) == list(tm.state_dict())
    tm.load_state_dict({k: torch.from_numpy(v._array.copy()) for k, v in cm.state_dict().items()})
    x = _w((2, 4, 10), 5)
    np.testing.assert_allclose(cm(cg.tensor(x))._array, tm(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10)
    for name in ("MaxPool1d", "AvgPool1d"):
        assert repr(getattr(cg.nn, name)(3)) == repr(getattr(torch.nn, name)(3))


@pytest.mark.parametrize("k,stride,dilation,padding,output_padding", [
    (1, 1, 2, 0, 1), (3, 1, 2, 0, 1), (3, 1, 2, 1, 1), (3, 2, 2, 1, 1), (3, 3, 1, 2, 2),
    (1, 2, 1, 0, 1), (3, 1, 3, 2, 2)])
def test_conv_transpose2d_output_padding_with_dilation_matches_torch(k, stride, dilation, padding,
                                                                    output_padding):
    # output_padding below the dilation (stride 1) used to fail: the extra rows are zeros
    # beyond the full transposed convolution, or real values inside its cropped padding
    rng = np.random.default_rng(k + 10 * stride + 100 * dilation)
    x, w, b = rng.standard_normal((2, 4, 5, 4)), rng.standard_normal((4, 3, k, k)), \
        rng.standard_normal(3)
    kw = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    check_op(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw),
             lambda x, w, b: torch.nn.functional.conv_transpose2d(x, w, b, **kw), [x, w, b],
             gradgradcheck=False)


@pytest.mark.parametrize("kw", [{}, dict(stride=2, padding=1, output_padding=1),
                                dict(groups=2, dilation=2), dict(stride=3, padding=2,
                                                                 output_padding=2, dilation=2)])
def test_conv_transpose1d(kw):
    rng = np.random.default_rng(0)
    g = kw.get("groups", 1)
    check_op(lambda a, w, b: cg.nn.functional.conv_transpose1d(a, w, b, **kw),
             lambda a, w, b: torch.nn.functional.conv_transpose1d(a, w, b, **kw),
             [rng.standard_normal((2, 4, 7)), rng.standard_normal((4, 6 // g, 3)),
              rng.standard_normal(6)], gradgradcheck=False)


def test_conv_transpose1d_module_and_adaptive_max_pool1d():
    torch.manual_seed(0)
    tm = torch.nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
    cm = cg.nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
    assert repr(cm) == repr(tm) and list(cm.state_dict()) == list(tm.state_dict())
    cm.load_state_dict({k: cg.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((2, 4, 7))
    check_op(cm, tm, [x], dtype=np.float32, gradcheck=False)
    for o in (3, 5):
        check_op(lambda a: cg.nn.functional.adaptive_max_pool1d(a, o, return_indices=True),
                 lambda a: torch.nn.functional.adaptive_max_pool1d(a, o, return_indices=True),
                 [x], gradgradcheck=False)


@pytest.mark.parametrize("shape,out", [((2, 3, 5, 7), (2, 4)), ((1, 1, 5, 5), 3), ((3, 5, 7), (2, 3))])
def test_adaptive_max_pool2d_uneven_bins_with_indices(shape, out):
    x = np.random.default_rng(2).standard_normal(shape)
    check_op(lambda a: cg.nn.functional.adaptive_max_pool2d(a, out, return_indices=True),
             lambda a: torch.nn.functional.adaptive_max_pool2d(a, out, return_indices=True), [x],
             gradgradcheck=False)
    ties = np.ones(shape)  # the gradient goes to each bin's first maximum, as PyTorch
    check_op(lambda a: cg.nn.functional.adaptive_max_pool2d(a, out),
             lambda a: torch.nn.functional.adaptive_max_pool2d(a, out), [ties], gradcheck=False,
             gradgradcheck=False)
