"""Fused recurrences: a whole sequence of RNN / LSTM / GRU steps as ONE graph node.

Back-propagation through time (BPTT) is the chain rule along the time axis. Recording every
step's dozen small ops would make a graph of ``T * 12`` nodes; instead each op below runs the
whole loop in its ``forward`` and the whole reverse-time loop in its ``backward``, side by side.
The input projection ``X W_ih^T + b`` of all time steps is done outside, as one matmul, so the
loop only holds what is truly sequential: ``h_{t-1} W_hh^T`` and the gate math.

Every loop is written once against the math namespace ``F`` (see ``dual.py``): it runs on raw
arrays for the ordinary backward pass, and on Tensors (the forward re-done with recorded ops
from the saved inputs) when ``create_graph=True``, so higher derivatives work too.

Gate layouts follow PyTorch: LSTM rows of ``W`` are ``[i, f, g, o]``, GRU rows ``[r, z, n]``.
"""
from __future__ import annotations

from ..backend import xp
from ..autograd.function import Op
from .dual import ARRAY_MATH


def _sigmoid_array(x):
    # s(x) = (1 + tanh(x/2)) / 2: one transcendental pass, no overflow on either tail
    t = xp.tanh(x * 0.5)
    t *= 0.5
    t += 0.5
    return t


def _sigmoid(F):
    return F.sigmoid if F.graph else _sigmoid_array


def _steps(T, reverse):
    """Time indices in processing order."""
    return range(T - 1, -1, -1) if reverse else range(T)


def _stack(F, xs):
    if not F.graph:
        return xp.stack(xs)
    return F.concatenate([F.expand_dims(x, 0) for x in xs], 0)


def _time_order(xs, reverse):
    """Per-step values listed in processing order -> listed in time order."""
    return xs[::-1] if reverse else xs


def _stacks(F, xs, reverse):
    """The per-step list stacked in processing order and in time order (one copy if same)."""
    proc = _stack(F, xs)
    if not reverse:
        return proc, proc
    return proc, (proc[::-1] if not F.graph else _stack(F, xs[::-1]))


def _weight_grad(F, d_pre, h_prev):
    """sum_t d_pre[t]^T h_prev[t] as one matmul over the flattened (time, batch) axis."""
    T, B, G = d_pre.shape
    d2 = F.reshape(d_pre, (T * B, G))
    h2 = F.reshape(h_prev, (T * B, h_prev.shape[-1]))
    return F.matmul(F.swapaxes(d2, 0, 1), h2)


# --------------------------------------------------------------------------------------------
# Elman RNN:  h_t = act(xw_t + h_{t-1} W_hh^T)
# --------------------------------------------------------------------------------------------
def rnn_forward(F, xw, h0, w_hh, reverse=False, relu=False):
    """Returns the list of hidden states in processing order, h0 first."""
    wt = F.swapaxes(w_hh, 0, 1)
    hs = [h0]
    h = h0
    for t in _steps(xw.shape[0], reverse):
        a = xw[t] + F.matmul(h, wt)
        h = F.maximum(a, 0 * a) if relu else F.tanh(a)
        hs.append(h)
    return hs


def rnn_backward(F, hs, w_hh, g, reverse=False, relu=False):
    # da = dh * act'(a), act' = 1 - h^2 (tanh) or [h > 0] (relu);  dh_{t-1} = da W_hh
    T = len(hs) - 1
    d_pre = [None] * T
    dh = None
    for s, t in reversed(list(enumerate(_steps(T, reverse)))):
        dh = g[t] if dh is None else dh + g[t]
        h = hs[s + 1]
        if relu:
            mask = ((h._array if F.graph else h) > 0).astype(h.dtype if not F.graph else h._array.dtype)
            da = dh * mask
        else:
            da = dh * (1 - h * h)
        d_pre[s] = da
        dh = F.matmul(da, w_hh)
    d_proc, d_time = _stacks(F, d_pre, reverse)
    d_w = _weight_grad(F, d_proc, _stack(F, hs[:T]))
    return d_time, dh, d_w


class RNNSequence(Op):
    """The Elman recurrence over a whole sequence: ``(xw (T,B,H), h0 (B,H), W_hh) -> (T,B,H)``.

    ``xw`` already holds ``x_t W_ih^T + b_ih + b_hh``; ``reverse=True`` walks from t=T-1 to 0.
    """
    save_inputs = (0, 1, 2)

    def forward(self, xw, h0, w_hh, reverse=False, relu=False):
        hs = rnn_forward(ARRAY_MATH, xw, h0, w_hh, reverse, relu)
        self.reverse, self.relu = reverse, relu
        if self.recording:
            self.hs = hs
        return xp.stack(_time_order(hs[1:], reverse))

    def backward(self, g, F):
        xw, h0, w_hh = self.inputs(F)
        hs = rnn_forward(F, xw, h0, w_hh, self.reverse, self.relu) if F.graph else self.hs
        return rnn_backward(F, hs, w_hh, g, self.reverse, self.relu)


