"""Statistics over rounds, the printed table and the JSON report."""
from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
import time


def percentile(values, q):
    """Linear-interpolated percentile (q in [0, 100]) of a non-empty list."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summary(values):
    return {"median": percentile(values, 50), "p10": percentile(values, 10),
            "p90": percentile(values, 90), "n": len(values)}


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return [float(v) for v in f.read().split()[:3]]
    except OSError:
        return None


def machine_info():
    info = {"platform": platform.platform(), "python": sys.version.split()[0],
            "cpus": os.cpu_count(), "time_utc": time.strftime("%Y-%m-%d %H:%M:%S",
                                                              time.gmtime())}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        keep = ("Model name", "CPU(s)", "Thread(s) per core", "Core(s) per socket", "L2 cache",
                "L3 cache", "Flags", "Hypervisor vendor")
        for line in out.splitlines():
            key, _, val = line.partition(":")
            if key.strip() in keep:
                val = val.strip()
                if key.strip() == "Flags":  # only the vector extensions matter here
                    val = " ".join(f for f in val.split()
                                   if f.startswith(("avx", "fma", "sse4")))
                info[key.strip()] = val
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        import numpy
        info["numpy"] = numpy.__version__
    except ImportError:
        pass
    info["env"] = {k: v for k, v in os.environ.items()
                   if k.startswith(("OPENBLAS", "OMP_", "MKL_", "MALLOC_", "GLIBC_TUN"))}
    return info


def _fmt_time(seconds, unit, ops):
    if seconds is None or seconds != seconds:
        return "-"
    if unit == "us/op":
        return f"{seconds / ops * 1e6:.2f}"
    return f"{seconds * 1e3:.1f}" if seconds < 10 else f"{seconds * 1e3:.0f}"


def _fmt_stats(st, unit, ops):
    if not st:
        return "-"
    return (f"{_fmt_time(st['median'], unit, ops)} "
            f"[{_fmt_time(st['p10'], unit, ops)}-{_fmt_time(st['p90'], unit, ops)}]")


def format_run(threads, run, blas=None):
    """The table of one thread count, as lines of text."""
    lines = [f"== {threads} thread(s)" + (f"; NumPy float32 matmul peak {blas:.0f} GFLOP/s"
                                          if blas else "")]
    head = (f"{'id':4} {'unit':6} {'chaingrad med [p10-p90]':>26} {'torch med [p10-p90]':>24} "
            f"{'ratio [p10-p90]':>20} {'target':>6} {'cpu-ratio':>9} {'GFLOP/s cg/t':>13} "
            f"{'peakMB cg/t':>12} {'rounds':>6} check")
    lines.append(head)
    for name, r in run.items():
        if "error" in r:
            lines.append(f"{name:4} error: {r['error']}")
            continue
        unit, ops = r["unit"], r.get("ops_per_step") or 1
        cg, tt = r["libs"].get("chaingrad", {}), r["libs"].get("torch", {})
        ratio = r.get("ratio")
        rtxt = (f"{ratio['median']:.2f} [{ratio['p10']:.2f}-{ratio['p90']:.2f}]"
                if ratio else "-")
        cpu = r.get("cpu_ratio")
        gf = "/".join(f"{x['gflops']:.1f}" if x.get("gflops") else "-" for x in (cg, tt))
        mem = "/".join(f"{x['peak_mb']:.0f}" if x.get("peak_mb") else "-" for x in (cg, tt))
        check = r.get("check", {}).get("status", "-")
        if r.get("base_ratio"):
            b = r["base_ratio"]
            check += (f"; vs base {b['median']:.2f} [{b['p10']:.2f}-{b['p90']:.2f}]"
                      f" cpu {r['base_cpu_ratio']:.2f}")
        lines.append(
            f"{name:4} {unit:6} {_fmt_stats(cg.get('wall'), unit, ops):>26} "
            f"{_fmt_stats(tt.get('wall'), unit, ops):>24} {rtxt:>20} {r['target']:>6} "
            f"{(f'{cpu:.2f}' if cpu else '-'):>9} {gf:>13} {mem:>12} {r.get('rounds', 0):>6} "
            f"{check}")
        for lib in ("chaingrad", "torch", "base"):
            if r["libs"].get(lib, {}).get("error"):
                lines.append(f"     {lib}: {r['libs'][lib]['error']}")
    return lines


def format_memory(mem):
    if not mem:
        return []
    cg, tt = mem.get("chaingrad", {}), mem.get("torch", {})
    parts = [f"{lib} {m['peak_mb']:.0f} MB" if "peak_mb" in m else f"{lib} {m.get('error')}"
             for lib, m in (("chaingrad", cg), ("torch", tt)) if m]
    line = "M   peak RSS of W3b, own process, import included: " + ", ".join(parts)
    if mem.get("ratio"):
        line += f"; ratio {mem['ratio']:.2f} (target <= 1.0)"
    return [line]


def write_json(path, report):
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)
    os.replace(tmp, path)
