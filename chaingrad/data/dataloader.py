"""``DataLoader``: batches of a dataset, in order or shuffled, NumPy-fast.

For in-memory datasets (those with a ``_get_batch(indices)`` method: ``TensorDataset``,
``Subset``/``ConcatDataset`` of them, the bundled image datasets) a batch is one fancy-indexing
operation per field: the whole pass's index order is drawn as one array and sliced, and no
Python code runs per sample. Other datasets are read sample by sample and joined with
``collate_fn`` (``default_collate``), exactly as in PyTorch.

The loader can save where it is in a pass (``state_dict``: the pass's shuffle seed and the
number of batches already handed out) and, after ``load_state_dict``, its next pass replays the
same order from the next batch: this is what makes a resumed training run bit-identical.
"""
from __future__ import annotations

from typing import Generic, TypeVar

from ..backend import xp
from .dataset import IterableDataset, _has_batch
from ._workers import start_workers
from .collate import default_collate, default_convert  # noqa: F401 (public here too)
from .sampler import BatchSampler, RandomSampler, SequentialSampler
from .. import random as _random

_T_co = TypeVar("_T_co", covariant=True)


class _LoaderIter:
    """What ``iter(loader)`` returns: an iterator that also knows its length (PyTorch's
    ``_SingleProcessDataLoaderIter``)."""

    def __init__(self, loader, gen):
        self._loader = loader
        self._gen = gen

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._gen)

    def __len__(self):
        return len(self._loader)


_END = object()  # a worker's stream is exhausted

