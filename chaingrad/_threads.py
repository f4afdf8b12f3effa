"""Thread control for the BLAS / OpenMP pools NumPy uses."""
from __future__ import annotations

import os

_limiter = None
_known = None  # the BLAS thread count last set or read (see blas_threads)


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in BLAS from now on (through threadpoolctl when installed)."""
    global _limiter, _known
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads: n must be >= 1, got {n}")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        os.environ["OMP_NUM_THREADS"] = str(n)
        os.environ["OPENBLAS_NUM_THREADS"] = str(n)
        return
    _limiter = threadpool_limits(limits=n)
    os.environ["CHAINGRAD_NUM_THREADS"] = str(n)
    _known = n


def get_num_threads() -> int:
    try:
        from threadpoolctl import threadpool_info
        infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if infos:
            return int(infos[0]["num_threads"])
    except ImportError:
        pass
    return int(os.environ.get("CHAINGRAD_NUM_THREADS", os.cpu_count() or 1))


def blas_threads() -> int:
    """The BLAS thread count as last set by ``set_num_threads`` (else read once): a cheap
    hint for ops that choose how to split their work (not updated by a direct
    threadpoolctl call)."""
    global _known
    if _known is None:
        _known = get_num_threads()
    return _known
