"""Functions and methods added in the second API audit, each run in chaingrad and in PyTorch
on the same inputs: values, shapes and dtypes (table below), gradients through check_op."""
import math

import numpy as np
import pytest

import chaingrad as cg
from tests.oracle import check_op

torch = pytest.importorskip("torch")

INF, NAN = float("inf"), float("nan")
A = [[1., -2, 3], [4, 5, -6]]


def T(M, v, **k):
    return M.tensor(v, **k)


CASES = {
    "take": lambda M: M.take(T(M, [[1, 2], [3, 4]]), T(M, [[0, 3], [-1, 1]])),
    "put_acc": lambda M: M.zeros(2, 2).put_(T(M, [0, 0, 3]), T(M, [1., 2., 3.]), accumulate=True),
    "put_neg": lambda M: M.zeros(2, 2).put_(T(M, [-1]), T(M, [1.])),
    "index_put_2d": lambda M: M.zeros(2, 3).index_put_((T(M, [0, 1]), T(M, [2, 0])), T(M, 5.)),
    "index_put_acc": lambda M: M.zeros(2, 3).index_put_((T(M, [0, 0]), T(M, [2, 2])),
                                                        T(M, [1., 2.]), accumulate=True),
    "index_put_row_acc": lambda M: M.zeros(2, 3).index_put_((T(M, [1, 1]),), T(M, [1., 2., 3.]),
                                                            accumulate=True),
    "index_put_bool": lambda M: M.zeros(3).index_put_((T(M, [True, False, True]),), T(M, 1.)),
    "masked_scatter": lambda M: M.zeros(2, 3).masked_scatter(T(M, [True, False, True]),
                                                             M.arange(6.).reshape(2, 3)),
    "fill_diag_tall": lambda M: M.zeros(5, 3).fill_diagonal_(1.),
    "fill_diag_wrap": lambda M: M.zeros(7, 3).fill_diagonal_(1., wrap=True),
    "fill_diag_wide": lambda M: M.zeros(2, 4).fill_diagonal_(1.),
    "fill_diag_3d": lambda M: M.zeros(2, 2, 2).fill_diagonal_(1.),
    "tril_inf": lambda M: T(M, [[1., INF], [3, 4]]).tril(),
    "triu_batched": lambda M: M.ones(2, 3, 3).triu(-1),
    "tril_": lambda M: M.ones(3, 3).tril_(),
    "count_nonzero": lambda M: M.count_nonzero(T(M, [[1, 0], [0, 2]]), dim=0),
    "nan_to_num": lambda M: M.nan_to_num(T(M, [NAN, INF, -INF, 1.]), nan=2., posinf=3.),
    "nan_to_num64": lambda M: T(M, [INF, -INF], dtype=M.float64).nan_to_num(),
    "nansum": lambda M: T(M, [[NAN, 1], [2, 3]]).nansum(1),
    "nanmean": lambda M: T(M, [[NAN, 1], [2, 3]]).nanmean(0),
    "diff2": lambda M: T(M, [1, 4, 9, 16]).diff(n=2),
    "diff_dim0": lambda M: T(M, [[1, 4], [9, 16]]).diff(dim=0),
    "diff_pre_app": lambda M: M.diff(T(M, [1., 4]), prepend=T(M, [0.]), append=T(M, [10., 20])),
    "diff_bool": lambda M: T(M, [True, False, False]).diff(),
    "float_power": lambda M: M.float_power(T(M, [2, 3]), 2),
    "select": lambda M: M.select(M.arange(6).reshape(2, 3), 0, -1),
    "tensor_split_n": lambda M: M.arange(7).tensor_split(3),
    "tensor_split_idx": lambda M: M.arange(7).tensor_split([1, 5]),
    "tensor_split_far": lambda M: M.arange(7).tensor_split(T(M, [2, 9])),
    "tensor_split_dim": lambda M: M.arange(8).reshape(2, 4).tensor_split(3, dim=1),
    "hsplit": lambda M: M.arange(8).reshape(2, 4).hsplit(2),
    "hsplit_1d": lambda M: M.hsplit(M.arange(6), [1, 4]),
    "vsplit": lambda M: M.vsplit(M.arange(8).reshape(4, 2), 2),
    "dsplit": lambda M: M.arange(8).reshape(1, 2, 4).dsplit([1]),
    "mT": lambda M: M.arange(6).reshape(1, 2, 3).mT,
    "sum_to_size": lambda M: M.ones(2, 3, 4).sum_to_size(3, 1),
    "addmm": lambda M: M.addmm(M.ones(2, 2), M.ones(2, 3), M.ones(3, 2), beta=0.5, alpha=2),
    "addmm_beta0_nan": lambda M: M.addmm(T(M, [[NAN]]), M.ones(1, 1), M.ones(1, 1), beta=0),
    "baddbmm": lambda M: M.baddbmm(M.ones(1, 2, 2), M.ones(1, 2, 3), M.ones(1, 3, 2), alpha=2),
    "addmv": lambda M: M.addmv(M.ones(2), M.ones(2, 3), M.ones(3)),
    "addbmm": lambda M: M.addbmm(M.ones(2, 2), M.ones(4, 2, 3), M.ones(4, 3, 2)),
    "unique_inverse": lambda M: M.unique(T(M, [[3, 1], [3, 2]]), return_inverse=True),
    "unique_dim": lambda M: M.unique(T(M, [[3, 1], [3, 1], [0, 1]]), dim=0, return_counts=True),
    "unique_consecutive": lambda M: M.unique_consecutive(T(M, [1, 1, 2, 2, 1]),
                                                         return_inverse=True, return_counts=True),
    "bincount_weights": lambda M: M.bincount(T(M, [1, 1, 3]), weights=T(M, [0.5, 1., 2.]),
                                             minlength=6),
    "bincount_empty": lambda M: M.bincount(T(M, [], dtype=M.int64)),
    "histc": lambda M: M.histc(T(M, [1., 2, 1, 5]), bins=4),
    "histc_range": lambda M: M.histc(T(M, [1., 2, 1, 5, -3]), bins=3, min=0, max=3),
    "searchsorted_right": lambda M: M.searchsorted(T(M, [1, 3, 5]), T(M, [3, 5]), right=True),
    "searchsorted_2d": lambda M: M.searchsorted(T(M, [[1, 3, 5], [2, 4, 6]]), T(M, [[3], [3]])),
    "searchsorted_int32": lambda M: M.searchsorted(T(M, [1, 3, 5]), T(M, [3]), out_int32=True),
    "bucketize": lambda M: M.bucketize(T(M, [[3, 6]]), T(M, [1, 3, 5]), right=True),
    "triu_indices": lambda M: M.triu_indices(3, 4, 1),
    "tril_indices": lambda M: M.tril_indices(4, 3, -1),
    "dist": lambda M: M.dist(T(M, [3., 4]), T(M, [0., 0]), 1),
    "cdist": lambda M: M.cdist(T(M, [[[3., 4]]]), T(M, [[[0., 0], [1, 1]]]), p=1),
    "rot90_2": lambda M: M.rot90(M.arange(6).reshape(2, 3), 2),
    "rot90_neg": lambda M: M.rot90(M.arange(6).reshape(2, 3), -1),
    "rot90_dims": lambda M: M.rot90(M.arange(6).reshape(2, 3), 1, (1, 0)),
    "fliplr": lambda M: M.fliplr(M.arange(6).reshape(2, 3)),
    "atleast_3d_1": lambda M: M.atleast_3d(T(M, [1, 2])),
    "atleast_3d_2": lambda M: M.atleast_3d(M.ones(2, 3)),
    "atleast_2d_many": lambda M: M.atleast_2d(T(M, 1), T(M, [1, 2])),
    "cartesian_prod": lambda M: M.cartesian_prod(T(M, [1, 2]), T(M, [3]), T(M, [4, 5])),
    "aminmax": lambda M: M.aminmax(T(M, [[1, 5], [3, 2]]), dim=1),
    "short": lambda M: T(M, [1.7]).short(),
    "byte": lambda M: T(M, [3]).byte(),
    "linalg_norm_1": lambda M: M.linalg.norm(T(M, A), 1),
    "linalg_norm_inf": lambda M: M.linalg.norm(T(M, A), INF),
    "linalg_norm_fro": lambda M: M.linalg.norm(T(M, A), "fro"),
    "linalg_norm_dim": lambda M: M.linalg.norm(T(M, A), 3, dim=1, keepdim=True),
    "vector_norm_0": lambda M: M.linalg.vector_norm(T(M, A), 0),
    "vector_norm_dims": lambda M: M.linalg.vector_norm(T(M, A), 1, dim=(0, 1)),
    "vector_norm_keep": lambda M: M.linalg.vector_norm(T(M, A), keepdim=True),
    "matrix_norm_neg1": lambda M: M.linalg.matrix_norm(T(M, A), -1),
    "matrix_norm_inf": lambda M: M.linalg.matrix_norm(T(M, A), INF, keepdim=True),
    "cross": lambda M: M.linalg.cross(T(M, [[1., 2, 3]]), T(M, [[0., 1, 0], [0, 0, 1]])),
}


