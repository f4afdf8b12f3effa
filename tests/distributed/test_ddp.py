"""DistributedDataParallel in one process, with a recording stand-in for the MPI group: the
bucket order, the overlap with back-propagation, no_sync, unused parameters, errors. (The real
multi-process runs are in test_mpirun.py.)"""
from __future__ import annotations

import numpy as np
import pytest

import chaingrad as cg
from chaingrad.distributed import DistributedDataParallel, ReduceOp
from chaingrad.distributed.comm import _Done


class FakeGroup:
    """A 'world of two' whose other rank always holds the same values as this one: a sum over
    ranks doubles, the average is unchanged. Records every collective."""

    rank, size, backend = 0, 2, "fake"

    def __init__(self, params=()):
        self.log = []
        self.params = list(params)

    def iallreduce(self, arr, op):
        assert op is ReduceOp.SUM
        self.log.append(("iallreduce", arr.size, [p.grad is not None for p in self.params]))
        arr *= 2
        return _Done()

    def allreduce(self, arr, op):
        self.log.append(("allreduce", arr.size))

    def bcast(self, arr, src):
        self.log.append(("bcast", arr.size))

    def allgather(self, arr, out):
        out[:] = arr


class Tanh(cg.nn.Module):
    def forward(self, x):
        return x.tanh()


def mlp(seed=0):
    cg.manual_seed(seed)
    return cg.nn.Sequential(cg.nn.Linear(5, 32), Tanh(), cg.nn.Linear(32, 32), Tanh(),
                            cg.nn.Linear(32, 2)).double()


def _x(seed=1, n=8):
    return cg.tensor(np.random.default_rng(seed).standard_normal((n, 5)))


def test_gradients_equal_plain_model_and_params_broadcast():
    ref, model = mlp(), mlp()
    g = FakeGroup(model.parameters())
    ddp = DistributedDataParallel(model, bucket_cap_mb=0.004, process_group=g)
    n_params = sum(p.numel() for p in model.parameters())
    assert g.log[0] == ("bcast", n_params)      # one coalesced broadcast of rank 0's weights
    (ddp(_x()) ** 2).mean().backward()
    (ref(_x()) ** 2).mean().backward()
    for (name, p), q in zip(model.named_parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-14, err_msg=name)
    launches = [e for e in g.log if e[0] == "iallreduce"]
    assert len(launches) == len(ddp.reducer.buckets) >= 3
    assert sum(e[1] for e in launches) == n_params


def test_buckets_start_during_backward_last_layer_first():
    model = mlp()
    params = list(model.parameters())
    g = FakeGroup(params)
    ddp = DistributedDataParallel(model, bucket_cap_mb=0.004, process_group=g)
    first = ddp.reducer.buckets[0]
    assert [params[i] for i in first.members][0] is params[-1]   # reverse registration order
    (ddp(_x()) ** 2).mean().backward()
    launches = [e for e in g.log if e[0] == "iallreduce"]
    # when the first bucket (last layer) started, the first layer's gradients did not exist
    # yet: communication overlapped with the rest of back-propagation
    assert launches[0][2][-1] and not launches[0][2][0]
    assert all(launches[-1][2])


def test_no_sync_accumulates_then_averages_the_sum():
    ref, model = mlp(), mlp()
    g = FakeGroup()
    ddp = DistributedDataParallel(model, process_group=g)
    with ddp.no_sync():
        ddp(_x(1)).sum().backward()
    assert not [e for e in g.log if e[0] == "iallreduce"]
    ddp(_x(2)).sum().backward()
    assert len([e for e in g.log if e[0] == "iallreduce"]) == len(ddp.reducer.buckets)
    ref(_x(1)).sum().backward()
    ref(_x(2)).sum().backward()
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-14)


