"""Where the time of a workload goes: cProfile (Python level) and perf (native level).

    python -m benchmarks.profiling W2                    # cProfile of chaingrad, 10 steps
    python -m benchmarks.profiling W3b --steps 5 --perf  # + perf: share of BLAS vs the rest
    python -m benchmarks.profiling W2 --perf --lib torch # the same breakdown for PyTorch

cProfile shows the Python functions (ops' forward/backward, the engine, the optimizer) by
their own time. It cannot see inside NumPy: a matrix product written ``a @ b`` is charged to
the function that wrote it. ``--perf`` therefore also attaches Linux ``perf`` to a benchmark
worker for the timed steps only (after build and warm-up) and splits the samples by shared
object: the OpenBLAS library is the matrix products, NumPy's ``_multiarray_umath`` the
element-wise work and copies, ``libpython`` the interpreter (framework overhead), the kernel
mostly page faults of fresh allocations.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from .harness import WorkerProc

# shared object -> what it stands for in the breakdown
_CATEGORIES = (
    ("openblas", "BLAS (matrix products)"),
    ("blas", "BLAS (matrix products)"),
    ("mkl", "BLAS (matrix products)"),
    ("dnnl", "oneDNN (conv/matmul kernels)"),
    ("_multiarray_umath", "NumPy element-wise/copies/reductions"),
    ("libtorch_cpu", "libtorch (ATen kernels, autograd)"),
    ("libtorch_python", "torch Python bindings"),
    ("libpython", "Python interpreter"),
    ("python3", "Python interpreter"),
    ("kernel", "kernel (page faults, scheduling)"),
    ("libc.so", "libc (memcpy/memset/malloc)"),
    ("libgomp", "OpenMP runtime"),
    ("libm.so", "libm"),
)


def _category(dso):
    low = dso.lower()
    for key, name in _CATEGORIES:
        if key in low:
            return name
    return "other: " + dso


def cprofile_workload(name, steps=10, warmup=3, tiny=False, top=25, threads=1, cpu=True):
    """cProfile of ``steps`` chaingrad steps; ``cpu``: charge process CPU time, not wall time
    (on a shared machine wall time also counts the time other processes held the core)."""
    import chaingrad as L
    from .workloads import WORKLOADS
    L.set_num_threads(threads)
    bench, _ = WORKLOADS[name].build(L, tiny=tiny)
    for _ in range(warmup):
        bench.step()
    prof = cProfile.Profile(time.process_time) if cpu else cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for _ in range(steps):
        bench.step()
    prof.disable()
    wall = (time.perf_counter() - t0) / steps
    buf = io.StringIO()
    st = pstats.Stats(prof, stream=buf)
    st.sort_stats("tottime").print_stats(top)
    text = buf.getvalue()
    # keep the table, drop pstats' preamble
    text = text[text.find("   ncalls"):] if "   ncalls" in text else text
    return wall, text


def perf_workload(name, lib="chaingrad", steps=10, warmup=3, tiny=False, threads=1,
                  freq=1999):
    """Run ``steps`` steps of a workload in a worker with ``perf record`` attached."""
    if shutil.which("perf") is None:
        raise RuntimeError("perf is not installed (apt-get install linux-perf)")
    w = WorkerProc(lib)
    try:
        w.call("init", threads=threads)
        w.call("setup", workload=name, tiny=tiny, check_steps=1)
        w.call("time", reps=warmup)
        data = tempfile.mktemp(suffix=".perf.data")
        rec = subprocess.Popen(["perf", "record", "-F", str(freq), "-p", str(w.proc.pid),
                                "-o", data], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        time.sleep(0.5)  # let perf attach
        t = w.call("time", reps=steps)
        rec.send_signal(signal.SIGINT)
        rec.wait(timeout=60)
    finally:
        w.close()
    out = subprocess.run(["perf", "report", "-i", data, "--sort", "dso", "--stdio",
                          "--percent-limit", "0.1"], capture_output=True, text=True).stdout
    syms = subprocess.run(["perf", "report", "-i", data, "--sort", "dso,symbol", "--stdio",
                           "--percent-limit", "1"], capture_output=True, text=True).stdout
    os.unlink(data)
    by_dso = {}
    for line in out.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+(.+?)\s*$", line)
        if m:
            by_dso[m.group(2)] = float(m.group(1))
    by_cat = {}
    for dso, pct in by_dso.items():
        cat = _category(dso)
        by_cat[cat] = by_cat.get(cat, 0.0) + pct
    top_syms = [ln.rstrip() for ln in syms.splitlines()
                if re.match(r"\s+[\d.]+%", ln)][:20]
    return {"wall": t["wall"], "cpu": t["cpu"], "by_category": by_cat, "by_dso": by_dso,
            "top_symbols": top_syms}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.profiling")
    p.add_argument("workload", help="W1 W2 W3a W3b W4")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--tiny", action="store_true")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--lib", default="chaingrad", choices=["chaingrad", "torch"])
    p.add_argument("--perf", action="store_true", help="also split native time with perf")
    p.add_argument("--no-cprofile", dest="cprofile", action="store_false")
    p.add_argument("--wall", action="store_true",
                   help="cProfile charges wall time (default: process CPU time)")
    a = p.parse_args(argv)
    if a.cprofile and a.lib == "chaingrad":
        wall, text = cprofile_workload(a.workload, a.steps, a.warmup, a.tiny, a.top, a.threads,
                                       cpu=not a.wall)
        print(f"== cProfile ({'wall' if a.wall else 'CPU'} time), chaingrad {a.workload}: "
              f"{wall * 1e3:.1f} ms/step wall under the profiler, {a.threads} thread(s)\n{text}")
    if a.perf:
        r = perf_workload(a.workload, a.lib, a.steps, a.warmup, a.tiny, a.threads)
        print(f"== perf, {a.lib} {a.workload}: {r['wall'] * 1e3:.1f} ms/step wall, "
              f"{r['cpu'] * 1e3:.1f} ms/step CPU, {a.threads} thread(s)")
        for cat, pct in sorted(r["by_category"].items(), key=lambda kv: -kv[1]):
            print(f"  {pct:6.1f}%  {cat}")
        print("  top symbols:")
        for s in r["top_symbols"]:
            print("  " + s.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
