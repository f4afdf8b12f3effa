"""``cg.save`` / ``cg.load``: tensors and nested containers in a file that never runs code.

What can be saved: Tensors (and Parameters), NumPy arrays and scalars, ``None``, bools, ints
(any size), floats (inf and nan included), complex numbers, strings, bytes, chaingrad dtypes,
and lists, tuples and dicts (any hashable key among those) of them, nested: model and optimizer
``state_dict()``\\s, scheduler state, checkpoints with a config, ``cg.get_rng_state()``.
A tensor stored twice is stored once and loads as one shared tensor.

The file format (version 1), little-endian::

    offset  0  magic      8 bytes   b"CGSAVE\\x00\\x01"
            8  version    uint32    1
           12  reserved   uint32    0
           16  header     uint64    length H of the JSON header
           24  payload    uint64    length P of the raw array bytes
           32  sha256     32 bytes  of bytes [0, 32) followed by everything after byte 64
           64  header     H bytes   UTF-8 JSON: {"format", "version", "tree", "arrays"}
                padding   to a multiple of 64
                payload   P bytes   each array's C-order bytes, 64-byte aligned

The JSON ``tree`` describes the object (containers are tagged, e.g. ``{"$dict": [[k, v],
...]}``, tensors point into ``arrays`` by index: dtype, shape, offset, length). Loading parses
JSON and reads raw numbers only (``numpy.frombuffer`` with a whitelisted dtype), so a file can
never execute code, unlike pickle. The checksum catches truncated, padded or flipped bytes.

Writing is atomic: a temporary file in the target directory is written, flushed and fsynced,
then renamed over the target (``os.replace``) and the directory entry fsynced, so a crash
leaves either the old file or the new one, never half of one.

Every problem with a file being loaded raises :class:`SerializationError` (a subclass of both
``RuntimeError`` and ``ValueError``) with one line saying what is wrong; a missing file raises
``FileNotFoundError`` as usual.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import pickle
import tempfile
from collections import OrderedDict

import numpy as np

from . import backend
from .tensor import Parameter, Size, Tensor
from ._serialization_encode import (MAGIC, FORMAT_VERSION, _PREFIX, _ALIGN,  # noqa: F401
                                    _DTYPES, _encode_file)

__all__ = ["save", "load", "SerializationError", "FORMAT_VERSION"]


class SerializationError(RuntimeError, ValueError, pickle.UnpicklingError):
    """A file that ``cg.load`` cannot read: empty, truncated, corrupted, foreign or pickled.
    (Also a ``pickle.UnpicklingError``, what ``torch.load`` raises for a file it refuses.)"""


class _EmptyFileError(SerializationError, EOFError):
    """An empty file (``torch.load`` raises EOFError there)."""


class _NoParentError(RuntimeError, FileNotFoundError):
    """``cg.save`` into a directory that does not exist (PyTorch: RuntimeError)."""


class _SaveToDirectoryError(RuntimeError, IsADirectoryError):
    """``cg.save`` to a path that is a directory (PyTorch: RuntimeError)."""


class _DirectoryError(SerializationError, IsADirectoryError):
    """The path given to ``cg.load`` is a directory."""


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False) -> None:
    """Save ``obj`` (a tensor, a state dict, a checkpoint dict ...) to ``f``.

    Args:
        obj: tensors, arrays, numbers, strings, None, dtypes, devices, and lists/tuples/sets/
            dicts of them.
        f: a path (str or os.PathLike), written atomically, or a binary file object (written
            at its position; several objects may follow one another in one stream).
        pickle_module, pickle_protocol, ...: accepted for PyTorch compatibility (chaingrad
            never pickles).

    Example::

        cg.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3},
                "checkpoint.cgt")
        ck = cg.load("checkpoint.cgt")
    """
    prefix, chunks = _encode_file(obj)
    if hasattr(f, "write"):
        f.write(prefix)
        for c in chunks:
            f.write(c)
        return
    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise _SaveToDirectoryError(f"cg.save: {path} is a directory: open file failed "
                                    f"with strerror: Is a directory")
    if not os.path.isdir(directory):
        raise _NoParentError(f"Parent directory {directory} does not exist.")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(prefix)
            for c in chunks:
                out.write(c)
            out.flush()
            os.fsync(out.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


# -- reading -----------------------------------------------------------------------------------
def _read_stream(f):
    """One object's bytes from a stream, leaving it just after them (as pickle does), so that
    objects saved one after another load one after another."""
    head = f.read(_PREFIX.size)
    if len(head) == _PREFIX.size and head[:8] == MAGIC:
        header_len, payload_len = _PREFIX.unpack_from(head, 0)[3:5]
        need = header_len + (-header_len % _ALIGN) + payload_len
        body = f.read(need)
        return bytearray(head) + body
    return bytearray(head) + f.read()  # not ours: read it all for the error message


def _read_all(f, name):
    if hasattr(f, "read"):
        return _read_stream(f)
    path = os.fspath(f)
    if os.path.isdir(path):
        raise _DirectoryError(f"cg.load: {path} is a directory, not a chaingrad file")
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        buf = bytearray(size)
        n = fh.readinto(buf)
        if n != size:
            del buf[n:]
    return buf


def _foreign(data: bytes) -> str:
    if data[:1] == b"\x80" or data[:2] in (b"(d", b"(l", b"}q", b"]q", b"cc"):
        return ("it is a Python pickle (e.g. an old torch.save file); chaingrad never "
                "unpickles, convert it with `chaingrad convert-torch IN OUT`")
    if data[:4] == b"PK\x03\x04":
        return ("it is a zip archive (a PyTorch .pt/.pth checkpoint or a NumPy .npz?); "
                "convert PyTorch files with `chaingrad convert-torch IN OUT`")
    if data[:6] == b"\x93NUMPY":
        return "it is a NumPy .npy file; load it with numpy.load and wrap it with cg.from_numpy"
    return f"it does not start with chaingrad's magic bytes (found {bytes(data[:8])!r})"


def _decode(node, arrays, tensors):
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list) or not isinstance(node, dict) or len(node) == 0:
        raise SerializationError(f"invalid node in the file's tree: {str(node)[:60]}")
    tag = next(iter(node))
    v = node[tag]
    if tag == "$tensor":
        if v not in tensors:
            t = Tensor._wrap(arrays[v])
            if node.get("parameter"):
                t = Parameter(t, requires_grad=bool(node.get("requires_grad")))
            elif node.get("requires_grad"):
                t.requires_grad_(True)
            tensors[v] = t
        return tensors[v]
    if tag == "$ndarray":
        return arrays[v]
    if tag == "$npscalar":
        return arrays[v][()]
    if tag == "$float":
        return float(v)
    if tag == "$complex":
        return complex(_decode(v[0], arrays, tensors), _decode(v[1], arrays, tensors))
    if tag == "$bytes":
        return base64.b64decode(v)
    if tag == "$dtype":
        return backend.to_dtype(v)
    if tag == "$device":
        return backend.Device(str(v))
    if tag == "$npdtype":
        if not isinstance(v, str) or np.dtype(v).kind == "O":
            raise SerializationError(f"invalid NumPy dtype in the file's tree: {str(v)[:40]}")
        return np.dtype(v)
    if tag == "$size":
        return Size(int(d) for d in v)
    if tag == "$slice":
        return slice(*(_decode(x, arrays, tensors) for x in v))
    if tag == "$range":
        return range(*(int(x) for x in v))
    if tag == "$ellipsis":
        return Ellipsis
    if tag in ("$set", "$frozenset"):
        items = [_decode(x, arrays, tensors) for x in v]
        return set(items) if tag == "$set" else frozenset(items)
    if tag in ("$list", "$tuple"):
        items = [_decode(x, arrays, tensors) for x in v]
        return items if tag == "$list" else tuple(items)
    if tag in ("$dict", "$odict"):
        out = OrderedDict() if tag == "$odict" else {}
        for k, x in v:
            out[_decode(k, arrays, tensors)] = _decode(x, arrays, tensors)
        return out
    raise SerializationError(f"unknown tag {tag!r} in the file's tree (written by a newer "
                             f"chaingrad?)")


def _arrays(buf, table, start, payload_len):
    out = []
    for i, entry in enumerate(table):
        if "view" in entry:
            out.append(None)  # made below, once every root is read
            continue
        dtype, shape = entry["dtype"], tuple(int(s) for s in entry["shape"])
        off, nbytes = int(entry["offset"]), int(entry["nbytes"])
        if dtype not in _DTYPES:
            raise SerializationError(f"array {i} has a dtype chaingrad does not load: {dtype!r}")
        dt = np.dtype(dtype)
        count = math.prod(shape)
        if count * dt.itemsize != nbytes or off < 0 or off + nbytes > payload_len or \
                any(s < 0 for s in shape):
            raise SerializationError(f"array {i}'s table entry does not fit the payload")
        arr = np.frombuffer(buf, dtype=dt, count=count, offset=start + off).reshape(shape)
        if dt.byteorder == "<" and not np.little_endian:
            arr = arr.astype(dt.newbyteorder("="))
        out.append(arr)
    for i, entry in enumerate(table):
        if "view" in entry:
            j = entry["view"]
            if not isinstance(j, int) or not 0 <= j < len(out) or out[j] is None or \
                    entry["dtype"] not in _DTYPES:
                raise SerializationError(f"array {i} is a view of no stored array")
            # np.ndarray checks that the window lies inside the root's bytes
            out[i] = np.ndarray(tuple(int(s) for s in entry["shape"]), np.dtype(entry["dtype"]),
                                buffer=out[j], offset=int(entry["offset"]),
                                strides=tuple(int(s) for s in entry["strides"]))
    return out


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load an object written by :func:`save`.

    Args:
        f: a path or a binary file object (read from its position, up to the object's end).
        map_location: accepted for PyTorch compatibility; a device (``'cpu'``, ``'cuda'``)
            moves every tensor there; None, a dict or a callable keep them on the CPU.
        pickle_module, weights_only, mmap: accepted for PyTorch compatibility (a chaingrad
            file only ever holds data, so every load is "weights only").

    Raises:
        SerializationError: empty, truncated, corrupted (checksum), foreign or pickled file,
            or a directory.
        FileNotFoundError: no such file.

    Example::

        model.load_state_dict(cg.load("resnet18.cgt"))
    """
    name = getattr(f, "name", None) or (os.fspath(f) if not hasattr(f, "read") else "<stream>")
    buf = _read_all(f, name)
    where = f"cg.load: {name}"
    if len(buf) == 0:
        raise _EmptyFileError(f"{where} is empty (0 bytes), not a chaingrad file")
    if len(buf) < _PREFIX.size or bytes(buf[:8]) != MAGIC:
        if bytes(buf[:8]) == MAGIC[: min(8, len(buf))] and len(buf) < _PREFIX.size:
            raise SerializationError(f"{where} is truncated ({len(buf)} bytes, shorter than "
                                     f"the 64-byte prefix)")
        raise SerializationError(f"{where} is not a chaingrad file: {_foreign(buf)}")
    magic, version, _, header_len, payload_len, digest = _PREFIX.unpack_from(buf, 0)
    if version != FORMAT_VERSION:
        raise SerializationError(f"{where} has format version {version}; this chaingrad reads "
                                 f"version {FORMAT_VERSION} (a newer chaingrad wrote it?)")
    start = _PREFIX.size + header_len + (-header_len % _ALIGN)
    expected = start + payload_len
    if len(buf) < expected:
        raise SerializationError(f"{where} is truncated: {len(buf)} bytes, expected {expected}")
    if len(buf) > expected:
        raise SerializationError(f"{where} has {len(buf) - expected} unexpected trailing bytes "
                                 f"(corrupted or concatenated)")
    view = memoryview(buf)
    h = hashlib.sha256(view[:32])
    h.update(view[_PREFIX.size:])
    if h.digest() != digest:
        raise SerializationError(f"{where} is corrupted: its sha256 checksum does not match "
                                 f"its contents")
    try:
        header = json.loads(bytes(view[_PREFIX.size:_PREFIX.size + header_len]).decode("utf-8"))
        table, tree = header["arrays"], header["tree"]
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise SerializationError(f"{where} has an unreadable header: {exc}") from None
    try:
        arrays = _arrays(buf, table, start, payload_len)
        obj = _decode(tree, arrays, {})
    except SerializationError as exc:
        raise SerializationError(f"{where}: {exc}") from None
    except (IndexError, KeyError, TypeError, ValueError, RecursionError) as exc:
        # only a hand-crafted file (valid checksum, inconsistent header) gets here
        raise SerializationError(f"{where} has a malformed header: {type(exc).__name__}: "
                                 f"{exc}") from None
    if map_location is not None and not callable(map_location) and \
            not isinstance(map_location, dict) and str(map_location) != "cpu":
        obj = _to_device(obj, str(map_location))
    return obj


def _to_device(obj, device):
    if isinstance(obj, Tensor):
        obj._array = backend.to_device(obj._array, device)
        return obj
    if isinstance(obj, dict):
        for k in obj:
            obj[k] = _to_device(obj[k], device)
        return obj
    if isinstance(obj, (list, tuple)):
        items = [_to_device(v, device) for v in obj]
        return items if isinstance(obj, list) else tuple(items)
    return obj
