"""RNN layers: repr and the dtype check of the input, as PyTorch."""
import pytest

import chaingrad as cg

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name,kw", [
    ("RNN", dict(num_layers=2, nonlinearity="relu")),
    ("LSTM", dict(num_layers=2, proj_size=2, bias=False, batch_first=True, dropout=0.1,
                  bidirectional=True)),
    ("GRU", dict(bidirectional=True)),
])
def test_repr(name, kw):
    assert repr(getattr(cg.nn, name)(3, 4, **kw)) == repr(getattr(torch.nn, name)(3, 4, **kw))


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_input_dtype_must_match_weights(name):
    for m in (torch, cg):
        with pytest.raises(ValueError):
            getattr(m.nn, name)(3, 4)(m.ones(2, 1, 3, dtype=m.float64))
