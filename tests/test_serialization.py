"""cg.save / cg.load: round trips of everything a checkpoint holds, and every broken file."""
from __future__ import annotations

import io
import math
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import chaingrad as cg
from chaingrad.serialization import SerializationError


def _equal(a, b):
    if isinstance(a, cg.Tensor):
        assert isinstance(b, cg.Tensor) and type(a) is type(b)
        assert a._array.dtype == b._array.dtype and a.shape == b.shape
        assert a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a._array, b._array)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert type(a) is type(b) and list(a) == list(b)
        for k in a:
            _equal(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _equal(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b)
    else:
        assert type(a) is type(b) and a == b


DTYPES = [cg.float16, cg.float32, cg.float64, cg.int8, cg.uint8, cg.int16, cg.int32, cg.int64,
          cg.bool]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 0, 4), (2, 3, 5)])
def test_tensor_round_trip(tmp_path, dtype, shape):
    rng = np.random.default_rng(0)
    t = cg.tensor((rng.standard_normal(shape) * 50).astype(cg.backend.np_dtype(dtype)))
    cg.save(t, tmp_path / "t.cgt")
    _equal(t, cg.load(tmp_path / "t.cgt"))


def test_nested_checkpoint_round_trip(tmp_path):
    cg.manual_seed(0)
    w = cg.randn(4, 3, dtype=cg.float64)
    obj = {
        "model": OrderedDict([("fc.weight", w), ("fc.bias", cg.zeros(4)),
                              ("bn.num_batches_tracked", cg.tensor(7))]),
        "optim": {"state": {0: {"step": cg.tensor(3.0), "exp_avg": cg.ones(4, 3)}},
                  "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0],
                                    "foreach": None, "nesterov": False}]},
        "config": {"epochs": 10, "name": "run-ü", "sizes": [784, 128, 10], "big": 2 ** 100,
                   "neg": -3, "inf": math.inf, "ninf": -math.inf, "nan": math.nan,
                   "z": 1 + 2j, "raw": b"\x00\xff", "dtype": cg.float64},
        "rng": cg.get_rng_state(),
        "numpy": {"a": np.arange(6).reshape(2, 3), "s": np.float32(1.5), "i": np.int64(-2)},
        (1, "tuple-key"): None, 2.5: True, None: "none-key",
        "param": cg.Parameter(cg.ones(2)),
        "frozen": cg.Parameter(cg.ones(2), requires_grad=False),
        "leaf": cg.ones(3, requires_grad=True),
    }
    cg.save(obj, tmp_path / "ck.cgt")
    back = cg.load(tmp_path / "ck.cgt")
    _equal(obj, back)
    assert back["optim"]["state"][0]["exp_avg"]._array.flags.writeable
    cg.set_rng_state(back["rng"])  # exact resume of the random stream
    a = cg.rand(3)
    cg.set_rng_state(obj["rng"])
    np.testing.assert_array_equal(a._array, cg.rand(3)._array)


def test_shared_tensor_loads_shared_and_file_objects():
    t = cg.randn(3)
    buf = io.BytesIO()
    cg.save({"a": t, "b": [t]}, buf)
    buf.seek(0)
    back = cg.load(buf)
    assert back["a"] is back["b"][0]
    back["a"]._array[0] = 42.0
    assert back["b"][0]._array[0] == 42.0


def test_non_contiguous_and_big_endian_arrays(tmp_path):
    a = np.arange(20, dtype=">f8").reshape(4, 5)[:, ::2]
    cg.save({"a": a, "t": cg.tensor(np.arange(12.0).reshape(3, 4)).T}, tmp_path / "x")
    back = cg.load(tmp_path / "x")
    np.testing.assert_array_equal(back["a"], a)
    np.testing.assert_array_equal(back["t"]._array, np.arange(12.0).reshape(3, 4).T)


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path, monkeypatch):
    path = tmp_path / "ck.cgt"
    cg.save({"v": 1}, path)
    calls = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real_fsync(fd)))

    class Boom:  # fails half-way through encoding: the old file must survive
        pass

    with pytest.raises(TypeError, match="Boom"):
        cg.save({"v": 2, "bad": Boom()}, path)
    assert cg.load(path) == {"v": 1}
    cg.save({"v": 3}, path)
    assert cg.load(path) == {"v": 3}
    assert len(calls) >= 1  # the file (and directory) were fsynced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.cgt"]
    assert (os.stat(path).st_mode & 0o777) == (0o666 & ~_umask())


def _umask():
    m = os.umask(0)
    os.umask(m)
    return m


def test_refuses_what_it_cannot_store(tmp_path):
    with pytest.raises(TypeError, match="state_dict"):
        class M:
            def state_dict(self):
                return {}
        cg.save(M(), tmp_path / "m")
    with pytest.raises(TypeError, match=r"object at obj\['x'\]\[1\]"):
        cg.save({"x": [1, object()]}, tmp_path / "m")
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        cg.save(loop, tmp_path / "m")
    assert not (tmp_path / "m").exists()


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.cgt"
    cg.save({"w": cg.randn(8, 8), "step": 3, "name": "layer1.0.conv1"}, path)
    return path


