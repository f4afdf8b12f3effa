"""M: peak resident memory of W3b in a fresh process, the library's import included.

    python -m benchmarks.memory chaingrad|torch [--threads N] [--steps 3] [--tiny]

Prints one JSON line: ``{"lib", "peak_mb", "steps", "loss"}``. The model keeps the library's
own default initialisation and the data comes from the library's own ``randn``, so that
nothing but the library itself (and the NumPy it loads anyway) is in the process. Three steps:
the optimizer's momentum buffers exist from the first step on, so the second and third show the
steady-state peak.
"""
from __future__ import annotations

import argparse
import importlib
import json
import resource
import sys


def measure(lib, threads=1, steps=3, tiny=False):
    L = importlib.import_module(lib)
    L.set_num_threads(threads)
    from .workloads import resnet18_for, _w3_shape
    model = resnet18_for(L)
    model.train()
    shape = _w3_shape(16, tiny)
    L.manual_seed(0)
    x = L.randn(*shape)
    labels = L.randn(shape[0], 1000)
    opt = L.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    loss = None
    for _ in range(steps):
        opt.zero_grad()
        loss = (model(x) - labels).sum()
        loss.backward()
        opt.step()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {"lib": lib, "peak_mb": peak_mb, "steps": steps, "loss": float(loss.item())}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.memory")
    p.add_argument("lib", choices=("chaingrad", "torch"))
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--tiny", action="store_true")
    a = p.parse_args(argv)
    print(json.dumps(measure(a.lib, a.threads, a.steps, a.tiny)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
