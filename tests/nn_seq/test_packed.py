"""nn.utils.rnn (pad/pack sequences) and recurrent layers on a PackedSequence, against
PyTorch: packed data, batch sizes, indices, outputs, h_n and all gradients."""
import numpy as np
import pytest

import chaingrad as cg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
SEQS = [RNG.standard_normal((n, 3)) for n in (2, 5, 3)]
LENGTHS = [2, 5, 3]
PADDED = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in SEQS]).numpy()


def close(c, t):
    np.testing.assert_allclose(c.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kw", [{}, dict(batch_first=True, padding_value=-1.0),
                                dict(padding_side="left")])
def test_pad_sequence(kw):
    close(cg.nn.utils.rnn.pad_sequence([cg.tensor(s) for s in SEQS], **kw),
          torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in SEQS], **kw))


@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_round_trip_with_gradient(batch_first):
    x_np = PADDED.transpose(1, 0, 2).copy() if batch_first else PADDED
    res = []
    for m in (torch, cg):
        u = m.nn.utils.rnn
        x = m.tensor(x_np, requires_grad=True)
        p = u.pack_padded_sequence(x, LENGTHS, batch_first=batch_first, enforce_sorted=False)
        y, lens = u.pad_packed_sequence(p, batch_first=batch_first, total_length=6)
        (y * y).sum().backward()
        res.append((p.data, p.batch_sizes, p.sorted_indices, p.unsorted_indices, y, lens, x.grad))
    for c, t in zip(res[1], res[0]):
        close(c, t)


def test_pack_sequence_checks():
    for m in (torch, cg):
        u = m.nn.utils.rnn
        with pytest.raises(RuntimeError):  # not sorted by decreasing length
            u.pack_sequence([m.tensor(s) for s in SEQS])
        with pytest.raises(RuntimeError):
            u.pack_padded_sequence(m.tensor(PADDED), [0, 5, 3], enforce_sorted=False)
        p = u.pack_sequence([m.tensor(s) for s in SEQS], enforce_sorted=False)
        with pytest.raises(ValueError):
            u.pad_packed_sequence(p, total_length=3)
        assert [tuple(s.shape) for s in u.unpack_sequence(p)] == [(2, 3), (5, 3), (3, 3)]


@pytest.mark.parametrize("name,kw", [("GRU", {}), ("LSTM", dict(num_layers=2, bidirectional=True)),
                                     ("RNN", dict(batch_first=True))])
@pytest.mark.parametrize("with_h0", [False, True])
def test_recurrent_layers_on_packed_sequences(name, kw, with_h0):
    bf = kw.get("batch_first", False)
    x_np = (PADDED.transpose(1, 0, 2) if bf else PADDED).astype(np.float32).copy()
    d = (2 if kw.get("bidirectional") else 1) * kw.get("num_layers", 1)
    h0 = RNG.standard_normal((d, 3, 4)).astype(np.float32)
    torch.manual_seed(0)
    tm = getattr(torch.nn, name)(3, 4, **kw)
    cm = getattr(cg.nn, name)(3, 4, **kw)
    cm.load_state_dict({k: cg.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    res = []
    for m, mod in ((torch, tm), (cg, cm)):
        x = m.tensor(x_np, requires_grad=True)
        p = m.nn.utils.rnn.pack_padded_sequence(x, LENGTHS, batch_first=bf, enforce_sorted=False)
        hx = None
        if with_h0:
            hx = m.tensor(h0)
            hx = (hx, hx * 0.5) if name == "LSTM" else hx
        out, h = mod(p, hx)
        y, _ = m.nn.utils.rnn.pad_packed_sequence(out, batch_first=bf)
        hn = h[0] if name == "LSTM" else h
        (y.sum() + (hn * hn).sum()).backward()
        res.append([out.data, out.batch_sizes, y, hn, x.grad] + [q.grad for q in mod.parameters()])
    for c, t in zip(res[1], res[0]):
        close(c, t)
