"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their single-step cells.

Parameter names, shapes, gate order and init are PyTorch's, so ``state_dict``s interchange:
layer ``k`` (``_reverse`` for the backward direction of a bidirectional layer) holds
``weight_ih_l{k}`` (G*H, in), ``weight_hh_l{k}`` (G*H, H), ``bias_ih_l{k}``, ``bias_hh_l{k}``
(G*H,), with G = 1 (RNN), 4 (LSTM, rows [i f g o]), 3 (GRU, rows [r z n]); every parameter
starts U(-1/sqrt(H), 1/sqrt(H)).

Per layer and direction the input projection of all time steps is one matmul; the sequential
part is one fused graph node (``chaingrad.ops.recurrent_ops``) whose backward is BPTT.
"""
from __future__ import annotations

import math
import numbers
import warnings

from ..module import Module
from .._functional.basic import linear
from ... import backend, random
from ...backend import xp
from ...tensor import Parameter, Tensor
from ...ops import recurrent_ops as R
from ...ops.shape import cat, stack, pad

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _new_param(shape, dtype):
    npd = backend.np_dtype(dtype) or backend.default_float_dtype()
    return Parameter(xp.empty(shape, dtype=npd))


def _reset_uniform(module, hidden_size):
    stdv = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
    for p in module.parameters():
        p._array[...] = random.uniform_array(p.shape, -stdv, stdv, dtype=p._array.dtype)


def _dropout(x, p):
    """Inverted dropout between stacked layers (drawn from chaingrad's generator)."""
    if p >= 1.0:
        return x * 0
    keep = random.uniform_array(x.shape, dtype=x._array.dtype) >= p
    return x * Tensor._wrap(keep.astype(x._array.dtype) / (1.0 - p))


def _zeros(shape, like):
    return Tensor._wrap(xp.zeros(shape, dtype=like._array.dtype))


def _project(x, w_ih, bias):
    """x (T, B, in) -> x W_ih^T + bias, as one (T*B, in) x (in, G*H) product."""
    T, B, n = x.shape
    return linear(x.reshape(T * B, n), w_ih, bias).reshape(T, B, w_ih.shape[0])


def _run_direction(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, w_hr=None):
    """One layer, one direction: returns (output (T,B,H), h_n, c_n or None)."""
    if mode == "GRU":
        xw = _project(x, w_ih, b_ih)
        b = b_hh if b_hh is not None else _zeros((w_hh.shape[0],), x)
        out = R.GRUSequence.apply(xw, h0, w_hh, b, reverse=reverse)
        return out, out[0 if reverse else -1], None
    bias = None if b_ih is None else b_ih + b_hh
    xw = _project(x, w_ih, bias)
    if mode == "LSTM":
        if w_hr is None:
            flat = R.LSTMSequence.apply(xw, h0, c0, w_hh, reverse=reverse)
        else:
            flat = R.LSTMProjSequence.apply(xw, h0, c0, w_hh, w_hr, reverse=reverse)
        T, B = xw.shape[0], xw.shape[1]
        n = T * B * h0.shape[-1]
        out = flat[:n].reshape(T, B, h0.shape[-1])
        return out, out[0 if reverse else T - 1], flat[n:].reshape(B, c0.shape[-1])
    out = R.RNNSequence.apply(xw, h0, w_hh, reverse=reverse, relu=mode == "RNN_RELU")
    return out, out[0 if reverse else -1], None


def _no_proj(kwargs):
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
    if kwargs:
        raise TypeError(f"RNNBase.__init__() got an unexpected keyword argument "
                        f"'{next(iter(kwargs))}'")


class RNNBase(Module):
    """Shared machinery of ``RNN``, ``LSTM`` and ``GRU`` (stacking, directions, shapes)."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        if device is not None and str(backend.Device(device)) != "cpu":
            raise RuntimeError(f"device {device!r} is not available (chaingrad runs on cpu)")
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          f"non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}")
        if isinstance(input_size, int) and input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        G = _GATES[mode] * hidden_size
        D = 2 if bidirectional else 1
        P = proj_size or hidden_size        # the size of h (and of each direction's output)
        self._flat_weights_names = []
        for k in range(num_layers):
            n_in = input_size if k == 0 else P * D
            for d in range(D):
                sfx = f"_l{k}" + ("_reverse" if d else "")
                names = [("weight_ih" + sfx, (G, n_in)), ("weight_hh" + sfx, (G, P))]
                if bias:
                    names += [("bias_ih" + sfx, (G,)), ("bias_hh" + sfx, (G,))]
                if proj_size:
                    names.append(("weight_hr" + sfx, (proj_size, hidden_size)))
                for name, shape in names:
                    setattr(self, name, _new_param(shape, dtype))
                    self._flat_weights_names.append(name)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self, self.hidden_size)

    def flatten_parameters(self):
        """A no-op kept for PyTorch code (chaingrad's weights need no flattening)."""

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in self._flat_weights_names if n.endswith(s)]
                for s in self._direction_suffixes()]

    def _direction_suffixes(self):
        return [f"_l{k}" + ("_reverse" if d else "") for k in range(self.num_layers)
                for d in range(2 if self.bidirectional else 1)]

    def _layer_params(self, sfx):
        b_ih, b_hh = ((getattr(self, "bias_ih" + sfx), getattr(self, "bias_hh" + sfx))
                      if self.bias else (None, None))
        w_hr = getattr(self, "weight_hr" + sfx) if self.proj_size else None
        return getattr(self, "weight_ih" + sfx), getattr(self, "weight_hh" + sfx), b_ih, b_hh, w_hr

    def _check_hidden(self, h, expected, what="hidden"):
        if tuple(h.shape) != expected:
            raise RuntimeError(f"Expected {what} size {expected}, got {list(h.shape)}")

    def _forward_packed(self, packed, hx):
        """A PackedSequence: each sequence runs over its own length only (so the reverse
        direction starts at its last element), one at a time; ``hx`` and ``h_n`` are in the
        caller's batch order, the output is packed like the input."""
        from ..utils.rnn import pad_packed_sequence, _repack_like
        padded, lengths = pad_packed_sequence(packed)
        is_lstm = self.mode == "LSTM"
        outs, hs, cs = [], [], []
        for b, n in enumerate(lengths._array.tolist()):
            x = padded[:n, b:b + 1]
            x = x.transpose(0, 1) if self.batch_first else x
            h = None if hx is None else (
                (hx[0][:, b:b + 1], hx[1][:, b:b + 1]) if is_lstm else hx[:, b:b + 1])
            out, h_n = self.forward(x, h)
            out = out.transpose(0, 1) if self.batch_first else out
            extra = padded.shape[0] - n
            outs.append(pad(out, (0, 0, 0, 0, 0, extra)) if extra else out)
            hs.append(h_n[0] if is_lstm else h_n)
            cs.append(h_n[1] if is_lstm else None)
        output = _repack_like(cat(outs, 1), packed)
        h_n = cat(hs, 1)
        return output, ((h_n, cat(cs, 1)) if is_lstm else h_n)

    def forward(self, input, hx=None):  # noqa: A002 - PyTorch's name
        from ..utils.rnn import PackedSequence
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        is_lstm = self.mode == "LSTM"
        batched = input.ndim == 3
        if input.ndim not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                             f"{input.ndim}D tensor instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")
        wdt = self.weight_ih_l0.dtype
        if input.dtype != wdt:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({wdt}). Convert input: input.to({wdt}), or convert model: "
                             f"model.to({input.dtype})")
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        T, B = x.shape[0], x.shape[1]
        D = 2 if self.bidirectional else 1
        expected = (self.num_layers * D, B, self.proj_size or self.hidden_size)
        expected_c = (self.num_layers * D, B, self.hidden_size)
        if hx is None:
            h0 = _zeros(expected, x)
            c0 = _zeros(expected_c, x) if is_lstm else None
        else:
            if is_lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise RuntimeError("LSTM expects hx to be a tuple (h_0, c_0)")
                h0, c0 = hx
            else:
                h0, c0 = hx, None
            if not batched:
                if h0.ndim != 2:
                    raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but "
                                       f"got {h0.ndim}-D tensor")
                h0 = h0.unsqueeze(1)
                c0 = c0.unsqueeze(1) if is_lstm else None
            self._check_hidden(h0, expected)
            if is_lstm:
                self._check_hidden(c0, expected_c, "cell")
        layer_in = x
        h_n, c_n = [], []
        for k in range(self.num_layers):
            outs = []
            for d in range(D):
                j = k * D + d
                *params, w_hr = self._layer_params(f"_l{k}" + ("_reverse" if d else ""))
                out, h_last, c_last = _run_direction(
                    self.mode, layer_in, h0[j], c0[j] if is_lstm else None, *params,
                    reverse=bool(d), w_hr=w_hr)
                outs.append(out)
                h_n.append(h_last)
                c_n.append(c_last)
            layer_in = outs[0] if D == 1 else cat(outs, 2)
            if self.dropout > 0 and self.training and k < self.num_layers - 1:
                layer_in = _dropout(layer_in, self.dropout)
        output = layer_in
        h_n = stack(h_n, 0)
        c_n = stack(c_n, 0) if is_lstm else None
        if not batched:
            output = output.squeeze(1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if is_lstm else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, ((h_n, c_n) if is_lstm else h_n)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"  # PyTorch's order; no nonlinearity
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, act tanh or relu.

    Args: ``input_size``, ``hidden_size``, ``num_layers=1``, ``nonlinearity='tanh'``,
    ``bias=True``, ``batch_first=False``, ``dropout=0.0`` (between layers, training only),
    ``bidirectional=False``. Input (T, N, in) (``batch_first``: (N, T, in); unbatched (T, in)),
    ``h_0`` (layers*dirs, N, H). Returns ``(output (T, N, dirs*H), h_n (layers*dirs, N, H))``.

        rnn = cg.nn.RNN(10, 20, 2); out, h_n = rnn(cg.randn(5, 3, 10))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None,
                 **kwargs):
        _no_proj(kwargs)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             f"'relu'.")
        self.__dict__["nonlinearity"] = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997)::

        i, f, g, o = s(.), s(.), tanh(.), s(.)  of  x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh
        c_t = f * c_{t-1} + i * g          (the additive cell path: gradients need not vanish)
        h_t = o * tanh(c_t)

    Args as ``RNN`` (no ``nonlinearity``), plus ``proj_size=0``: if > 0, h_t = (o * tanh(c_t))
    W_hr^T has that size (parameters ``weight_hr_l{k}``). ``hx = (h_0, c_0)``; returns
    ``(output, (h_n, c_n))``.

        lstm = cg.nn.LSTM(10, 20, batch_first=True); out, (h, c) = lstm(cg.randn(3, 5, 10))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit (Cho et al., 2014), PyTorch's formulation::

        r = s(W_ir x + b_ir + W_hr h + b_hr),  z = s(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h

    Args and returns as ``RNN`` (no ``nonlinearity``).

        gru = cg.nn.GRU(10, 20, bidirectional=True); out, h_n = gru(cg.randn(5, 3, 10))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, **kwargs):
        _no_proj(kwargs)
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)


