"""``chaingrad bench``: the side-by-side benchmarks against PyTorch (``benchmarks/``).

    chaingrad bench                          # every workload, 1 and 2 threads, JSON report
    chaingrad bench -w W1 W2 --threads 1 --rounds 20

The harness lives in the source checkout's ``benchmarks/`` package (next to ``chaingrad/``);
this command finds it there, so it works from an editable install or a clone.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys


def _harness():
    try:
        return importlib.import_module("benchmarks.harness")
    except ImportError:
        pass
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if not os.path.isfile(os.path.join(root, "benchmarks", "harness.py")):
        return None
    sys.path.insert(0, root)
    try:
        return importlib.import_module("benchmarks.harness")
    except ImportError:
        return None


def add_parser(sub, name):
    p = sub.add_parser(name, help="benchmark chaingrad against PyTorch, side by side",
                       description="Run the workloads W1-W4 and M for chaingrad and PyTorch "
                                   "alternately in separate worker processes and report "
                                   "medians, paired ratios and peak memory.")
    h = _harness()
    if h is not None:
        h.add_arguments(p)
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    from .main import CLIError
    h = _harness()
    if h is None:
        raise CLIError("the benchmarks/ package was not found: run from a source checkout of "
                       "chaingrad (it is not part of the installed wheel)")
    try:
        h.run(args)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    except h.WorkerError as exc:
        raise CLIError(str(exc).splitlines()[0]) from None
    return 0
