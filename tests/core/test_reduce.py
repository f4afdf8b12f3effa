"""Reductions (dim int / tuple / None, keepdim) and the softmax family against PyTorch."""
import numpy as np
import pytest
import torch

import chaingrad as cg
from tests.oracle import check_op, LAYOUTS

DIMS = [None, 0, -1, (0, 2), (), (1,), (-1, 0)]
REDUCERS = ["sum", "mean", "amax", "amin", "prod", "logsumexp", "var", "std", "norm"]


def _call(lib, name, x, dim, keepdim):
    if name in ("amax", "amin"):
        return getattr(x, name)(() if dim is None else dim, keepdim=keepdim)
    if dim is None:
        if name in ("logsumexp",):
            return getattr(x, name)(tuple(range(x.ndim)), keepdim=keepdim)
        if name == "prod":
            return x.prod()
        return getattr(x, name)(dim=None, keepdim=keepdim) if name != "norm" else x.norm(dim=None, keepdim=keepdim)
    if name == "prod":
        if not isinstance(dim, int):
            pytest.skip("torch.prod takes a single int dim")
        return x.prod(dim, keepdim=keepdim)
    return getattr(x, name)(dim=dim, keepdim=keepdim)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("name", REDUCERS)
def test_reduction_float64(name, dim, keepdim, rng):
    if name in ("var", "std", "norm", "logsumexp") and dim == ():
        pytest.skip("an empty dim tuple reduces everything only for sum/mean/amax in torch")
    x = rng.standard_normal((2, 3, 4))
    full = dim in (None, (0, 2)) and keepdim
    check_op(lambda t: _call(cg, name, t, dim, keepdim), lambda t: _call(torch, name, t, dim, keepdim),
             [x], gradcheck=full or dim == 0, gradgradcheck=full or dim == 0)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", REDUCERS)
def test_reduction_float32_layouts(name, layout, rng):
    x = rng.standard_normal((3, 4))
    check_op(lambda t: _call(cg, name, t, 1, False), lambda t: _call(torch, name, t, 1, False),
             [x], dtype=np.float32, layout=layout)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "logsumexp", "norm", "var"])
@pytest.mark.parametrize("shape", [(), (1,), (1, 1)], ids=str)
def test_reduction_edge_shapes(name, shape, rng):
    x = rng.standard_normal(shape) + 2
    if name == "var" and np.prod(shape) == 1:
        pytest.skip("var of one element is nan (covered below)")
    dim = None if name not in ("logsumexp",) else 0
    check_op(lambda t: _call(cg, name, t, dim, False), lambda t: _call(torch, name, t, dim, False),
             [x], gradgradcheck=False)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "logsumexp", "norm"])
def test_reduction_empty(name):
    x = np.zeros((0, 3))
    check_op(lambda t: _call(cg, name, t, 0, False), lambda t: _call(torch, name, t, 0, False), [x])
    check_op(lambda t: _call(cg, name, t, 1, True), lambda t: _call(torch, name, t, 1, True), [x])
    if name in ("sum", "prod"):
        check_op(lambda t: _call(cg, name, t, None, False), lambda t: _call(torch, name, t, None, False), [x])


@pytest.mark.parametrize("kw", [dict(), dict(unbiased=False), dict(unbiased=True),
                                dict(correction=0), dict(correction=2), dict(correction=1)],
                         ids=str)
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_correction(name, kw, rng):
    x = rng.standard_normal((4, 5))
    check_op(lambda t: getattr(t, name)(**kw), lambda t: getattr(t, name)(**kw), [x],
             gradgradcheck=False)
    check_op(lambda t: getattr(t, name)(dim=1, keepdim=True, **kw),
             lambda t: getattr(t, name)(dim=1, keepdim=True, **kw), [x], gradgradcheck=False)
    check_op(lambda t: getattr(cg, name)(t, 0, **kw), lambda t: getattr(torch, name)(t, 0, **kw),
             [x], gradcheck=False, gradgradcheck=False)


def test_var_single_element_is_nan_with_warning_free_grad():
    for lib in (cg, torch):
        x = lib.tensor([2.0], requires_grad=True)
        v = x.var()
        assert np.isnan(float(v))
    assert np.isclose(float(cg.tensor([2.0]).var(correction=0)), 0.0)


def test_prod_with_zeros(rng):
    x = rng.standard_normal((3, 4))
    x[0, 1] = 0.0
    x[2, 0] = x[2, 3] = 0.0
    check_op(lambda t: t.prod(1), lambda t: t.prod(1), [x], gradgradcheck=False)
    check_op(lambda t: t.prod(), lambda t: t.prod(), [x], gradgradcheck=False)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_with_dim(name, dim, keepdim, rng):
    x = rng.standard_normal((3, 4))
    out = check_op(lambda t: getattr(t, name)(dim, keepdim=keepdim),
                   lambda t: getattr(t, name)(dim, keepdim=keepdim), [x])
    want = getattr(torch.tensor(x), name)(dim, keepdim=keepdim)
    res = getattr(cg.tensor(x), name)(dim, keepdim=keepdim)
    assert res.values.dtype == cg.float64 and res.indices.dtype == cg.int64
    np.testing.assert_array_equal(res.indices.numpy(), want.indices.numpy())
    np.testing.assert_array_equal(res[1].numpy(), want[1].numpy())
    assert len(out) == 2


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_without_dim(name, rng):
    x = rng.standard_normal((3, 4))
    check_op(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), [x])
    check_op(lambda t: getattr(cg, name)(t), lambda t: getattr(torch, name)(t), [x],
             dtype=np.float32)
    check_op(lambda a, b: getattr(cg, name)(a, b), lambda a, b: getattr(torch, name)(a, b),
             [x, rng.standard_normal((4,))], gradgradcheck=False)


