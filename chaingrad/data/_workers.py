"""In-process stand-ins for a ``DataLoader``'s worker processes (``num_workers > 0``).

chaingrad loads in the main process, but a loader with ``num_workers=N`` behaves as PyTorch's
does towards the code it runs: batch ``k`` of a map-style dataset is made by worker ``k % N``;
an ``IterableDataset`` is iterated once per worker (each sees ``get_worker_info()`` and may
shard itself) and the workers' batches are returned round-robin, a worker dropping out when its
stream ends; each worker calls ``worker_init_fn(worker_id)`` once when it starts and draws
chaingrad's random numbers from its own stream, seeded with ``base_seed + worker_id`` where
``base_seed`` comes from the loader's generator; the main process's chaingrad stream is left as
it was. (Python's ``random`` and NumPy's global generator are not switched per worker: saving
and restoring their states would cost ~0.2 ms per batch.)
"""
from __future__ import annotations

import numpy as np

from .. import random as _random

_current = None  # the WorkerInfo of the worker whose code is running, None in the main process


def get_worker_info():
    """The :class:`WorkerInfo` of the current loader worker (``id``, ``num_workers``,
    ``seed``, ``dataset``), or None outside a worker."""
    return _current


class WorkerInfo:
    """What a worker knows about itself; read-only, as PyTorch's."""

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            object.__setattr__(self, k, v)
        object.__setattr__(self, "_keys", tuple(kwargs))

    def __setattr__(self, key, val):
        raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")

    def __repr__(self):
        items = ", ".join(f"{k}={getattr(self, k)}" for k in self._keys)
        return f"{type(self).__name__}({items})"


class Worker:
    """One simulated worker: its WorkerInfo, its random streams and ``worker_init_fn``."""

    def __init__(self, worker_id, num_workers, seed, dataset, init_fn):
        self.info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.init_fn = init_fn
        self.started = False

    def run(self, fn, *args):
        """``fn(*args)`` as this worker: its info and random streams in place."""
        global _current
        saved = (_current, _random._generator, _random._initial_seed)
        _current = self.info
        _random._generator, _random._initial_seed = self.rng, self.seed
        try:
            if not self.started:
                self.started = True
                if self.init_fn is not None:
                    self.init_fn(self.info.id)
            return fn(*args)
        finally:
            # a worker may reseed (cg.manual_seed replaces the stream): keep what it has now
            self.rng, self.seed = _random._generator, _random._initial_seed
            _current, _random._generator, _random._initial_seed = saved


def start_workers(loader):
    """The workers of a new pass (started at once, as ``iter(loader)`` starts processes)."""
    base_seed = int(_random._rng(loader.generator).integers(0, 2 ** 63 - 1 - loader.num_workers))
    workers = [Worker(i, loader.num_workers, base_seed + i, loader.dataset,
                      loader.worker_init_fn) for i in range(loader.num_workers)]
    for w in workers:
        w.run(lambda: None)
    return workers
