"""Keep large temporaries in the heap: glibc malloc settings for array-heavy training.

Training allocates and frees the same large arrays (activations, im2col columns, gradients)
at every step. With glibc's defaults an array above the mmap threshold gets fresh pages from
the kernel each time: the first touch of every page is a page fault that also zeroes the page,
and freeing the array unmaps it again. Raising the mmap threshold (to glibc's maximum, 32 MiB)
and the trim threshold lets the next step reuse the freed blocks; measured 10-25% faster on
the CNN workloads of ``benchmarks/`` with the same peak memory (``docs/performance.md``). The
cost: memory freed after a large step stays with the process (reused, not returned to the OS)
until it exits.

Applied once, when ``chaingrad.nn`` is imported, on Linux with glibc only. Opt out with the
environment variable ``CHAINGRAD_MALLOC=default``; ``MALLOC_*`` variables the user set win.
"""
from __future__ import annotations

import ctypes
import os
import sys

_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
SETTINGS = ((_M_MMAP_THRESHOLD, 32 << 20), (_M_TRIM_THRESHOLD, 1 << 30), (_M_TOP_PAD, 64 << 20))
applied = False


def tune_allocator() -> bool:
    """Apply ``SETTINGS`` through glibc's ``mallopt``; True if they are in force."""
    global applied
    if applied:
        return True
    if os.environ.get("CHAINGRAD_MALLOC", "").lower() == "default" \
            or not sys.platform.startswith("linux") \
            or any(k.startswith("MALLOC_") for k in os.environ):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (musl, ...)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    applied = all(mallopt(param, value) == 1 for param, value in SETTINGS)
    return applied
