"""The side-by-side harness: chaingrad and PyTorch, alternately, round after round.

For each thread count, one long-lived worker process per library (``benchmarks.worker``) is
started and told its thread count. For each workload both workers build it from the same
NumPy weights and data and run two checked steps (the losses of the initial weights and of the
weights after one optimizer step must agree); then warm-up; then rounds: in every round each
library runs the same number of steps, the order alternating between rounds, and the per-step
time of each is recorded. The paired ratio is the median over rounds of
``chaingrad time / torch time`` of the same round, which cancels most of the drift of a shared
machine. Only one worker computes at any moment; the other waits on its pipe.

Peak memory per workload is each worker's VmHWM, reset before the timed rounds (it includes
the library and the interpreter). M, the issue's memory figure, is measured separately in a
fresh process per library (``benchmarks.memory``).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time

from . import report as _report

ALL = ("W1", "W2", "W3a", "W3b", "W4", "M")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class WorkerError(RuntimeError):
    pass


class WorkerProc:
    """The harness's end of one ``benchmarks.worker`` process."""

    def __init__(self, lib, env=None, path=None):
        self.lib = lib
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = ROOT + os.pathsep + full_env.get("PYTHONPATH", "")
        full_env.update(env or {})
        self.proc = subprocess.Popen([sys.executable, "-m", "benchmarks.worker", lib]
                                     + ([path] if path else []),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, cwd=ROOT, env=full_env)
        self._read()

    def _read(self):
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait(timeout=30)
            raise WorkerError(f"{self.lib} worker exited (status {code})")
        res = json.loads(line)
        if "error" in res:
            raise WorkerError(res["error"] + ("\n" + res["traceback"]
                                              if res.get("traceback") else ""))
        return res

    def call(self, cmd, **kw):
        self.proc.stdin.write(json.dumps({"cmd": cmd, **kw}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self):
        try:
            self.proc.stdin.write(json.dumps({"cmd": "exit"}) + "\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


def available_libs(wanted):
    import importlib.util
    return [lib for lib in wanted if importlib.util.find_spec(lib) is not None]


def _losses_agree(a, b, rtol):
    return all(abs(x - y) <= rtol * max(1.0, abs(x), abs(y)) for x, y in zip(a, b))


def run_workload(name, workers, opts, log, budget=None):
    from .workloads import WORKLOADS
    spec = WORKLOADS[name]
    res = {"title": spec.title, "target": spec.target, "unit": spec.unit,
           "ops_per_step": spec.ops_per_step(opts.tiny) if spec.ops_per_step else None,
           "libs": {}, "loadavg_start": _report.loadavg()}
    flops = spec.flops(opts.tiny) if spec.flops else None
    res["flops_per_step"] = flops
    active = {}
    for lib, w in workers.items():
        try:
            info = w.call("setup", workload=name, tiny=opts.tiny, seed=opts.seed,
                          check_steps=2)
            res["libs"][lib] = {"losses": info["losses"], "dtypes": info["dtypes"],
                                "build_s": info["build_s"]}
            res["libs"][lib]["_sig"] = info["signature"]
            active[lib] = w
        except WorkerError as exc:
            res["libs"][lib] = {"error": str(exc).splitlines()[0]}
            log(f"  {name} {lib}: {exc}")
    # the two libraries must compute the same thing
    check = {"status": "-"}
    if "chaingrad" in active and "torch" in active:
        cg, tt = res["libs"]["chaingrad"], res["libs"]["torch"]
        if cg.pop("_sig") != tt.pop("_sig"):
            check = {"status": "PARAMS DIFFER"}
        elif _losses_agree(cg["losses"], tt["losses"], opts.rtol):
            check = {"status": "ok"}
        else:
            check = {"status": "LOSS DIFFERS"}
        check["losses"] = {"chaingrad": cg["losses"], "torch": tt["losses"]}
        if any(d not in ("float32",) for d in cg["dtypes"]):
            check["status"] += f" (chaingrad dtypes {cg['dtypes']})"
    for r in res["libs"].values():
        r.pop("_sig", None)
    res["check"] = check
    if not active:
        return res
    # warm-up, and an estimate of one step to size the rounds
    est = {}
    for lib, w in active.items():
        est[lib] = w.call("time", reps=opts.warmup)["wall"]
    fast, slow = min(est.values()), max(est.values())
    reps = 1 if opts.tiny else max(1, min(math.ceil(opts.round_time / max(fast, 1e-9)),
                                          math.floor(2.0 / max(slow, 1e-9))))
    res["reps_per_round"] = reps
    budget = opts.budget if budget is None else budget
    res["budget_s"] = budget
    for w in active.values():
        w.call("mem_reset")
    samples = {lib: {"wall": [], "cpu": []} for lib in active}
    order = list(active)
    t_start, rounds = time.perf_counter(), 0
    while True:
        if opts.rounds:
            if rounds >= opts.rounds:
                break
        elif rounds >= opts.min_rounds and (time.perf_counter() - t_start > budget
                                            or rounds >= opts.max_rounds):
            break
        k = rounds % len(order)  # rotate who goes first
        for lib in (order[k:] + order[:k]):
            t = active[lib].call("time", reps=reps)
            samples[lib]["wall"].append(t["wall"])
            samples[lib]["cpu"].append(t["cpu"])
        rounds += 1
    res["rounds"] = rounds
    for lib, w in active.items():
        r = res["libs"][lib]
        r["wall"] = _report.summary(samples[lib]["wall"])
        r["cpu"] = _report.summary(samples[lib]["cpu"])
        r["samples_wall"] = samples[lib]["wall"]
        r["peak_mb"] = w.call("mem_peak")["peak_mb"]
        if flops:
            r["gflops"] = flops / r["wall"]["median"] / 1e9
        r["final_loss"] = w.call("last_loss")["loss"]
        if not math.isfinite(r["final_loss"]):
            check["status"] += f" ({lib} loss not finite)"
        w.call("teardown")
    for other, key in (("torch", ""), ("base", "base_")):
        if "chaingrad" in active and other in active:
            cw, tw = samples["chaingrad"]["wall"], samples[other]["wall"]
            res[key + "ratio"] = _report.summary([a / b for a, b in zip(cw, tw)])
            cc, tc = samples["chaingrad"]["cpu"], samples[other]["cpu"]
            res[key + "cpu_ratio"] = _report.percentile(
                [a / b for a, b in zip(cc, tc) if b > 0], 50)
    res["loadavg_end"] = _report.loadavg()
    return res


def run_memory(libs, opts, log):
    out = {}
    for lib in libs:
        env = dict(os.environ)
        env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
        env.update(_worker_env(opts, lib))
        cmd = [sys.executable, "-m", "benchmarks.memory", lib, "--threads",
               str(opts.threads[0])] + (["--tiny", "--steps", "1"] if opts.tiny else [])
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env,
                           timeout=600)
        if p.returncode != 0:
            err = (p.stderr.strip().splitlines() or ["failed"])[-1]
            out[lib] = {"error": err}
            log(f"  M {lib}: {err}")
        else:
            out[lib] = json.loads(p.stdout.strip().splitlines()[-1])
    if "peak_mb" in out.get("chaingrad", {}) and "peak_mb" in out.get("torch", {}):
        out["ratio"] = out["chaingrad"]["peak_mb"] / out["torch"]["peak_mb"]
    out["target"] = 1.0
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-w", "--workloads", nargs="+", default=list(ALL), metavar="ID",
                   help=f"workloads to run, from {' '.join(ALL)} (default: all)")
    p.add_argument("--threads", nargs="+", type=int, default=[1, 2], metavar="N",
                   help="thread counts to measure (default: 1 2)")
    p.add_argument("--rounds", type=int, default=None,
                   help="exact number of rounds per workload (default: as many as --budget "
                        "allows, at least --min-rounds)")
    p.add_argument("--budget", type=float, default=18.0,
                   help="seconds of timed rounds per workload and thread count (default 18)")
    p.add_argument("--max-total", type=float, default=540,
                   help="seconds the whole run aims to stay under: the per-workload budget "
                        "shrinks when it runs late (default 540)")
    p.add_argument("--min-rounds", type=int, default=5)
    p.add_argument("--max-rounds", type=int, default=300)
    p.add_argument("--round-time", type=float, default=0.15,
                   help="seconds the faster library spends per round (default 0.15)")
    p.add_argument("--warmup", type=int, default=3, help="warm-up steps (after 2 checked)")
    p.add_argument("--libs", nargs="+", default=["chaingrad", "torch"],
                   choices=["chaingrad", "torch"])
    p.add_argument("--tiny", action="store_true", help="tiny sizes (smoke test)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rtol", type=float, default=1e-3,
                   help="relative tolerance of the loss check (default 1e-3)")
    p.add_argument("--no-blas", dest="blas", action="store_false",
                   help="skip the NumPy float32 matmul peak")
    p.add_argument("--blas-n", type=int, default=4096)
    p.add_argument("--json", default="bench-report.json", metavar="PATH",
                   help="where to write the JSON report (default bench-report.json)")
    p.add_argument("--baseline", metavar="PATH", default=None,
                   help="also time the chaingrad of another source checkout ('base'), for "
                        "before/after comparisons (ratio chaingrad/base per round)")
    p.add_argument("--env", nargs="+", default=[], metavar="KEY=VAL",
                   help="environment for both libraries' workers, e.g. OPENBLAS_CORETYPE=Haswell")
    p.add_argument("--cg-env", nargs="+", default=[], metavar="KEY=VAL",
                   help="environment for chaingrad's worker only, not torch's nor the "
                        "baseline's (an experiment; say so)")
    p.add_argument("-q", "--quiet", action="store_true")


