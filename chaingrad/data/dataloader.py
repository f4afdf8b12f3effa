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

import collections.abc as abc

from ..backend import xp
from ..tensor import Tensor
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler
from .. import random as _random


def _stack(arrays):
    arrays = [xp.asarray(a) for a in arrays]
    for a in arrays[1:]:
        if a.shape != arrays[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(arrays[0].shape)} at entry 0 and {list(a.shape)} at "
                               f"another entry")
    return Tensor._wrap(xp.stack(arrays))


def default_collate(batch):
    """Join a list of samples into a batch, field by field (PyTorch's rules).

    Tensors and arrays are stacked on a new first dimension; Python floats become a float64
    tensor, ints an int64 tensor; strings stay a list; dicts, namedtuples and sequences are
    collated per key / position.

    Example::

        default_collate([(cg.zeros(2), 0), (cg.ones(2), 1)])
        # [tensor([[0., 0.], [1., 1.]]), tensor([0, 1])]
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack([b._array for b in batch])
    if isinstance(elem, xp.ndarray):
        if elem.dtype.kind in "OUS":
            raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, "
                            f"dicts or lists; found {elem.dtype}")
        return _stack(batch)
    if isinstance(elem, xp.generic):
        return Tensor._wrap(xp.asarray(batch))
    if isinstance(elem, bool):
        return Tensor._wrap(xp.asarray(batch, dtype=xp.bool_))
    if isinstance(elem, float):
        return Tensor._wrap(xp.asarray(batch, dtype=xp.float64))
    if isinstance(elem, int):
        return Tensor._wrap(xp.asarray(batch, dtype=xp.int64))
    if isinstance(elem, (str, bytes)):
        return batch  # as given: a list at the top, a tuple inside a sequence (PyTorch's)
    if isinstance(elem, abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, abc.Sequence):
        if any(len(e) != len(elem) for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(s) for s in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                    f"or lists; found {type(elem).__name__}")


def default_convert(data):
    """Arrays to tensors, recursively (what ``batch_size=None`` uses instead of collation)."""
    if isinstance(data, xp.ndarray) and data.dtype.kind not in "OUS":
        return Tensor._wrap(data)
    if isinstance(data, abc.Mapping):
        return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (list, tuple)):
        return [default_convert(d) for d in data]
    return data


class DataLoader:
    """Iterate over a dataset in batches.

    Args:
        dataset: a map-style ``Dataset`` (or an ``IterableDataset``).
        batch_size (int or None, default 1): samples per batch; None yields single samples.
        shuffle (bool, default False): a new random order every pass.
        sampler / batch_sampler: custom index orders (exclusive with shuffle / batch_size).
        num_workers (int, default 0): accepted for compatibility; loading is in-process.
        collate_fn (callable, optional): joins a list of samples (default ``default_collate``).
        drop_last (bool, default False): drop the last incomplete batch.
        generator (cg.Generator, optional): the shuffle order's random stream
            (default: chaingrad's global generator, so ``cg.manual_seed`` fixes it).
        seed (int, optional): shorthand for ``generator=cg.Generator().manual_seed(seed)``.

    Example::

        loader = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True)
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 seed=None):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if seed is not None:
            if generator is not None:
                raise ValueError("DataLoader: give generator or seed, not both")
            generator = _random.Generator().manual_seed(seed)
        self.dataset = dataset
        self.num_workers = num_workers
        self.generator = generator
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle or sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 "shuffle, sampler and batch_sampler options")
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
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self._skip = 0
        self._done = 0
        self._in_pass = False

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler) if self._auto_collation else len(self.sampler)

    def _fetch(self, indices):
        fast = self.collate_fn is None and callable(getattr(self.dataset, "_get_batch", None))
        if fast:
            out = self.dataset._get_batch(indices)
            return list(out) if isinstance(out, tuple) else out
        collate = self.collate_fn or default_collate
        return collate([self.dataset[int(i)] for i in indices])

    def __iter__(self):
        if self._iterable:
            return self._iter_stream()
        return self._iter_map()

    def _iter_map(self):
        skip, self._skip = self._skip, 0
        self._done = skip
        self._in_pass = True
        if not self._auto_collation:
            convert = self.collate_fn or default_convert
            indices = list(self.sampler)
            for i in indices[skip:]:
                self._done += 1
                yield convert(self.dataset[i])
            self._in_pass = False
            return
        if hasattr(self.batch_sampler, "index_batches"):
            batches = self.batch_sampler.index_batches()
        else:
            batches = list(self.batch_sampler)
        for b in batches[skip:]:
            data = self._fetch(b)
            self._done += 1
            yield data
        self._in_pass = False

    def _iter_stream(self):
        collate = self.collate_fn or (default_collate if self.batch_size is not None
                                      else default_convert)
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
