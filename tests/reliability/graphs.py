"""Random computational graphs, run step by step in chaingrad and PyTorch side by side.

A graph keeps a *pool* of values, each a pair (chaingrad tensor, torch tensor). It starts from
2-3 float64 leaves of random broadcastable shapes; every step draws an op from ``OPS`` whose
precondition holds for randomly drawn pool members (so intermediates fan out and are reused,
and views feed later ops), runs it in both libraries and appends the result. In-place ops run
on a fresh ``clone`` of a pool member (legal in PyTorch: nothing saved it yet);
``inplace_through_view`` changes a pool value in place through a view of it, in both libraries
(test_fuzz.py's view step). Every step's forward value is compared; at the end a random weighted sum of every pool member is
differentiated and every leaf gradient compared.

Each op is ``(arity, precondition(shapes) -> bool, fn(L, draw, *tensors))``: ``L`` is the
library module (``chaingrad`` or ``torch``) and ``draw`` a *replayable* drawing function, so
both libraries get the same random parameters (dims, indices, slices).
"""
import numpy as np
import torch
from hypothesis import strategies as st

import chaingrad as cg
import chaingrad.nn.functional as cF
import torch.nn.functional as tF


def _F(L):
    return cF if L is cg else tF


def _dim(draw, t):
    return draw(st.integers(-t.ndim, t.ndim - 1)) if t.ndim else 0


def _nd(shape):
    return len(shape) >= 1


def _index_array(L, draw, n, size):
    idx = draw(st.lists(st.integers(0, n - 1), min_size=size, max_size=size))
    return L.tensor(idx, dtype=L.int64)


def _slice(draw, n):
    start = draw(st.integers(0, n - 1))
    stop = draw(st.integers(start + 1, n))
    step = draw(st.integers(1, 2))
    return slice(start, stop, step)


def _gather(L, draw, a):
    d = _dim(draw, a)
    shape = list(a.shape)
    shape[d] = draw(st.integers(1, 4))
    idx = np.array(draw(st.lists(st.integers(0, a.shape[d] - 1), min_size=int(np.prod(shape)),
                                 max_size=int(np.prod(shape))))).reshape(shape)
    return a.gather(d, L.tensor(idx, dtype=L.int64))


def _permute(draw, a):
    perm = draw(st.permutations(range(a.ndim)))
    return a.permute(*perm)


def _expand(L, draw, a):
    shape = [draw(st.integers(1, 3)) if s == 1 else s for s in a.shape]
    lead = [2] if draw(st.booleans()) and a.ndim < 3 else []
    return a.expand(tuple(lead + shape))


def _matmul_self(L, draw, a):
    if a.ndim == 1:
        return a @ a
    return a @ a.transpose(-1, -2) if draw(st.booleans()) else a.transpose(-1, -2) @ a


def _inplace(L, draw, a, b):
    c = a.clone()
    kind = draw(st.sampled_from(["add_", "mul_", "sub_", "div_", "setitem", "clamp_", "relu_",
                                 "pow_", "zero_", "exp_", "neg_", "copy_", "fill_"]))
    if kind == "setitem":
        if c.ndim == 0 or c.shape[0] == 0:
            return c.copy_(b.sum())
        s = _slice(draw, c.shape[0])
        c[s] = b.sum() * 0.5
        return c
    if kind in ("add_", "mul_", "sub_", "copy_"):
        getattr(c, kind)(b if _broadcasts_to(b.shape, c.shape) else b.sum())
    elif kind == "div_":
        c.div_(b * b + 1 if _broadcasts_to(b.shape, c.shape) else b.sum() ** 2 + 1)
    elif kind == "clamp_":
        c.clamp_(-0.7, 0.6)
    elif kind == "fill_":
        c.fill_(1.5)
    elif kind == "exp_":
        c.clamp_(-3, 3).exp_()
    elif kind == "pow_":
        c.pow_(2)
    else:
        getattr(c, kind)()
    return c


def _broadcasts_to(src, dst):
    try:
        return np.broadcast_shapes(tuple(src), tuple(dst)) == tuple(dst)
    except ValueError:
        return False