# --------------------------------------------------------------------------------------------
# LSTM:  [i f g o] = [s s tanh s](xw_t + h_{t-1} W_hh^T);  c_t = f c_{t-1} + i g;
#        h_t = o tanh(c_t)            (with a projection: h_t = (o tanh(c_t)) W_hr^T)
# --------------------------------------------------------------------------------------------
def lstm_forward(F, xw, h0, c0, w_hh, reverse=False, w_hr=None):
    """Returns (hs, cs, gates): hs/cs in processing order with h0/c0 first; gates per step."""
    H = c0.shape[-1]
    wt = F.swapaxes(w_hh, 0, 1)
    rt = None if w_hr is None else F.swapaxes(w_hr, 0, 1)
    sig = _sigmoid(F)
    hs, cs, gates = [h0], [c0], []
    h, c = h0, c0
    for t in _steps(xw.shape[0], reverse):
        a = xw[t] + F.matmul(h, wt)
        s = sig(a)                      # the g block is overwritten by tanh just below
        i, f, o = s[:, :H], s[:, H:2 * H], s[:, 3 * H:]
        gg = F.tanh(a[:, 2 * H:3 * H])
        c = f * c + i * gg
        tc = F.tanh(c)
        h = o * tc
        if rt is not None:
            gates.append((i, f, gg, o, tc, h))
            h = F.matmul(h, rt)
        else:
            gates.append((i, f, gg, o, tc))
        hs.append(h)
        cs.append(c)
    return hs, cs, gates


def lstm_backward(F, hs, cs, gates, w_hh, g_out, g_c, reverse=False, w_hr=None):
    """``g_out`` (T, B, H or P): gradients of the outputs h_t; ``g_c`` that of the last c."""
    T = len(gates)
    d_pre, d_hp = [None] * T, [None] * T
    dh = None
    dc = g_c
    for s, t in reversed(list(enumerate(_steps(T, reverse)))):
        dh = g_out[t] if dh is None else dh + g_out[t]
        i, f, gg, o, tc = gates[s][:5]
        if w_hr is not None:                          # h = m W_hr^T:  dm = dh W_hr
            d_hp[s] = dh
            dh = F.matmul(dh, w_hr)
        do = dh * tc                                  # m = o tanh(c)
        dc = dc + dh * o * (1 - tc * tc)
        da = F.concatenate([dc * gg * i * (1 - i),    # di * s'(a_i)
                            dc * cs[s] * f * (1 - f),  # df * s'(a_f),  df = dc c_{t-1}
                            dc * i * (1 - gg * gg),   # dg * tanh'(a_g)
                            do * o * (1 - o)], 1)
        d_pre[s] = da
        dc = dc * f                                   # dc_{t-1} = dc f
        dh = F.matmul(da, w_hh)                       # dh_{t-1} = da W_hh
    d_proc, d_time = _stacks(F, d_pre, reverse)
    d_w = _weight_grad(F, d_proc, _stack(F, hs[:T]))
    grads = [d_time, dh, dc, d_w]
    if w_hr is not None:  # dW_hr = sum_t dh_t^T m_t
        grads.append(_weight_grad(F, _stack(F, d_hp), _stack(F, [gt[5] for gt in gates])))
    return tuple(grads)


