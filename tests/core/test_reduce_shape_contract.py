"""Reductions and shape ops at the edges of the PyTorch contract: dtypes of integer input,
keepdim without a dim, empty inputs and the exception types of misuse."""
import numpy as np
import pytest

import chaingrad as cg
from tests.oracle import check_op

torch = pytest.importorskip("torch")


def both(fn):
    """fn(m) for m in (torch, chaingrad): the same call in both libraries."""
    return fn(torch), fn(cg)


def same_error(fn, exc):
    for m in (torch, cg):
        with pytest.raises(exc):
            fn(m)


def assert_same(fn):
    t, c = both(fn)
    assert tuple(c.shape) == tuple(t.shape)
    assert str(c.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_allclose(c.numpy(), t.numpy(), rtol=1e-6)


A = np.arange(12.0).reshape(3, 4) % 5 - 2


@pytest.mark.parametrize("fn", [
    lambda m: m.tensor([1, 2, 3]).logsumexp(0),             # int -> default float
    lambda m: m.tensor([True, False]).logsumexp(0),
    lambda m: m.tensor(A).argmax(keepdim=True),               # keepdim without dim: (1, 1)
    lambda m: m.tensor(A).argmin(keepdim=True),
    lambda m: m.tensor(A).argmax(-1, keepdim=True),
    lambda m: m.cat([m.tensor([1, 2]), m.tensor([1.5])]),     # int + float32 -> float32
    lambda m: m.stack([m.tensor([1, 2]), m.tensor([1.5, 2.0])]),
    lambda m: m.cat([m.tensor([True]), m.tensor([2])]),
    lambda m: m.cat([m.tensor([1], dtype=m.float16), m.tensor([2])]),
    lambda m: m.tensor(A).narrow(1, -2, 2),                   # a negative start counts back
    lambda m: m.tensor(A).roll((1, -2), (0, 1)),
])
def test_values_dtypes_shapes(fn):
    assert_same(fn)


@pytest.mark.parametrize("fn,exc", [
    (lambda m: m.tensor([1, 2]).var(), RuntimeError),         # var/std need floats
    (lambda m: m.tensor([1, 2]).std(), RuntimeError),
    (lambda m: m.tensor([3, 4]).norm(), RuntimeError),
    (lambda m: m.nn.functional.softmax(m.tensor([1, 2]), 0), NotImplementedError),
    (lambda m: m.zeros(0).argmax(), IndexError),
    (lambda m: m.zeros(0, 3).argmin(0), IndexError),
    (lambda m: m.zeros(0, 3).max(0), IndexError),
    (lambda m: m.cat([]), ValueError),
    (lambda m: m.stack([]), RuntimeError),
    (lambda m: m.ones(6).chunk(0), RuntimeError),
    (lambda m: m.ones(2, 4).gather(1, m.tensor([[7]])), RuntimeError),
    (lambda m: m.ones(3).gather(0, m.tensor([-1])), RuntimeError),
    (lambda m: m.nn.functional.pad(m.ones(2, 3), (1,)), RuntimeError),
    (lambda m: m.nn.functional.pad(m.ones(3), (1, 1, 1, 1)), RuntimeError),
    (lambda m: m.nn.functional.pad(m.ones(1, 2, 3), (3, 0), mode="reflect"), RuntimeError),
    (lambda m: m.nn.functional.pad(m.ones(1, 2, 3), (4, 0), mode="circular"), RuntimeError),
    (lambda m: m.ones(2, 4).narrow(1, 3, 2), RuntimeError),
    (lambda m: m.ones(2, 4).index_select(0, m.tensor([[0]])), IndexError),
    (lambda m: m.ones(2, 4).index_select(0, m.tensor([0.0])), RuntimeError),
    (lambda m: m.ones(2, 4).gather(1, m.tensor([[0.0]])), RuntimeError),
    (lambda m: m.ones(2, 4).roll((1, 2), (0,)), RuntimeError),
    (lambda m: m.ones(2, 4).flip((0, 0)), RuntimeError),
    (lambda m: m.ones(3).expand(-1, 3), RuntimeError),
    (lambda m: m.ones(4).split(0), RuntimeError),
    (lambda m: m.ones(4).split(-1), RuntimeError),
])
def test_error_types(fn, exc):
    same_error(fn, exc)


def test_softmax_of_integers_with_dtype_is_fine():
    assert_same(lambda m: m.nn.functional.softmax(m.tensor([1, 2]), 0, dtype=m.float64))


def test_norm_p0_counts_nonzeros_with_zero_gradient():
    check_op(lambda x: x.norm(0, 1), lambda x: x.norm(0, 1), [A], gradcheck=False,
             gradgradcheck=False)
    x = cg.tensor(A, requires_grad=True)
    x.norm(p=0).backward()
    assert np.array_equal(x.grad.numpy(), np.zeros_like(A))


@pytest.mark.parametrize("fn", [lambda x: x.std(1), lambda x: x.std((0, 1), correction=0),
                                lambda x: x.std(0, keepdim=True), lambda x: x.std()])
def test_std_matches_torch_to_second_order(fn):
    check_op(fn, fn, [np.random.default_rng(0).standard_normal((3, 4))])


def test_std_of_a_constant_slice_has_zero_gradient():
    x = np.array([[1.0, 1.0, 1.0], [0.0, 2.0, 4.0]])
    check_op(lambda a: a.std(1), lambda a: a.std(1), [x], gradcheck=False, gradgradcheck=False)


@pytest.mark.parametrize("correction", [4, 5])
def test_var_with_correction_at_or_above_n(correction):
    x = np.random.default_rng(0).standard_normal((3, 4))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(lambda a: a.var(1, correction=correction),
                 lambda a: a.var(1, correction=correction), [x], gradcheck=False,
                 gradgradcheck=False)


def test_var_of_empty_is_nan_and_argmax_of_bool_is_refused():
    assert np.isnan(cg.zeros(0).var().item())
    same_error(lambda m: m.tensor([False, True]).argmax(), RuntimeError)
