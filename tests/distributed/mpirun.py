"""Start ``tests/distributed/mpi_worker.py`` under a real ``mpirun`` (timeout-bounded)."""
from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import signal
import subprocess
import sys

import pytest

WORKER = os.path.join(os.path.dirname(__file__), "mpi_worker.py")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MPIRUN = shutil.which("mpirun") or shutil.which("mpiexec")
HAVE_MPI = MPIRUN is not None and importlib.util.find_spec("mpi4py") is not None

requires_mpi = pytest.mark.skipif(not HAVE_MPI, reason="needs mpirun and mpi4py "
                                  "(apt-get install openmpi-bin libopenmpi-dev; pip install mpi4py)")


@functools.lru_cache(maxsize=None)
def _is_open_mpi() -> bool:
    out = subprocess.run([MPIRUN, "--version"], capture_output=True, text=True, timeout=30)
    return "Open MPI" in out.stdout + out.stderr


def mpi_env(extra=None):
    env = dict(os.environ, **(extra or {}))
    # Open MPI refuses root without these; one BLAS thread per rank on a small machine
    env.setdefault("OMPI_MCA_btl_vader_single_copy_mechanism", "none")  # no ptrace in containers
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=ROOT + os.pathsep + env.get("PYTHONPATH", ""))
    return env


def mpirun_cmd(n, program):
    cmd = [MPIRUN, "-n", str(n)]
    if _is_open_mpi():
        cmd.append("--oversubscribe")  # more ranks than cores is fine for tests
    return cmd + list(program)


def mpirun(n, *args, timeout=90, cwd=None, env=None):
    """Run the worker on ``n`` ranks; returns the CompletedProcess (never hangs the tests)."""
    return run(mpirun_cmd(n, [sys.executable, WORKER, *map(str, args)]), timeout, cwd, env)


def run(cmd, timeout=90, cwd=None, env=None):
    """Run ``cmd`` in its own process group; on timeout kill the whole group (mpirun and
    every rank) and raise ``subprocess.TimeoutExpired``."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=mpi_env(env), cwd=cwd or ROOT, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)
