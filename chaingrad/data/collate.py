"""``default_collate`` / ``default_convert``: how a ``DataLoader`` turns samples into a batch
(PyTorch's rules, ``torch.utils.data._utils.collate``)."""
from __future__ import annotations

import collections.abc as abc
import copy

from ..backend import xp
from ..tensor import Tensor


def _stack(arrays):
    arrays = [xp.asarray(a) for a in arrays]
    for i, a in enumerate(arrays[1:], 1):
        if a.shape != arrays[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(arrays[0].shape)} at entry 0 and {list(a.shape)} at "
                               f"entry {i}")
    return Tensor._wrap(xp.stack(arrays))


_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _is_numpy(obj) -> bool:
    # PyTorch's test: NumPy arrays and scalars, but not NumPy's string scalars
    return type(obj).__module__ == "numpy" and type(obj).__name__ not in ("str_", "bytes_")


def _rebuild_mapping(elem, values):
    """``values`` (a dict) in ``elem``'s mapping type (OrderedDict, defaultdict ...)."""
    try:
        if isinstance(elem, abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(values)
            return clone
        return type(elem)(values)
    except TypeError:
        return values


def _rebuild_sequence(elem, items):
    """``items`` (a list) in ``elem``'s sequence type where it can be rebuilt, else a list."""
    try:
        if isinstance(elem, abc.MutableSequence):
            clone = copy.copy(elem)
            for i, v in enumerate(items):
                clone[i] = v
            return clone
        return type(elem)(items)
    except TypeError:
        return items


def default_collate(batch):
    """Join a list of samples into a batch, field by field (PyTorch's rules).

    Tensors and arrays are stacked on a new first dimension; NumPy scalars become a tensor of
    their dtype, Python floats a float64 tensor, ints (and bools) ``cg.tensor(batch)``;
    strings and bytes stay a list; mappings (their type kept), namedtuples and sequences are
    collated per key / position (a tuple sample gives a list of fields).

    Example::

        default_collate([(cg.zeros(2), 0), (cg.ones(2), 1)])
        # [tensor([[0., 0.], [1., 1.]]), tensor([0, 1])]
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        if any(b.requires_grad for b in batch):  # through autograd, as torch.stack
            from ..ops.shape import stack
            return stack(list(batch))
        return _stack([b._array for b in batch])
    if isinstance(elem, xp.ndarray):
        if elem.dtype.kind in "OUSa":
            raise TypeError(_ERR.format(elem.dtype))
        return _stack(batch)
    if isinstance(elem, (xp.bool_, xp.number, xp.object_)):
        return Tensor._wrap(xp.asarray(batch))
    if isinstance(elem, float):
        return Tensor._wrap(xp.asarray(batch, dtype=xp.float64))
    if isinstance(elem, int):  # bool included; cg.tensor's inference (an int then a float: float32)
        from ..creation import tensor
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch  # as given: a list at the top, a tuple inside a sequence (PyTorch's)
    if isinstance(elem, abc.Mapping):
        return _rebuild_mapping(elem, {key: default_collate([d[key] for d in batch])
                                       for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, abc.Sequence):
        if any(len(e) != len(elem) for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(s) for s in zip(*batch)]
        return fields if isinstance(elem, tuple) else _rebuild_sequence(elem, fields)
    raise TypeError(_ERR.format(type(elem)))


def default_convert(data):
    """NumPy arrays and scalars to tensors, recursively through mappings and sequences (what
    ``batch_size=None`` uses instead of collation); anything else is returned unchanged."""
    if isinstance(data, Tensor):
        return data
    if _is_numpy(data):
        if isinstance(data, xp.ndarray) and data.dtype.kind in "OUSa":
            return data
        return Tensor._wrap(xp.asarray(data))
    if isinstance(data, abc.Mapping):
        return _rebuild_mapping(data, {k: default_convert(data[k]) for k in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data
