"""Datasets: anything with ``__getitem__`` and ``__len__``, as in ``torch.utils.data``.

Besides PyTorch's per-sample ``__getitem__``, in-memory datasets here implement
``_get_batch(indices)``: given an integer index array, they return the whole batch already
stacked (one fancy-indexing operation per field). ``DataLoader`` uses it when the default
collation is in effect, so that batching costs no per-sample Python work.
"""
from __future__ import annotations

import bisect
import math
import warnings
from typing import Generic, TypeVar

from ..backend import xp
from ..tensor import Tensor
from .. import random as _random

T_co = TypeVar("T_co", covariant=True)  # Dataset[T_co]: typed datasets, as torch's


class Dataset(Generic[T_co]):
    """An abstract map-style dataset: subclasses define ``__getitem__`` and ``__len__``.

    Example::

        class Squares(Dataset):
            def __len__(self): return 10
            def __getitem__(self, i): return i, i * i
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co]):
    """A dataset that is an iterable stream of samples (``__iter__``), with no indexing."""

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other):  # iterable + iterable chains them, as PyTorch
        from .dataset_extra import ChainDataset
        return ChainDataset([self, other])


def _index_array(indices):
    return xp.asarray(indices, dtype=xp.int64).reshape(-1)


class _SizeMismatch(ValueError, AssertionError):
    """PyTorch asserts the sizes (AssertionError); a ValueError is the clearer type, so both."""


class _NoTensors(ValueError, IndexError):
    """PyTorch fails on ``tensors[0]`` (IndexError); a ValueError says why, so both."""


class _IterableInConcat(TypeError, AssertionError):
    """PyTorch asserts (AssertionError); TypeError is what chaingrad raised before, so both."""


class TensorDataset(Dataset):
    """Samples are the i-th rows of each tensor: ``ds[i] == (t0[i], t1[i], ...)``.

    Args:
        *tensors: tensors (or arrays) that all have the same first dimension.

    Example::

        ds = TensorDataset(cg.randn(100, 3), cg.arange(100))
        x, y = ds[0]
    """

    def __init__(self, *tensors):
        tensors = tuple(t if isinstance(t, Tensor) else Tensor._wrap(xp.asarray(t))
                        for t in tensors)
        if not tensors:
            raise _NoTensors("TensorDataset needs at least one tensor")
        n = tensors[0].shape[0]
        if any(t.shape[0] != n for t in tensors):
            raise _SizeMismatch("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]

    def _get_batch(self, indices):
        idx = _index_array(indices)
        # a tensor that requires grad is indexed through autograd, as per-sample reads are
        return tuple(t[idx] if t.requires_grad else Tensor._wrap(t._array[idx])
                     for t in self.tensors)


def _has_batch(dataset) -> bool:
    """Whether ``dataset._get_batch`` may stand in for reading samples one by one: it exists,
    and the ``__getitem__`` / ``__getitems__`` in effect are those of the class that provides
    it (a subclass that overrides them, e.g. to augment samples, is read sample by sample)."""
    if not callable(getattr(dataset, "_get_batch", None)):
        return False
    cls = type(dataset)
    owner = next((c for c in cls.__mro__ if "_get_batch" in vars(c) or "__getattr__" in vars(c)),
                 cls)
    return (cls.__getitem__ is owner.__getitem__ and
            getattr(cls, "__getitems__", None) is getattr(owner, "__getitems__", None))


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices`` (in that order)."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = list(indices) if not hasattr(indices, "tolist") else indices.tolist()

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        # PyTorch's batched read: the dataset's own __getitems__ when it has one
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self):
        return len(self.indices)

    def __getattr__(self, name):
        # only for the batch hook: a Subset batches fast exactly when its dataset does
        if name == "_get_batch" and _has_batch(self.__dict__.get("dataset")):
            return self._subset_batch
        raise AttributeError(name)

    def _subset_batch(self, indices):
        mapped = xp.asarray(self.indices, dtype=xp.int64)[_index_array(indices)]
        return self.dataset._get_batch(mapped)


class ConcatDataset(Dataset[T_co]):
    """Several datasets one after another: index ``i`` goes to the dataset that holds it."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")  # PyTorch's assert
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise _IterableInConcat("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        d = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[d - 1] if d > 0 else 0
        return self.datasets[d][idx - start]

    def __getattr__(self, name):
        if name == "_get_batch" and all(_has_batch(d) for d in self.__dict__.get("datasets", [])):
            return self._concat_batch
        raise AttributeError(name)

    def _concat_batch(self, indices):
        idx = _index_array(indices)
        which = xp.searchsorted(xp.asarray(self.cumulative_sizes), idx, side="right")
        starts = xp.asarray([0] + self.cumulative_sizes[:-1])
        parts, positions = [], []
        for d in xp.unique(which):
            pos = xp.nonzero(which == d)[0]
            parts.append(self.datasets[int(d)]._get_batch(idx[pos] - starts[d]))
            positions.append(pos)
        order = xp.argsort(xp.concatenate(positions), kind="stable")
        return tuple(Tensor._wrap(xp.concatenate([p[f]._array for p in parts])[order])
                     for f in range(len(parts[0])))


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` at random into non-overlapping ``Subset`` s of the given lengths.

    ``lengths`` are either integers summing to ``len(dataset)`` or fractions summing to 1
    (floor of each fraction, the remainder handed out round-robin, as PyTorch).

    Example::

        train, val = random_split(ds, [0.9, 0.1], generator=cg.Generator().manual_seed(0))
    """
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        sizes = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            sizes.append(int(math.floor(n * frac)))
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an "
                              f"empty dataset.")
        lengths = sizes
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    perm = _random.permutation_array(n, generator=generator).tolist()
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[offset:offset + length]))
        offset += length
    return out
