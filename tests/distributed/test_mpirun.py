"""Real multi-process runs under ``mpirun``: collectives, DDP == one process, rank failure."""
from __future__ import annotations

import numpy as np
import pytest

from .mpirun import mpirun, requires_mpi
from .mpi_worker import make_data, make_model, train

pytestmark = [requires_mpi, pytest.mark.mpi]


def _fail_message(proc):
    return f"exit {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"


@pytest.mark.parametrize("n", [2, 4])
def test_collectives(n):
    proc = mpirun(n, "collectives", "--world", n)
    assert proc.returncode == 0, _fail_message(proc)
    assert "collectives ok" in proc.stdout


def _reference(steps, batch, batchnorm=None, reverse=False):
    """One process, the global batch (SyncBatchNorm in a world of one is BatchNorm)."""
    import chaingrad.distributed as dist
    dist.destroy_process_group()
    dist.init(backend="local")
    try:
        model = make_model(100, batchnorm, reverse)
        train(model, make_data(steps, batch))
    finally:
        dist.destroy_process_group()
    return {n: p._array for n, p in model.state_dict().items()}


@pytest.mark.parametrize("n, accum, bucket_mb, reverse", [(2, 1, 0.0005, False),
                                                          (4, 2, 0.0005, True),
                                                          (2, 1, 25, False)])
def test_ddp_matches_single_process(n, accum, bucket_mb, reverse, tmp_path):
    """N steps on W ranks with global batch B == N steps of one process with batch B, from
    the same initial weights (the ranks start from different ones; DDP broadcasts rank 0's)."""
    steps, batch = 4, 16
    out = tmp_path / "ddp.npz"
    proc = mpirun(n, "ddp", "--steps", steps, "--batch", batch, "--accum", accum,
                  "--bucket-mb", bucket_mb, "--out", out, *(["--reverse"] if reverse else []))
    assert proc.returncode == 0, _fail_message(proc)
    got = np.load(out)
    want = _reference(steps, batch, reverse=reverse)
    initial = {n: p._array for n, p in make_model(100, reverse=reverse).state_dict().items()}
    assert set(got.files) == set(want)
    for name, w in want.items():
        assert not np.allclose(w, initial[name])  # training really moved the weights
        np.testing.assert_allclose(got[name], w, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("n", [pytest.param(2, marks=pytest.mark.slow), 4])
def test_ddp_with_sync_batchnorm_matches_single_process(n, tmp_path):
    """SyncBatchNorm: the batch statistics (and their gradients) span all ranks, so W ranks
    with batch B/W train exactly like one process with batch B, running statistics included."""
    steps, batch = 3, 16
    out = tmp_path / "ddp.npz"
    proc = mpirun(n, "ddp", "--steps", steps, "--batch", batch, "--batchnorm", "sync",
                  "--bucket-mb", 0.0005, "--out", out)
    assert proc.returncode == 0, _fail_message(proc)
    got = np.load(out)
    want = _reference(steps, batch, "sync")
    assert "1.running_mean" in want
    for name, w in want.items():
        np.testing.assert_allclose(got[name], w, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("n", [pytest.param(2, marks=pytest.mark.slow), 3])
def test_find_unused_parameters_across_ranks(n):
    proc = mpirun(n, "unused")
    assert proc.returncode == 0, _fail_message(proc)
    assert "unused ok" in proc.stdout


def test_ddp_with_plain_batchnorm_uses_local_statistics(tmp_path):
    """The documented choice: plain BatchNorm normalises each rank's shard with the shard's
    own statistics (as PyTorch DDP). So W ranks equal one process that runs the model on each
    shard separately and averages the W losses ("ghost" batch norm), not one big batch."""
    steps, batch, n = 3, 16, 2
    out = tmp_path / "ddp.npz"
    proc = mpirun(n, "ddp", "--steps", steps, "--batch", batch, "--batchnorm", "bn",
                  "--out", out)
    assert proc.returncode == 0, _fail_message(proc)
    got = np.load(out)
    import chaingrad as cg
    model = make_model(100, "bn")
    opt = cg.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for x, y in make_data(steps, batch):
        opt.zero_grad()
        b = batch // n
        loss = sum(((model(cg.tensor(x[r * b:(r + 1) * b])) - cg.tensor(y[r * b:(r + 1) * b]))
                    ** 2).mean() for r in range(n)) / n
        loss.backward()
        opt.step()
    whole = _reference(steps, batch, "sync")
    for name, p in model.named_parameters():
        np.testing.assert_allclose(got[name], p._array, rtol=1e-10, atol=1e-12, err_msg=name)
    assert not np.allclose(got["0.weight"], whole["0.weight"])  # not the global-batch result


@pytest.mark.parametrize("n, how", [pytest.param(2, "raise", marks=pytest.mark.slow), (4, "ddp"),
                                    (2, "exit"), (2, "mismatch")])
def test_rank_failure_aborts_the_job(n, how):
    """Rank 1 fails while the others wait in a collective: the job must end, non-zero, saying
    which rank failed and why (a hang raises TimeoutExpired and kills the job)."""
    proc = mpirun(n, "fail", "--fail-rank", 1, "--how", how, timeout=60,
                  env={"CHAINGRAD_DIST_EXIT_GRACE": "1"})
    assert proc.returncode != 0, _fail_message(proc)
    if how == "exit":
        assert f"rank 1/{n} exited with status 3 while other ranks" in proc.stderr, \
            _fail_message(proc)
    elif how == "mismatch":
        assert "hold a model whose parameter names/shapes/dtypes differ" in proc.stderr, \
            _fail_message(proc)
    else:
        assert f"rank 1/{n} failed with an uncaught RuntimeError" in proc.stderr, \
            _fail_message(proc)
        assert "deliberate failure at step 3" in proc.stderr, _fail_message(proc)
