"""Tensor methods from the second API audit, each against PyTorch: the index_* family
(values and gradients), isclose/allclose, masked_select broadcasting, unfold, fmod/rmod,
div rounding modes on integers, kthvalue/median/cummax/cummin, new_* with requires_grad,
to(copy=True), float()/int() of many elements, NumPy scalars in cg.tensor, the .grad warning."""
import warnings

import numpy as np
import pytest

import chaingrad as cg
from tests.oracle import check_op

torch = pytest.importorskip("torch")


def same(a, b):
    assert tuple(a.shape) == tuple(b.shape)
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, equal_nan=True)


def both(fn):
    return fn(cg), fn(torch)


RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 3))
S = RNG.standard_normal((3, 3))
IDX = np.array([0, 3, 0])


def test_index_add_fill_copy_values_and_grads():
    ic, it = cg.tensor(IDX), torch.tensor(IDX)
    check_op(lambda x, s: x.index_add(0, ic, s, alpha=2.0),
             lambda x, s: x.index_add(0, it, s, alpha=2.0), [X, S])
    check_op(lambda x, s: cg.index_add(x, 1, cg.tensor([2, 0, 2]), s),
             lambda x, s: torch.index_add(x, 1, torch.tensor([2, 0, 2]), s), [X, X])
    for M in (cg, torch):
        with pytest.raises(RuntimeError):
            M.zeros(4, 3).index_add(1, M.tensor([0, 1]), M.ones(3, 2))
    check_op(lambda x: x.index_fill(1, cg.tensor([2]), -1.5),
             lambda x: x.index_fill(1, torch.tensor([2]), -1.5), [X])
    check_op(lambda x, s: x.index_copy(0, cg.tensor([2, 0, 1]), s),
             lambda x, s: x.index_copy(0, torch.tensor([2, 0, 1]), s), [X, S])


def test_index_inplace_forms():
    for name, args in [("index_add_", lambda M: (0, M.tensor(IDX), M.ones(3, 3))),
                       ("index_fill_", lambda M: (0, M.tensor([1, 2]), 5.0)),
                       ("index_copy_", lambda M: (0, M.tensor([3, 1, 0]), M.ones(3, 3)))]:
            c, t = both(lambda M: (lambda z: (getattr(z, name)(*args(M)), z))(M.zeros(4, 3)))
            assert c[0] is c[1] and t[0] is t[1]
            same(c[1], t[1])
    c, t = both(lambda M: M.zeros(3, 2).index_add_(0, M.tensor([0, 2, 0]), M.ones(3, 2), alpha=2))
    same(c, t)


def test_isclose_allclose():
    for kw in ({}, {"equal_nan": True}, {"rtol": 0.1}, {"atol": 0.2}):
        c, t = both(lambda M: M.isclose(M.tensor([1., 2., float("nan"), 3.]),
                                        M.tensor([1. + 1e-9, 2.1, float("nan"), 3.25]), **kw))
        same(c, t)
    same(*both(lambda M: M.isclose(M.tensor([1, 2]), M.tensor([1, 3]))))
    same(*both(lambda M: M.tensor([1., 2.]).isclose(M.tensor([1., 2.01]), rtol=0.1)))
    assert cg.allclose(cg.tensor([1., 1.]), cg.tensor(1.))
    for M in (cg, torch):
        with pytest.raises(RuntimeError):
            M.allclose(M.tensor([1., 2.]), M.tensor([1., 2.], dtype=M.float64))


def test_masked_select_broadcasts():
    same(*both(lambda M: M.tensor([[1., 2.], [3., 4.]]).masked_select(M.tensor([True, False]))))
    same(*both(lambda M: M.masked_select(M.tensor([1., 2.]), M.tensor([[True], [False]]))))
    check_op(lambda x: x.masked_select(cg.tensor([True, False, True])),
             lambda x: x.masked_select(torch.tensor([True, False, True])), [X])


def test_unfold():
    same(*both(lambda M: M.arange(7).unfold(0, 3, 2)))
    same(*both(lambda M: M.arange(24).reshape(2, 3, 4).unfold(1, 2, 1)))
    check_op(lambda x: x.unfold(0, 2, 1), lambda x: x.unfold(0, 2, 1), [X])
    check_op(lambda x: x.unfold(1, 2, 2), lambda x: x.unfold(1, 2, 2), [X])


