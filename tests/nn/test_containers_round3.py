"""Round-3 audit: containers and Module details as PyTorch has them (ParameterList /
ParameterDict protocol and repr, Sequential * n and +=, dir() without digit keys)."""
from collections import OrderedDict

import pytest

import chaingrad as cg

torch = pytest.importorskip("torch")

LIBS = (cg, torch)


def _norm(s):
    return s.replace("torch", "X").replace("chaingrad", "X")


def _raises(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - we compare the types
        return type(e).__name__
    return None


def _plist(M):
    return M.nn.ParameterList([M.nn.Parameter(M.ones(1)), M.nn.Parameter(M.zeros(2, 3))])


def _pdict(M):
    return M.nn.ParameterDict({"b": M.nn.Parameter(M.ones(1)),
                               "a": M.nn.Parameter(M.zeros(2, 3, dtype=M.float64))})


def test_parameter_list_repr_and_index_errors():
    assert _norm(repr(_plist(cg))) == _norm(repr(_plist(torch)))
    assert repr(cg.nn.ParameterList()) == repr(torch.nn.ParameterList())
    for idx in (2, -3):
        assert _raises(lambda: _plist(cg)[idx]) == _raises(lambda: _plist(torch)[idx]) \
            == "IndexError"
    assert _raises(lambda: cg.nn.ParameterList()[0]) == "IndexError"
    assert _raises(lambda: _plist(cg).__setitem__(5, cg.ones(1))) == "IndexError"
    assert _raises(lambda: _plist(cg).extend(cg.ones(2))) == "TypeError"
    assert _raises(lambda: _plist(cg)(1)) == "RuntimeError"


def test_parameter_list_wraps_tensors_and_keeps_other_objects():
    for M in LIBS:
        pl = M.nn.ParameterList([M.ones(1), 3])
        assert type(pl[0]).__name__ == "Parameter" and pl[0].requires_grad
        assert pl[1] == 3
        assert [n for n, _ in pl.named_parameters()] == ["0"]
        pl += [M.ones(2)]
        assert len(pl) == 3 and len(pl[1:]) == 2 and "0" not in dir(pl)
        assert _norm(repr(pl)).startswith("ParameterList(\n    (0): Parameter containing: [X.float32")
        assert "(1): Object of type: int" in repr(pl)


def test_parameter_dict_protocol():
    for M in LIBS:
        d = _pdict(M)
        assert list(d) == ["a", "b"] and "a" in d and len(d) == 2
        assert d.get("zz", 5) == 5 and tuple(d.get("a").shape) == (2, 3)
        assert tuple(d.setdefault("c", M.nn.Parameter(M.ones(4))).shape) == (4,)
        assert list(d.copy().keys()) == ["a", "b", "c"]
        assert list(reversed(d)) == ["c", "b", "a"]
        k, v = d.popitem()
        assert k == "c" and tuple(v.shape) == (4,)
        assert tuple(d.pop("a").shape) == (2, 3) and list(d.keys()) == ["b"]
        e = d | M.nn.ParameterDict({"z": M.ones(1)})
        assert list(e.keys()) == ["b", "z"] and type(e["z"]).__name__ == "Parameter"
        d |= {"y": M.ones(2)}
        assert [n for n, _ in d.named_parameters()] == ["b", "y"]
        assert list(d.fromkeys(["x", "w"]).keys()) == ["x", "w"]
        assert list(M.nn.ParameterDict([("q", M.ones(1)), ("p", M.ones(1))]).keys()) == ["q", "p"]
        d.clear()
        assert len(d) == 0 and list(d.parameters()) == []
    # a missing key is an AttributeError in PyTorch (the entries are attributes)
    assert _raises(lambda: _pdict(cg)["zz"]) == _raises(lambda: _pdict(torch)["zz"])
    assert _raises(lambda: _pdict(cg)[1]) == _raises(lambda: _pdict(torch)[1]) == "TypeError"
    assert _raises(lambda: _pdict(cg).update(3)) == "TypeError"
    assert _raises(lambda: _pdict(cg).update([("a", 1, 2)])) == "ValueError"


def test_parameter_dict_repr():
    assert _norm(repr(_pdict(cg))) == _norm(repr(_pdict(torch)))
    one = {"a": 1}
    assert _norm(repr(cg.nn.ParameterDict(one))) == _norm(repr(torch.nn.ParameterDict(one)))


def _seq(M):
    return M.nn.Sequential(M.nn.Linear(1, 2), M.nn.ReLU())


def test_sequential_mul_and_iadd():
    for M in LIBS:
        s = _seq(M) * 2
        assert len(s) == 4 and s[0] is s[2]
        assert len(3 * _seq(M)) == 6
        t = _seq(M)
        t *= 3
        assert list(t._modules) == [str(i) for i in range(6)]
        u = _seq(M)
        u += _seq(M)
        assert len(u) == 4
    assert _norm(repr(_seq(cg) * 2)) == _norm(repr(_seq(torch) * 2))
    for bad, err in ((0, "ValueError"), (1.5, "TypeError")):
        assert _raises(lambda: _seq(cg) * bad) == _raises(lambda: _seq(torch) * bad) == err
    assert _raises(lambda: _seq(cg).__iadd__([1])) == "ValueError"


def test_dir_leaves_out_digit_names():
    for M in LIBS:
        names = dir(M.nn.Sequential(M.nn.ReLU()))
        assert "0" not in names and "forward" in names


def test_conv1d_padding_mode_with_same_and_repr():
    x = torch.randn(2, 3, 7, dtype=torch.float64)
    for pad, mode in (("same", "reflect"), ("same", "circular"), ("valid", "replicate"),
                      (2, "reflect")):
        t = torch.nn.Conv1d(3, 4, 4, padding=pad, padding_mode=mode, dilation=1).double()
        c = cg.nn.Conv1d(3, 4, 4, padding=pad, padding_mode=mode).double()
        c.load_state_dict({k: cg.tensor(v.numpy()) for k, v in t.state_dict().items()})
        y = c(cg.tensor(x.numpy()))
        assert y.shape == tuple(t(x).shape)
        assert abs(y._array - t(x).detach().numpy()).max() < 1e-10
        assert repr(c) == repr(t)
    for kw in (dict(padding_mode="foo"), dict(padding="full")):
        assert _raises(lambda: cg.nn.Conv1d(3, 4, 3, **kw)) == \
            _raises(lambda: torch.nn.Conv1d(3, 4, 3, **kw)) == "ValueError"
