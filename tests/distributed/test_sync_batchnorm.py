"""SyncBatchNorm in a world of one equals BatchNorm (checked against PyTorch); across ranks
it is checked by test_mpirun.py (DDP + SyncBatchNorm == one process on the global batch)."""
from __future__ import annotations

import numpy as np
import pytest

import chaingrad as cg
import chaingrad.distributed as dist
from chaingrad.distributed import SyncBatchNorm

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def world1():
    dist.destroy_process_group()
    dist.init(backend="local")
    yield
    dist.destroy_process_group()


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (2, 3, 4, 5)])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_matches_torch_batchnorm(shape, momentum):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape) * 3 + 1
    w, b, go = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(shape)
    ours = SyncBatchNorm(3, momentum=momentum).double()
    theirs = {2: torch.nn.BatchNorm1d, 3: torch.nn.BatchNorm1d,
              4: torch.nn.BatchNorm2d}[len(shape)](3, momentum=momentum).double()
    with cg.no_grad():
        ours.weight._array[...] = w
        ours.bias._array[...] = b
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(w))
        theirs.bias.copy_(torch.from_numpy(b))
    for _ in range(2):  # two steps: running statistics and the cumulative average
        xc = cg.tensor(x, requires_grad=True)
        xt = torch.from_numpy(x.copy()).requires_grad_(True)
        yc, yt = ours(xc), theirs(xt)
        np.testing.assert_allclose(yc.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
        yc.backward(cg.tensor(go))
        yt.backward(torch.from_numpy(go))
        np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-9)
        np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=1e-9)
        ours.zero_grad()
        theirs.zero_grad()
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(getattr(ours, name).numpy(),
                                   getattr(theirs, name).numpy(), rtol=1e-12, err_msg=name)
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(cg.tensor(x)).detach().numpy(),
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-10)


def test_errors_and_state_dict():
    bn = SyncBatchNorm(4)
    with pytest.raises(ValueError, match="at least 2D"):
        bn(cg.ones(4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(cg.ones(1, 4))
    assert list(bn.state_dict()) == list(torch.nn.SyncBatchNorm(4).state_dict())


def test_gradcheck():
    bn = SyncBatchNorm(2).double()
    x = cg.tensor(np.random.default_rng(1).standard_normal((5, 2)), requires_grad=True)
    assert cg.autograd.gradcheck(lambda t: bn(t), (x,))


def test_convert_sync_batchnorm():
    bn_cls = getattr(cg.nn, "BatchNorm1d", None)
    if bn_cls is None:
        pytest.skip("chaingrad.nn.BatchNorm1d not available yet")
    model = cg.nn.Sequential(cg.nn.Linear(3, 4), bn_cls(4))
    model[1].running_mean._array[...] = 7
    converted = SyncBatchNorm.convert_sync_batchnorm(model)
    assert isinstance(converted[1], SyncBatchNorm)
    assert converted[1].weight is model[1].weight
    np.testing.assert_array_equal(converted[1].running_mean.numpy(), 7)
