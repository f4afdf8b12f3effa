"""The program the distributed tests start under ``mpirun``: ``python mpi_worker.py MODE ...``.

Each mode checks itself with asserts; a failed assert in any rank aborts the whole job
(chaingrad.distributed's excepthook), so the test only has to look at the exit status and the
files rank 0 writes. ``make_model``/``make_data``/``train`` are also imported by the tests to
compute the single-process reference.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

import chaingrad as cg


class Tanh(cg.nn.Module):
    def forward(self, x):
        return x.tanh()


class Reversed(cg.nn.Module):
    """Runs ``layers`` in order but registers them in reverse (so back-propagation produces
    gradients in registration order: DDP must re-pack its buckets)."""

    def __init__(self, layers):
        super().__init__()
        self.n = len(layers)
        for k in reversed(range(self.n)):
            self.add_module(str(k), layers[k])

    def forward(self, x):
        for k in range(self.n):
            x = getattr(self, str(k))(x)
        return x


def make_model(seed, batchnorm=None, reverse=False):
    """A float64 MLP; ``batchnorm`` is None, "bn" or "sync" (a BatchNorm1d after layer 1);
    ``reverse`` registers its layers in reverse order."""
    cg.manual_seed(seed)
    layers = [cg.nn.Linear(6, 16)]
    if batchnorm == "bn":
        layers.append(cg.nn.BatchNorm1d(16))
    elif batchnorm == "sync":
        from chaingrad.distributed import SyncBatchNorm
        layers.append(SyncBatchNorm(16))
    layers += [Tanh(), cg.nn.Linear(16, 16), Tanh(), cg.nn.Linear(16, 3)]
    return (Reversed(layers) if reverse else cg.nn.Sequential(*layers)).double()


def make_data(steps, batch, seed=7):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((batch, 6)), rng.standard_normal((batch, 3)))
            for _ in range(steps)]


def _optimizer(params, lr=0.05):
    try:
        from chaingrad.optim import SGD
        return SGD(params, lr=lr, momentum=0.9)
    except ImportError:  # before chaingrad.optim exists: plain SGD by hand
        class _SGD:
            def __init__(self, ps):
                self.ps = list(ps)

            def zero_grad(self):
                for p in self.ps:
                    p.grad = None

            def step(self):
                with cg.no_grad():
                    for p in self.ps:
                        p._array -= lr * p.grad._array
        return _SGD(params)


def train(model, data, rank=0, world=1, accum=1):
    """SGD on ``data``; this rank uses rows ``rank::world`` blocks of each global batch,
    split into ``accum`` micro-batches (all but the last under ``no_sync`` when DDP)."""
    opt = _optimizer(model.parameters())
    losses = []
    for x, y in data:
        b = len(x) // world
        xs, ys = x[rank * b:(rank + 1) * b], y[rank * b:(rank + 1) * b]
        opt.zero_grad()
        chunks = np.array_split(np.arange(b), accum)
        for k, idx in enumerate(chunks):
            last = k == len(chunks) - 1
            ctx = model.no_sync() if (not last and hasattr(model, "no_sync")) else _null()
            with ctx:
                out = model(cg.tensor(xs[idx]))
                loss = ((out - cg.tensor(ys[idx])) ** 2).mean() * (len(idx) / b)
                loss.backward()
            losses.append(float(loss.item()))
        opt.step()
    return losses


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def mode_ddp(args):
    import chaingrad.distributed as dist
    dist.init()
    rank, world = dist.get_rank(), dist.get_world_size()
    # every rank starts from different weights: DDP must replace them with rank 0's
    model = make_model(100 + rank, args.batchnorm, args.reverse)
    ddp = dist.DistributedDataParallel(model, bucket_cap_mb=args.bucket_mb)
    assert len(ddp.reducer.buckets) >= (3 if args.bucket_mb < 0.001 else 1)
    train(ddp, make_data(args.steps, args.batch), rank, world, args.accum)
    flat = np.concatenate([p._array.ravel() for p in model.parameters()])
    gathered = [cg.zeros(len(flat), dtype=cg.float64) for _ in range(world)]
    dist.all_gather(gathered, cg.tensor(flat))
    for r in range(world):  # the replicas never diverge
        assert np.array_equal(gathered[r].numpy(), flat), f"rank {r} diverged"
    if rank == 0:
        np.savez(args.out, **{n: p._array for n, p in model.state_dict().items()})


def mode_collectives(args):
    import chaingrad.distributed as dist
    from chaingrad.distributed import ReduceOp
    dist.init()
    r, w = dist.get_rank(), dist.get_world_size()
    assert dist.is_initialized() and dist.get_backend() == "mpi" and w == args.world
    ranks = np.arange(w, dtype=np.float64)
    for dtype in (cg.float64, cg.float32, cg.int64, cg.float16):
        for op, want in ((ReduceOp.SUM, ranks.sum() + 2 * w), (ReduceOp.MAX, w - 1 + 2),
                         (ReduceOp.MIN, 2), (ReduceOp.PRODUCT, np.prod(ranks + 2))):
            t = cg.full((2, 3), r + 2, dtype=dtype)
            v0 = t._version
            dist.all_reduce(t, op=op)
            assert t.dtype == dtype and t._version > v0
            assert np.all(t.numpy() == want), (dtype, op, t.numpy(), want)
    t = cg.full((3,), float(r), dtype=cg.float64)
    dist.all_reduce(t, ReduceOp.AVG)
    assert np.allclose(t.numpy(), ranks.mean())
    base = cg.tensor(np.arange(12.0).reshape(3, 4) * (r + 1))
    view = base.T  # non-contiguous: reduced through a copy, written back in place
    dist.all_reduce(view)
    assert np.array_equal(base.numpy(), np.arange(12.0).reshape(3, 4) * (ranks + 1).sum())
    t = cg.full((1000,), float(r))
    work = dist.all_reduce(t, async_op=True)
    work.wait()
    assert np.all(t.numpy() == ranks.sum()) and work.is_completed()
    src = w - 1
    t = cg.tensor(np.arange(5.0) + 10 * r)
    dist.broadcast(t, src=src)
    assert np.array_equal(t.numpy(), np.arange(5.0) + 10 * src)
    outs = [cg.zeros(2, dtype=cg.int64) for _ in range(w)]
    dist.all_gather(outs, cg.tensor([r, -r]))
    assert [o.tolist() for o in outs] == [[k, -k] for k in range(w)]
    dist.barrier()
    # the differentiable sum over ranks: its gradient is the sum of the ranks' gradients
    from chaingrad.distributed.functional import all_reduce as all_reduce_grad
    x = cg.tensor([1.0, 2.0], dtype=cg.float64, requires_grad=True)
    y = all_reduce_grad(x * (r + 1))
    assert np.allclose(y.detach().numpy(), np.array([1.0, 2.0]) * (ranks + 1).sum())
    (y * (r + 1)).sum().backward()   # L_r = (r+1) * y  => dL/dx_r = (r+1) * sum_k (k+1)
    assert np.allclose(x.grad.numpy(), (r + 1) * (ranks + 1).sum())
    # the training-loop helpers
    from chaingrad.distributed.launch import average_gradients, reduce_metrics
    assert reduce_metrics({"seen": r + 1, "loss_sum": 0.5}) == {
        "seen": int((ranks + 1).sum()), "loss_sum": 0.5 * w}
    lin = cg.nn.Linear(2, 1)
    lin.weight.grad = cg.full((1, 2), float(r))
    average_gradients(lin)                       # lin.bias has no grad: counts as zero
    assert np.allclose(lin.weight.grad.numpy(), ranks.mean()) and np.all(lin.bias.grad.numpy() == 0)
    if r == 0:
        print("collectives ok", flush=True)


class Branchy(cg.nn.Module):
    """Rank 0 uses ``extra``, the other ranks do not (data-dependent control flow)."""

    def __init__(self):
        super().__init__()
        self.a = cg.nn.Linear(3, 2)
        self.extra = cg.nn.Linear(2, 2)
        self.never = cg.nn.Linear(2, 2)

    def forward(self, x, use_extra):
        h = self.a(x)
        return self.extra(h) if use_extra else h


def mode_unused(args):
    """find_unused_parameters=True with a parameter only rank 0 uses: every rank ends with
    the same average (rank 0's gradient / W); a parameter no rank uses keeps grad None."""
    import chaingrad.distributed as dist
    dist.init()
    r, w = dist.get_rank(), dist.get_world_size()
    cg.manual_seed(0)
    model = Branchy().double()
    ddp = dist.DistributedDataParallel(model, find_unused_parameters=True, bucket_cap_mb=0.0001)
    x = cg.tensor(np.ones((4, 3)))
    for _ in range(2):
        model.zero_grad()
        ddp(x, use_extra=(r == 0)).sum().backward()
        assert model.never.weight.grad is None
        # rank 0's local gradient of extra.bias is 4 per output (a batch of 4, d sum = 1)
        assert np.allclose(model.extra.bias.grad.numpy(), 4.0 / w), model.extra.bias.grad
        got = [cg.zeros(2, 3, dtype=cg.float64) for _ in range(w)]
        dist.all_gather(got, model.a.weight.grad)
        assert all(np.array_equal(g.numpy(), got[0].numpy()) for g in got)
    if r == 0:
        print("unused ok", flush=True)


def mode_fail(args):
    """Rank ``fail_rank`` fails at step 3 (``--how raise``: an exception; ``exit``: sys.exit(3);
    ``ddp``: an exception in the middle of DDP training) while the others go on."""
    import chaingrad.distributed as dist
    dist.init()
    r = dist.get_rank()
    if args.how == "mismatch":  # rank 1 builds another model: DDP must refuse on every rank
        model = make_model(0) if r != 1 else cg.nn.Linear(6, 3).double()
        dist.DistributedDataParallel(model)
        return
    if args.how == "ddp":
        ddp = dist.DistributedDataParallel(make_model(0), bucket_cap_mb=0.0005)
        x = cg.tensor(np.ones((4, 6)))
        for step in range(1000):
            if r == args.fail_rank and step == 3:
                raise RuntimeError(f"deliberate failure at step {step}")
            ddp(x).sum().backward()  # the healthy ranks would wait in Iallreduce forever
        return
    t = cg.ones(4)
    for step in range(100000):
        if r == args.fail_rank and step == 3:
            if args.how == "exit":
                sys.exit(3)
            raise RuntimeError(f"deliberate failure at step {step}")
        dist.all_reduce(t)  # the healthy ranks would wait here forever without the abort
        t = cg.ones(4)


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["ddp", "collectives", "fail", "unused"])
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--accum", type=int, default=1)
    p.add_argument("--bucket-mb", type=float, default=25.0)
    p.add_argument("--batchnorm", default=None)
    p.add_argument("--reverse", action="store_true")
    p.add_argument("--world", type=int, default=0)
    p.add_argument("--fail-rank", type=int, default=1)
    p.add_argument("--how", choices=["raise", "exit", "ddp", "mismatch"], default="raise")
    p.add_argument("--out", default="ddp.npz")
    args = p.parse_args(argv)
    {"ddp": mode_ddp, "collectives": mode_collectives, "fail": mode_fail,
     "unused": mode_unused}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