def test_remainders_and_rounding_modes():
    same(*both(lambda M: M.tensor([-3., 4., 5.5]).fmod(2)))
    same(*both(lambda M: M.fmod(M.tensor([-3, 4]), 3)))
    same(*both(lambda M: 7 % M.tensor([2, 3])))
    same(*both(lambda M: 7.5 % M.tensor([2., 3.])))
    for mode in ("floor", "trunc"):
        same(*both(lambda M: M.tensor([-3., 4.]).div(2, rounding_mode=mode)))
        same(*both(lambda M: M.div(M.tensor([-7, 7, -6, 6]), M.tensor([2, -2, 4, 4]),
                                   rounding_mode=mode)))
    same(*both(lambda M: M.tensor([2.555, 3.14159]).round(decimals=2)))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_order_statistics(dim):
    a = np.array([[3., 1., 1., 4.], [2., 7., 1., 8.], [2., 2., 9., 0.]])
    for name, args in [("kthvalue", (2, dim)), ("median", (dim,)), ("cummax", (dim,)),
                       ("cummin", (dim,))]:
        c = getattr(cg.tensor(a), name)(*args)
        t = getattr(torch.tensor(a), name)(*args)
        same(c.values, t.values)
        if name not in ("kthvalue", "median"):  # ties: PyTorch's index choice is unspecified
            same(c.indices, t.indices)
    same(cg.tensor(a).median(), torch.tensor(a).median())
    same(cg.median(cg.tensor([3., 1, 2, 4])), torch.median(torch.tensor([3., 1, 2, 4])))
    check_op(lambda x: x.cummax(dim)[0], lambda x: x.cummax(dim)[0], [X])
    check_op(lambda x: x.kthvalue(2, dim, keepdim=True)[0],
             lambda x: x.kthvalue(2, dim, keepdim=True)[0], [X])


def test_new_constructors_and_to_copy():
    for M in (cg, torch):
        t = M.tensor([1., 2.])
        assert t.new_ones(2, requires_grad=True).requires_grad
        assert t.new_zeros((2, 3), dtype=M.float64).dtype == M.float64
        assert t.new_full((2,), 3.5, requires_grad=True).requires_grad
        assert t.to(M.float32) is t and t.to(M.float32, copy=True) is not t
        assert t.to(dtype=M.float32, copy=True).tolist() == [1., 2.]


def test_python_scalar_conversion_errors():
    for M in (cg, torch):
        for conv in (float, int):
            with pytest.raises(ValueError):
                conv(M.tensor([1., 2.]))
        with pytest.raises(RuntimeError):
            M.tensor([1., 2.]).item()
        assert float(M.tensor([[1.5]])) == 1.5


@pytest.mark.parametrize("data", [
    [np.float64(1.5)], [np.int32(1), 2], [np.int32(1), 2.5], [np.int32(1), np.int32(2)],
    [np.float32(1.5), np.float32(2)], [np.float16(1.5), 1], [np.float64(1.5), 1],
    [[np.float64(1.5)], [2.0]], [np.bool_(True), False], [np.uint8(3)], [np.int8(1), np.int16(2)]])
def test_tensor_of_numpy_scalars_keeps_their_dtype(data):
    same(cg.tensor(data), torch.tensor(data))


def test_grad_of_non_leaf_warns():
    for M in (cg, torch):
        y = M.tensor([1.], requires_grad=True) * 2
        with pytest.warns(UserWarning, match="not a leaf"):
            assert y.grad is None
        y.retain_grad()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert y.grad is None
            assert M.tensor([1.], requires_grad=True).grad is None


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_values_and_grads(reduce, include_self):
    x = np.array([[1., 5, 2], [0, 3, 3]])
    s = np.array([[4., 1, 7, 2], [3, 3, 8, 0]])  # ties and zeros on purpose
    idx = np.array([[0, 0, 2, 1], [2, 2, 1, 1]])
    outs = []
    for M in (cg, torch):
        xt, st = M.tensor(x, requires_grad=True), M.tensor(s, requires_grad=True)
        y = xt.scatter_reduce(1, M.tensor(idx), st, reduce, include_self=include_self)
        (y * M.tensor([[1., 2, 3], [4, 5, 6]], dtype=M.float64)).sum().backward()
        outs.append((y, xt.grad, st.grad))
    for a, b in zip(*outs):
        same(a, b)
    same(*both(lambda M: M.tensor([[1, 5, 2]]).scatter_reduce(
        1, M.tensor([[0, 0, 2, 1]]), M.tensor([[4, 1, 7, 2]]), reduce, include_self=include_self)))
    same(*both(lambda M: M.zeros(3).scatter_reduce_(0, M.tensor([0, 0, 2]), M.tensor([5., 1, 6.]),
                                                    reduce=reduce, include_self=include_self)))


def test_scatter_reduce_smooth_gradients():
    idx = np.array([[0, 0, 2, 1], [2, 2, 1, 1], [0, 1, 2, 0]])
    for reduce in ("sum", "mean", "prod"):
        check_op(lambda a, b: a.scatter_reduce(1, cg.tensor(idx), b, reduce),
                 lambda a, b: a.scatter_reduce(1, torch.tensor(idx), b, reduce),
                 [X, RNG.standard_normal((3, 4))], gradgradcheck=False)


def test_memory_format_arguments_are_accepted():
    for M in (cg, torch):
        t = M.ones(2, 3)
        assert M.clone(t, memory_format=M.contiguous_format).tolist() == t.tolist()
        assert t.clone(memory_format=M.preserve_format).tolist() == t.tolist()
        c = t.t().contiguous(memory_format=M.contiguous_format)
        assert c.is_contiguous() and tuple(c.shape) == (3, 2)


def test_tensor_of_strings_is_a_value_error():
    for M in (cg, torch):
        with pytest.raises(ValueError):
            M.tensor(["a", "b"])