# --------------------------------------------------------------------------------------------
# cells: one time step, same math and parameter names without the _l{k} suffix
# --------------------------------------------------------------------------------------------
class RNNCellBase(Module):
    def __init__(self, mode, input_size, hidden_size, bias, device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        G = _GATES[mode] * hidden_size
        self.weight_ih = _new_param((G, input_size), dtype)
        self.weight_hh = _new_param((G, hidden_size), dtype)
        if bias:
            self.bias_ih = _new_param((G,), dtype)
            self.bias_hh = _new_param((G,), dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self, self.hidden_size)

    def _step(self, input, hx):  # noqa: A002
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} "
                               f"expected {self.input_size}")
        batched = input.ndim == 2
        x = (input if batched else input.unsqueeze(0)).unsqueeze(0)    # (1, B, in)
        B = x.shape[1]
        is_lstm = self.mode == "LSTM"
        if hx is None:
            h = _zeros((B, self.hidden_size), x)
            c = _zeros((B, self.hidden_size), x) if is_lstm else None
        else:
            h, c = hx if is_lstm else (hx, None)
            if not batched:
                h = h.unsqueeze(0)
                c = c.unsqueeze(0) if is_lstm else None
        out, h1, c1 = _run_direction(self.mode, x, h, c, self.weight_ih, self.weight_hh,
                                     self.bias_ih, self.bias_hh, reverse=False)
        if not batched:
            h1 = h1.squeeze(0)
            c1 = c1.squeeze(0) if is_lstm else None
        return (h1, c1) if is_lstm else h1

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    """One Elman step: ``h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)``.

    Args: ``input_size``, ``hidden_size``, ``bias=True``, ``nonlinearity='tanh'``.
    Input (N, in) or (in,), ``hx`` (N, H) (zeros if None). Returns h' (N, H).

        cell = cg.nn.RNNCell(10, 20); h = cell(cg.randn(3, 10))
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):  # noqa: A002
        return self._step(input, hx)


class LSTMCell(RNNCellBase):
    """One LSTM step (gates as ``LSTM``). ``hx = (h, c)`` or None; returns ``(h', c')``.

        cell = cg.nn.LSTMCell(10, 20); h, c = cell(cg.randn(3, 10))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):  # noqa: A002
        return self._step(input, hx)


class GRUCell(RNNCellBase):
    """One GRU step (gates as ``GRU``). Returns h'.

        cell = cg.nn.GRUCell(10, 20); h = cell(cg.randn(3, 10))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):  # noqa: A002
        return self._step(input, hx)
