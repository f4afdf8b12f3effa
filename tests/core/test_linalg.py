"""matmul (batched, broadcast, 1-D), mm, bmm, einsum against PyTorch."""
import numpy as np
import pytest
import torch

import chaingrad as cg
from tests.oracle import check_op, LAYOUTS

MATMUL_SHAPES = [((3, 4), (4, 5)), ((4,), (4,)), ((4,), (4, 5)), ((3, 4), (4,)),
                 ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)),
                 ((2, 3, 4), (4,)), ((4,), (2, 4, 3)), ((1, 4), (4, 1)), ((0, 4), (4, 3)),
                 ((3, 0), (0, 2))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_float64(shapes, rng):
    arrays = [rng.standard_normal(s) for s in shapes]
    check_op(lambda a, b: a @ b, lambda a, b: a @ b, arrays)
    check_op(cg.matmul, torch.matmul, arrays, gradcheck=False, gradgradcheck=False)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shapes", MATMUL_SHAPES[:8], ids=str)
def test_matmul_float32_layouts(shapes, layout, rng):
    arrays = [rng.standard_normal(s) for s in shapes]
    check_op(lambda a, b: a.matmul(b), lambda a, b: a.matmul(b), arrays, dtype=np.float32,
             layout=layout)


def test_mm_bmm(rng):
    check_op(lambda a, b: a.mm(b), lambda a, b: a.mm(b),
             [rng.standard_normal((3, 4)), rng.standard_normal((4, 2))])
    check_op(cg.mm, torch.mm, [rng.standard_normal((3, 4)), rng.standard_normal((4, 2))],
             dtype=np.float32, layout="transposed")
    check_op(lambda a, b: a.bmm(b), lambda a, b: a.bmm(b),
             [rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 2))])
    check_op(cg.bmm, torch.bmm, [rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 2))],
             dtype=np.float32, layout="sliced")
    with pytest.raises(RuntimeError):
        cg.zeros(3).mm(cg.zeros(3, 2))
    with pytest.raises(RuntimeError):
        cg.zeros(2, 3, 4).bmm(cg.zeros(4, 2))


def test_reflected_matmul_with_numpy(rng):
    a = rng.standard_normal((2, 3))
    t = cg.tensor(rng.standard_normal((3, 4)))
    np.testing.assert_allclose((a @ t).numpy(), a @ t.numpy())
    np.testing.assert_allclose((t.T @ a.T).numpy(), t.numpy().T @ a.T)


EINSUMS = [("ij,jk->ik", [(3, 4), (4, 5)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
           ("ii->i", [(3, 3)]), ("ij->", [(3, 4)]), ("ij->ji", [(3, 4)]), ("i,j->ij", [(3,), (4,)]),
           ("ij,ij->i", [(3, 4), (3, 4)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
           ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]), ("ij,jk", [(3, 4), (4, 5)]),
           ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)]), ("i,i->", [(4,), (4,)]),
           ("ijk->k", [(2, 3, 4)]), ("ij,k->ijk", [(2, 3), (2,)]), ("ii", [(3, 3)])]


@pytest.mark.parametrize("spec,shapes", EINSUMS, ids=[e[0] for e in EINSUMS])
def test_einsum(spec, shapes, rng):
    arrays = [rng.standard_normal(s) for s in shapes]
    check_op(lambda *t: cg.einsum(spec, *t), lambda *t: torch.einsum(spec, *t), arrays)
    check_op(lambda *t: cg.einsum(spec, *t), lambda *t: torch.einsum(spec, *t), arrays,
             dtype=np.float32, layout="transposed")


def test_einsum_list_operands(rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    check_op(lambda a, b: cg.einsum("ij,jk->ik", [a, b]), lambda a, b: torch.einsum("ij,jk->ik", [a, b]),
             [a, b], gradgradcheck=False)


def test_matmul_dtype_mixing():
    a32, a64 = cg.ones(2, 2), cg.ones(2, 2, dtype=cg.float64)
    with pytest.raises(RuntimeError):
        torch.ones(2, 2) @ torch.ones(2, 2, dtype=torch.float64)
    with pytest.raises(RuntimeError, match="dtype"):
        a32 @ a64
    assert (cg.ones(2, 2, dtype=cg.int64) @ cg.ones(2, 2, dtype=cg.int64)).dtype == cg.int64


@pytest.mark.parametrize("spec,shapes", [("...ij,...jk", [(2, 3, 4), (2, 4, 5)]),
                                         ("...ij,...jk", [(2, 3, 4), (4, 5)]),
                                         ("...i,...i", [(2, 3), (3,)]), ("ba,ca", [(2, 3), (4, 3)])])
def test_einsum_implicit_output_keeps_broadcast_dims(spec, shapes):
    rng = np.random.default_rng(0)
    check_op(lambda *ts: cg.einsum(spec, *ts), lambda *ts: torch.einsum(spec, *ts),
             [rng.standard_normal(s) for s in shapes])


def test_outer_needs_vectors():
    for m in (torch, cg):
        with pytest.raises(RuntimeError):
            m.outer(m.ones(2, 2), m.ones(2))
