"""Every elementwise op of API.md against PyTorch and finite differences (tests/oracle.py)."""
import numpy as np
import pytest
import torch

import chaingrad as cg
from tests.oracle import check_op, LAYOUTS

# name -> (chaingrad fn, torch fn, input domain)
POS, ANY, UNIT = "pos", "any", "unit"
UNARY = {
    "exp": (cg.exp, torch.exp, ANY),
    "log": (cg.log, torch.log, POS),
    "log1p": (cg.log1p, torch.log1p, POS),
    "expm1": (cg.expm1, torch.expm1, ANY),
    "sqrt": (cg.sqrt, torch.sqrt, POS),
    "rsqrt": (cg.rsqrt, torch.rsqrt, POS),
    "abs": (cg.abs, torch.abs, ANY),
    "sign": (cg.sign, torch.sign, ANY),
    "neg": (cg.neg, torch.neg, ANY),
    "reciprocal": (cg.reciprocal, torch.reciprocal, POS),
    "sin": (cg.sin, torch.sin, ANY),
    "cos": (cg.cos, torch.cos, ANY),
    "tan": (cg.tan, torch.tan, UNIT),
    "tanh": (cg.tanh, torch.tanh, ANY),
    "sigmoid": (cg.sigmoid, torch.sigmoid, ANY),
    "relu": (cg.relu, torch.relu, ANY),
    "square": (cg.square, torch.square, ANY),
    "log2": (cg.log2, torch.log2, POS),
    "log10": (cg.log10, torch.log10, POS),
    "clamp": (lambda x: cg.clamp(x, -0.5, 0.7), lambda x: torch.clamp(x, -0.5, 0.7), ANY),
    "clamp_min": (lambda x: x.clamp(min=0.1), lambda x: x.clamp(min=0.1), ANY),
    "clamp_max": (lambda x: x.clamp(max=0.1), lambda x: x.clamp(max=0.1), ANY),
    "pow_scalar": (lambda x: x ** 3, lambda x: x ** 3, ANY),
    "pow_frac": (lambda x: x ** 0.5, lambda x: x ** 0.5, POS),
    "pow_neg": (lambda x: cg.pow(x, -2), lambda x: torch.pow(x, -2), POS),
    "rpow": (lambda x: 2.0 ** x, lambda x: 2.0 ** x, ANY),
    "rsub": (lambda x: 1 - x, lambda x: 1 - x, ANY),
    "rdiv": (lambda x: 2 / x, lambda x: 2 / x, POS),
    "radd_np": (lambda x: np.float64(2.5) + x, lambda x: 2.5 + x, ANY),
    "rmul_np": (lambda x: np.float64(2.5) * x, lambda x: 2.5 * x, ANY),
}

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, ANY),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, ANY),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, ANY),
    "div": (lambda a, b: a / b, lambda a, b: a / b, POS),
    "pow": (lambda a, b: a ** b, lambda a, b: a ** b, POS),
    "maximum": (cg.maximum, torch.maximum, ANY),
    "minimum": (cg.minimum, torch.minimum, ANY),
    "fn_add": (cg.add, torch.add, ANY),
    "fn_mul": (cg.mul, torch.mul, ANY),
    "fn_div": (cg.div, torch.div, POS),
    "fn_pow": (cg.pow, torch.pow, POS),
    "method_sub": (lambda a, b: a.sub(b, alpha=2), lambda a, b: a.sub(b, alpha=2), ANY),
}

SHAPES = [(3, 4), (), (1,), (2, 1, 3), (0, 3)]
BROADCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((), (2, 3)),
             ((1,), (3, 1)), ((0, 3), (3,)), ((2, 3), ())]


def _draw(rng, shape, domain):
    x = rng.standard_normal(shape)
    if domain == POS:
        return np.abs(x) + 0.5
    if domain == UNIT:
        return np.clip(x, -1.2, 1.2)
    # keep away from kinks (abs, relu, sign, clamp) so finite differences are exact
    return np.where(np.abs(x) < 0.05, 0.3, x)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_float64(name, shape, rng):
    f, tf, dom = UNARY[name]
    check_op(f, tf, [_draw(rng, shape, dom)], gradgradcheck=(shape == (3, 4)),
             gradcheck=shape in ((3, 4), ()))


@pytest.mark.parametrize("layout", LAYOUTS[1:])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_noncontiguous_float32(name, layout, rng):
    f, tf, dom = UNARY[name]
    check_op(f, tf, [_draw(rng, (3, 4), dom)], dtype=np.float32, layout=layout)