def _bcast(sa, sb):
    try:
        np.broadcast_shapes(tuple(sa), tuple(sb))
        return True
    except ValueError:
        return False


ANY = lambda *s: True  # noqa: E731
ND = lambda s: len(s) >= 1  # noqa: E731
ND2 = lambda s: len(s) >= 2  # noqa: E731
NDNE = lambda s: len(s) >= 1 and all(s)  # noqa: E731  (indexing needs elements)

OPS = {
    # elementwise (values kept in range so no op overflows)
    "neg": (1, ANY, lambda L, d, a: -a),
    "exp_tanh": (1, ANY, lambda L, d, a: a.tanh().exp()),
    "log_soft": (1, ANY, lambda L, d, a: (a * a + 0.5).log()),
    "sqrt_soft": (1, ANY, lambda L, d, a: (a * a + 0.5).sqrt()),
    "rsqrt_soft": (1, ANY, lambda L, d, a: (a * a + 0.5).rsqrt()),
    "reciprocal": (1, ANY, lambda L, d, a: (a * a + 1).reciprocal()),
    "log1p_sq": (1, ANY, lambda L, d, a: (a * a).log1p()),
    "expm1": (1, ANY, lambda L, d, a: a.tanh().expm1()),
    "sin": (1, ANY, lambda L, d, a: a.sin()),
    "cos": (1, ANY, lambda L, d, a: a.cos()),
    "tanh": (1, ANY, lambda L, d, a: a.tanh()),
    "sigmoid": (1, ANY, lambda L, d, a: a.sigmoid()),
    "relu": (1, ANY, lambda L, d, a: a.relu()),
    "abs": (1, ANY, lambda L, d, a: a.abs()),
    "square": (1, ANY, lambda L, d, a: a.square()),
    "pow_int": (1, ANY, lambda L, d, a: a.tanh() ** d(st.sampled_from([2, 3]))),
    "clamp": (1, ANY, lambda L, d, a: a.clamp(-0.5, 0.8)),
    "clamp_min": (1, ANY, lambda L, d, a: a.clamp(min=0.1)),
    "sign_mul": (1, ANY, lambda L, d, a: a.sign() * a),
    "softplus": (1, ANY, lambda L, d, a: _F(L).softplus(a)),
    "gelu": (1, ANY, lambda L, d, a: _F(L).gelu(a)),
    "silu": (1, ANY, lambda L, d, a: _F(L).silu(a)),
    "elu": (1, ANY, lambda L, d, a: _F(L).elu(a)),
    "leaky_relu": (1, ANY, lambda L, d, a: _F(L).leaky_relu(a, 0.1)),
    "logsigmoid": (1, ANY, lambda L, d, a: _F(L).logsigmoid(a)),
    "hardtanh": (1, ANY, lambda L, d, a: _F(L).hardtanh(a)),
    "scalar_ops": (1, ANY, lambda L, d, a: (2.0 - a) * 3 / 4 + 1),
    "rpow": (1, ANY, lambda L, d, a: 2.0 ** a.tanh()),
    # binary (broadcasting)
    "add": (2, _bcast, lambda L, d, a, b: a + b),
    "sub": (2, _bcast, lambda L, d, a, b: a - b),
    "mul": (2, _bcast, lambda L, d, a, b: a * b),
    "div": (2, _bcast, lambda L, d, a, b: a / (b * b + 1)),
    "maximum": (2, _bcast, lambda L, d, a, b: L.maximum(a, b)),
    "minimum": (2, _bcast, lambda L, d, a, b: L.minimum(a, b)),
    "pow": (2, _bcast, lambda L, d, a, b: (a * a + 0.5) ** b.tanh()),
    "where": (2, _bcast, lambda L, d, a, b: L.where(a > b, a, b * 2)),
    "where_scalar": (1, ANY, lambda L, d, a: L.where(a > 0, a, 0.5)),
    # reductions
    "sum_all": (1, ANY, lambda L, d, a: a.sum()),
    "sum_dim": (1, ND, lambda L, d, a: a.sum(_dim(d, a), keepdim=d(st.booleans()))),
    "mean_dim": (1, ND, lambda L, d, a: a.mean(_dim(d, a), keepdim=d(st.booleans()))),
    "prod_dim": (1, ND, lambda L, d, a: a.prod(_dim(d, a))),
    "amax": (1, ND, lambda L, d, a: a.amax(_dim(d, a), keepdim=d(st.booleans()))),
    "amin": (1, ND, lambda L, d, a: a.amin(_dim(d, a))),
    "max_dim": (1, ND, lambda L, d, a: a.max(_dim(d, a))[0]),
    "min_dim": (1, ND, lambda L, d, a: a.min(_dim(d, a), keepdim=True).values),
    "max_all": (1, ANY, lambda L, d, a: a.max()),
    "var": (1, ND, lambda L, d, a: a.var(_dim(d, a), correction=0)),
    "std_soft": (1, ND, lambda L, d, a: (a.var(_dim(d, a), correction=0) + 0.1).sqrt()),
    "norm": (1, ANY, lambda L, d, a: (a * a + 0.1).norm()),
    "logsumexp": (1, ND, lambda L, d, a: a.logsumexp(_dim(d, a))),
    "cumsum": (1, ND, lambda L, d, a: a.cumsum(_dim(d, a))),
    "softmax": (1, ND, lambda L, d, a: a.softmax(_dim(d, a))),
    "log_softmax": (1, ND, lambda L, d, a: a.log_softmax(_dim(d, a))),
    # shapes and views
    "reshape_flat": (1, ANY, lambda L, d, a: a.reshape(-1)),
    "view_back": (1, ANY, lambda L, d, a: a.reshape(-1).view(tuple(a.shape)) * 1),
    "transpose": (1, ND2, lambda L, d, a: a.transpose(_dim(d, a), _dim(d, a))),
    "permute": (1, ND, lambda L, d, a: _permute(d, a)),
    "unsqueeze": (1, lambda s: len(s) < 3, lambda L, d, a: a.unsqueeze(
        d(st.integers(-a.ndim - 1, a.ndim)))),
    "squeeze": (1, ANY, lambda L, d, a: a.squeeze()),
    "flip": (1, ND, lambda L, d, a: a.flip(_dim(d, a))),
    "expand": (1, lambda s: 1 in s or len(s) < 3, lambda L, d, a: _expand(L, d, a)),
    "narrow": (1, NDNE, lambda L, d, a: (lambda dd: a.narrow(dd, 0, d(st.integers(
        1, a.shape[dd]))))(_dim(d, a))),
    "flatten": (1, ND, lambda L, d, a: a.flatten()),
    "chunk0": (1, ND, lambda L, d, a: a.chunk(2, _dim(d, a))[0]),
    "split_last": (1, ND, lambda L, d, a: a.split(1, -1)[-1]),
    "cat": (2, lambda sa, sb: len(sa) >= 1 and tuple(sa[1:]) == tuple(sb[1:]) and len(sb) >= 1,
            lambda L, d, a, b: L.cat([a, b, a], 0)),
    "stack": (2, lambda sa, sb: tuple(sa) == tuple(sb), lambda L, d, a, b: L.stack(
        [a, b], d(st.integers(0, a.ndim)))),
    # indexing
    "basic_index": (1, NDNE, lambda L, d, a: a[_slice(d, a.shape[0])]),
    "index_last": (1, NDNE, lambda L, d, a: a[..., d(st.integers(-a.shape[-1], a.shape[-1] - 1))]),
    "adv_index": (1, NDNE, lambda L, d, a: a[_index_array(L, d, a.shape[0], d(st.integers(1, 5)))]),
    "index_select": (1, NDNE, lambda L, d, a: (lambda dd: a.index_select(dd, _index_array(
        L, d, a.shape[dd], d(st.integers(1, 4)))))(_dim(d, a))),
    "gather": (1, NDNE, lambda L, d, a: _gather(L, d, a)),
    "mask_index": (1, ND, lambda L, d, a: a[a > 0] * 2),
    # linear algebra
    "matmul_self": (1, lambda s: 1 <= len(s) <= 3, lambda L, d, a: _matmul_self(L, d, a)),
    "matmul": (2, lambda sa, sb: len(sa) >= 1 and len(sb) >= 1 and sa[-1] == sb[-2 if len(sb) >= 2
               else -1] and (len(sa) < 3 or len(sb) < 3 or _bcast(sa[:-2], sb[:-2])),
               lambda L, d, a, b: L.matmul(a, b)),
    "outer_like": (2, lambda sa, sb: len(sa) == 1 and len(sb) == 1,
                   lambda L, d, a, b: a.unsqueeze(1) * b.unsqueeze(0)),
    # in-place on a fresh clone (nothing has saved it yet, so PyTorch allows it too)
    "inplace": (2, lambda sa, sb: True, lambda L, d, a, b: _inplace(L, d, a, b)),
}


