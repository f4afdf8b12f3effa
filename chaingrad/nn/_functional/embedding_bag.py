"""``F.embedding_bag``: sums, means or maxima of bags of embeddings without materialising
the (bags, bag length, dim) lookups per bag in Python: one lookup, then a segment
reduction (a scatter-add of the rows into their bags)."""
from __future__ import annotations

import numpy as np

from ...backend import xp
from ...tensor import Tensor
from ...ops.select import scatter_add
from ...ops.shape import stack
from .misc import embedding


def _bags(input, offsets, include_last_offset):  # noqa: A002
    """(flat indices, bag id of each, number of bags) from PyTorch's two input layouts."""
    idx = input._array if isinstance(input, Tensor) else xp.asarray(input)
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences.")
        b, n = idx.shape
        return idx.reshape(-1), np.repeat(np.arange(b), n), b
    if idx.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{idx.ndim}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    off = offsets._array if isinstance(offsets, Tensor) else xp.asarray(offsets)
    off = np.asarray(off, dtype=np.int64).reshape(-1)
    if off.size and off[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           "has to start from position 0. However, got " + str(int(off[0])))
    starts = off[:-1] if include_last_offset else off
    if include_last_offset and off.size:
        idx = idx[:int(off[-1])]  # indices after the last offset belong to no bag
    ends = np.append(starts[1:], off[-1] if include_last_offset else idx.size)
    bag_of = np.repeat(np.arange(starts.size), ends - starts)
    return idx, bag_of, starts.size


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,  # noqa: A002
                  scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """Reduce bags of embeddings: input (B, N) (B bags of N) or 1-D with ``offsets`` (bag
    starts); mode 'sum', 'mean' (default) or 'max'; ``per_sample_weights`` scale each row
    ('sum' only); rows equal to ``padding_idx`` are left out; an empty bag gives zeros."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, got {mode}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    idx, bag_of, n_bags = _bags(input, offsets, include_last_offset)
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    keep = idx != padding_idx if padding_idx is not None else np.ones(idx.shape, bool)
    idx, bag_of = idx[keep], bag_of[keep]
    rows = embedding(Tensor._wrap(np.asarray(idx, dtype=np.int64)), weight, None, max_norm,
                     norm_type, scale_grad_by_freq)
    if per_sample_weights is not None:
        w = per_sample_weights.reshape(-1)[Tensor._wrap(np.flatnonzero(keep))]
        rows = rows * w.unsqueeze(1)
    d = weight.shape[1]
    if mode == "max":
        zero = Tensor._wrap(xp.zeros((d,), dtype=weight._array.dtype))
        return stack([rows[Tensor._wrap(np.flatnonzero(bag_of == b))].amax(0)
                      if (bag_of == b).any() else zero for b in range(n_bags)], 0)
    target = np.broadcast_to(bag_of[:, None], (bag_of.size, d))
    zeros = Tensor._wrap(xp.zeros((n_bags, d), dtype=weight._array.dtype))
    out = scatter_add(zeros, 0, Tensor._wrap(np.ascontiguousarray(target)), rows)
    if mode == "mean":
        counts = np.bincount(bag_of, minlength=n_bags).astype(weight._array.dtype)
        out = out / Tensor._wrap(np.maximum(counts, 1)[:, None])
    return out
