"""RNN / LSTM / GRU and their cells against PyTorch (float64): forward, final states and the
gradients of inputs, initial states and every parameter, through PyTorch's state_dict."""
import numpy as np
import pytest
import torch

import chaingrad as cg
from chaingrad.nn.layers.recurrent import RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell
from tests.nn_seq.compare import compare_module
from tests.oracle import check_op

F64 = cg.float64
I, H, T, B = 3, 4, 5, 2
MODES = {  # name -> (our class, torch class, extra kwargs)
    "rnn_tanh": (RNN, torch.nn.RNN, {}),
    "rnn_relu": (RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (LSTM, torch.nn.LSTM, {}),
    "gru": (GRU, torch.nn.GRU, {}),
}
CONFIGS = [  # (num_layers, bidirectional, batch_first, bias, initial state, batched)
    (1, False, False, True, False, True),
    (1, False, True, True, True, True),
    (2, False, False, False, True, True),
    (1, True, False, True, True, True),
    (2, True, True, True, True, True),
    (2, True, False, True, False, False),
    (1, False, False, False, True, False),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("cfg", CONFIGS,
                         ids=lambda c: "L{}_bi{:d}_bf{:d}_b{:d}_h{:d}_x{:d}".format(*c))
def test_sequence_layer_matches_torch(mode, cfg):
    L, bi, bf, bias, with_h, batched = cfg
    ours, theirs, kw = MODES[mode]
    kw = dict(kw, num_layers=L, bidirectional=bi, batch_first=bf, bias=bias)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(((B, T, I) if bf else (T, B, I)) if batched else (T, I))
    hshape = (L * (2 if bi else 1),) + ((B,) if batched else ()) + (H,)
    states = [rng.standard_normal(hshape) for _ in range(2 if mode == "lstm" else 1)]
    if not with_h:
        arrays, call = [x], None
    elif mode == "lstm":
        arrays, call = [x] + states, (lambda m, x, h, c: m(x, (h, c)))
    else:
        arrays, call = [x] + states, None
    compare_module(ours(I, H, dtype=F64, **kw), theirs(I, H, **kw), arrays, call)


@pytest.mark.parametrize("layers,bi,bf,bias,with_h", [(1, False, False, True, False),
                                                     (2, True, True, True, True),
                                                     (2, False, False, False, True)])
def test_lstm_projection_matches_torch(layers, bi, bf, bias, with_h):
    kw = dict(num_layers=layers, bidirectional=bi, batch_first=bf, bias=bias, proj_size=2)
    rng = np.random.default_rng(8)
    x = rng.standard_normal((B, T, I) if bf else (T, B, I))
    D = layers * (2 if bi else 1)
    if with_h:
        arrays = [x, rng.standard_normal((D, B, 2)), rng.standard_normal((D, B, H))]
        call = lambda m, x, h, c: m(x, (h, c))  # noqa: E731
    else:
        arrays, call = [x], None
    compare_module(LSTM(I, H, dtype=F64, **kw), torch.nn.LSTM(I, H, **kw), arrays, call)


def test_lstm_projection_second_order():
    cg.manual_seed(0)
    m = LSTM(2, 3, proj_size=2, dtype=F64)
    t = torch.nn.LSTM(2, 3, proj_size=2).double()
    t.load_state_dict({k: torch.tensor(v._array) for k, v in m.state_dict().items()})
    x = np.random.default_rng(5).standard_normal((3, 2, 2))
    check_op(lambda x: m(x)[0], lambda x: t(x)[0], [x])


@pytest.mark.parametrize("mode", ["rnn_tanh", "lstm", "gru"])
def test_long_sequence_and_wide_batch(mode):
    ours, theirs, kw = MODES[mode]
    x = np.random.default_rng(2).standard_normal((40, 7, 6))
    compare_module(ours(6, 9, dtype=F64, **kw), theirs(6, 9, **kw), [x])


CELLS = {"rnn_tanh": (RNNCell, torch.nn.RNNCell, {}),
         "rnn_relu": (RNNCell, torch.nn.RNNCell, {"nonlinearity": "relu"}),
         "lstm": (LSTMCell, torch.nn.LSTMCell, {}), "gru": (GRUCell, torch.nn.GRUCell, {})}


@pytest.mark.parametrize("mode", CELLS)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("state", ["none", "given", "unbatched"])
def test_cell_matches_torch(mode, bias, state):
    ours, theirs, kw = CELLS[mode]
    rng = np.random.default_rng(3)
    batch = () if state == "unbatched" else (B,)
    x = rng.standard_normal(batch + (I,))
    hs = [rng.standard_normal(batch + (H,)) for _ in range(2 if mode == "lstm" else 1)]
    if state == "none":
        arrays, call = [x], None
    elif mode == "lstm":
        arrays, call = [x] + hs, (lambda m, x, h, c: m(x, (h, c)))
    else:
        arrays, call = [x] + hs, None
    compare_module(ours(I, H, bias=bias, dtype=F64, **kw), theirs(I, H, bias=bias, **kw),
                   arrays, call)


def test_cell_unrolled_by_hand_matches_torch():
    """Three LSTMCell steps feeding back their state: the graph spans several fused nodes."""
    def unroll(m, x):
        h = c = None
        outs = []
        for t in range(x.shape[0]):
            h, c = m(x[t], None if h is None else (h, c))
            outs.append(h)
        return outs + [c]
    x = np.random.default_rng(4).standard_normal((3, B, I))
    compare_module(LSTMCell(I, H, dtype=F64), torch.nn.LSTMCell(I, H), [x], unroll)


@pytest.mark.parametrize("mode", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_gradcheck_and_second_order(mode):
    """Finite differences, and the create_graph backward (BPTT re-run with recorded ops)."""
    ours, theirs, kw = MODES[mode]
    cg.manual_seed(0)
    m = ours(2, 3, bidirectional=True, dtype=F64, **kw)
    t = theirs(2, 3, bidirectional=True, **kw).double()
    t.load_state_dict({k: torch.tensor(v._array) for k, v in m.state_dict().items()})
    x = np.random.default_rng(5).standard_normal((4, 2, 2))
    h = np.random.default_rng(6).standard_normal((2, 2, 3)) * 0.5
    if mode == "lstm":
        c = np.random.default_rng(7).standard_normal((2, 2, 3)) * 0.5
        check_op(lambda x, h, c: m(x, (h, c))[0], lambda x, h, c: t(x, (h, c))[0], [x, h, c])
    else:
        check_op(lambda x, h: m(x, h)[0], lambda x, h: t(x, h)[0], [x, h])


@pytest.mark.parametrize("mode", MODES)
def test_state_dict_names_shapes_and_init(mode):
    ours, theirs, kw = MODES[mode]
    cg.manual_seed(0)
    m = ours(5, 7, num_layers=2, bidirectional=True, **kw)
    t = theirs(5, 7, num_layers=2, bidirectional=True, **kw)
    ours_sd, th_sd = m.state_dict(), t.state_dict()
    assert list(ours_sd) == list(th_sd)
    for k in th_sd:
        assert tuple(ours_sd[k].shape) == tuple(th_sd[k].shape), k
        assert ours_sd[k].dtype == cg.float32
    allv = np.concatenate([v.numpy().ravel() for v in ours_sd.values()])
    bound = 1 / np.sqrt(7)
    assert np.abs(allv).max() <= bound and np.abs(allv).max() > 0.9 * bound
    assert abs(allv.mean()) < 0.1 * bound
    # and the other way: ours loads into PyTorch and gives the same output
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours_sd.items()})
    x = np.random.default_rng(0).standard_normal((3, 2, 5)).astype(np.float32)
    np.testing.assert_allclose(m(cg.tensor(x))[0].detach().numpy(),
                               t(torch.tensor(x))[0].detach().numpy(), rtol=1e-4, atol=1e-5)


def test_dropout_between_layers():
    cg.manual_seed(0)
    m = LSTM(3, 8, num_layers=2, dropout=0.5)
    x = cg.randn(6, 2, 3)
    m.eval()
    a, b = m(x)[0], m(x)[0]
    assert np.array_equal(a.detach().numpy(), b.detach().numpy())
    m.train()
    cg.manual_seed(1)
    c = m(x)[0]
    cg.manual_seed(1)
    d = m(x)[0]
    assert np.array_equal(c.detach().numpy(), d.detach().numpy())   # reproducible from the seed
    assert not np.allclose(c.detach().numpy(), a.detach().numpy())   # and differs from eval


def test_float32_default_and_dtype():
    m = GRU(3, 4)
    out, h = m(cg.randn(5, 2, 3))
    assert out.dtype == cg.float32 and h.dtype == cg.float32
    assert tuple(out.shape) == (5, 2, 4) and tuple(h.shape) == (1, 2, 4)


def test_errors_as_pytorch():
    with pytest.raises(ValueError):
        LSTM(3, 4, dropout=1.5)
    with pytest.raises(ValueError):
        RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError):
        LSTM(3, 4, proj_size=4)
    with pytest.raises(RuntimeError):
        LSTM(3, 4)(cg.randn(5, 2, 6))
    with pytest.raises(RuntimeError):
        GRU(3, 4)(cg.randn(5, 2, 3), cg.randn(2, 2, 4))
    with pytest.raises(ValueError):
        GRUCell(3, 4)(cg.randn(1, 2, 3))