class Replay:
    """Draws from hypothesis once and replays the same values for the second library."""

    def __init__(self, data):
        self._array = data
        self.log = []
        self.pos = None

    def __call__(self, strategy):
        if self.pos is None:
            v = self._array.draw(strategy)
            self.log.append(v)
            return v
        v = self.log[self.pos]
        self.pos += 1
        return v

    def replay(self):
        self.pos = 0


def leaf_shapes(data):
    base = data.draw(st.lists(st.integers(1, 4), min_size=0, max_size=3), label="base shape")
    shapes = [tuple(base)]
    for _ in range(data.draw(st.integers(1, 2), label="more leaves")):
        # a broadcastable variant: drop leading dims, set some to 1
        k = data.draw(st.integers(0, len(base)))
        s = [1 if data.draw(st.booleans()) else n for n in base[k:]]
        shapes.append(tuple(s))
    return shapes


# -- in-place changes through views (both libraries run them in place) --------------------------
VIEW_KINDS = ["mul_", "add_", "clamp_", "zero_", "setitem", "mul_t", "copy_t", "base_setitem"]


def _view_of(draw, a):
    """A view of ``a`` (slice, narrow, select, transpose, unsqueeze, reshape: a copy in both
    libraries when the memory does not allow a view, so a change then does not reach ``a``)."""
    kinds = ["reshape"] + (["unsqueeze"] if a.ndim < 3 else [])
    if a.ndim >= 1 and a.shape[0]:
        kinds += ["slice", "narrow", "select"]
    if a.ndim >= 2:
        kinds.append("transpose")
    kind = draw(st.sampled_from(kinds))
    if kind == "reshape":
        return a.reshape(-1)
    if kind == "unsqueeze":
        return a.unsqueeze(draw(st.integers(-a.ndim - 1, a.ndim)))
    if kind == "slice":
        return a[_slice(draw, a.shape[0])]
    if kind == "narrow":
        return a.narrow(0, draw(st.integers(0, a.shape[0] - 1)), 1)
    if kind == "select":
        return a[draw(st.integers(-a.shape[0], a.shape[0] - 1))]
    return a.transpose(_dim(draw, a), _dim(draw, a))