def _flat(x):
    if isinstance(x, (tuple, list)):
        return [v for e in x for v in _flat(e)]
    return [x]


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    got, want = _flat(CASES[name](cg)), _flat(CASES[name](torch))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert tuple(g.shape) == tuple(w.shape), name
        assert str(g.dtype).split(".")[-1] == str(w.dtype).split(".")[-1], name
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6, equal_nan=True)


def test_dtype_queries():
    names = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")
    for a in names:
        for b in names:
            got = cg.promote_types(getattr(cg, a), getattr(cg, b))
            assert got.name == str(torch.promote_types(getattr(torch, a), getattr(torch, b))).split(".")[-1]
            assert cg.can_cast(getattr(cg, a), getattr(cg, b)) == torch.can_cast(getattr(torch, a), getattr(torch, b))
    for M in (cg, torch):
        assert M.finfo(M.float32).eps == torch.finfo(torch.float32).eps
        assert M.finfo(M.float16).max == torch.finfo(torch.float16).max
        assert M.finfo().bits == 32 and M.iinfo(M.int32).max == 2 ** 31 - 1
        assert M.iinfo(M.uint8).min == 0
        with pytest.raises(TypeError):
            M.finfo(M.int32)
    pairs = [lambda M: (T(M, [1], dtype=M.int32), 1), lambda M: (T(M, [1], dtype=M.int32), 1.),
             lambda M: (T(M, [1.], dtype=M.float16), 1.), lambda M: (T(M, [1], dtype=M.int8), T(M, 9)),
             lambda M: (T(M, [1], dtype=M.int8), T(M, 1.5, dtype=M.float64)),
             lambda M: (T(M, [1.], dtype=M.float16), T(M, 1., dtype=M.float64)),
             lambda M: (T(M, [True]), 2), lambda M: (2, T(M, [1], dtype=M.uint8))]
    for p in pairs:
        assert cg.result_type(*p(cg)).name == str(torch.result_type(*p(torch))).split(".")[-1]