def _budget(opts, t0, left_here, threads):
    """Seconds of rounds for the next workload: --budget, less when the run is late for its
    --max-total (the rounds take about half of each workload's time)."""
    later = opts.threads[opts.threads.index(threads) + 1:]
    left = left_here + len(later) * left_here  # workloads still to run, roughly
    remaining = opts.max_total - (time.perf_counter() - t0) - (40 if "M" in opts.workloads
                                                                 else 0)
    return max(1.0, min(opts.budget, 0.5 * remaining / max(left, 1)))


def _worker_env(opts, lib):
    env = {}
    for item in list(opts.env) + (list(opts.cg_env) if lib == "chaingrad" else []):
        key, sep, val = item.partition("=")
        if not sep or not key:
            raise ValueError(f"environment setting must be KEY=VAL, got {item!r}")
        env[key] = val
    return env


def run(opts) -> dict:
    log = (lambda *a: None) if opts.quiet else (lambda *a: print(*a, flush=True))
    unknown = [w for w in opts.workloads if w not in ALL]
    if unknown:
        raise ValueError(f"unknown workload(s) {unknown}; choose from {list(ALL)}")
    libs = available_libs(opts.libs)
    missing = sorted(set(opts.libs) - set(libs))
    if missing:
        log(f"not installed, skipped: {', '.join(missing)}")
    t0 = time.perf_counter()
    rep = {"meta": _report.machine_info(), "options": vars(opts).copy(), "runs": {},
           "blas_peak_gflops": {}, "workers": {}}
    rep["options"].pop("run", None)
    log(f"chaingrad benchmarks: {', '.join(opts.workloads)}; threads {opts.threads}; "
        f"libs {libs}")
    timed = [w for w in opts.workloads if w != "M"]
    for threads in opts.threads:
        workers = {}
        try:
            for lib in libs + (["base"] if opts.baseline else []):
                if lib == "base":
                    workers[lib] = WorkerProc("chaingrad", _worker_env(opts, "base"),
                                              path=opts.baseline)
                else:
                    workers[lib] = WorkerProc(lib, _worker_env(opts, lib))
                rep["workers"].setdefault(str(threads), {})[lib] = workers[lib].call(
                    "init", threads=threads)
            if opts.blas and "chaingrad" in workers:
                b = workers["chaingrad"].call("blas", n=opts.blas_n)
                rep["blas_peak_gflops"][str(threads)] = b["gflops"]
            run_ = rep["runs"][str(threads)] = {}
            for i, name in enumerate(timed):
                log(f"  [{time.perf_counter() - t0:6.1f}s] {name}, {threads} thread(s)")
                run_[name] = run_workload(name, workers, opts, log,
                                          _budget(opts, t0, len(timed) - i, threads))
        finally:
            for w in workers.values():
                w.close()
        for line in _report.format_run(threads, rep["runs"][str(threads)],
                                       rep["blas_peak_gflops"].get(str(threads))):
            log(line)
    if "M" in opts.workloads:
        log(f"  [{time.perf_counter() - t0:6.1f}s] M (W3b peak memory, fresh processes)")
        rep["memory"] = run_memory(libs, opts, log)
        for line in _report.format_memory(rep["memory"]):
            log(line)
    rep["total_s"] = time.perf_counter() - t0
    rep["meta"]["loadavg_end"] = _report.loadavg()
    if opts.json:
        _report.write_json(opts.json, rep)
        log(f"report: {opts.json} ({rep['total_s']:.0f} s)")
    return rep


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks",
                                description="chaingrad vs PyTorch, side by side")
    add_arguments(p)
    opts = p.parse_args(argv)
    try:
        run(opts)
    except ValueError as exc:
        p.error(str(exc))
    return 0