def test_truncated_files(good, tmp_path):
    data = good.read_bytes()
    for n in (1, 7, 20, 63, 64, 100, len(data) - 1):
        p = tmp_path / f"trunc{n}"
        p.write_bytes(data[:n])
        with pytest.raises(SerializationError, match="truncated|not a chaingrad"):
            cg.load(p)


def test_every_flipped_byte_is_detected(good, tmp_path):
    data = bytearray(good.read_bytes())
    rng = np.random.default_rng(1)
    positions = list(range(0, 64)) + list(rng.integers(64, len(data), 60))
    for i in positions:
        bad = bytearray(data)
        bad[i] ^= 1 << int(rng.integers(0, 8))
        p = tmp_path / "flip"
        p.write_bytes(bytes(bad))
        with pytest.raises(SerializationError):
            cg.load(p)


def test_trailing_garbage_empty_directory_missing(good, tmp_path):
    p = tmp_path / "long"
    p.write_bytes(good.read_bytes() + b"\x00")
    with pytest.raises(SerializationError, match="trailing"):
        cg.load(p)
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(SerializationError, match="empty"):
        cg.load(tmp_path / "empty")
    with pytest.raises(SerializationError, match="directory") as info:
        cg.load(tmp_path)
    assert isinstance(info.value, IsADirectoryError)
    with pytest.raises(FileNotFoundError):
        cg.load(tmp_path / "missing.cgt")


def test_foreign_files_are_refused_without_running_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    (tmp_path / "p.pkl").write_bytes(pickle.dumps({"x": Evil()}))
    with pytest.raises(SerializationError, match="pickle"):
        cg.load(tmp_path / "p.pkl")
    assert not (tmp_path / "pwned").exists()
    with zipfile.ZipFile(tmp_path / "z.pth", "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    with pytest.raises(SerializationError, match="zip archive"):
        cg.load(tmp_path / "z.pth")
    np.save(tmp_path / "a.npy", np.ones(3))
    with pytest.raises(SerializationError, match="npy"):
        cg.load(tmp_path / "a.npy")
    (tmp_path / "t.txt").write_text("hello world, definitely not a checkpoint")
    with pytest.raises(SerializationError, match="magic"):
        cg.load(tmp_path / "t.txt")
    # a newer format version is named
    good = io.BytesIO()
    cg.save(1, good)
    data = bytearray(good.getvalue())
    data[8] = 9
    (tmp_path / "v9").write_bytes(bytes(data))
    with pytest.raises(SerializationError, match="version 9"):
        cg.load(tmp_path / "v9")


def test_errors_are_runtime_and_value_errors(tmp_path):
    (tmp_path / "e").write_bytes(b"")
    for cls in (RuntimeError, ValueError):
        with pytest.raises(cls):
            cg.load(tmp_path / "e")


def test_torch_state_dict_is_not_loadable_directly_but_converts(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.ones(2)}, tmp_path / "t.pth")
    with pytest.raises(SerializationError, match="convert-torch"):
        cg.load(tmp_path / "t.pth")


def test_map_location_and_weights_only_accepted(good):
    a = cg.load(good, map_location="cpu", weights_only=True)
    b = cg.load(str(good), map_location=None)
    _equal(a, b)


def _forge(header: dict, payload: bytes = b"") -> bytes:
    """A file with a valid checksum around an arbitrary (hostile) header."""
    import hashlib
    import json
    import struct
    from chaingrad.serialization import MAGIC
    h = json.dumps(header).encode()
    body = h + b"\x00" * (-len(h) % 64) + payload
    prefix = struct.pack("<8sIIQQ", MAGIC, 1, 0, len(h), len(payload))
    return prefix + hashlib.sha256(prefix + body).digest() + body


@pytest.mark.parametrize("header", [
    {"tree": {"$tensor": 5}, "arrays": []},
    {"tree": {"$evil": "os.system"}, "arrays": []},
    {"tree": {"$ndarray": 0}, "arrays": [{"dtype": "|O", "shape": [1], "offset": 0,
                                          "nbytes": 8}]},
    {"tree": {"$ndarray": 0}, "arrays": [{"dtype": "<f8", "shape": [1000], "offset": 0,
                                          "nbytes": 8000}]},
    {"tree": {"$ndarray": 0}, "arrays": [{"dtype": "<f8", "shape": [-1], "offset": 0,
                                          "nbytes": -8}]},
    {"tree": {"$dict": [[1]]}, "arrays": []},
    {"arrays": []},
])
def test_hostile_headers_with_valid_checksums(tmp_path, header):
    (tmp_path / "h").write_bytes(_forge(header, b"\x00" * 64))
    with pytest.raises(SerializationError):
        cg.load(tmp_path / "h")
