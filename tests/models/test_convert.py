"""`chaingrad convert-torch IN.pth OUT`: real torch.save files in, cg.load-able files out."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import chaingrad as cg
from chaingrad.cli.main import main

torch = pytest.importorskip("torch")


def _net():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3),
                               torch.nn.Linear(3, 2))


def test_state_dict_converts_exactly(tmp_path, capsys):
    net = _net()
    net(torch.randn(5, 4))  # non-trivial running statistics
    torch.save(net.state_dict(), tmp_path / "net.pth")
    assert main(["convert-torch", str(tmp_path / "net.pth"), str(tmp_path / "net.cgt")]) == 0
    assert "9 tensors" in capsys.readouterr().out
    sd = cg.load(tmp_path / "net.cgt")
    ref = net.state_dict()
    assert list(sd) == list(ref)
    for k, v in ref.items():
        assert isinstance(sd[k], cg.Tensor)
        assert sd[k]._array.dtype == v.numpy().dtype, k
        np.testing.assert_array_equal(sd[k]._array, v.numpy(), err_msg=k)
    assert sd["1.num_batches_tracked"]._array.dtype == np.int64


def test_nested_checkpoint_key_and_prefix(tmp_path):
    net = _net()
    opt = torch.optim.Adam(net.parameters())
    net(torch.randn(5, 4)).sum().backward()
    opt.step()
    sd = {"module." + k: v for k, v in net.state_dict().items()}
    torch.save({"model": sd, "optimizer": opt.state_dict(), "epoch": 3,
                "shape": torch.Size([2, 3]), "bf": torch.ones(2, dtype=torch.bfloat16)},
               tmp_path / "ck.pth")
    assert main(["convert-torch", str(tmp_path / "ck.pth"), str(tmp_path / "all.cgt"),
                 "-q"]) == 0
    everything = cg.load(tmp_path / "all.cgt")
    assert everything["epoch"] == 3 and everything["shape"] == (2, 3)
    assert everything["bf"]._array.dtype == np.float32
    st = everything["optimizer"]["state"][0]
    np.testing.assert_array_equal(st["exp_avg"]._array,
                                  opt.state_dict()["state"][0]["exp_avg"].numpy())
    assert main(["convert-torch", str(tmp_path / "ck.pth"), str(tmp_path / "m.cgt"), "-q",
                 "--key", "model", "--strip-prefix", "module."]) == 0
    assert list(cg.load(tmp_path / "m.cgt")) == list(net.state_dict())


def test_clear_errors(tmp_path, capsys, monkeypatch):
    (tmp_path / "junk.pth").write_bytes(b"not a torch file at all")
    assert main(["convert-torch", str(tmp_path / "junk.pth"), str(tmp_path / "o")]) == 2
    assert "could not read" in capsys.readouterr().err
    assert main(["convert-torch", str(tmp_path / "missing.pth"), str(tmp_path / "o")]) == 2
    assert "no such file" in capsys.readouterr().err
    torch.save(_net(), tmp_path / "whole_model.pth")  # a pickled Module, not a state_dict
    assert main(["convert-torch", str(tmp_path / "whole_model.pth"), str(tmp_path / "o")]) == 2
    assert "weights-only" in capsys.readouterr().err
    torch.save({"model": _net().state_dict()}, tmp_path / "k.pth")
    assert main(["convert-torch", str(tmp_path / "k.pth"), str(tmp_path / "o"), "--key",
                 "state_dict"]) == 2
    assert "'model'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    monkeypatch.setitem(sys.modules, "torch", None)  # as if PyTorch were not installed
    assert main(["convert-torch", str(tmp_path / "k.pth"), str(tmp_path / "o")]) == 2
    assert "PyTorch is not installed" in capsys.readouterr().err


def test_command_line_entry_point(tmp_path):
    torch.save({"w": torch.arange(6.0).reshape(2, 3)}, tmp_path / "w.pth")
    proc = subprocess.run([sys.executable, "-m", "chaingrad", "convert-torch",
                           str(tmp_path / "w.pth"), str(tmp_path / "w.cgt")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_array_equal(cg.load(tmp_path / "w.cgt")["w"]._array,
                                  np.arange(6.0, dtype=np.float32).reshape(2, 3))
