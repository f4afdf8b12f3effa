"""Data-parallel scaling and all-reduce bandwidth of chaingrad.distributed on this machine.

    python benchmarks/distributed_bench.py                 # 1 vs 2 ranks, prints a table
    python benchmarks/distributed_bench.py --ranks 1 2 4 --json out.json
    mpirun -n 2 python benchmarks/distributed_bench.py --worker   # one measurement by hand

What is measured (each rank pinned to one BLAS thread, so W ranks use W cores):
- train step: forward + backward (gradients averaged by DistributedDataParallel, bucketed
  Iallreduce overlapped with back-propagation) + SGD step of an MLP 784-1024-1024-10, float32.
  *strong scaling*: the global batch (default 256) is split over the ranks, so the ideal time
  per step is t1/W; *weak scaling*: every rank keeps the per-rank batch of 1 rank.
  "comm wait" is the time per step spent waiting for gradient all-reduces after the last
  gradient arrived: the communication that back-propagation did not hide.
- all-reduce: MPI_Allreduce (sum, float32, in place) of 4 KiB .. 64 MiB; algorithm bandwidth
  = bytes / time, bus bandwidth = 2 (W-1)/W x bytes / time (the nccl-tests convention: the
  traffic each rank's link carries in a ring all-reduce).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np


def _median_time(fn, reps, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _train_step_time(global_batch, per_rank_fixed, reps, bucket_mb=25.0,
                     sizes=(784, 1024, 1024, 10)):
    import chaingrad as cg
    import chaingrad.distributed as dist
    from chaingrad.optim import SGD
    rank, world = dist.get_rank(), dist.get_world_size()
    b = global_batch if per_rank_fixed else global_batch // world
    cg.manual_seed(0)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(cg.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(cg.nn.ReLU())
    ddp = dist.DistributedDataParallel(cg.nn.Sequential(*layers), bucket_cap_mb=bucket_mb)
    opt = SGD(ddp.parameters(), lr=0.01)
    rng = np.random.default_rng(rank)
    x = cg.tensor(rng.standard_normal((b, sizes[0])).astype(np.float32))
    y = cg.tensor(rng.integers(0, sizes[-1], b))

    def step():
        opt.zero_grad()
        out = ddp(x)
        loss = -out.log_softmax(1).gather(1, y.reshape(-1, 1)).mean()
        loss.backward()
        opt.step()

    dist.barrier()
    t = _median_time(step, reps)
    st = ddp.reducer.stats
    wait = st["wait_s"] / max(st["iterations"], 1)
    every = [cg.zeros(2, dtype=cg.float64) for _ in range(world)]
    dist.all_gather(every, cg.tensor([t, wait], dtype=cg.float64))
    # a step is as slow as its slowest rank
    return max(float(e[0].item()) for e in every), b, max(float(e[1].item()) for e in every)


def _allreduce_times(sizes_bytes, reps):
    import chaingrad as cg
    import chaingrad.distributed as dist
    out = {}
    for nbytes in sizes_bytes:
        t = cg.ones(nbytes // 4, dtype=cg.float32)
        reps_here = max(3, min(reps * 10, int(2e8 // max(nbytes, 1))))
        dist.barrier()
        out[nbytes] = _median_time(lambda: dist.all_reduce(t), reps_here)
    return out


def worker(args):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import chaingrad as cg
    import chaingrad.distributed as dist
    cg.set_num_threads(1)
    dist.init()
    world = dist.get_world_size()
    strong, b_strong, wait = _train_step_time(args.batch, False, args.reps, args.bucket_mb)
    weak, b_weak, _ = _train_step_time(args.batch, True, args.reps, args.bucket_mb)
    sizes = [4 << 10, 64 << 10, 1 << 20, 16 << 20, 64 << 20]
    ar = _allreduce_times(sizes, args.reps) if world > 1 else {}
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps({
            "world": world, "strong_step_s": strong, "strong_batch_per_rank": b_strong,
            "exposed_comm_s": wait, "loadavg": list(os.getloadavg()),
            "weak_step_s": weak, "weak_batch_per_rank": b_weak,
            "allreduce_s": {str(k): v for k, v in ar.items()}}), flush=True)


def _launch(n, args):
    mpirun = shutil.which("mpirun") or shutil.which("mpiexec")
    if mpirun is None:
        sys.exit("distributed_bench: mpirun not found (apt-get install openmpi-bin libopenmpi-dev)")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    version = subprocess.run([mpirun, "--version"], capture_output=True, text=True).stdout
    extra = ["--oversubscribe"] if "Open MPI" in version else []
    cmd = [mpirun, "-n", str(n), *extra, sys.executable, os.path.abspath(__file__), "--worker",
           "--batch", str(args.batch), "--reps", str(args.reps), "--bucket-mb", str(args.bucket_mb)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=args.timeout)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    sys.exit(f"distributed_bench: {n} ranks failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")


def _fmt_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:g} {unit}"
        n /= 1024
    return f"{n:g} TiB"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--worker", action="store_true", help="measure in this MPI job (under mpirun)")
    p.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    p.add_argument("--batch", type=int, default=256, help="global batch (strong scaling)")
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--bucket-mb", type=float, default=25.0, help="DDP bucket_cap_mb")
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--json", help="also write the results here")
    args = p.parse_args(argv)
    if args.worker:
        return worker(args)
    results = [_launch(n, args) for n in args.ranks]
    base = results[0]
    print(f"chaingrad.distributed on {os.cpu_count()} CPU cores (load average before: "
          f"{os.getloadavg()[0]:.1f}), 1 BLAS thread per rank; MLP 784-1024-1024-10 float32, "
          f"SGD; median of {args.reps} steps")
    print(f"{'ranks':>5} {'strong: batch/rank':>19} {'s/step':>8} {'speedup':>8} "
          f"{'comm wait':>10} {'weak: batch/rank':>17} {'s/step':>8} {'samples/s':>10} "
          f"{'efficiency':>10}")
    for r in results:
        w = r["world"]
        speed = base["strong_step_s"] / r["strong_step_s"]
        weak_rate = w * r["weak_batch_per_rank"] / r["weak_step_s"]
        eff = base["weak_step_s"] / r["weak_step_s"]
        print(f"{w:>5} {r['strong_batch_per_rank']:>19} {r['strong_step_s']:>8.4f} "
              f"{speed:>7.2f}x {1e3 * r['exposed_comm_s']:>8.1f}ms {r['weak_batch_per_rank']:>17} "
              f"{r['weak_step_s']:>8.4f} {weak_rate:>10.0f} {100 * eff:>9.0f}%")
    for r in results:
        if not r["allreduce_s"]:
            continue
        w = r["world"]
        print(f"\nall-reduce, {w} ranks (MPI_Allreduce, float32 sum, in place):")
        print(f"{'size':>10} {'time':>10} {'algbw GB/s':>11} {'busbw GB/s':>11}")
        for k, t in r["allreduce_s"].items():
            n = int(k)
            print(f"{_fmt_bytes(n):>10} {t * 1e6:>8.1f}us {n / t / 1e9:>11.3f} "
                  f"{2 * (w - 1) / w * n / t / 1e9:>11.3f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"cpus": os.cpu_count(), "batch": args.batch, "results": results}, f,
                      indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