class LSTMSequence(Op):
    """The LSTM recurrence over a whole sequence.

    ``(xw (T,B,4H), h0 (B,P), c0 (B,H), W_hh (4H,P)[, W_hr (P,H)])`` -> one flat array: the
    outputs h_t (T,B,P) in time order, then the last cell state computed (c_T, or c_0 when
    ``reverse``) (B,H); P = H without projection. One output, so ``output`` / ``h_n`` /
    ``c_n`` are plain slices of it.
    """
    save_inputs = (0, 1, 2, 3)

    def forward(self, xw, h0, c0, w_hh, w_hr=None, reverse=False):
        hs, cs, gates = lstm_forward(ARRAY_MATH, xw, h0, c0, w_hh, reverse, w_hr)
        self.reverse = reverse
        if self.recording:
            self.hs, self.cs, self.gates = hs, cs, gates
        c = cs[-1]
        self.out_shape = (len(hs) - 1,) + hs[0].shape
        self.c_shape = c.shape
        n = (len(hs) - 1) * hs[0].size
        flat = xp.empty(n + c.size, dtype=c.dtype)
        xp.stack(_time_order(hs[1:], reverse), out=flat[:n].reshape(self.out_shape))
        flat[n:] = c.reshape(-1)
        return flat

    def _split(self, g, F):
        n = 1
        for d in self.out_shape:
            n *= d
        return F.reshape(g[:n], self.out_shape), F.reshape(g[n:], self.c_shape)

    def backward(self, g, F):
        xw, h0, c0, w_hh, *w_hr = self.inputs(F)
        w_hr = w_hr[0] if w_hr else None
        if F.graph:
            hs, cs, gates = lstm_forward(F, xw, h0, c0, w_hh, self.reverse, w_hr)
        else:
            hs, cs, gates = self.hs, self.cs, self.gates
        g_out, g_c = self._split(g, F)
        return lstm_backward(F, hs, cs, gates, w_hh, g_out, g_c, self.reverse, w_hr)


class LSTMProjSequence(LSTMSequence):
    """``LSTMSequence`` with the projection ``W_hr`` (PyTorch's ``proj_size``)."""
    save_inputs = (0, 1, 2, 3, 4)


# --------------------------------------------------------------------------------------------
# GRU:  hw = h_{t-1} W_hh^T + b_hh;  r = s(xw_r + hw_r);  z = s(xw_z + hw_z);
#       n = tanh(xw_n + r * hw_n);  h_t = (1 - z) n + z h_{t-1}
# --------------------------------------------------------------------------------------------
def gru_forward(F, xw, h0, w_hh, b_hh, reverse=False):
    H = h0.shape[-1]
    wt = F.swapaxes(w_hh, 0, 1)
    sig = _sigmoid(F)
    hs, gates = [h0], []
    h = h0
    for t in _steps(xw.shape[0], reverse):
        x = xw[t]
        hw = F.matmul(h, wt) + b_hh
        rz = sig(x[:, :2 * H] + hw[:, :2 * H])
        r, z = rz[:, :H], rz[:, H:]
        hn = hw[:, 2 * H:]
        n = F.tanh(x[:, 2 * H:] + r * hn)
        h = n + z * (h - n)
        hs.append(h)
        gates.append((r, z, n, hn))
    return hs, gates


def gru_backward(F, hs, gates, w_hh, g, reverse=False):
    T = len(gates)
    d_x, d_hw = [None] * T, [None] * T
    dh = None
    for s, t in reversed(list(enumerate(_steps(T, reverse)))):
        dh = g[t] if dh is None else dh + g[t]
        r, z, n, hn = gates[s]
        h_prev = hs[s]
        dan = dh * (1 - z) * (1 - n * n)          # dn tanh'(.)
        dar = dan * hn * r * (1 - r)              # dr s'(.),  dr = dan hw_n
        daz = dh * (h_prev - n) * z * (1 - z)     # dz s'(.)
        d_x[s] = F.concatenate([dar, daz, dan], 1)
        d_hw[s] = F.concatenate([dar, daz, dan * r], 1)
        dh = dh * z + F.matmul(d_hw[s], w_hh)     # direct path + through W_hh
    d_hw_proc = _stack(F, d_hw)
    d_w = _weight_grad(F, d_hw_proc, _stack(F, hs[:T]))
    d_b = F.sum(d_hw_proc, axis=(0, 1))
    return _stacks(F, d_x, reverse)[1], dh, d_w, d_b


class GRUSequence(Op):
    """The GRU recurrence over a whole sequence.

    ``(xw (T,B,3H), h0 (B,H), W_hh (3H,H), b_hh (3H,)) -> (T,B,H)``; ``xw = x W_ih^T + b_ih``
    (``b_hh`` stays inside because ``r`` multiplies ``h W_hn^T + b_hn``).
    """
    save_inputs = (0, 1, 2, 3)

    def forward(self, xw, h0, w_hh, b_hh, reverse=False):
        hs, gates = gru_forward(ARRAY_MATH, xw, h0, w_hh, b_hh, reverse)
        self.reverse = reverse
        if self.recording:
            self.hs, self.gates = hs, gates
        return xp.stack(_time_order(hs[1:], reverse))

    def backward(self, g, F):
        xw, h0, w_hh, b_hh = self.inputs(F)
        if F.graph:
            hs, gates = gru_forward(F, xw, h0, w_hh, b_hh, self.reverse)
        else:
            hs, gates = self.hs, self.gates
        return gru_backward(F, hs, gates, w_hh, g, self.reverse)