class TwoHeads(cg.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = cg.nn.Linear(3, 2)
        self.unused = cg.nn.Linear(3, 2)

    def forward(self, x):
        return self.a(x)


def test_unused_parameter_is_reported_at_next_forward():
    ddp = DistributedDataParallel(TwoHeads(), process_group=FakeGroup())
    ddp(cg.ones(4, 3)).sum().backward()
    with pytest.raises(RuntimeError, match="unused.weight.*find_unused_parameters=True"):
        ddp(cg.ones(4, 3))


def test_find_unused_parameters():
    model = TwoHeads()
    g = FakeGroup()
    ddp = DistributedDataParallel(model, process_group=g, find_unused_parameters=True)
    for _ in range(2):
        ddp(cg.ones(4, 3)).sum().backward()
        assert model.unused.weight.grad is None          # no rank used it: left untouched
        np.testing.assert_allclose(model.a.bias.grad.numpy(), [4.0, 4.0])
        model.zero_grad()
    assert ("allreduce", 4) in g.log                       # the used-parameter flags


def test_synchronize_finishes_by_hand():
    model = TwoHeads()
    ddp = DistributedDataParallel(model, process_group=FakeGroup())
    ddp(cg.ones(4, 3)).sum().backward()
    assert not ddp.reducer.finished_iteration
    ddp.synchronize()
    assert ddp.reducer.finished_iteration
    np.testing.assert_array_equal(model.unused.weight.grad.numpy(), np.zeros((2, 3)))
    ddp(cg.ones(4, 3))                                     # no error now


def test_second_backward_of_one_forward_raises():
    ddp = DistributedDataParallel(mlp(), process_group=FakeGroup())
    loss = ddp(_x()).sum()
    loss.backward(retain_graph=True)
    with pytest.raises(RuntimeError, match="after this iteration's reduction had finished"):
        loss.backward()


def test_no_grad_forward_and_state_dict():
    model = mlp()
    ddp = DistributedDataParallel(model, process_group=FakeGroup())
    with cg.no_grad():
        ddp(_x())
    assert not ddp.reducer.armed
    assert list(ddp.state_dict()) == ["module." + k for k in model.state_dict()]
    with pytest.raises(TypeError, match="nn.Module"):
        DistributedDataParallel(lambda x: x)


def test_world_of_one_without_mpi():
    import chaingrad.distributed as dist
    dist.destroy_process_group()
    try:
        ref, model = mlp(), mlp()
        ddp = DistributedDataParallel(model)       # initialises a world of one
        assert dist.get_world_size() == 1
        ddp(_x()).sum().backward()
        ref(_x()).sum().backward()
        for p, q in zip(model.parameters(), ref.parameters()):
            np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
    finally:
        dist.destroy_process_group()


def test_pytorch_signature():
    g = FakeGroup()
    ddp = DistributedDataParallel(mlp(), None, None, 0, True, g, 0.004)   # positional, as torch
    assert ddp.process_group is g and ddp.bucket_cap_mb == 0.004
    with pytest.raises(ValueError, match="device 0"):
        DistributedDataParallel(mlp(), device_ids=[0], process_group=g)


def test_float16_parameters_travel_as_float32():
    model = cg.nn.Linear(3, 2).half()
    g = FakeGroup()
    ddp = DistributedDataParallel(model, process_group=g)
    assert ddp.reducer.buckets[0].buffer.dtype == np.float32
    ddp(cg.ones(4, 3, dtype=cg.float16)).sum().backward()
    assert model.weight.grad.dtype == cg.float16
    np.testing.assert_allclose(model.bias.grad.numpy(), [4.0, 4.0])


class WithBuffer(cg.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = cg.nn.Linear(3, 2)
        self.register_buffer("count", cg.zeros(1))

    def forward(self, x):
        return self.lin(x)


def test_buffers_broadcast_only_in_training_forwards():
    g = FakeGroup()
    ddp = DistributedDataParallel(WithBuffer(), process_group=g)
    n0 = len(g.log)
    with cg.no_grad():
        ddp(cg.ones(2, 3))                 # evaluation: no collective at all
    with ddp.no_sync():
        ddp(cg.ones(2, 3)).sum().backward()
    assert len(g.log) == n0
    ddp(cg.ones(2, 3))
    assert g.log[n0][0] == "bcast"


class Backwards(cg.nn.Module):
    """Layers registered in the reverse of the order they are used."""

    def __init__(self):
        super().__init__()
        self.last = cg.nn.Linear(32, 2)
        self.middle = cg.nn.Linear(32, 32)
        self.first = cg.nn.Linear(5, 32)

    def forward(self, x):
        return self.last(self.middle(self.first(x).tanh()).tanh())


def test_buckets_rebuilt_in_arrival_order_after_first_iteration():
    cg.manual_seed(0)
    model, ref = Backwards().double(), Backwards().double()
    ref.load_state_dict(model.state_dict())
    params = list(model.parameters())
    where = {id(p): k for k, p in enumerate(params)}
    g = FakeGroup(params)
    ddp = DistributedDataParallel(model, bucket_cap_mb=0.004, process_group=g)
    # registration order is last, middle, first: the initial buckets start with first.*
    assert ddp.reducer.buckets[0].members[0] == where[id(model.first.bias)]
    for step in range(3):
        g.log.clear()
        model.zero_grad()
        ref.zero_grad()
        (ddp(_x(step)) ** 2).mean().backward()
        (ref(_x(step)) ** 2).mean().backward()
        for p, q in zip(model.parameters(), ref.parameters()):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-14)
        launches = [e for e in g.log if e[0] == "iallreduce"]
        if step == 0:  # the first bucket waited until back-propagation reached first.*
            assert all(launches[0][2])
        else:          # rebuilt (rank 0's order broadcast once): it starts before first.*
            assert (("bcast", len(params)) in g.log) == (step == 1)
            assert not launches[0][2][where[id(model.first.weight)]]
    assert ddp.reducer.buckets[0].members[0] in (where[id(model.last.bias)],
                                                 where[id(model.last.weight)])
