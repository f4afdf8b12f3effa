"""MultiheadAttention prints as PyTorch's (no extra line, out_proj under PyTorch's class name)."""
import pytest

import chaingrad as cg

torch = pytest.importorskip("torch")


def test_multihead_attention_repr():
    assert repr(cg.nn.MultiheadAttention(4, 2)) == repr(torch.nn.MultiheadAttention(4, 2))
    m = cg.nn.MultiheadAttention(4, 2)
    assert isinstance(m.out_proj, cg.nn.Linear)
    assert "out_proj.weight" in m.state_dict()


def test_parameter_dict_sorts_a_plain_dict_keeps_ordered():
    from collections import OrderedDict
    for M in (cg, torch):
        p = M.nn.ParameterDict({"b": M.nn.Parameter(M.ones(1)), "a": M.nn.Parameter(M.ones(1))})
        assert list(p.keys()) == ["a", "b"]
        q = M.nn.ParameterDict(OrderedDict([("b", M.nn.Parameter(M.ones(1))),
                                            ("a", M.nn.Parameter(M.ones(1)))]))
        assert list(q.keys()) == ["b", "a"]
        m = M.nn.ModuleDict({"b": M.nn.ReLU(), "a": M.nn.Tanh()})
        assert list(m.keys()) == ["b", "a"]
