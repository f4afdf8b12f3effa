"""Attention: ``F.scaled_dot_product_attention`` and ``nn.MultiheadAttention`` (PyTorch's).

    Attention(Q, K, V) = softmax(Q K^T * scale + M) V,     scale = 1 / sqrt(head_dim)

M is 0 where a query may look at a key and -inf where it may not. The backward pass is the
chain rule through the recorded ops (matmul, softmax, matmul): dV = P^T dO, dP = dO V^T,
dS = P * (dP - sum(dP * P)), dQ = dS K * scale, dK = dS^T Q * scale.
"""
from __future__ import annotations

import math

from ..module import Module
from .. import init
from .._functional.basic import linear
from .linear import Linear
from ... import backend, random
from ...backend import xp
from ...tensor import Parameter, Tensor
from ...ops.elementwise import where
from ...ops.shape import cat

_NEG_INF = float("-inf")


def _dropout(x, p):
    """Inverted dropout drawn from chaingrad's generator (``cg.manual_seed`` reproduces it)."""
    if p <= 0.0:
        return x
    if p >= 1.0:
        return x * 0
    keep = random.uniform_array(x.shape, dtype=x._array.dtype) >= p
    return x * Tensor._wrap(keep.astype(x._array.dtype) / (1.0 - p))


def _attend(q, k, v, bias, masked, scale, dropout_p, zero_empty_rows):
    """softmax(q k^T scale + bias, masked -> -inf) [dropout] @ v; returns (output, weights).

    ``bias``: a float Tensor added to the scores (or None); ``masked``: a bool array of
    excluded positions (or None). Rows with every key excluded give NaN weights like
    ``torch.softmax``, or zeros (``zero_empty_rows``, PyTorch's SDPA behaviour).
    """
    scores = (q @ k.transpose(-2, -1)) * scale
    if bias is not None:
        scores = scores + bias
    if masked is not None:
        scores = where(Tensor._wrap(xp.broadcast_to(masked, scores.shape)), _NEG_INF, scores)
    empty = None
    if zero_empty_rows and (bias is not None or masked is not None):
        empty = xp.isneginf(scores._array).all(axis=-1, keepdims=True)
        if empty.any():  # keep NaN out of both passes: softmax a zero row, then zero it
            empty_t = Tensor._wrap(xp.broadcast_to(empty, scores.shape))
            scores = where(empty_t, 0.0, scores)
        else:
            empty = None
    weights = scores.softmax(-1)
    if empty is not None:
        weights = where(empty_t, 0.0, weights)
    if dropout_p > 0.0:
        weights = _dropout(weights, dropout_p)
    return weights @ v, weights


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(Q K^T * scale + M) V over the last two dimensions (PyTorch's SDPA).

    Args: ``query`` (..., L, E), ``key`` (..., S, E), ``value`` (..., S, Ev);
    ``attn_mask=None``: broadcastable to (..., L, S), bool (True = may attend) or float (added
    to the scores); ``dropout_p=0.0`` (applied to the weights whenever > 0, as PyTorch);
    ``is_causal=False``: query i sees keys j <= i (with an ``attn_mask`` too, both apply for
    4-D inputs without dropout, else RuntimeError, as PyTorch 2.13 on CPU);
    ``scale=None``: 1/sqrt(E). A query that may attend to no key gets a zero output.
    Returns (..., L, Ev).

        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    """
    if is_causal and attn_mask is not None and not (
            query.ndim == key.ndim == value.ndim == 4 and dropout_p == 0.0):
        # PyTorch 2.13 on CPU: its fused kernel (4-D inputs, no dropout) applies both masks,
        # the reference path refuses the pair
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                           "set when is_causal=True")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"scaled_dot_product_attention: query and key must have the same "
                           f"last dimension, got {query.shape[-1]} and {key.shape[-1]}")
    if enable_gqa and query.ndim >= 3 and query.shape[-3] != key.shape[-3]:
        rep = query.shape[-3] // key.shape[-3]
        key = _repeat_heads(key, rep)
        value = _repeat_heads(value, rep)
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    bias = masked = None
    if is_causal:
        masked = ~xp.tril(xp.ones((L, S), dtype=bool))
    if attn_mask is not None:
        if attn_mask._array.dtype == bool:
            masked = ~attn_mask._array if masked is None else masked | ~attn_mask._array
        elif attn_mask._array.dtype.kind == "f":
            bias = attn_mask
        else:
            raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match "
                               f"query dtype, got {attn_mask.dtype.name}")
    return _attend(query, key, value, bias, masked, scale, dropout_p, True)[0]


def _repeat_heads(x, rep):
    shape = tuple(x.shape)
    x = x.unsqueeze(-3).expand(*shape[:-2], rep, *shape[-2:])
    return x.reshape(*shape[:-3], shape[-3] * rep, *shape[-2:])


def _float_mask(mask, name, dtype):
    """PyTorch's canonical mask: bool (True = excluded) -> 0 / -inf floats; floats as given."""
    if mask is None:
        return None
    if mask._array.dtype == bool:
        return Tensor._wrap(xp.where(mask._array, _NEG_INF, 0.0).astype(dtype))
    if mask._array.dtype.kind != "f":
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al., 2017) with PyTorch's parameters and masks::

        head_i = softmax((Q W_q,i)(K W_k,i)^T / sqrt(d) + M) (V W_v,i),  d = embed_dim / heads
        out = concat(head_1..head_h) W_o^T + b_o

    Args: ``embed_dim``, ``num_heads``, ``dropout=0.0`` (on the weights, training only),
    ``bias=True``, ``add_bias_kv=False``, ``add_zero_attn=False``, ``kdim=None``,
    ``vdim=None``, ``batch_first=False``. Parameters: ``in_proj_weight`` (3E, E) and
    ``in_proj_bias`` (3E,) (or ``q/k/v_proj_weight`` when kdim/vdim differ), ``out_proj``.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)``: (L, N, E) inputs (``batch_first``:
    (N, L, E); unbatched (L, E)); bool masks are True where attention is NOT allowed, float
    masks are added. Returns ``(output (L, N, E), weights (N, L, S) or (N, heads, L, S) or
    None)``.

        mha = cg.nn.MultiheadAttention(16, 4, batch_first=True)
        out, w = mha(x, x, x)          # self-attention, x (N, L, 16)
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        npd = backend.np_dtype(dtype) or backend.default_float_dtype()
        new = lambda *shape: Parameter(xp.empty(shape, dtype=npd))  # noqa: E731
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = new(embed_dim, embed_dim)
            self.k_proj_weight = new(embed_dim, self.kdim)
            self.v_proj_weight = new(embed_dim, self.vdim)
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = new(3 * embed_dim, embed_dim)
            for n in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(n, None)
        if bias:
            self.in_proj_bias = new(3 * embed_dim)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias,
                                                        device=device, dtype=dtype)
        if add_bias_kv:
            self.bias_k = new(1, 1, embed_dim)
            self.bias_v = new(1, 1, embed_dim)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def _project(self, query, key, value):
        E = self.embed_dim
        b = self.in_proj_bias
        bq, bk, bv = (None,) * 3 if b is None else (b[:E], b[E:2 * E], b[2 * E:])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            if query is key and key is value:  # self-attention: one product for q, k and v
                qkv = linear(query, w, b)
                return qkv[..., :E], qkv[..., E:2 * E], qkv[..., 2 * E:]
            wq, wk, wv = w[:E], w[E:2 * E], w[2 * E:]
        else:
            wq, wk, wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                               "Transformer module method `generate_square_subsequent_mask` to "
                               "create this mask.")
        batched = query.ndim == 3
        if batched and self.batch_first:
            same_kv = key is value
            same_qk = query is key
            query = query.transpose(0, 1)
            key = query if same_qk else key.transpose(0, 1)
            value = key if same_kv else value.transpose(0, 1)
        elif not batched:
            same_qk, same_kv = query is key, key is value
            query = query.unsqueeze(1)
            key = query if same_qk else key.unsqueeze(1)
            value = key if same_kv else value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        L, N, E = query.shape
        if E != self.embed_dim:
            raise AssertionError(f"was expecting embedding dimension of {self.embed_dim}, "
                                 f"but got {E}")
        h, d = self.num_heads, self.head_dim
        dtype = query._array.dtype
        kpm = _float_mask(key_padding_mask, "key_padding_mask", dtype)
        mask = _float_mask(attn_mask, "attn_mask", dtype)
        q, k, v = self._project(query, key, value)
        if self.bias_k is not None:
            k = cat([k, self.bias_k.expand(1, N, E)], 0)
            v = cat([v, self.bias_v.expand(1, N, E)], 0)
            mask = None if mask is None else _pad_last(mask)
            kpm = None if kpm is None else _pad_last(kpm)
        # (L, N, E) -> (N*h, L, d): heads become batch entries
        q = q.reshape(L, N * h, d).transpose(0, 1)
        k = k.reshape(k.shape[0], N * h, d).transpose(0, 1)
        v = v.reshape(v.shape[0], N * h, d).transpose(0, 1)
        if self.add_zero_attn:
            z = Tensor._wrap(xp.zeros((N * h, 1, d), dtype=dtype))
            k, v = cat([k, z], 1), cat([v, z], 1)
            mask = None if mask is None else _pad_last(mask)
            kpm = None if kpm is None else _pad_last(kpm)
        S = k.shape[1]
        if mask is not None:
            if mask.ndim == 2:
                if tuple(mask.shape) != (L, S):
                    raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(mask.shape)}, "
                                       f"but should be {(L, S)}.")
                mask = mask.unsqueeze(0)
            elif mask.ndim == 3:
                if tuple(mask.shape) != (N * h, L, S):
                    raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(mask.shape)}, "
                                       f"but should be {(N * h, L, S)}.")
            else:
                raise RuntimeError(f"attn_mask's dimension {mask.ndim} is not supported")
        if kpm is not None:
            if tuple(kpm.shape) != (N, S):
                raise AssertionError(f"expecting key_padding_mask shape of {(N, S)}, but got "
                                     f"{tuple(kpm.shape)}")
            kpm = kpm.reshape(N, 1, 1, S).expand(N, h, 1, S).reshape(N * h, 1, S)
            mask = kpm if mask is None else mask + kpm
        p = self.dropout if self.training else 0.0
        out, weights = _attend(q, k, v, mask, None, 1.0 / math.sqrt(d), p,
                               zero_empty_rows=not need_weights)
        out = out.transpose(0, 1).reshape(L * N, E)
        out = self.out_proj(out).reshape(L, N, E)
        if need_weights:
            weights = weights.reshape(N, h, L, S)
            if average_attn_weights:
                weights = weights.mean(1)
            if not batched:
                weights = weights.squeeze(0)
        else:
            weights = None
        if not batched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, weights



class NonDynamicallyQuantizableLinear(Linear):
    """``Linear`` under PyTorch's name for MultiheadAttention's ``out_proj`` (so reprs match)."""


def _pad_last(mask):
    """One more (allowed) key column: the bias_k / zero-attention slot."""
    from ...ops.shape import pad
    return pad(mask, (0, 1))