def test_random_fills_stay_in_range():
    cg.manual_seed(0)
    t = cg.zeros(200).random_(3, 5)
    assert set(t.tolist()) == {3.0, 4.0}
    assert set(cg.zeros(200, dtype=cg.int64).random_(4).tolist()) <= {0, 1, 2, 3}
    e = cg.zeros(1000, dtype=cg.float64).exponential_(2.)
    assert (e >= 0).all() and abs(e.mean().item() - 0.5) < 0.1


RNG = np.random.default_rng(1)
X = RNG.standard_normal((3, 4))
V3 = RNG.standard_normal((2, 3))


def test_gradients():
    mask = np.array([True, False, True, True])
    check_op(lambda x: x.masked_scatter(cg.tensor(mask), x.flip(0)),
             lambda x: x.masked_scatter(torch.tensor(mask), x.flip(0)), [X])
    check_op(lambda x, v: x.index_put((cg.tensor([0, 0, 2]), cg.tensor([1, 1, 3])), v, accumulate=True),
             lambda x, v: x.index_put((torch.tensor([0, 0, 2]), torch.tensor([1, 1, 3])), v, accumulate=True),
             [X, RNG.standard_normal(3)])
    check_op(lambda x: x.put(cg.tensor([0, 5, 5]), x[0, :3], accumulate=True),
             lambda x: x.put(torch.tensor([0, 5, 5]), x[0, :3], accumulate=True), [X])
    check_op(lambda x: x.take(cg.tensor([[0, 11], [5, 5]])),
             lambda x: x.take(torch.tensor([[0, 11], [5, 5]])), [X])
    check_op(lambda x: x.diff(n=2, dim=1), lambda x: x.diff(n=2, dim=1), [X])
    check_op(lambda x: x.tril(1) + x.triu(-1), lambda x: x.tril(1) + x.triu(-1), [X])
    check_op(lambda x: cg.cat(x.tensor_split(3, dim=1)[::-1], 1), lambda x: torch.cat(x.tensor_split(3, dim=1)[::-1], 1), [X])
    check_op(lambda a, b: cg.linalg.cross(a, b), lambda a, b: torch.linalg.cross(a, b), [V3, V3[::-1]])
    check_op(lambda x: cg.linalg.norm(x, 3, dim=1), lambda x: torch.linalg.norm(x, 3, dim=1), [X])
    check_op(lambda x: cg.linalg.matrix_norm(x, 1), lambda x: torch.linalg.matrix_norm(x, 1), [X])
    check_op(lambda x, y: cg.addmm(x[:, :3], x, y, beta=0.5, alpha=2),
             lambda x, y: torch.addmm(x[:, :3], x, y, beta=0.5, alpha=2), [X, X.T[:, :3]])
    check_op(lambda x, y: cg.cdist(x, y), lambda x, y: torch.cdist(x, y), [X, X[:2] + 1])
    check_op(lambda x: x.nansum(0) + x.nan_to_num().sum(0), lambda x: x.nansum(0) + x.nan_to_num().sum(0), [X])
    check_op(lambda x: x.sum_to_size(1, 4), lambda x: x.sum_to_size(1, 4), [X])
    assert math.isclose(cg.dist(cg.tensor([3., 4.]), cg.tensor([0., 0.])).item(), 5.0)
