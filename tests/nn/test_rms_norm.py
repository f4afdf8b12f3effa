"""RMSNorm / F.rms_norm against PyTorch (values, gradients, second order in float64)."""
import numpy as np
import pytest

import chaingrad as cg
from tests.oracle import check_op

torch = pytest.importorskip("torch")


def r(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_functional(dtype):
    check_op(lambda x: cg.nn.functional.rms_norm(x, (4,)),
             lambda x: torch.nn.functional.rms_norm(x, (4,)), [r((2, 3, 4))], dtype=dtype)
    check_op(lambda x, w: cg.nn.functional.rms_norm(x, [3, 4], w, eps=1e-3),
             lambda x, w: torch.nn.functional.rms_norm(x, [3, 4], w, eps=1e-3),
             [r((2, 3, 4)), r((3, 4), 1)], dtype=dtype)


@pytest.mark.parametrize("args,kw", [((4,), {}), (([3, 4],), dict(eps=1e-2, elementwise_affine=False))])
def test_module(args, kw):
    m, tm = cg.nn.RMSNorm(*args, **kw), torch.nn.RMSNorm(*args, **kw)
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    check_op(m, tm, [r((2, 3, 4))], dtype=np.float32)


def test_shape_mismatch_is_runtime_error():
    for m in (torch, cg):
        with pytest.raises(RuntimeError):
            m.nn.functional.rms_norm(m.ones(2, 3), (4,))