def inplace_through_view(L, draw, a, b):
    """``v = view(a)`` (one or two views deep), then an in-place op on ``v`` (or ``a[s] = ...``
    on the base): ``a``, ``v`` and every other view of ``a`` change in both libraries. The
    operand ``b`` enters as a fresh ``b * 1`` so it never overlaps ``v`` in memory."""
    v = _view_of(draw, a)
    if draw(st.booleans()):
        v = _view_of(draw, v)
    kind = draw(st.sampled_from(VIEW_KINDS))
    other = b * 1 if _broadcasts_to(b.shape, v.shape) else (b * 1).sum()
    if kind == "mul_":
        v.mul_(1.5)
    elif kind == "add_":
        v.add_(0.25)
    elif kind == "clamp_":
        v.clamp_(-0.5, 0.5)
    elif kind == "zero_":
        v.zero_()
    elif kind == "mul_t":
        v.mul_(other)
    elif kind == "copy_t":
        v.copy_(other.tanh())
    elif kind == "setitem" and v.ndim and v.shape[0]:
        v[_slice(draw, v.shape[0])] = (b * 1).sum() * 0.5
    elif kind == "base_setitem" and a.ndim and a.shape[0]:
        a[_slice(draw, a.shape[0])] = (b * 1).sum() * 0.5
    else:
        v.add_(other)
    return v
