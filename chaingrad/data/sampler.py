"""Samplers: the order in which a ``DataLoader`` visits a dataset's indices.

``RandomSampler`` draws one seed per pass from its generator (chaingrad's global generator
when none is given, so ``cg.manual_seed`` fixes it) and permutes with it; the seed of the
current pass is kept (``epoch_seed``) so that a checkpoint can replay the same order.
"""
from __future__ import annotations

from typing import Generic, TypeVar

import numpy as np

from .. import random as _random

_T_co = TypeVar("_T_co", covariant=True)


class Sampler(Generic[_T_co]):
    """Base class: an iterable of indices (or of index lists, for batch samplers)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __len__(self):
        return len(self.data_source)

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def index_array(self):
        return np.arange(len(self.data_source), dtype=np.int64)


class RandomSampler(Sampler):
    """A random permutation of the indices (or ``num_samples`` draws with replacement).

    Args:
        data_source: the dataset.
        replacement (bool, default False): draw with replacement.
        num_samples (int, optional): how many indices per pass (default ``len(data_source)``).
        generator (cg.Generator or np.random.Generator, optional): where the per-pass seed comes
            from; chaingrad's global generator when None.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        self.epoch_seed = None       # the seed of the pass in progress
        self._replay_seed = None     # set by a loader's load_state_dict: reuse, don't draw
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __len__(self):
        return self.num_samples

    def index_array(self) -> np.ndarray:
        """The whole pass's indices at once (draws this pass's seed)."""
        if self._replay_seed is not None:
            seed, self._replay_seed = self._replay_seed, None
        else:
            seed = int(_random._rng(self.generator).integers(0, 2 ** 63 - 1))
        self.epoch_seed = seed
        rng = np.random.default_rng(seed)
        n = len(self.data_source)
        if self.replacement:
            return rng.integers(0, n, size=self.num_samples).astype(np.int64)
        reps = -(-self.num_samples // n)
        return np.concatenate([rng.permutation(n) for _ in range(reps)])[:self.num_samples].astype(np.int64)

    def __iter__(self):
        return iter(self.index_array().tolist())


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order (``indices`` kept as given)."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __len__(self):
        return len(self.indices)

    def index_array(self):
        idx = np.asarray(list(self.indices), dtype=np.int64)
        return idx[_random.permutation_array(len(idx), generator=self.generator)]

    def __iter__(self):
        order = _random.permutation_array(len(self.indices), generator=self.generator).tolist()
        return iter([self.indices[i] for i in order])


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices in [0, len(weights)) drawn with probability proportional to
    ``weights`` (with replacement by default, as PyTorch). ``weights`` is kept as a float64
    tensor; invalid weights (negative, inf/nan, all zero) raise ``RuntimeError`` when drawn,
    as ``torch.multinomial`` does. Without replacement, the draw is sequential sampling
    without replacement (zero-weight indices come last).

        sampler = WeightedRandomSampler([0.1, 0.9], num_samples=10)
        loader = DataLoader(dataset, batch_size=4, sampler=sampler)
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        w = np.asarray(weights.numpy() if hasattr(weights, "numpy") else weights,
                       dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(w.shape)}")
        from ..tensor import Tensor
        self.weights = Tensor._wrap(w)
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __len__(self):
        return self.num_samples

    def _probabilities(self):
        w = self.weights._array
        if (w < 0).any() or np.isnan(w).any():
            raise RuntimeError("invalid multinomial distribution (encountering probability "
                               "entry < 0)")
        if np.isinf(w).any():
            raise RuntimeError("invalid multinomial distribution (encountering probability "
                               "entry = infinity or NaN)")
        if w.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not self.replacement and self.num_samples > len(w):
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                               "replacement")
        return w / w.sum()

    def index_array(self):
        p = self._probabilities()
        rng = np.random.default_rng(int(_random._rng(self.generator).integers(0, 2 ** 63 - 1)))
        if self.replacement:
            return rng.choice(len(p), size=self.num_samples, p=p).astype(np.int64)
        # sequential draws without replacement = sorting exponential keys E_i / w_i
        # (zero weights get infinite keys: drawn only once the others are used up)
        with np.errstate(divide="ignore"):
            keys = rng.exponential(size=len(p)) / p
        return np.argsort(keys, kind="stable")[:self.num_samples].astype(np.int64)

    def __iter__(self):
        return iter(self.index_array().tolist())


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter
    unless ``drop_last``).

    Example::

        list(BatchSampler(SequentialSampler(range(5)), 2, drop_last=False))
        # [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def index_batches(self):
        """The pass's batches as index arrays (fast path: one array op for the whole pass)."""
        if hasattr(self.sampler, "index_array"):
            idx = self.sampler.index_array()
            stop = (len(idx) // self.batch_size) * self.batch_size if self.drop_last else len(idx)
            return [idx[i:i + self.batch_size] for i in range(0, stop, self.batch_size)]
        return [np.asarray(b, dtype=np.int64) for b in self]

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch
