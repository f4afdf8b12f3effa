"""Path-count rules for the fused layer ops (convolution, normalisation, cross-entropy).

A fused op is counted as the primitive ops it stands for, so that the numbers mean the same as
for a graph written out op by op (see ``structure``):

* ``Conv2d``: y[n, o, i, j] reaches every input pixel of its window (all C/G channels) and every
  weight of filter o; the structural VJPs are the convolution's own adjoints with all-ones
  operands (zero padding is not an input, so it carries no path).
* ``BatchNorm`` / ``LayerNorm`` with batch statistics, as written out:
  mu = mean(x); d = x - mu; v = mean(d^2); s = rsqrt(v + eps); y = d s w + b.
  With running statistics (eval) x reaches y elementwise only.
* ``CrossEntropy`` (class indices): loss = sum_i scale_i (-log_softmax(z)[i, t_i]) (plus, with
  label smoothing, the mean over every class); log_softmax is row-wise (every z[i, k]).

Each rule here is *joint*: ``fn(P, L, present) -> ({input: (P_in, L_in)}, cost)`` where P
and L are the counts at the op's output (see ``PathCounter``).
"""
from __future__ import annotations

import numpy as np


def conv2d_rule(node, shapes):
    from ..ops.conv import _ARRAYS, _grad_weight, conv_grad_input
    p = node.p
    xs, ws = shapes[0], shapes[1]

    def v(i, g):
        if i == 0:
            return np.asarray(conv_grad_input(g, np.ones(ws), xs, p), dtype=np.float64)
        if i == 1:
            return np.asarray(_grad_weight(_ARRAYS, np.ones(xs), g, tuple(ws), p),
                              dtype=np.float64)
        return g.sum(axis=(0, 2, 3))
    return v


def _norm_joint(xshape, stat_axes, param_axes, param_shapes, batch_stats):
    numel = int(np.prod(xshape))
    n_stats = numel // max(int(np.prod([xshape[a] for a in stat_axes])), 1)

    def red(a):
        return a.sum(axis=stat_axes, keepdims=True)

    def bc(a):
        return np.broadcast_to(a, xshape)

    def to_param(a, i):
        r = a.sum(axis=param_axes) if param_axes else a
        return r.reshape(param_shapes[i])

    def fn(P, L, present):
        out, cost = {}, 0
        Lp = L + P
        if 2 in present:                       # y = t + b
            out[2] = (to_param(P, 2), to_param(Lp, 2))
            cost += numel
        if not (0 in present or 1 in present):
            return out, cost
        Pt, Lt = P, Lp                         # y -> t
        cost += numel
        if 1 in present:                       # t = u w
            out[1] = (to_param(Pt, 1), to_param(Lt + Pt, 1))
            cost += numel
        if 0 not in present:
            return out, cost
        Pu, Lu = Pt, Lt + Pt                   # t -> u
        cost += numel
        if not batch_stats:                    # u = (x - m) s with constant m, s
            out[0] = (Pu.copy(), Lu + Pu)
            return out, cost + numel
        Pd, Ld = Pu, Lu + Pu                   # u = d s: u -> d
        Ps, Ls = red(Pu), red(Lu + Pu)         # u -> s
        Pv, Lv = Ps, Ls + 2 * Ps               # s = rsqrt(e), e = v + eps: s -> e -> v
        Pq, Lq = bc(Pv), bc(Lv + Pv)           # v = mean(q): v -> q
        Pd, Ld = Pd + Pq, Ld + Lq + Pq         # q = d^2: q -> d
        Pm, Lm = red(Pd), red(Ld + Pd)         # d = x - mu: d -> mu
        px = Pd + bc(Pm)                       # d -> x, mu = mean(x): mu -> x
        lx = (Ld + Pd) + bc(Lm + Pm)
        cost += numel * 7 + 2 * n_stats
        out[0] = (np.array(px), np.array(lx))
        return out, cost
    return fn


def batchnorm_rule(node, shapes):
    xs = shapes[0]
    axes = tuple(node.axes)
    return _norm_joint(xs, axes, axes, shapes, bool(node.batch_stats))


def layernorm_rule(node, shapes):
    return _norm_joint(shapes[0], tuple(node.axes), tuple(node.lead), shapes, True)


def cross_entropy_rule(node, shapes):
    zs = shapes[0]
    m, c = zs
    t = np.asarray(node.t)
    scale = np.asarray(node.scale)
    live = (scale != 0).astype(np.float64)
    smoothing = node.smoothing
    reduce = node.reduce

    def fn(P, L, present):
        if 0 not in present:
            return {}, 0
        cost = 0
        if reduce:                             # sum over rows
            prow = np.broadcast_to(P, (m,)) * live
            lrow = np.broadcast_to(L + P, (m,)) * live
            cost += int(live.sum())
        else:
            prow, lrow = P * live, L * live
        plp = np.zeros(zs)
        llp = np.zeros(zs)
        rows = np.arange(m)
        plp[rows, t] += prow                   # scale_i * (-logp[i, t_i])
        llp[rows, t] += lrow + prow
        cost += int(live.sum())
        if smoothing:                          # (e / C) sum_c (-logp[i, c])
            plp += prow[:, None]
            llp += (lrow + prow)[:, None]
            cost += int(live.sum()) * c
        pz = np.broadcast_to(plp.sum(axis=1, keepdims=True), zs).copy()  # row-wise softmax
        lz = np.broadcast_to((llp + plp).sum(axis=1, keepdims=True), zs).copy()
        cost += int(live.sum()) * c * c
        return {0: (pz, lz)}, cost
    return fn


JOINT = {"BatchNorm": batchnorm_rule, "LayerNorm": layernorm_rule,
         "CrossEntropy": cross_entropy_rule}
SIMPLE = {"Conv2d": conv2d_rule}
