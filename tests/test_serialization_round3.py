"""Round-3 conformance of cg.save / cg.load with torch.save / torch.load: requires_grad of
non-leaf tensors, sets / Size / device / dtype values, several objects in one stream, PyTorch's
keywords, and the error types for bad paths and files (compared with torch directly)."""
import io
import pickle
import warnings

import numpy as np
import pytest
import torch

import chaingrad as cg


def _rt(lib, obj, **kw):
    buf = io.BytesIO()
    lib.save(obj, buf)
    buf.seek(0)
    return lib.load(buf, **kw)


def test_requires_grad_of_non_leaf_is_kept_as_torch():
    for lib in (torch, cg):
        t = _rt(lib, lib.ones(2, requires_grad=True) * 2)
        assert t.requires_grad and t.is_leaf and t.tolist() == [2.0, 2.0]
        p = _rt(lib, lib.nn.Parameter(lib.ones(2), requires_grad=False))
        assert isinstance(p, lib.nn.Parameter) and not p.requires_grad


@pytest.mark.parametrize("make", [
    lambda L: {1, 2, 3},
    lambda L: L.Size([2, 3]),
    lambda L: [L.float16, L.int64, L.bool],
    lambda L: {"dev": L.device("cpu"), "cuda": L.device("cuda:1")},
    lambda L: {"x": (1, {"s": {"a"}}), 3: [None, True, 2 ** 70, float("inf")]},
])
def test_plain_values_round_trip_as_torch(make):
    def desc(r):
        if isinstance(r, (torch.Size, cg.Size)):
            return ("Size", list(r))
        if isinstance(r, (torch.dtype, cg.dtype)) or type(r).__name__.lower() == "device":
            return (type(r).__name__.lower(), str(r).split(".")[-1])
        if isinstance(r, dict):
            return {k: desc(v) for k, v in r.items()}
        if isinstance(r, (list, tuple)):
            return (type(r).__name__, [desc(x) for x in r])
        if isinstance(r, set):
            return ("set", sorted(desc(x) for x in r))
        return r

    got = _rt(cg, make(cg))
    assert desc(got) == desc(_rt(torch, make(torch), weights_only=True))
    if isinstance(got, cg.Size):
        assert type(got) is cg.Size


def test_more_values_cg_stores_without_code():
    obj = {"fs": frozenset({1}), "sl": slice(1, None, 2), "r": range(2, 9, 3), "e": ...,
           "nd": np.dtype("float32")}
    back = _rt(cg, obj)
    assert back == obj and type(back["fs"]) is frozenset


def test_objects_saved_one_after_another_in_a_stream():
    for lib in (torch, cg):
        buf = io.BytesIO()
        lib.save(lib.ones(1), buf)
        lib.save({"b": lib.zeros(2)}, buf)
        buf.seek(0)
        assert lib.load(buf).tolist() == [1.0]
        if lib is cg:  # torch reads its first zip record only; chaingrad goes on
            assert cg.load(buf)["b"].tolist() == [0.0, 0.0]


def test_pytorch_keywords_accepted():
    buf = io.BytesIO()
    cg.save(cg.ones(1), buf, pickle_module=pickle, pickle_protocol=4,
            _use_new_zipfile_serialization=True)
    buf.seek(0)
    assert cg.load(buf, "cpu", None, weights_only=False, mmap=None).tolist() == [1.0]
    for ml in ("cpu", cg.device("cpu"), lambda s, loc: s, {"cuda:0": "cpu"}):
        assert _rt(cg, {"a": cg.ones(2)}, map_location=ml)["a"].tolist() == [1.0, 1.0]


