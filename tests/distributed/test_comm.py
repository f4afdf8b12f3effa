"""The process group without a launcher: a world of one whose collectives are identities."""
from __future__ import annotations

import numpy as np
import pytest

import chaingrad as cg
import chaingrad.distributed as dist
from chaingrad.distributed import ReduceOp


@pytest.fixture
def world1(monkeypatch):
    for v in ("OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK", "MV2_COMM_WORLD_SIZE"):
        monkeypatch.delenv(v, raising=False)
    dist.destroy_process_group()
    dist.init()
    yield
    dist.destroy_process_group()


def test_not_initialized_raises():
    dist.destroy_process_group()
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="not been initialized"):
        dist.get_rank()


def test_world_of_one(world1):
    assert dist.is_initialized()
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "local")
    dist.init()  # a second call is a no-op
    assert dist.get_world_size() == 1


@pytest.mark.parametrize("op", list(ReduceOp))
def test_all_reduce_is_identity_in_place(world1, op):
    t = cg.tensor([[1.5, -2.0], [3.0, 4.0]])
    data = t._array
    v = t._version
    assert dist.all_reduce(t, op=op) is None
    assert t._array is data and t._version == v + 1
    np.testing.assert_array_equal(t.numpy(), [[1.5, -2.0], [3.0, 4.0]])
    work = dist.all_reduce(t, op=op, async_op=True)
    assert work.wait() and work.is_completed()


def test_argument_errors(world1):
    with pytest.raises(TypeError):
        dist.all_reduce(np.ones(3))
    with pytest.raises(ValueError):
        dist.all_reduce(cg.ones(3), op="sum")
    with pytest.raises(TypeError, match="floating"):
        dist.all_reduce(cg.tensor([1, 2]), op=ReduceOp.AVG)
    with pytest.raises(ValueError, match="src=1"):
        dist.broadcast(cg.ones(3), src=1)
    with pytest.raises(ValueError, match="2 tensors"):
        dist.all_gather([cg.zeros(3), cg.zeros(3)], cg.ones(3))


def test_broadcast_and_all_gather(world1):
    t = cg.tensor([1.0, 2.0])
    dist.broadcast(t, src=0)
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])
    out = [cg.zeros(2, dtype=cg.int64)]
    dist.all_gather(out, cg.tensor([3, 4]))
    assert out[0].tolist() == [3, 4]
    dist.barrier()


def test_differentiable_all_reduce_world1(world1):
    from chaingrad.distributed.functional import all_reduce
    x = cg.tensor([1.0, 2.0], dtype=cg.float64, requires_grad=True)
    y = all_reduce(x * 3)
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * 9 * np.array([1.0, 2.0]))


def test_unknown_backend():
    dist.destroy_process_group()
    with pytest.raises(ValueError, match="unknown backend"):
        dist.init(backend="nccl")
    assert not dist.is_initialized()


def test_import_does_not_start_mpi():
    """Importing chaingrad.distributed must not initialise MPI (mpi4py does at import)."""
    import subprocess
    import sys
    code = ("import sys, chaingrad.distributed as d; d.init(); "
            "assert 'mpi4py' not in sys.modules and d.get_world_size() == 1")
    env = {k: v for k, v in __import__("os").environ.items()
           if k not in ("OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK")}
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, env=env)


def test_init_process_group_torch_style(world1):
    dist.destroy_process_group()
    dist.init_process_group("gloo", world_size=1, rank=0)
    assert dist.get_world_size() == 1
    dist.destroy_process_group()
    with pytest.raises(ValueError, match="nccl"):
        dist.init_process_group("nccl")
    dist.destroy_process_group()
    with pytest.raises(ValueError, match="world_size=2"):
        dist.init_process_group(world_size=2)