def test_max_ties_gradient():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    for f in [lambda t: t.max(), lambda t: t.amax(1), lambda t: t.amin(0), lambda t: t.min(),
              lambda t: t.max(1)[0], lambda t: t.min(1).values]:
        check_op(f, f, [x], gradcheck=False, gradgradcheck=False)


def test_max_min_on_0d(rng):
    x = np.array(1.5)
    check_op(lambda t: t.max(0), lambda t: t.max(0), [x], gradgradcheck=False)
    check_op(lambda t: t.min(), lambda t: t.min(), [x], gradgradcheck=False)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(name, rng):
    x = rng.standard_normal((3, 4, 2))
    for kw in [dict(), dict(dim=1), dict(dim=-1, keepdim=True), dict(dim=0, keepdim=False)]:
        got = getattr(cg.tensor(x), name)(**kw)
        want = getattr(torch.tensor(x), name)(**kw)
        assert got.dtype == cg.int64 and tuple(got.shape) == tuple(want.shape)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        got = getattr(cg, name)(cg.tensor(x), **kw)
        np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "cumsum"])
def test_softmax_family_and_cumsum(name, dim, rng):
    x = rng.standard_normal((3, 4)) * 3
    check_op(lambda t: getattr(t, name)(dim), lambda t: getattr(t, name)(dim), [x])
    check_op(lambda t: getattr(cg, name)(t, dim), lambda t: getattr(torch, name)(t, dim), [x],
             dtype=np.float32, layout="transposed")


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "cumsum"])
def test_softmax_family_edge(name):
    check_op(lambda t: getattr(t, name)(0), lambda t: getattr(t, name)(0), [np.array(0.3)],
             gradgradcheck=False)
    check_op(lambda t: getattr(t, name)(1), lambda t: getattr(t, name)(1), [np.zeros((0, 3))])
    big = np.array([[1000.0, 0.0, -1000.0]])
    check_op(lambda t: getattr(t, name)(1), lambda t: getattr(t, name)(1), [big], gradcheck=False,
             gradgradcheck=False)


@pytest.mark.parametrize("p", [1, 2, 3, float("inf"), "fro"])
def test_norm_orders(p, rng):
    x = rng.standard_normal((3, 4))
    check_op(lambda t: t.norm(p), lambda t: t.norm(p), [x], gradgradcheck=False)
    if p != "fro":
        check_op(lambda t: t.norm(p, dim=1, keepdim=True), lambda t: t.norm(p, dim=1, keepdim=True),
                 [x], gradgradcheck=False)


def test_norm_of_zero_vector_has_zero_grad():
    check_op(lambda t: t.norm(), lambda t: t.norm(), [np.zeros((3,))], gradcheck=False,
             gradgradcheck=False)


def test_sum_mean_dtype_rules():
    ints = np.array([[1, 2], [3, 4]])
    for lib in (cg, torch):
        assert lib.tensor(ints).sum().dtype == lib.int64
        assert lib.tensor(ints.astype(bool)).sum().dtype == lib.int64
        assert lib.tensor(ints.astype(np.int32)).sum().dtype == lib.int64
        assert lib.tensor(ints.astype(np.float32)).sum(dtype=lib.float64).dtype == lib.float64
    with pytest.raises(RuntimeError):
        cg.tensor(ints).mean()
    with pytest.raises(RuntimeError):
        torch.tensor(ints).mean()
    assert float(cg.tensor(ints).mean(dtype=cg.float32)) == 2.5


def test_reduction_bad_dim():
    x = cg.zeros(2, 3)
    for bad in [2, -3, (0, 0)]:
        with pytest.raises((IndexError, RuntimeError)):
            x.sum(bad)
    with pytest.raises(IndexError):
        torch.zeros(2, 3).sum(2)
    with pytest.raises(IndexError):
        x.sum(2)


def test_amax_empty_needs_dim():
    with pytest.raises((RuntimeError, IndexError)):
        cg.zeros(0, 3).amax()
    with pytest.raises((RuntimeError, IndexError)):
        cg.zeros(0, 3).max()
    check_op(lambda t: t.amax(1), lambda t: t.amax(1), [np.zeros((0, 3))])


def test_all_any():
    x = np.array([[True, False], [True, True]])
    for kw in [dict(), dict(dim=0), dict(dim=1, keepdim=True)]:
        for name in ["all", "any"]:
            got = getattr(cg.tensor(x), name)(**kw)
            want = getattr(torch.tensor(x), name)(**kw)
            assert got.dtype == cg.bool
            np.testing.assert_array_equal(got.numpy(), want.numpy())