def test_errors_have_torch_types(tmp_path):
    def raised(fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - the type is the point
            return e
        raise AssertionError("no error")

    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "junk").write_bytes(b"garbage" * 10)
    cases = {
        "empty": (lambda L: L.load(tmp_path / "empty"), EOFError),
        "junk": (lambda L: L.load(tmp_path / "junk"), pickle.UnpicklingError),
        "missing": (lambda L: L.load(tmp_path / "nope"), FileNotFoundError),
        "directory": (lambda L: L.load(tmp_path), IsADirectoryError),
        "save into missing dir": (lambda L: L.save(L.ones(1), tmp_path / "no" / "x"),
                                  RuntimeError),
        "save onto a directory": (lambda L: L.save(L.ones(1), tmp_path), RuntimeError),
    }
    for name, (fn, cls) in cases.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert isinstance(raised(lambda: fn(torch)), cls), name
        assert isinstance(raised(lambda: fn(cg)), cls), name
    assert "Parent directory" in str(raised(lambda: cg.save(1, tmp_path / "no" / "x")))
    assert not list(tmp_path.glob(".*tmp"))  # nothing left behind


def test_optimizer_and_model_state_round_trip_through_a_path(tmp_path):
    cg.manual_seed(0)
    m = cg.nn.Sequential(cg.nn.Linear(3, 2), cg.nn.BatchNorm1d(2))
    opt = cg.optim.Adam(m.parameters(), lr=0.01)
    m(cg.randn(4, 3)).sum().backward()
    opt.step()
    cg.save({"model": m.state_dict(), "optim": opt.state_dict()}, tmp_path / "ck.pt")
    ck = cg.load(tmp_path / "ck.pt", weights_only=True)
    assert list(ck["model"]) == list(m.state_dict())
    assert ck["model"]["1.num_batches_tracked"].dtype == cg.int64
    assert sorted(ck["optim"]["state"]) == [0, 1, 2, 3]
    opt2 = cg.optim.Adam(m.parameters(), lr=0.5)
    opt2.load_state_dict(ck["optim"])
    assert opt2.param_groups[0]["lr"] == 0.01
    np.testing.assert_array_equal(opt2.state_dict()["state"][0]["exp_avg"].numpy(),
                                  opt.state_dict()["state"][0]["exp_avg"].numpy())


def test_views_load_sharing_memory_as_torch():
    def views(lib):
        t = lib.arange(6.0)
        return [t, t[1:4], t.view(2, 3), t[::2], t.view(2, 3).t(), t[1:].view(1, 5)]

    got = {}
    for lib in (torch, cg):
        back = _rt(lib, views(lib))
        back[0][1] = 50
        back[0][2] = 70
        got[lib.__name__] = [x.tolist() for x in back]
    assert got["chaingrad"] == got["torch"]
    alone = _rt(cg, [cg.arange(6.0)[2:]])[0]  # a view saved without its base: just its data
    assert alone.tolist() == [2.0, 3.0, 4.0, 5.0]


def _forge(obj, edit):
    """A file holding ``obj`` whose header's array table is changed by ``edit``, with a valid
    checksum (what only a hand-crafted file can be)."""
    import hashlib
    import json
    import struct
    from chaingrad import serialization as S
    buf = io.BytesIO()
    cg.save(obj, buf)
    data = buf.getvalue()
    magic, ver, res, hlen, plen, _ = S._PREFIX.unpack_from(data, 0)
    header = json.loads(data[64:64 + hlen])
    edit(header["arrays"])
    new = json.dumps(header, separators=(",", ":")).encode()
    payload = data[64 + hlen + (-hlen % 64):]
    body = new + b"\x00" * (-len(new) % 64) + payload
    head = S._PREFIX.pack(magic, ver, res, len(new), plen, b"\x00" * 32)
    digest = hashlib.sha256(head[:32] + body).digest()
    return S._PREFIX.pack(magic, ver, res, len(new), plen, digest) + body


@pytest.mark.parametrize("edit", [
    lambda a: a[1].update(offset=10 ** 6),           # outside the root's bytes
    lambda a: a[1].update(strides=[8 * 10 ** 6]),
    lambda a: a[1].update(view=1),                   # a view of itself
    lambda a: a[1].update(view=7),
    lambda a: a[1].update(dtype="|O"),
])
def test_forged_view_entries_are_refused(edit):
    t = cg.arange(6.0)
    data = _forge([t, t[1:4]], edit)
    from chaingrad.serialization import SerializationError
    with pytest.raises(SerializationError):
        cg.load(io.BytesIO(data))
    assert cg.load(io.BytesIO(_forge([t, t[1:4]], lambda a: None)))[1].tolist() == [1, 2, 3]
