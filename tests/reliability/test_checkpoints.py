"""Checkpoints that survive crashes and bad files.

* A child process saves a large state dict (about 24 MB) over and over with ``cg.save``; the
  test SIGKILLs it at a random moment, 20 times. After every kill the checkpoint file loads,
  is complete and self-consistent (every array holds its generation's value), and is never
  older than the last one seen; a temporary file the kill left behind is either refused by
  ``cg.load`` or complete and consistent (a partial file is never taken for a good one).
* Corrupted files (truncated, flipped bytes, wrong header sizes, a pickle whose
  ``__reduce__`` would create a marker file, an empty file, a directory) each raise a
  ``SerializationError`` with a one-line reason and never execute code.
"""
import os
import pickle
import signal
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

import chaingrad as cg
from chaingrad.serialization import SerializationError

from . import report

CHILD = r"""
import sys, numpy as np, chaingrad as cg
path, start = sys.argv[1], int(sys.argv[2])
base = {f"layer{i}.weight": np.zeros((384, 1024), np.float32) for i in range(16)}
print("ready", flush=True)
gen = start
while True:
    state = {"generation": gen,
             "model": {k: cg.tensor(v + gen) for k, v in base.items()},
             "optimizer": {"step": gen, "lr": 0.1}}
    cg.save(state, path)
    gen += 1
"""


def _check_consistent(path):
    state = cg.load(path)
    gen = state["generation"]
    assert state["optimizer"]["step"] == gen
    assert len(state["model"]) == 16
    for t in state["model"].values():
        assert t.shape == (384, 1024) and bool((t == float(gen)).all())
    return gen


def test_sigkill_during_save_never_corrupts_the_checkpoint(tmp_path):
    path = tmp_path / "ckpt.cgt"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    cg.save({"generation": -1, "optimizer": {"step": -1},
             "model": {f"layer{i}.weight": cg.full((384, 1024), -1.0) for i in range(16)}}, path)
    rng = np.random.default_rng(0)
    last, mid_write, partials = _check_consistent(path), 0, 0
    for k in range(20):
        child = subprocess.Popen([sys.executable, str(script), str(path), str(1000 * (k + 1))],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert child.stdout.readline().strip() == b"ready"
        if k % 2:  # a random moment of the save loop (encoding, checksum, write, rename)
            time.sleep(float(rng.uniform(0.0, 0.6)))
        else:  # a random moment while the file is being written
            deadline = time.monotonic() + 10
            while not any(n.endswith(".tmp") for n in os.listdir(tmp_path)):
                assert time.monotonic() < deadline, "the child never started writing"
            time.sleep(float(rng.uniform(0.0, 0.004)))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        gen = _check_consistent(path)  # the checkpoint is whole: old or new, never half
        assert gen >= last, f"checkpoint went back from generation {last} to {gen}"
        last = gen
        leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        if leftovers:
            mid_write += 1
        for p in leftovers:  # a partial file is never taken for a good one
            try:
                _check_consistent(p)  # killed after the last byte, before the rename: whole
            except SerializationError:
                partials += 1
            p.unlink()
    report.figure(f"crash-safe save: 20 SIGKILLs during cg.save of a 24 MB state dict, "
                  f"{mid_write} of them mid-write ({partials} temporary files were partial, "
                  f"all refused by cg.load); the checkpoint loaded intact every time")
    assert partials >= 3, "too few kills landed inside a write to prove anything"


# -- corrupted files ---------------------------------------------------------------------------
@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.cgt"
    cg.save({"w": cg.arange(100, dtype=cg.float32).reshape(10, 10), "step": 7,
             "name": "x"}, path)
    return path


def _expect_error(path, *words):
    with pytest.raises(SerializationError) as info:
        cg.load(path)
    msg = str(info.value)
    assert "\n" not in msg, msg
    for w in words:
        assert w in msg, msg
    return msg


def test_truncated_files_are_refused(good, tmp_path):
    data = good.read_bytes()
    for n in [1, 7, 16, 31, 63, 64, 100, len(data) // 2, len(data) - 1]:
        p = tmp_path / f"t{n}.cgt"
        p.write_bytes(data[:n])
        _expect_error(p, "truncated") if n >= 8 else _expect_error(p)


def test_flipped_bytes_are_caught_by_the_checksum(good, tmp_path):
    data = good.read_bytes()
    rng = np.random.default_rng(1)
    for pos in sorted(set(rng.integers(64, len(data), 40).tolist())):
        bad = bytearray(data)
        bad[pos] ^= 1 << int(rng.integers(0, 8))
        p = tmp_path / "flip.cgt"
        p.write_bytes(bytes(bad))
        if pos >= len(data) - 400 or pos < 64 + 200:  # payload or header: silent otherwise
            _expect_error(p, "checksum")
        else:
            _expect_error(p)


def test_wrong_header_sizes_are_refused(good, tmp_path):
    data = good.read_bytes()
    magic, ver, res, hlen, plen, digest = struct.unpack("<8sIIQQ32s", data[:64])
    for h, pl in [(hlen + 8, plen), (hlen - 8, plen), (hlen, plen + 64), (hlen, plen - 64),
                  (2 ** 62, plen), (hlen, 2 ** 63)]:
        p = tmp_path / "sizes.cgt"
        p.write_bytes(struct.pack("<8sIIQQ32s", magic, ver, res, h, pl, digest) + data[64:])
        _expect_error(p)


def test_pickle_is_refused_and_never_executed(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    for proto in (2, 4, 5):
        p = tmp_path / f"evil{proto}.pt"
        p.write_bytes(pickle.dumps({"state_dict": Evil()}, protocol=proto))
        _expect_error(p, "pickle")
        assert not marker.exists(), "loading a pickle executed code"
    torch = pytest.importorskip("torch")
    p = tmp_path / "torch.pt"
    torch.save({"w": torch.ones(2)}, p)
    _expect_error(p, "convert")


def test_empty_file_and_directory_are_refused(tmp_path):
    p = tmp_path / "empty.cgt"
    p.write_bytes(b"")
    _expect_error(p, "empty")
    _expect_error(tmp_path, "directory")
    with pytest.raises(FileNotFoundError):
        cg.load(tmp_path / "missing.cgt")


def test_checksum_detects_silent_corruption_of_a_value(good, tmp_path):
    """A flipped bit in a weight is a valid float: only the checksum can tell."""
    data = bytearray(good.read_bytes())
    data[-5] ^= 0x01  # the low mantissa bit of the last float32 of the payload... stays valid
    p = tmp_path / "silent.cgt"
    p.write_bytes(bytes(data))
    msg = _expect_error(p, "checksum")
    assert "corrupted" in msg
