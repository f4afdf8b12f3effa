"""How ``cg.save`` lays out a file (see ``chaingrad.serialization`` for the format): the
object turned into a JSON tree plus raw arrays, shared tensors and views kept shared."""
from __future__ import annotations

import base64
import hashlib
import json
import math
import struct
from collections import OrderedDict

import numpy as np

from . import backend
from .tensor import Parameter, Size, Tensor

MAGIC = b"CGSAVE\x00\x01"
FORMAT_VERSION = 1
_PREFIX = struct.Struct("<8sIIQQ32s")  # 64 bytes
_ALIGN = 64
_DTYPES = {np.dtype(t).newbyteorder("<").str for t in (
    np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64,
    np.float16, np.float32, np.float64, np.complex64, np.complex128)}


class _Encoder:
    """Turns an object into a JSON tree plus a list of arrays."""

    def __init__(self):
        self.arrays: list[np.ndarray] = []
        self._index: dict[int, int] = {}  # id(ndarray or Tensor) -> array index
        self._keep: list = []  # objects whose id() is a key above stay alive
        self._path: set[int] = set()

    def _array(self, arr) -> int:
        key = id(arr)
        if key not in self._index:
            a = backend.to_numpy(arr)
            if a.dtype.newbyteorder("<").str not in _DTYPES:
                raise TypeError(f"cg.save cannot store arrays of dtype {a.dtype}")
            self._index[key] = len(self.arrays)
            self._keep.append(arr)
            self.arrays.append(a.astype(a.dtype.newbyteorder("<"), order="C", copy=False))
        return self._index[key]

    def encode(self, obj, where="obj"):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int) and not isinstance(obj, np.generic):
            return int(obj)
        if isinstance(obj, float) and not isinstance(obj, np.generic):
            return float(obj) if math.isfinite(obj) else {"$float": repr(float(obj))}
        if isinstance(obj, Tensor):
            node = {"$tensor": self._array(obj._array)}
            if isinstance(obj, Parameter):
                node["parameter"] = True
            if obj.requires_grad:  # a non-leaf too: it loads as a leaf requiring grad
                node["requires_grad"] = True
            return node
        if isinstance(obj, np.ndarray):
            return {"$ndarray": self._array(obj)}
        if isinstance(obj, np.generic):
            return {"$npscalar": self._array(np.asarray(obj))}
        if isinstance(obj, complex):
            return {"$complex": [self.encode(obj.real), self.encode(obj.imag)]}
        if isinstance(obj, (bytes, bytearray)):
            return {"$bytes": base64.b64encode(bytes(obj)).decode("ascii")}
        if isinstance(obj, backend.DType):
            return {"$dtype": obj.name}
        if isinstance(obj, backend.Device):
            return {"$device": str(obj)}
        if isinstance(obj, np.dtype):
            return {"$npdtype": obj.str}
        if isinstance(obj, Size):
            return {"$size": [int(d) for d in obj]}
        if isinstance(obj, slice):
            return {"$slice": [self.encode(obj.start), self.encode(obj.stop),
                               self.encode(obj.step)]}
        if isinstance(obj, range):
            return {"$range": [obj.start, obj.stop, obj.step]}
        if obj is Ellipsis:
            return {"$ellipsis": None}
        if isinstance(obj, (set, frozenset)):
            tag = "$frozenset" if isinstance(obj, frozenset) else "$set"
            return {tag: [self.encode(v, f"{where} element") for v in obj]}
        if isinstance(obj, (list, tuple, dict)):
            if id(obj) in self._path:
                raise ValueError(f"cg.save cannot store a container that contains itself "
                                 f"(at {where})")
            self._path.add(id(obj))
            try:
                if isinstance(obj, dict):
                    tag = "$odict" if isinstance(obj, OrderedDict) else "$dict"
                    return {tag: [[self.encode(k, f"{where} key {k!r}"),
                                   self.encode(v, f"{where}[{k!r}]")] for k, v in obj.items()]}
                tag = "$tuple" if isinstance(obj, tuple) else "$list"
                return {tag: [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
            finally:
                self._path.discard(id(obj))
        hint = ""
        if hasattr(obj, "state_dict"):
            hint = "; save its state_dict() instead"
        elif type(obj).__module__.split(".")[0] == "torch":
            hint = "; convert PyTorch objects first (tensor.numpy(), `chaingrad convert-torch`)"
        raise TypeError(f"cg.save cannot store an object of type {type(obj).__name__} at "
                        f"{where}: only tensors, arrays, numbers, strings, bytes, None, dtypes, "
                        f"devices, lists, tuples, sets and dicts{hint}")


def _views(enc):
    """Stored arrays that are windows on another stored array (``t`` and ``t[1:]``, ``t`` and
    ``t.view(2, 3).t()``): {index: (root index, byte offset, the view as in memory)}. They are written as a window, not
    as data, so they load sharing the root's memory, as ``torch.save`` keeps shared storage."""
    where = {id(a): i for i, a in enumerate(enc._keep) if isinstance(a, np.ndarray)}
    out = {}
    for i, a in enumerate(enc._keep):
        root = getattr(a, "base", None)
        j = where.get(id(root))
        if j is None or j == i or a.dtype != enc.arrays[i].dtype or \
                enc.arrays[j] is not root or where.get(id(getattr(root, "base", None))) is not None:
            continue  # (the root must be stored as it is in memory: C order, little-endian)
        out[i] = (j, a.__array_interface__["data"][0] - root.__array_interface__["data"][0], a)
    return out


def _layout(arrays, views=None):
    """(table for the header, total payload length): each array 64-byte aligned; a view is
    its root's index, byte offset and strides."""
    table, offset = [], 0
    for i, a in enumerate(arrays):
        if views and i in views:
            j, off, v = views[i]
            table.append({"dtype": v.dtype.str, "shape": list(v.shape), "view": j,
                          "offset": int(off), "strides": [int(x) for x in v.strides]})
            continue
        table.append({"dtype": a.dtype.str, "shape": list(a.shape), "offset": offset,
                      "nbytes": int(a.nbytes)})
        offset += -(-a.nbytes // _ALIGN) * _ALIGN
    return table, offset


def _pad(n):
    return b"\x00" * (-n % _ALIGN)


def _chunks(obj):
    """The file's bytes after the 64-byte prefix, as a sequence of buffers (no big copy)."""
    enc = _Encoder()
    tree = enc.encode(obj)
    views = _views(enc)
    table, payload_len = _layout(enc.arrays, views)
    header = json.dumps({"format": "chaingrad", "version": FORMAT_VERSION, "tree": tree,
                         "arrays": table}, allow_nan=False, separators=(",", ":")).encode()
    chunks = [header, _pad(len(header))]
    for i, a in enumerate(enc.arrays):
        if i in views:
            continue
        chunks.append(memoryview(a.reshape(-1)).cast("B") if a.size else b"")
        chunks.append(_pad(a.nbytes))
    return len(header), payload_len, chunks


def _encode_file(obj):
    header_len, payload_len, chunks = _chunks(obj)
    head = _PREFIX.pack(MAGIC, FORMAT_VERSION, 0, header_len, payload_len, b"\x00" * 32)
    h = hashlib.sha256(head[:32])
    for c in chunks:
        h.update(c)
    return _PREFIX.pack(MAGIC, FORMAT_VERSION, 0, header_len, payload_len, h.digest()), chunks
