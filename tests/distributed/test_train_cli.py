"""``mpirun -n 2 chaingrad train --distributed``: rank 0 alone prints and writes, the run
stops and resumes, and the resumed run ends with the same weights as an uninterrupted one."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from .mpirun import mpirun_cmd, requires_mpi, run

pytestmark = [requires_mpi, pytest.mark.mpi]
pytest.importorskip("sklearn")  # the small bundled 'digits' data set

ARGS = ["train", "--distributed", "--dataset", "digits", "--model", "mlp", "--epochs", "2",
        "--batch-size", "32", "--limit", "512", "--test-limit", "100", "--threads", "1"]


def _train(n, *extra, timeout=150):
    cmd = mpirun_cmd(n, [sys.executable, "-m", "chaingrad.cli.main", *ARGS, *map(str, extra)])
    proc = run(cmd, timeout=timeout)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _weights(path):
    import chaingrad as cg
    return {k: np.asarray(v) for k, v in cg.load(str(path))["model"].items()}


def _stop_and_resume(tmp_path):
    out = tmp_path / "run"
    first = _train(2, "--out", out, "--stop-after-steps", 10)  # 8 steps per epoch per rank
    assert first.stdout.count("chaingrad train:") == 1          # rank 0 alone prints
    assert "chaingrad.distributed: 2 ranks" in first.stdout
    assert (out / "interrupted.ckpt").exists()
    second = _train(2, "--resume", out / "interrupted.ckpt")
    assert second.stdout.count("test accuracy") == 1
    for name in ("final.ckpt", "best.ckpt", "metrics.csv", "summary.json"):
        assert (out / name).exists(), name
    weights = _weights(out / "final.ckpt")
    assert not any(k.startswith("module.") for k in weights)  # a plain model checkpoint
    return weights


def test_distributed_train_stop_and_resume(tmp_path):
    _stop_and_resume(tmp_path)


@pytest.mark.slow
def test_distributed_resume_is_exact(tmp_path):
    resumed = _stop_and_resume(tmp_path)
    _train(2, "--out", tmp_path / "straight")
    straight = _weights(tmp_path / "straight" / "final.ckpt")
    assert set(resumed) == set(straight)
    for k in straight:
        np.testing.assert_array_equal(resumed[k], straight[k], err_msg=k)


@pytest.mark.slow
def test_distributed_train_four_ranks(tmp_path):
    proc = _train(4, "--out", tmp_path / "run4")
    assert proc.stdout.count("chaingrad train:") == 1
    assert "chaingrad.distributed: 4 ranks" in proc.stdout
    assert (tmp_path / "run4" / "final.ckpt").exists()


def test_resume_on_another_number_of_ranks_replans_the_onecycle_schedule(tmp_path):
    # 2 ranks: 8 steps per epoch; resumed alone: 16, so the onecycle plan (16 steps) is
    # stretched to the 10 steps taken + 14 left instead of running out mid-run
    import subprocess
    out = tmp_path / "run"
    _train(2, "--out", out, "--stop-after-steps", 10)
    proc = subprocess.run([sys.executable, "-m", "chaingrad.cli.main", "train", "--resume",
                           str(out / "interrupted.ckpt")], capture_output=True, text=True,
                          timeout=150)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "re-planned for 24 steps (was 16)" in proc.stdout
    import chaingrad as cg
    ck = cg.load(str(out / "final.ckpt"))
    assert ck["scheduler"]["last_epoch"] == 24
    assert ck["scheduler"]["total_steps"] == 24


def _children(pid):
    """Process ids whose parent is ``pid`` (the ranks mpirun started)."""
    import os
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        kids.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return kids


def test_sigterm_to_every_rank_saves_a_resumable_checkpoint(tmp_path):
    # what mpirun does on Ctrl-C: SIGTERM to every rank (then SIGKILL about a second later;
    # sent here directly, so the test does not depend on that race). The ranks agree to stop
    # after the same step and rank 0 saves interrupted.ckpt; the run then resumes to the end.
    import os
    import signal
    import subprocess
    import time
    from .mpirun import mpi_env, ROOT
    out = tmp_path / "run"
    args = [a if a != "2" else "200" for a in ARGS]  # 200 epochs: still running when stopped
    cmd = mpirun_cmd(2, [sys.executable, "-m", "chaingrad.cli.main", *args, "--out", str(out)])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=mpi_env(), cwd=ROOT, start_new_session=True)
    try:
        deadline = time.time() + 120
        while not (out / "metrics.csv").exists() and time.time() < deadline:
            time.sleep(0.2)  # until the first epoch is done: training is under way
        assert (out / "metrics.csv").exists(), "training did not start"
        ranks = [k for k in _children(proc.pid)
                 if "chaingrad.cli.main" in open(f"/proc/{k}/cmdline").read()]
        assert len(ranks) == 2, ranks
        for k in ranks:
            os.kill(k, signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert (out / "interrupted.ckpt").exists(), stdout[-600:] + "\n---\n" + stderr[-3000:]
    assert "resumable checkpoint saved" in stdout
    import chaingrad as cg
    ck = cg.load(str(out / "interrupted.ckpt"))
    assert 1 <= ck["epoch"] < 200 and ck["step"] > 0
