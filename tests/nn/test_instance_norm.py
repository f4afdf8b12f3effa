"""InstanceNorm1d/2d/3d against PyTorch: running statistics (track_running_stats=True) in
training and eval, unbatched input, F.instance_norm with running tensors."""
import numpy as np
import pytest

import chaingrad as cg
from tests.oracle import check_op

torch = pytest.importorskip("torch")


def r(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("name,shape", [("InstanceNorm1d", (2, 3, 5)), ("InstanceNorm2d", (2, 3, 4, 3)),
                                        ("InstanceNorm3d", (2, 3, 2, 3, 2)),
                                        ("InstanceNorm1d", (3, 5))])
@pytest.mark.parametrize("kw", [dict(track_running_stats=True),
                                dict(track_running_stats=True, affine=True, momentum=0.3),
                                dict(track_running_stats=True, momentum=None)])
def test_running_stats_train_then_eval(name, shape, kw):
    m, tm = getattr(cg.nn, name)(3, **kw).double(), getattr(torch.nn, name)(3, **kw).double()
    assert list(m.state_dict()) == list(tm.state_dict())
    for step in range(2):
        check_op(m, tm, [r(shape, step) * (step + 1)], gradcheck=False, gradgradcheck=False)
    for key, value in tm.state_dict().items():
        np.testing.assert_allclose(m.state_dict()[key].numpy(), value.numpy(), rtol=1e-7,
                                   err_msg=key)
    m.eval()
    tm.eval()
    check_op(m, tm, [r(shape, 5)])


def test_functional_updates_running_tensors():
    rm, rv = cg.zeros(3, dtype=cg.float64), cg.ones(3, dtype=cg.float64)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    x = r((4, 3, 6))
    check_op(lambda a: cg.nn.functional.instance_norm(a, rm, rv, momentum=0.2),
             lambda a: torch.nn.functional.instance_norm(a, trm, trv, momentum=0.2), [x],
             gradcheck=False, gradgradcheck=False)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-7)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-7)


def test_affine_channel_mismatch_is_value_error():
    with pytest.raises(ValueError):
        torch.nn.InstanceNorm1d(4, affine=True)(torch.zeros(2, 3, 5))
    with pytest.raises(ValueError):
        cg.nn.InstanceNorm1d(4, affine=True)(cg.zeros(2, 3, 5))
