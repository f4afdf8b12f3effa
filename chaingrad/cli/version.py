"""``chaingrad version``."""
from __future__ import annotations


def add_parser(sub, name):
    p = sub.add_parser(name, help="print chaingrad's version and its array backend")
    p.set_defaults(run=run)


def run(args):
    import numpy as np
    import chaingrad
    print(f"chaingrad {chaingrad.__version__} (NumPy {np.__version__})")
    return 0
