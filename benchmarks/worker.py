"""A long-lived benchmark worker: one process per library, driven over stdin/stdout.

    python -m benchmarks.worker chaingrad|torch [PATH]

PATH (optional): import the library from that source checkout instead (a baseline chaingrad
for before/after comparisons).

Each line on stdin is a JSON command, each answer one JSON line on stdout (the library's own
prints are sent to stderr). Keeping one process per library for the whole run means each
library has its own thread pools, allocator and peak memory, and the harness can alternate
between the two without either one's caches being flushed by the other's work in between.

Commands: init(threads), setup(workload, tiny, seed, check_steps), time(reps),
mem_reset, mem_peak, blas(n, repeat), teardown, exit.
"""
from __future__ import annotations

import gc
import importlib
import json
import os
import sys
import time
import traceback


def vm_hwm_mb():
    """Peak resident set size of this process in MB (VmHWM, resettable), else ru_maxrss."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def reset_hwm() -> bool:
    """Reset the peak-RSS counter (Linux: write 5 to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _malloc_trim():
    """Give freed heap memory back to the kernel (glibc), so that the next workload's peak
    memory does not depend on what ran before it in this worker."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def blas_info():
    try:
        from threadpoolctl import threadpool_info
        return [{k: i.get(k) for k in ("user_api", "internal_api", "num_threads", "version",
                                       "architecture", "threading_layer")}
                for i in threadpool_info()]
    except ImportError:
        return []


class Worker:
    def __init__(self, lib_name, path=None):
        self.lib_name = lib_name
        if path:
            sys.path.insert(0, os.path.abspath(path))
        self.L = importlib.import_module(lib_name)
        self.path = os.path.dirname(os.path.dirname(os.path.abspath(self.L.__file__)))
        self.bench = None
        self.spec = None

    # -- commands --------------------------------------------------------------------------
    def init(self, threads):
        L = self.L
        if self.lib_name == "torch":
            L.set_num_threads(threads)
            effective = L.get_num_threads()
        else:
            L.set_num_threads(threads)
            effective = L.get_num_threads()
        return {"lib": self.lib_name, "version": getattr(L, "__version__", "?"),
                "threads": effective, "blas": blas_info(), "pid": os.getpid(),
                "path": self.path,
                "env": {k: v for k, v in os.environ.items()
                        if k.startswith(("OPENBLAS", "OMP_", "MKL_", "MALLOC_", "GLIBC_TUN"))}}

    def setup(self, workload, tiny=False, seed=0, check_steps=2):
        from .workloads import WORKLOADS
        self.teardown()
        self.spec = WORKLOADS[workload]
        t0 = time.perf_counter()
        self.bench, signature = self.spec.build(self.L, tiny=tiny, seed=seed)
        build_s = time.perf_counter() - t0
        losses, dtypes = [], set()
        for _ in range(check_steps):
            loss = self.bench.step()
            dtypes.add(str(loss.dtype).replace("torch.", "").replace("chaingrad.", ""))
            losses.append(float(loss.item()))
        self.bench.start_timing()
        if self.bench.model is not None:
            for p in self.bench.model.parameters():
                for t in (p, p.grad):
                    if t is not None:
                        dtypes.add(str(t.dtype).replace("torch.", "").replace("chaingrad.", ""))
        return {"losses": losses, "dtypes": sorted(dtypes), "signature": signature,
                "build_s": build_s}

    def time(self, reps):
        step = self.bench.step
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(reps):
            step()
        t1, c1 = time.perf_counter(), time.process_time()
        return {"wall": (t1 - t0) / reps, "cpu": (c1 - c0) / reps}

    def last_loss(self):
        return {"loss": float(self.bench.step().item())}

    def mem_reset(self):
        gc.collect()
        return {"reset": reset_hwm(), "rss_mb": vm_hwm_mb()}

    def mem_peak(self):
        return {"peak_mb": vm_hwm_mb()}

    def blas(self, n=4096, repeat=3):
        """Best float32 ``n x n`` matmul rate through NumPy, GFLOP/s."""
        import numpy as np
        rng = np.random.default_rng(0)
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        out = np.empty((n, n), dtype=np.float32)
        np.matmul(a, b, out=out)  # warm-up: thread start, page faults
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            np.matmul(a, b, out=out)
            best = min(best, time.perf_counter() - t0)
        return {"gflops": 2.0 * n ** 3 / best / 1e9, "seconds": best, "n": n}

    def teardown(self):
        self.bench = None
        self.spec = None
        gc.collect()
        _malloc_trim()
        return {}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)               # the libraries' own prints must not corrupt the protocol
    sys.stdout = sys.stderr
    try:
        worker = Worker(argv[0], argv[1] if len(argv) > 1 else None)
        proto.write(json.dumps({"ready": True}) + "\n")
    except Exception as exc:  # noqa: BLE001 - report, the harness decides
        proto.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
        return 1
    for line in sys.stdin:
        msg = json.loads(line)
        cmd = msg.pop("cmd")
        if cmd == "exit":
            break
        try:
            result = getattr(worker, cmd)(**msg)
        except Exception as exc:  # noqa: BLE001
            result = {"error": f"{type(exc).__name__}: {exc}",
                      "traceback": traceback.format_exc(limit=6)}
        proto.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