@pytest.mark.parametrize("shapes", BROADCAST, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_broadcast_float64(name, shapes, rng):
    f, tf, dom = BINARY[name]
    arrays = [_draw(rng, s, dom) for s in shapes]
    full = shapes == ((3, 4), (4,))
    check_op(f, tf, arrays, gradcheck=full or shapes == ((), (2, 3)), gradgradcheck=full)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_float32_layouts(name, layout, rng):
    f, tf, dom = BINARY[name]
    check_op(f, tf, [_draw(rng, (3, 4), dom), _draw(rng, (3, 4), dom)], dtype=np.float32,
             layout=layout)


def test_maximum_ties_split_gradient():
    a = np.array([1.0, 2.0, 3.0])
    check_op(cg.maximum, torch.maximum, [a, np.array([1.0, 0.0, 3.0])], gradcheck=False,
             gradgradcheck=False)
    check_op(cg.minimum, torch.minimum, [a, np.array([1.0, 5.0, 3.0])], gradcheck=False,
             gradgradcheck=False)


def test_clamp_boundary_inclusive():
    x = np.array([-1.0, -0.5, 0.0, 0.7, 2.0])
    check_op(lambda t: t.clamp(-0.5, 0.7), lambda t: t.clamp(-0.5, 0.7), [x], gradcheck=False,
             gradgradcheck=False)


def test_clamp_tensor_bounds(rng):
    check_op(lambda x, lo, hi: cg.clamp(x, lo, hi), lambda x, lo, hi: torch.clamp(x, lo, hi),
             [rng.standard_normal((3, 4)), np.full((4,), -0.3), np.full((3, 1), 0.4)],
             gradgradcheck=False)


def test_abs_relu_sign_at_zero():
    x = np.array([-1.0, 0.0, 2.0])
    for f, tf in [(cg.abs, torch.abs), (cg.relu, torch.relu), (cg.sign, torch.sign)]:
        check_op(f, tf, [x], gradcheck=False, gradgradcheck=False)


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), (3, 4)), ((3, 1), (4,), ()),
                                    ((2, 3), (2, 3), (1,))], ids=str)
def test_where(shapes, rng):
    c = rng.standard_normal(shapes[0]) > 0
    check_op(lambda c, a, b: cg.where(c, a, b), lambda c, a, b: torch.where(c, a, b),
             [c, rng.standard_normal(shapes[1]), rng.standard_normal(shapes[2])])


def test_where_scalar_branches(rng):
    x = rng.standard_normal((3, 4))
    check_op(lambda x: cg.where(x > 0, x, 0.0), lambda x: torch.where(x > 0, x, 0.0), [x])
    check_op(lambda x: cg.where(x > 0, 1.0, x), lambda x: torch.where(x > 0, 1.0, x), [x],
             dtype=np.float32)
    check_op(lambda x: x.masked_fill(x > 0, 2.0), lambda x: x.masked_fill(x > 0, 2.0), [x])


def test_where_single_argument(rng):
    x = rng.standard_normal((3, 4))
    got = cg.where(cg.tensor(x) > 0)
    want = torch.where(torch.tensor(x) > 0)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == cg.int64
        np.testing.assert_array_equal(g.numpy(), w.numpy())


def test_pow_zero_base_tensor_exponent():
    check_op(lambda a, b: a ** b, lambda a, b: a ** b, [np.array([0.0, 1.5]), np.array([2.0, 3.0])],
             gradcheck=False, gradgradcheck=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_operators_with_scalars_keep_dtype(dtype, rng):
    x = rng.standard_normal((2, 3))
    for f in [lambda t: t + 1, lambda t: 1 + t, lambda t: t * 2.5, lambda t: 2.5 * t,
              lambda t: t / 3, lambda t: 3 / t, lambda t: t ** 2,
              lambda t: -t, lambda t: np.float64(2.0) * t, lambda t: t * np.float32(2.0),
              lambda t: t + np.int64(2)]:
        check_op(f, f, [x], dtype=dtype, gradcheck=False, gradgradcheck=False)


@pytest.mark.parametrize("pair", [("int64", "float32"), ("int32", "int64"), ("bool", "int64"),
                                  ("float32", "float64"), ("bool", "float32"),
                                  ("int64", "float64"), ("uint8", "int32"), ("float16", "float32")])
def test_dtype_promotion(pair):
    a = np.ones((2, 2), dtype=pair[0])
    b = np.ones((2,), dtype=pair[1]) * 2
    for op in ["__add__", "__mul__", "__sub__", "__truediv__"]:
        if "bool" in pair and op == "__sub__":
            continue
        for x, y in [(a, b), (b, a)]:
            got = getattr(cg.tensor(x), op)(cg.tensor(y))
            want = getattr(torch.tensor(x), op)(torch.tensor(y))
            assert got._array.dtype == want.numpy().dtype, (op, x.dtype, y.dtype)
            np.testing.assert_allclose(got.numpy(), want.numpy().astype(got._array.dtype),
                                       rtol=1e-3)


@pytest.mark.parametrize("value", [2, 2.5, True])
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "float32", "float64"])
def test_scalar_promotion(dtype, value):
    a = np.array([1, 0, 1]).astype(dtype)
    for op in ["__add__", "__radd__", "__mul__", "__rmul__", "__truediv__"]:
        if dtype == "bool" and isinstance(value, bool) and op in ("__add__", "__radd__"):
            continue
        got = getattr(cg.tensor(a), op)(value)
        want = getattr(torch.tensor(a), op)(value)
        assert got._array.dtype == want.numpy().dtype, (op, dtype, value)
        np.testing.assert_allclose(got.numpy().astype(float), want.numpy().astype(float))


