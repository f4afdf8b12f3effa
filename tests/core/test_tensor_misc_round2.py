"""Second API audit, last group, against PyTorch: in-place spellings (log_, sin_, fmod_,
div_(rounding_mode=) ...), the inverse-trig/hyperbolic/erf functions with gradients, mode,
logaddexp/hypot/atan2/xlogy/logit/sinc/copysign/logcumsumexp, in-place shape changes,
apply_/map_, storage_offset and the extra random fills."""
import numpy as np
import pytest

import chaingrad as cg
from tests.oracle import check_op

torch = pytest.importorskip("torch")


def same(a, b):
    assert tuple(a.shape) == tuple(b.shape)
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-7)


INPLACE = ["exp_", "log_", "sin_", "cos_", "sqrt_", "rsqrt_", "reciprocal_", "sign_", "sgn_",
           "log1p_", "expm1_", "square_", "trunc_", "frac_", "erf_", "log2_", "asin_", "acos_",
           "atan_", "arctan_", "sinh_", "cosh_", "asinh_", "atanh_", "exp2_", "negative_",
           "logical_not_", "erfinv_", "deg2rad_", "sinc_", "logit_"]


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_unary_spellings(name):
    for M in (cg, torch):
        t = M.tensor([0.25, 0.5])
        assert getattr(t, name)() is t
    same(getattr(cg.tensor([0.25, 0.5]), name)(), getattr(torch.tensor([0.25, 0.5]), name)())


@pytest.mark.parametrize("call", [
    lambda M: M.tensor([3., -3]).div_(2, rounding_mode="floor"),
    lambda M: M.tensor([3., -3]).div_(2, rounding_mode="trunc"),
    lambda M: M.tensor([3., -3]).fmod_(2), lambda M: M.tensor([3., -3]).remainder_(2),
    lambda M: M.tensor([3., -3]).floor_divide_(2), lambda M: M.tensor([1., 2]).cumsum_(0),
    lambda M: M.tensor([3., -3]).hypot_(M.tensor([4., 4.])),
    lambda M: M.tensor([3., -3]).copysign_(M.tensor([-1., 1.])),
])
def test_inplace_binary_spellings(call):
    same(call(cg), call(torch))


RNG = np.random.default_rng(3)
U = RNG.uniform(-0.9, 0.9, (3, 4))      # inside (-1, 1)
G = RNG.uniform(1.1, 3.0, (3, 4))       # above 1


@pytest.mark.parametrize("name,data", [
    ("asin", U), ("acos", U), ("atan", U * 3), ("sinh", U * 2), ("cosh", U * 2), ("asinh", U * 3),
    ("acosh", G), ("atanh", U), ("exp2", U * 3), ("erf", U * 2), ("erfinv", U), ("erfc", U),
    ("frac", U * 5), ("logit", (U + 1) / 2), ("sinc", U * 2), ("deg2rad", U), ("rad2deg", U),
    ("logcumsumexp", U * 3)])
def test_unary_values_and_gradients(name, data):
    args = (1,) if name == "logcumsumexp" else ()
    check_op(lambda x: getattr(x, name)(*args), lambda x: getattr(x, name)(*args), [data])
    check_op(lambda x: getattr(cg, name)(x, *args), lambda x: getattr(torch, name)(x, *args),
             [data], dtype=np.float32, gradcheck=False, gradgradcheck=False)


@pytest.mark.parametrize("name", ["logaddexp", "hypot", "atan2", "xlogy"])
def test_binary_values_and_gradients(name):
    a, b = RNG.uniform(0.5, 2, (3, 4)), RNG.uniform(0.5, 2, (3, 4)) * np.sign(U)
    if name == "xlogy":
        b = np.abs(b)
    gg = name in ("logaddexp", "hypot", "xlogy")
    check_op(lambda x, y: getattr(x, name)(y), lambda x, y: getattr(x, name)(y), [a, b],
             gradgradcheck=gg)


def test_special_values():
    same(cg.xlogy(cg.tensor([0., 2, 0]), cg.tensor([0., 3, float("nan")])),
         torch.xlogy(torch.tensor([0., 2, 0]), torch.tensor([0., 3, float("nan")])))
    same(cg.logaddexp(cg.tensor([-float("inf"), 1.]), cg.tensor([-float("inf"), 2.])),
         torch.logaddexp(torch.tensor([-float("inf"), 1.]), torch.tensor([-float("inf"), 2.])))
    same(cg.sinc(cg.tensor([0., 1.])), torch.sinc(torch.tensor([0., 1.])))
    same(cg.tensor([-1., 0, 2]).heaviside(cg.tensor(0.5)),
         torch.tensor([-1., 0, 2]).heaviside(torch.tensor(0.5)))
    same(cg.tensor([-0., 1.]).signbit(), torch.tensor([-0., 1.]).signbit())
    same(cg.atan2(cg.tensor([1., -1, 0]), cg.tensor([-1., -1, -1])),
         torch.atan2(torch.tensor([1., -1, 0]), torch.tensor([-1., -1, -1])))


def test_mode():
    a = np.array([[3., 1, 1, 4], [2, 2, 5, 5], [7, 7, 7, 0]])
    for dim in (0, 1):
        for keepdim in (False, True):
            c, t = cg.tensor(a).mode(dim, keepdim), torch.tensor(a).mode(dim, keepdim)
            same(c.values, t.values)
            same(c.indices, t.indices)
    c, t = cg.mode(cg.tensor([3, 1, 1, 4])), torch.mode(torch.tensor([3, 1, 1, 4]))
    same(c.values, t.values)
    same(c.indices, t.indices)
    check_op(lambda x: x.mode(1)[0], lambda x: x.mode(1)[0], [RNG.standard_normal((3, 4))])


def test_inplace_shape_changes_and_storage():
    for M in (cg, torch):
        t = M.ones(2, 3)
        assert t.t_() is t and tuple(t.shape) == (3, 2)
        assert tuple(M.ones(2, 3, 1).transpose_(0, 2).shape) == (1, 3, 2)
        assert tuple(M.ones(2, 1).squeeze_().shape) == (2,)
        assert tuple(M.ones(2).unsqueeze_(0).shape) == (1, 2)
        assert tuple(M.ones(6).resize_(2, 3).shape) == (2, 3)
        assert M.zeros(2, 3)[1, 1:].storage_offset() == 4
        assert M.tensor([1., 2]).apply_(lambda v: v * 2).tolist() == [2., 4.]
        assert M.tensor([1., 2]).map_(M.tensor([1., 2]), lambda x, y: x + y).tolist() == [2., 4.]


def test_random_fills():
    cg.manual_seed(0)
    assert (cg.zeros(500).log_normal_(0., 0.5) > 0).all()
    g = cg.zeros(500, dtype=cg.float64).geometric_(0.5)
    assert (g >= 1).all() and abs(g.mean().item() - 2.0) < 0.3
    c = cg.zeros(500, dtype=cg.float64).cauchy_(1.0, 0.1)
    assert abs(c.median().item() - 1.0) < 0.05
