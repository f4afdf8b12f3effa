"""Reading the IDX format of (Fashion-)MNIST, gzip-compressed or not.

IDX layout: two zero bytes, a type code (0x08 unsigned byte, 0x09 signed byte, 0x0B int16,
0x0C int32, 0x0D float32, 0x0E float64), the number of dimensions, each dimension as a
big-endian int32, then the values, big-endian, row-major.
"""
from __future__ import annotations

import gzip
import os

import numpy as np

_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class IDXError(ValueError):
    """A file that is not a well-formed IDX file."""


def read_idx(path) -> np.ndarray:
    """The array stored in the IDX file ``path`` (``.gz`` files are decompressed)."""
    path = os.fspath(path)
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        raise IDXError(f"{path}: cannot read ({exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES:
        raise IDXError(f"{path}: not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_TYPES[raw[2]])
    count = int(np.prod(shape)) if shape else 1
    if len(raw) < header + count * dtype.itemsize:
        raise IDXError(f"{path}: truncated IDX file (expected shape {shape})")
    arr = np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))


def find_idx(root, stem):
    """The path of ``stem`` or ``stem.gz`` in ``root`` (or torchvision's ``raw/`` folders)."""
    for folder in (root, os.path.join(root, "raw")):
        for name in (stem, stem + ".gz"):
            p = os.path.join(folder, name)
            if os.path.isfile(p):
                return p
    return None
