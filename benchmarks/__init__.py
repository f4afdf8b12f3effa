"""Side-by-side benchmarks of chaingrad against PyTorch (issue 6).

    python -m benchmarks                       # every workload, 1 and 2 threads, JSON report
    python -m benchmarks -w W2 W3b --threads 1 --rounds 30
    chaingrad bench ...                        # the same, from the installed command

Layout:
    workloads.py   the workloads W1..W4, written once against the PyTorch-style API both
                   libraries share (``L.nn``, ``L.optim``, ``L.from_numpy``), with identical
                   initial weights and data drawn from NumPy
    resnet_ref.py  torchvision's ResNet-18, written on ``L.nn`` (torchvision is not installed)
    flops.py       nominal FLOPs per training step (3x the forward matrix products)
    worker.py      a long-lived process per library that builds and times workloads
    harness.py     runs the workers alternately, round after round, and pairs their times
    memory.py      M: peak resident memory of W3b in a fresh process, import included
    report.py      statistics, the printed table and the JSON report
    profiling.py   cProfile of one workload, with the share of time spent in matrix products
"""