@pytest.mark.parametrize("fn", ["exp", "sqrt", "sin", "sigmoid", "tanh", "log"])
def test_integer_input_computes_in_float32(fn):
    x = np.array([1, 2, 3])
    got = getattr(cg, fn)(cg.tensor(x))
    want = getattr(torch, fn)(torch.tensor(x))
    assert got._array.dtype == want.numpy().dtype == np.float32
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_bool_subtraction_refused():
    for f in [lambda m: m - m, lambda m: 1 - m]:
        with pytest.raises(RuntimeError):
            f(torch.tensor([True, False]))
        with pytest.raises(RuntimeError, match="logical_not"):
            f(cg.tensor([True, False]))


def test_comparisons_give_bool_without_grad(rng):
    x = cg.tensor(rng.standard_normal((3,)), requires_grad=True)
    for r in [x > 0, x < 0.1, x >= x, x <= 0, x == x, x != 1.0, 0 < x]:
        assert r.dtype == cg.bool and not r.requires_grad and r.grad_fn is None
    np.testing.assert_array_equal((x > 0).numpy(), x.detach().numpy() > 0)


def test_methods_and_functions_agree(rng):
    x = cg.tensor(np.abs(rng.standard_normal((2, 3))) + 0.1)
    for name in ["exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "abs", "sign", "neg",
                 "reciprocal", "sin", "cos", "tan", "tanh", "sigmoid", "relu"]:
        np.testing.assert_array_equal(getattr(x, name)().numpy(), getattr(cg, name)(x).numpy())
    np.testing.assert_array_equal(x.clamp(0.2, 0.5).numpy(), cg.clamp(x, 0.2, 0.5).numpy())
    np.testing.assert_array_equal(x.pow(2).numpy(), cg.pow(x, 2).numpy())
    np.testing.assert_array_equal(x.maximum(x * 0.5).numpy(), cg.maximum(x, x * 0.5).numpy())


def test_sigmoid_extreme_values():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    check_op(cg.sigmoid, torch.sigmoid, [x], gradcheck=False, gradgradcheck=False)
    check_op(cg.sigmoid, torch.sigmoid, [x], dtype=np.float32)


@pytest.mark.parametrize("pair", [("float32", "float64"), ("float64", "float32"), ("int64", "float64"),
                                  ("int32", "int64"), ("bool", "float64"), ("float16", "float64"),
                                  ("int64", "int32"), ("bool", "int64")])
def test_zero_dim_tensor_promotion(pair):
    vec = np.array([1, 2, 3]).astype(pair[0])
    zero = np.array(2).astype(pair[1])
    for x, y in [(vec, zero), (zero, vec)]:
        for op in ["__add__", "__mul__", "__truediv__"]:
            got = getattr(cg.tensor(x), op)(cg.tensor(y))
            want = getattr(torch.tensor(x), op)(torch.tensor(y))
            assert got._array.dtype == want.numpy().dtype, (op, x.dtype, x.ndim, y.dtype)
            np.testing.assert_allclose(got.numpy().astype(float), want.numpy().astype(float), rtol=1e-3)


def test_mixed_float_gradients_flow_through_promotion(rng):
    x32 = cg.tensor([1.0, 2.0], requires_grad=True)
    s64 = cg.tensor(3.0, dtype=cg.float64, requires_grad=True)
    y = x32 * s64
    assert y.dtype == cg.float32
    y.sum().backward()
    assert x32.grad.dtype == cg.float32 and s64.grad.dtype == cg.float64
    np.testing.assert_allclose(s64.grad.numpy(), 3.0)
