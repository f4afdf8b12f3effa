"""ops/select.py against PyTorch: sort, argsort, topk, scatter, scatter_add, nonzero,
repeat_interleave, tile, movedim, diagonal, diag, trace, cumprod (values, gradients, second
order in float64). These are called as functions here (chaingrad.ops.select); the Tensor
methods and ``cg.<name>`` spellings are wired in tensor.py / __init__.py."""
import numpy as np
import pytest

import chaingrad as cg
from chaingrad.ops import select as S
from tests.oracle import check_op

torch = pytest.importorskip("torch")


def r(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


TIES = np.array([[3.0, 1.0, 3.0, -2.0, 1.0], [0.5, 0.5, -1.0, 2.0, 0.5]])


@pytest.mark.parametrize("kw", [{}, dict(dim=0), dict(descending=True), dict(dim=-1, descending=True)])
def test_sort(kw):
    check_op(lambda x: S.sort(x, **kw, stable=True), lambda x: torch.sort(x, **kw, stable=True),
             [r((3, 4))])
    check_op(lambda x: S.sort(x, **kw, stable=True), lambda x: torch.sort(x, **kw, stable=True),
             [TIES], gradcheck=False, gradgradcheck=False)
    check_op(lambda x: S.argsort(x, **kw, stable=True),
             lambda x: torch.argsort(x, **kw, stable=True), [TIES])


def test_sort_nan_is_largest():
    x = np.array([1.0, np.nan, -1.0])
    for desc in (False, True):
        t = torch.sort(torch.tensor(x), descending=desc)
        c = S.sort(cg.tensor(x), descending=desc)
        np.testing.assert_array_equal(c[1].numpy(), t[1].numpy())


@pytest.mark.parametrize("kw", [dict(k=2), dict(k=3, dim=0), dict(k=2, largest=False), dict(k=0)])
def test_topk(kw):
    check_op(lambda x: S.topk(x, **kw), lambda x: torch.topk(x, **kw), [r((3, 4))])


def test_topk_k_too_large():
    for f in (lambda: torch.topk(torch.ones(3), 4), lambda: S.topk(cg.ones(3), 4)):
        with pytest.raises(RuntimeError):
            f()


IDX = np.array([[0, 2, 1], [2, 0, 0]])


@pytest.mark.parametrize("dim,index", [(0, np.array([[1, 0, 1, 0]])), (1, IDX)])
def test_scatter_and_scatter_add(dim, index):
    src = r(index.shape, 1)
    check_op(lambda x, s: S.scatter_add(x, dim, cg.tensor(index), s),
             lambda x, s: x.scatter_add(dim, torch.tensor(index), s), [r((2, 4)), src])
    uniq = np.array([[0, 2, 1], [2, 0, 1]]) if dim == 1 else index
    check_op(lambda x, s: S.scatter(x, dim, cg.tensor(uniq), s),
             lambda x, s: x.scatter(dim, torch.tensor(uniq), s), [r((2, 4)), src])
    check_op(lambda x: S.scatter(x, dim, cg.tensor(uniq), 2.5),
             lambda x: x.scatter(dim, torch.tensor(uniq), 2.5), [r((2, 4))])


def test_scatter_src_larger_than_index():
    # PyTorch's own backward refuses this case; forward against PyTorch, gradients by
    # finite differences
    index, src = np.array([[1, 0, 1, 0]]), r((2, 4), 1)
    t = torch.zeros(2, 4, dtype=torch.float64).scatter_add(0, torch.tensor(index), torch.tensor(src))
    c = S.scatter_add(cg.zeros(2, 4, dtype=cg.float64), 0, cg.tensor(index), cg.tensor(src))
    np.testing.assert_allclose(c.numpy(), t.numpy())
    xs = (cg.tensor(r((2, 4)), requires_grad=True), cg.tensor(src, requires_grad=True))
    assert cg.autograd.gradcheck(lambda x, s: S.scatter(x, 0, cg.tensor(index), s), xs)
    assert cg.autograd.gradgradcheck(lambda x, s: S.scatter_add(x, 0, cg.tensor(index), s), xs)


def test_scatter_out_of_range_is_runtime_error():
    for f in (lambda: torch.zeros(3).scatter(0, torch.tensor([3]), 1.0),
              lambda: S.scatter(cg.zeros(3), 0, cg.tensor([3]), 1.0)):
        with pytest.raises(RuntimeError):
            f()


def test_nonzero():
    x = np.array([[0, 1, 2], [3, 0, 0]])
    np.testing.assert_array_equal(S.nonzero(cg.tensor(x)).numpy(), torch.nonzero(torch.tensor(x)).numpy())
    for c, t in zip(S.nonzero(cg.tensor(x), as_tuple=True), torch.nonzero(torch.tensor(x), as_tuple=True)):
        np.testing.assert_array_equal(c.numpy(), t.numpy())


@pytest.mark.parametrize("repeats,dim", [(2, None), (3, 1), (np.array([1, 0, 2]), 0)])
def test_repeat_interleave(repeats, dim):
    rep_c = cg.tensor(repeats) if isinstance(repeats, np.ndarray) else repeats
    rep_t = torch.tensor(repeats) if isinstance(repeats, np.ndarray) else repeats
    check_op(lambda x: S.repeat_interleave(x, rep_c, dim),
             lambda x: torch.repeat_interleave(x, rep_t, dim), [r((3, 2))])


@pytest.mark.parametrize("dims", [(2,), (2, 1), (1, 2, 3)])
def test_tile(dims):
    check_op(lambda x: S.tile(x, dims), lambda x: torch.tile(x, dims), [r((2, 3))])


@pytest.mark.parametrize("src,dst", [(0, 2), ((0, 1), (2, 0)), (-1, 0)])
def test_movedim(src, dst):
    check_op(lambda x: S.movedim(x, src, dst), lambda x: torch.movedim(x, src, dst), [r((2, 3, 4))])


@pytest.mark.parametrize("kw", [{}, dict(offset=1), dict(offset=-2), dict(dim1=2, dim2=0, offset=1)])
def test_diagonal(kw):
    check_op(lambda x: S.diagonal(x, **kw), lambda x: torch.diagonal(x, **kw), [r((3, 4, 5))])


@pytest.mark.parametrize("shape,k", [((3,), 0), ((3,), 1), ((3,), -2), ((3, 4), 1), ((4, 3), -1)])
def test_diag_and_trace(shape, k):
    check_op(lambda x: S.diag(x, k), lambda x: torch.diag(x, k), [r(shape)])
    if len(shape) == 2:
        check_op(S.trace, torch.trace, [r(shape)])


@pytest.mark.parametrize("x", [r((3, 4)), np.array([[2.0, 0.0, 3.0, 0.0], [0.0, 1.5, -1.0, 2.0]])])
def test_cumprod_with_zeros(x):
    check_op(lambda a: S.cumprod(a, 1), lambda a: torch.cumprod(a, 1), [x])
    check_op(lambda a: S.cumprod(a, 0), lambda a: torch.cumprod(a, 0), [x])


def test_cumprod_integer_dtype():
    x = np.array([1, 2, 3], dtype=np.int32)
    c, t = S.cumprod(cg.tensor(x), 0), torch.cumprod(torch.tensor(x), 0)
    assert c.numpy().dtype == t.numpy().dtype
    np.testing.assert_array_equal(c.numpy(), t.numpy())
