"""``chaingrad.nn.utils.rnn``: variable-length sequences, PyTorch's layouts.

A ``PackedSequence`` stores a batch of sequences of different lengths without padding:
sorted by decreasing length, time step t holds ``batch_sizes[t]`` rows (the sequences still
running), and ``data`` is those rows of every step one after the other. Packing and unpacking
are indexing, so gradients flow through them. The recurrent layers accept a PackedSequence
and then run every sequence only over its own length.

    packed = pack_padded_sequence(x, lengths, enforce_sorted=False)   # x (T, B, *)
    out, h_n = gru(packed)
    y, lengths = pad_packed_sequence(out)                             # (T, B, H)
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ...tensor import Tensor
from ...ops import elementwise as ew
from ...ops.shape import stack, pad as _pad


def _lengths_array(lengths):
    arr = lengths._array if isinstance(lengths, Tensor) else np.asarray(lengths)
    return np.asarray(arr, dtype=np.int64).reshape(-1)


def _index_tensor(arr):
    return None if arr is None else Tensor._wrap(np.asarray(arr, dtype=np.int64))


class PackedSequence(namedtuple("PackedSequence",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """(data, batch_sizes, sorted_indices, unsorted_indices), as PyTorch's: ``data`` (sum of
    lengths, *), ``batch_sizes`` (max length,) int64; the indices map the sorted batch to the
    caller's order (None when the input was already sorted)."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            inv = np.empty_like(sorted_indices._array)
            inv[sorted_indices._array] = np.arange(inv.size)
            unsorted_indices = _index_tensor(inv)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        return type(self)(self.data.to(*args, **kwargs), self.batch_sizes, self.sorted_indices,
                          self.unsorted_indices)

    def double(self):
        return self.to(dtype="float64")

    def float(self):
        return self.to(dtype="float32")

    def half(self):
        return self.to(dtype="float16")

    def cpu(self):
        return self

    @property
    def is_cuda(self):
        return False

    def _lengths_sorted(self):
        """Each (sorted) sequence's length, from batch_sizes."""
        bs = self.batch_sizes._array
        return np.array([(bs > b).sum() for b in range(int(bs[0]) if bs.size else 0)],
                        dtype=np.int64)


def _pack_sorted(padded, lengths):
    """Pack time-major ``padded`` (T, B, *) whose columns are in decreasing-length order."""
    t_max, b = int(lengths[0]), padded.shape[1]
    batch_sizes = np.array([(lengths > t).sum() for t in range(t_max)], dtype=np.int64)
    rows = np.concatenate([t * b + np.arange(n) for t, n in enumerate(batch_sizes)])
    flat = padded.reshape(padded.shape[0] * b, *padded.shape[2:])
    return flat[rows], Tensor._wrap(batch_sizes)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):  # noqa: A002
    """Pack a padded batch (T, B, *) (or (B, T, *) with ``batch_first``) of sequences of the
    given ``lengths``. With ``enforce_sorted`` the lengths must already decrease."""
    lengths = _lengths_array(lengths)
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    if enforce_sorted:
        if (np.diff(lengths) > 0).any():
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
                               "pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = _index_tensor(order)
    if batch_first:
        input = input.transpose(0, 1)  # noqa: A001
    if lengths.size and lengths[0] > input.shape[0]:
        raise RuntimeError(f"Expected sequence length to be larger than or equal to "
                           f"{int(lengths[0])}, but got {input.shape[0]}")
    if sorted_indices is not None:
        input = input[:, sorted_indices._array]  # noqa: A001
    data, batch_sizes = _pack_sorted(input, lengths)
    return PackedSequence(data, batch_sizes, sorted_indices)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Inverse of ``pack_padded_sequence``: (padded (T, B, *), lengths) in the caller's batch
    order; ``total_length`` pads the time dim further."""
    data, bs = sequence.data, sequence.batch_sizes._array
    lengths = sequence._lengths_sorted()
    t_max, b = int(bs.size), int(bs[0]) if bs.size else 0
    if total_length is not None:
        if total_length < t_max:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {t_max}")
        t_max = total_length
    offsets = np.concatenate([[0], np.cumsum(bs)])
    idx = np.zeros((t_max, b), dtype=np.int64)
    mask = np.zeros((t_max, b), dtype=bool)
    for t in range(int(bs.size)):
        idx[t, :bs[t]] = offsets[t] + np.arange(bs[t])
        mask[t, :bs[t]] = True
    gathered = data[idx]
    keep = Tensor._wrap(mask.reshape(mask.shape + (1,) * (data.ndim - 1)))
    padded = ew.where(keep, gathered, padding_value)
    if sequence.unsorted_indices is not None:
        padded = padded[:, sequence.unsorted_indices._array]
        lengths = lengths[sequence.unsorted_indices._array]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, Tensor._wrap(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences (L_i, *) padded to the longest: (T, B, *) (or (B, T, *))."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    sequences = list(sequences)
    t_max = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = t_max - s.shape[0]
        widths = [0, 0] * (s.ndim - 1) + ([0, extra] if padding_side == "right" else [extra, 0])
        padded.append(_pad(s, widths, value=padding_value) if extra else s)
    return stack(padded, 0 if batch_first else 1)


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of sequences (L_i, *)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences, each cut to its length, from a padded batch."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, :int(n)] for i, n in enumerate(_lengths_array(lengths))]


def unpack_sequence(packed_sequences):
    """The list of sequences of a PackedSequence, in the caller's order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


def _repack_like(padded, template):
    """Pack time-major ``padded`` (T, B, *) in the caller's batch order with ``template``'s
    batch sizes and indices (a recurrent layer's output for a packed input)."""
    if template.sorted_indices is not None:
        padded = padded[:, template.sorted_indices._array]
    data, _ = _pack_sorted(padded, template._lengths_sorted())
    return PackedSequence(data, template.batch_sizes, template.sorted_indices,
                          template.unsorted_indices)


__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "pack_sequence", "unpad_sequence", "unpack_sequence"]