_FROZEN = frozenset(("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                     "persistent_workers"))


def _index(i):
    # samplers may yield NumPy integers; a dataset gets Python ints (or whatever keys a custom
    # sampler yields, unchanged)
    return int(i) if isinstance(i, xp.integer) else i


class DataLoader(Generic[_T_co]):
    """Iterate over a dataset in batches.

    Args:
        dataset: a map-style ``Dataset`` (or an ``IterableDataset``).
        batch_size (int or None, default 1): samples per batch; None yields single samples.
        shuffle (bool, default False): a new random order every pass.
        sampler / batch_sampler: custom index orders (exclusive with shuffle / batch_size).
        num_workers (int, default 0): loading is in-process, but with ``N > 0`` the code it
            runs sees N workers as in PyTorch (``get_worker_info()``, ``worker_init_fn``, the
            batch order of an ``IterableDataset``, per-worker random streams; see
            ``chaingrad.data._workers``).
        collate_fn (callable, optional): joins a list of samples (default ``default_collate``;
            ``default_convert`` when ``batch_size=None``).
        drop_last (bool, default False): drop the last incomplete batch.
        generator (cg.Generator, optional): the shuffle order's random stream
            (default: chaingrad's global generator, so ``cg.manual_seed`` fixes it).
        seed (int, optional): shorthand for ``generator=cg.Generator().manual_seed(seed)``.
        worker_init_fn (callable, optional): called with each worker's id as it starts.
        persistent_workers (bool, default False): keep the workers (their random streams,
            ``worker_init_fn`` called once) from one pass to the next.
        pin_memory, timeout, multiprocessing_context, prefetch_factor, pin_memory_device,
            in_order: checked and stored as PyTorch does; they change nothing in-process.

    Example::

        loader = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True)
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True, seed=None):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None:
            if num_workers == 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process "
                                 f"loading (num_workers > 0), but got num_workers={num_workers}")
            import multiprocessing
            methods = multiprocessing.get_all_start_methods()
            if isinstance(multiprocessing_context, str) and multiprocessing_context not in methods:
                raise ValueError(f"multiprocessing_context option should specify a valid start "
                                 f"method in {methods!r}, but got "
                                 f"multiprocessing_context={multiprocessing_context!r}")
        if seed is not None:
            if generator is not None:
                raise ValueError("DataLoader: give generator or seed, not both")
            generator = _random.Generator().manual_seed(seed)
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order
        self.generator = generator
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            # PyTorch checks each separately, naming the value given
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        elif sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                       or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not self._iterable and sampler is None:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if not self._iterable and batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._skip = 0
        self._done = 0
        self._in_pass = False
        self._workers = None
        self._initialized = True

    def __setattr__(self, name, value):
        if name in _FROZEN and self.__dict__.get("_initialized", False):
            raise ValueError(f"{name} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None or (self._iterable and self.batch_size is not None)

    @property
    def _index_sampler(self):
        return self.batch_sampler if self.batch_sampler is not None else self.sampler

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self._index_sampler)

    def _fetch(self, indices, fast):
        if fast:
            out = self.dataset._get_batch(indices)
            return list(out) if isinstance(out, tuple) else out
        indices = [_index(i) for i in indices]
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(indices) if getitems else [self.dataset[i] for i in indices]
        return self.collate_fn(samples)

    def __iter__(self):
        workers = None
        if self.num_workers > 0:
            workers = self._workers if self.persistent_workers else None
            if workers is None:
                workers = start_workers(self)
                self._workers = workers if self.persistent_workers else None
        gen = self._iter_stream(workers) if self._iterable else self._iter_map(workers)
        return _LoaderIter(self, gen)

    def _iter_map(self, workers=None):
        skip, self._skip = self._skip, 0
        self._done = skip
        self._in_pass = True
        if self.batch_sampler is None:
            indices = list(self.sampler)
            for k, i in enumerate(indices[skip:], skip):
                self._done += 1
                if workers:
                    yield workers[k % len(workers)].run(
                        lambda j: self.collate_fn(self.dataset[_index(j)]), i)
                else:
                    yield self.collate_fn(self.dataset[_index(i)])
            self._in_pass = False
            return
        fast = self.collate_fn is default_collate and _has_batch(self.dataset)
        if fast and hasattr(self.batch_sampler, "index_batches"):
            batches = self.batch_sampler.index_batches()
        else:
            batches = list(self.batch_sampler)
        for k, b in enumerate(batches[skip:], skip):
            data = (workers[k % len(workers)].run(self._fetch, b, fast) if workers
                    else self._fetch(b, fast))
            self._done += 1
            yield data
        self._in_pass = False

    def _next_batch(self, it):
        """A worker's next batch from its stream ``it``, or ``_END``."""
        if self.batch_size is None:
            sample = next(it, _END)
            return _END if sample is _END else self.collate_fn(sample)
        batch = []
        for sample in it:
            batch.append(sample)
            if len(batch) == self.batch_size:
                break
        if not batch or (self.drop_last and len(batch) < self.batch_size):
            return _END
        return self.collate_fn(batch)

    def _iter_stream(self, workers=None):
        if workers:
            # each worker iterates its own copy of the stream; batches come round-robin, a
            # worker leaving the rotation when its stream ends (PyTorch's in-order delivery)
            streams = [w.run(iter, self.dataset) for w in workers]
            active = list(range(len(workers)))
            while active:
                for i in list(active):
                    batch = workers[i].run(self._next_batch, streams[i])
                    if batch is _END:
                        active.remove(i)
                    else:
                        yield batch
            return
        collate = self.collate_fn
        if self.batch_size is None:
            for sample in self.dataset:
                yield collate(sample)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield collate(batch)
                batch = []
        if batch and not self.drop_last:
            yield collate(batch)

    # -- exact resume -----------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Where the current pass is: its shuffle seed and how many batches were handed out."""
        state = {"batches_done": int(self._done), "in_pass": bool(self._in_pass),
                 "epoch_seed": None}
        if isinstance(self.sampler, RandomSampler) and self.sampler.epoch_seed is not None:
            state["epoch_seed"] = int(self.sampler.epoch_seed)
        if isinstance(self.generator, _random.Generator):
            state["generator_state"] = self.generator.get_state()
        return state

    def load_state_dict(self, state: dict) -> None:
        """Make the next pass replay the saved pass from its next batch (a finished pass
        leaves the next pass to start afresh)."""
        if "generator_state" in state and isinstance(self.generator, _random.Generator):
            self.generator.set_state(state["generator_state"])
        done = int(state.get("batches_done", 0))
        if state.get("in_pass", done > 0) and done < len(self):
            self._skip = done
            if isinstance(self.sampler, RandomSampler) and state.get("epoch_seed") is not None:
                self.sampler._replay_seed = int(state["epoch_seed"])
