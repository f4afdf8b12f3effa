"""Render a JSON report of ``python -m benchmarks`` as the Markdown tables of
``docs/performance.md``.

    python -m benchmarks.markdown bench-report.json
"""
from __future__ import annotations

import json
import sys


def _t(seconds, r):
    if r["unit"] == "us/op":
        return f"{seconds / r['ops_per_step'] * 1e6:.2f} us/op"
    return f"{seconds * 1e3:.1f} ms"


def render(rep) -> str:
    out = []
    threads = sorted(rep["runs"], key=int)
    names = []
    for t in threads:
        names += [n for n in rep["runs"][t] if n not in names]
    head = "| id | workload | target |"
    rule = "|---|---|---|"
    for t in threads:
        head += (f" chaingrad, {t} thr | torch, {t} thr | ratio {t} thr [p10-p90] |"
                 f" CPU-time ratio {t} thr |")
        rule += "---|---|---|---|"
    out += [head, rule]
    for n in names:
        r0 = next(rep["runs"][t][n] for t in threads if n in rep["runs"][t])
        row = f"| {n} | {r0['title']} | <= {r0['target']} |"
        for t in threads:
            r = rep["runs"][t].get(n)
            if not r or "ratio" not in r:
                row += " - | - | - | - |"
                continue
            cg, tt = r["libs"]["chaingrad"]["wall"], r["libs"]["torch"]["wall"]
            q = r["ratio"]
            row += (f" {_t(cg['median'], r)} | {_t(tt['median'], r)} | **{q['median']:.2f}** "
                    f"[{q['p10']:.2f}-{q['p90']:.2f}] | {r.get('cpu_ratio', 0):.2f} |")
        out.append(row)
    mem = rep.get("memory")
    if mem and "ratio" in mem:
        row = (f"| M | peak RSS of W3b, own process, import included | <= 1.0 | "
               f"{mem['chaingrad']['peak_mb']:.0f} MB | {mem['torch']['peak_mb']:.0f} MB | "
               f"**{mem['ratio']:.2f}** |")
        out.append(row + " |" * (4 * len(threads) - 3))
    out.append("")
    # achieved rate
    out.append("| id | GFLOP/step | " + " | ".join(
        f"chaingrad GFLOP/s {t} thr | torch GFLOP/s {t} thr" for t in threads) + " |")
    out.append("|---|---|" + "---|---|" * len(threads))
    for n in names:
        r0 = next(rep["runs"][t][n] for t in threads if n in rep["runs"][t])
        if not r0.get("flops_per_step"):
            continue
        row = f"| {n} | {r0['flops_per_step'] / 1e9:.2f} |"
        for t in threads:
            libs = rep["runs"][t].get(n, {}).get("libs", {})
            row += "".join(f" {libs.get(lib, {}).get('gflops', 0):.1f} |"
                           for lib in ("chaingrad", "torch"))
        out.append(row)
    peaks = rep.get("blas_peak_gflops", {})
    if peaks:
        out.append("| BLAS peak (NumPy float32 4096x4096 matmul) | |" + "".join(
            f" {peaks.get(t, 0):.0f} | |" for t in threads))
    return "\n".join(out)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0]) as f:
        print(render(json.load(f)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
