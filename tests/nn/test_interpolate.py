"""F.interpolate / nn.Upsample in every mode against PyTorch: values, gradients (and, in
float64, finite differences to second order), sizes, scale factors and errors."""
import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn.functional as F
from tests.oracle import check_op

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def r(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


CASES = [
    ((1, 2, 5), dict(mode="linear", scale_factor=2)),
    ((1, 2, 5), dict(mode="linear", size=3, align_corners=True)),
    ((1, 2, 5), dict(mode="linear", scale_factor=0.7, align_corners=False)),
    ((1, 2, 3, 4), dict(mode="bilinear", scale_factor=2)),
    ((1, 2, 3, 4), dict(mode="bilinear", scale_factor=2, align_corners=True)),
    ((1, 2, 4, 5), dict(mode="bilinear", size=(3, 7))),
    ((1, 2, 4, 5), dict(mode="bilinear", size=(7, 2), align_corners=True)),
    ((1, 2, 4, 5), dict(mode="bilinear", scale_factor=(1.5, 0.6))),
    ((1, 2, 4, 5), dict(mode="bilinear", scale_factor=1.7, recompute_scale_factor=True)),
    ((1, 2, 4, 5), dict(mode="bilinear", size=(4, 8))),      # an unchanged axis is copied
    ((1, 2, 3, 4), dict(mode="bicubic", scale_factor=2)),
    ((1, 2, 3, 4), dict(mode="bicubic", size=(5, 3), align_corners=True)),
    ((1, 2, 4, 5), dict(mode="bicubic", scale_factor=0.6)),
    ((1, 1, 2, 3, 3), dict(mode="trilinear", scale_factor=2)),
    ((1, 1, 2, 3, 3), dict(mode="trilinear", size=(3, 2, 5), align_corners=True)),
    ((1, 2, 5, 6), dict(mode="nearest", scale_factor=2)),
    ((1, 2, 5, 6), dict(mode="nearest", size=(3, 8))),
    ((1, 2, 5, 6), dict(mode="nearest", scale_factor=1.7)),
    ((1, 2, 5), dict(mode="nearest", size=8)),
    ((1, 1, 2, 3, 3), dict(mode="nearest", scale_factor=(2, 1, 0.5))),
    ((1, 2, 5, 6), dict(mode="nearest-exact", scale_factor=1.5)),
    ((1, 2, 5), dict(mode="nearest-exact", size=3)),
    ((1, 2, 6, 5), dict(mode="area", size=(4, 2))),
    ((1, 2, 6), dict(mode="area", scale_factor=0.5)),
]


@pytest.mark.parametrize("shape,kw", CASES, ids=[f"{k['mode']}-{i}" for i, (_, k) in enumerate(CASES)])
def test_interpolate_matches_torch(shape, kw):
    check_op(lambda x: F.interpolate(x, **kw), lambda x: TF.interpolate(x, **kw), [r(shape)])


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "nearest"])
def test_interpolate_float32(mode):
    check_op(lambda x: F.interpolate(x, scale_factor=1.5, mode=mode),
             lambda x: TF.interpolate(x, scale_factor=1.5, mode=mode), [r((2, 3, 5, 4))],
             dtype=np.float32)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_upsample_module(mode):
    kw = {} if mode == "nearest" else dict(align_corners=False)
    up, tup = cg.nn.Upsample(scale_factor=2, mode=mode, **kw), torch.nn.Upsample(
        scale_factor=2, mode=mode, **kw)
    assert repr(up) == repr(tup)
    check_op(up, tup, [r((1, 2, 3, 3))], gradgradcheck=False)


def test_upsampling_bilinear2d_aligns_corners():
    check_op(cg.nn.UpsamplingBilinear2d(scale_factor=2), torch.nn.UpsamplingBilinear2d(
        scale_factor=2), [r((1, 1, 3, 4))], gradgradcheck=False)
    check_op(cg.nn.UpsamplingNearest2d(size=(5, 5)), torch.nn.UpsamplingNearest2d(size=(5, 5)),
             [r((1, 1, 3, 4))], gradgradcheck=False)


@pytest.mark.parametrize("shape,kw", [
    ((1, 2, 4, 5), dict(mode="linear", size=3)),            # linear needs 3-D input
    ((1, 2, 4), dict(mode="bilinear", size=3)),             # bilinear needs 4-D input
    ((1, 2, 4, 5), dict(mode="foo", size=3)),
    ((2, 4), dict(mode="nearest", size=3)),
])
def test_interpolate_dims_errors(shape, kw):
    with pytest.raises(NotImplementedError):
        TF.interpolate(torch.zeros(shape), **kw)
    with pytest.raises(NotImplementedError):
        F.interpolate(cg.zeros(shape), **kw)


@pytest.mark.parametrize("kw", [
    dict(mode="bilinear"), dict(mode="bilinear", size=3, scale_factor=2),
    dict(mode="nearest", size=3, align_corners=True), dict(mode="bilinear", size=(3,)),
    dict(mode="bilinear", size=3, recompute_scale_factor=True),
])
def test_interpolate_value_errors(kw):
    with pytest.raises(ValueError):
        TF.interpolate(torch.zeros(1, 2, 4, 5), **kw)
    with pytest.raises(ValueError):
        F.interpolate(cg.zeros(1, 2, 4, 5), **kw)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("kw", [dict(size=(3, 2)), dict(scale_factor=0.37), dict(scale_factor=(0.3, 2.2)),
                                dict(size=(9, 11), align_corners=True), dict(scale_factor=0.5)])
def test_interpolate_antialias(mode, kw):
    # (PyTorch's own kernel is wrong when an output size is 1, so those are left out)
    check_op(lambda x: F.interpolate(x, mode=mode, antialias=True, **kw),
             lambda x: TF.interpolate(x, mode=mode, antialias=True, **kw), [r((1, 2, 7, 9))],
             gradgradcheck=False)


def test_antialias_needs_bilinear_or_bicubic_on_4d():
    for m in (torch, cg):
        with pytest.raises(ValueError):
            m.nn.functional.interpolate(m.zeros(1, 2, 5), size=3, mode="linear", antialias=True)


def test_deprecated_upsample_spellings():
    check_op(lambda x: F.upsample_bilinear(x, scale_factor=2),
             lambda x: TF.upsample_bilinear(x, scale_factor=2), [r((1, 1, 2, 3))],
             gradgradcheck=False)
    check_op(lambda x: F.upsample_nearest(x, size=(3, 5)),
             lambda x: TF.upsample_nearest(x, size=(3, 5)), [r((1, 1, 2, 3))], gradgradcheck=False)
    check_op(lambda x: F.upsample(x, scale_factor=2, mode="bicubic"),
             lambda x: TF.upsample(x, scale_factor=2, mode="bicubic"), [r((1, 1, 2, 3))],
             gradgradcheck=False)
