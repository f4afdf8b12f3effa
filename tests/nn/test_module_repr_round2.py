"""MultiheadAttention prints as PyTorch's (no extra line, out_proj under PyTorch's class name)."""
import pytest

import chaingrad as cg

torch = pytest.importorskip("torch")


def test_multihead_attention_repr():
    assert repr(cg.nn.MultiheadAttention(4, 2)) == repr(torch.nn.MultiheadAttention(4, 2))
    m = cg.nn.MultiheadAttention(4, 2)
    assert isinstance(m.out_proj, cg.nn.Linear)
    assert "out_proj.weight" in m.state_dict()
