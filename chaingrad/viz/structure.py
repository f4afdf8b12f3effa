"""Scalar paths and multiply-accumulate counts: what the DP backward pass saves.

The cost model (used by ``explain_backward``)
---------------------------------------------
Look at the graph one scalar at a time: every element of every tensor is a vertex, and an op
has an edge from output element j to input element i wherever its Jacobian entry
J[j, i] = d out_j / d in_i is structurally non-zero (elementwise ops: the matching element;
``sum``: every element; ``A @ B``: out[i, j] reaches A[i, :] and B[:, j]; softmax: the whole
row). Edges of *arithmetic* ops weigh 1; edges of pure data movement (reshape, transpose,
indexing, slicing, concatenation, broadcasting copies, dtype casts) weigh 0, since no
arithmetic happens there.

* ``dp_cost``: the DP backward pass uses every weighted edge exactly once,
  g_in[i] += J[j, i] * g_out[j]: one multiply-accumulate (MAC) per structurally non-zero
  Jacobian entry of an arithmetic op. (Summing the gradients that meet at a node is not
  counted, in either cost.)
* ``naive_cost``: the chain rule expanded path by path with nothing stored: for every leaf
  element, dL/dleaf = sum over every scalar path from the loss of the product of the partials
  along it; a path with l weighted edges costs l MACs (l - 1 multiplications and one
  multiply-add into the sum). So naive_cost = sum over all loss-to-leaf scalar paths of their
  weighted length.

Both are computed by dynamic programming on per-element arrays run alongside the real backward
pass: ``P`` (number of scalar paths from the loss to each element) and ``L`` (their total
weighted length) obey  P_in += V(P_out)  and  L_in += V(L_out + w P_out), where V is the op's
structural vector-Jacobian product (its Jacobian with every non-zero replaced by 1) and w its
edge weight. Ops without a known rule give every input element the smallest count found in an
output they feed (assuming, as holds for differentiable ops, that each input element reaches
some element of each output) and cost max(n_in, n_out), which can only undercount: the
result is then a lower bound (``exact`` False). Past 2**53 the counts are float64
approximations (``exact`` False too). Fused layer ops (convolution, normalisation,
cross-entropy) are counted as the primitive ops they stand for: ``structure_nn``.
"""
from __future__ import annotations

import numpy as np

from ..ops.dual import ARRAY_MATH

EXACT_LIMIT = 2.0 ** 53

# each output element depends on the matching (broadcast) element of every input
ELEMENTWISE = {
    "Add", "Sub", "Mul", "Div", "Neg", "PowScalar", "Pow", "Exp", "Log", "Log2", "Log10",
    "Log1p", "Expm1", "Sqrt", "Rsqrt", "Square", "Abs", "Sign", "Reciprocal", "Sin", "Cos",
    "Tan", "Tanh", "Sigmoid", "Relu", "Clamp", "ClampTensor", "Maximum", "Minimum", "Where",
    "Floor", "Ceil", "Round", "Trunc", "LeakyRelu", "LeakyReLU", "Elu", "ELU", "Gelu", "GELU",
    "Silu", "SiLU", "Softplus", "Hardtanh", "Dropout", "Threshold", "Mish", "Hardswish",
    "Hardsigmoid", "Selu", "Celu", "LogSigmoid", "Softsign", "Tanhshrink",
}
# elementwise but no arithmetic: weight 0
COPIES = {"Clone", "Cast", "ToDevice", "Contiguous", "Alias", "View", "Detach"}
# pure data movement whose own backward has 0/1 entries: run it on the counts, weight 0
MOVES = {"Reshape", "Permute", "Expand", "Index", "IndexScatter", "Cat", "Repeat", "Flip",
         "Gather", "Pad", "IndexPut", "Stack", "Split", "Narrow", "Transpose", "Squeeze",
         "Unsqueeze", "Unfold", "Roll", "MaxMinDim", "MaxPool2d"}
# arithmetic whose own backward has 0/1 entries: run it on the counts, weight 1
UNIT_ARITH = {"Sum", "SumTo", "Cumsum"}
# reductions over the axes recorded in ``self.kept``: every input element reaches its output
REDUCTIONS = {"Mean", "Var", "Norm2", "Logsumexp", "AmaxAmin", "Prod"}
ROWWISE = {"Softmax", "LogSoftmax"}  # every output of a row depends on the whole row


def _sum_to(x, shape):
    return np.asarray(ARRAY_MATH.sum_to(np.asarray(x), tuple(shape)), dtype=np.float64)


def _out_array(arrs):
    return arrs[0] if len(arrs) == 1 else arrs


def _matmul_rule(node, shapes, out):
    sa, sb = shapes

    def v(i, p):
        a = np.ones(sa)
        b = np.ones(sb)
        a_vec, b_vec = len(sa) == 1, len(sb) == 1
        if a_vec:
            a = a.reshape(1, -1)
            p = np.expand_dims(p, -2)
        if b_vec:
            b = b.reshape(-1, 1)
            p = np.expand_dims(p, -1)
        if i == 0:
            r = p @ np.swapaxes(b, -1, -2)
            if a_vec:
                r = r.reshape(r.shape[:-2] + (r.shape[-1],))
            return _sum_to(r, sa)
        r = np.swapaxes(a, -1, -2) @ p
        if b_vec:
            r = r.reshape(r.shape[:-2] + (r.shape[-2],))
        return _sum_to(r, sb)
    return v, 1, True


def _linear_rule(shapes):
    """y = x W^T + b: y[..., o] reaches x[..., :], W[o, :] and b[o]."""
    sx, sw = shapes[0], shapes[1]

    def v(i, p):
        if i == 0:
            return p @ np.ones(sw)
        per_out = p.reshape(-1, p.shape[-1]).sum(axis=0)
        if i == 1:
            return np.broadcast_to(per_out[:, None], sw).copy()
        return per_out.reshape(shapes[2])
    return v, 1, True


def rule(node, shapes, out_shapes):
    """``(V, weight, exact)`` for ``node``: V(i, counts_out) -> counts for input i."""
    name = type(node).__name__
    if name in ELEMENTWISE or name in COPIES or (
            getattr(type(node), "pointwise", False) and name not in MOVES):
        w = 0 if name in COPIES else 1
        return (lambda i, p: _sum_to(np.broadcast_to(p, np.broadcast_shapes(
            p.shape, shapes[i])), shapes[i])), w, True
    if name in MOVES or name in UNIT_ARITH:
        w = 1 if name in UNIT_ARITH else 0

        def own(i, p):
            res = node._run_backward(p if isinstance(p, list) else [p], ARRAY_MATH)
            if not isinstance(res, (tuple, list)):
                res = (res,)
            r = res[i]
            return np.zeros(shapes[i]) if r is None else np.abs(_sum_to(r, shapes[i]))
        return own, w, True
    if name in REDUCTIONS and hasattr(node, "kept"):
        kept = node.kept
        return (lambda i, p: np.broadcast_to(np.asarray(p, dtype=np.float64).reshape(kept),
                                             shapes[i]).copy()), 1, True
    if name in ROWWISE and hasattr(node, "axis"):
        ax = node.axis
        return (lambda i, p: np.broadcast_to(np.sum(p, axis=ax, keepdims=True),
                                             shapes[i]).copy()), 1, True
    if name == "MatMul" and len(shapes) == 2:
        return _matmul_rule(node, shapes, out_shapes)
    if name == "Linear" and len(shapes) in (2, 3):
        return _linear_rule(shapes)
    from . import structure_nn
    if name in structure_nn.SIMPLE:
        return structure_nn.SIMPLE[name](node, shapes), 1, True
    return None, 1, False


class PathCounter:
    """Runs beside the engine (called from its observer): per-element path counts P, their
    total weighted lengths L, the DP cost and the naive cost (see the module docstring)."""

    def __init__(self, root_shape):
        ones = np.ones(root_shape, dtype=np.float64)
        self.P = {}
        self.L = {}
        self._root_init = (ones, np.zeros_like(ones))
        self.dp_cost = 0
        self.naive_cost = 0.0
        self.scalar_paths = 0.0
        self.exact = True
        self.unknown_ops = set()

    def start(self, root):
        self.P[root] = [self._root_init[0]]
        self.L[root] = [self._root_init[1]]

    def leaf(self, node):
        P = self.P.pop(node, [None])[0]
        L = self.L.pop(node, [None])[0]
        if P is not None:
            self.scalar_paths += float(P.sum())
            self.naive_cost += float(L.sum())

    def visit(self, node, out_shapes):
        """Propagate counts through ``node``; return its DP cost in MACs."""
        P = self.P.pop(node, None)
        L = self.L.pop(node, None)
        n_out = max(len(out_shapes), getattr(node, "num_outputs", 1))
        used = [k for k in range(n_out) if P is not None and k < len(P) and P[k] is not None]
        P = [np.zeros(out_shapes.get(k, ())) if P is None or k >= len(P) or P[k] is None
             else P[k] for k in range(n_out)]
        L = [np.zeros_like(p) if L is None or k >= len(L) or L[k] is None else L[k]
             for k, p in enumerate(P)]
        meta = getattr(node, "_input_meta", ())
        shapes = [tuple(m[0]) for m in meta]
        joint = self._joint(node, shapes, P, L)
        if joint is not None:
            self.dp_cost += joint
            return joint, True
        v, w, exact = rule(node, shapes, out_shapes)
        cost = 0
        for i, e in enumerate(node.next_functions):
            if not e:
                continue
            child, nr = e
            if v is not None:
                try:
                    p_in = v(i, _out_array(P))
                    l_in = v(i, _out_array([l + w * p for l, p in zip(L, P)]))
                    c = int(round(float(v(i, _out_array([np.ones_like(p) for p in P])).sum())))
                    cost += w * c
                except Exception:  # noqa: BLE001  (a rule that does not fit: fall back)
                    v = None
            if v is None:
                exact = False
                self.unknown_ops.add(node.name())
                # every input element reaches at least one element of each used output
                lo_p = max((float(P[k].min()) for k in used if P[k].size), default=0.0)
                lo_l = max((float((L[k] + P[k]).min()) for k in used if P[k].size),
                           default=0.0)
                p_in = np.full(shapes[i], lo_p)
                l_in = np.full(shapes[i], lo_l)
                cost += max(int(np.prod(shapes[i])), sum(int(p.size) for p in P))
            self._add(child, nr, p_in, l_in)
        if not exact:
            self.exact = False
        self.dp_cost += cost
        return cost, exact

    def _joint(self, node, shapes, P, L):
        """Ops counted as the primitives they fuse (``structure_nn``); None if not one."""
        from . import structure_nn
        make = structure_nn.JOINT.get(type(node).__name__)
        if make is None or len(P) != 1:
            return None
        present = {i for i, e in enumerate(node.next_functions) if e}
        try:
            out, cost = make(node, shapes)(P[0], L[0], present)
        except Exception:  # noqa: BLE001  (an unexpected layout: use the generic fallback)
            return None
        for i, (p_in, l_in) in out.items():
            child, nr = node.next_functions[i]
            self._add(child, nr, p_in, l_in)
        return cost

    def _add(self, child, nr, p_in, l_in):
        slot_p = self.P.setdefault(child, [None] * max(nr + 1, child.num_outputs))
        slot_l = self.L.setdefault(child, [None] * max(nr + 1, child.num_outputs))
        slot_p[nr] = p_in if slot_p[nr] is None else slot_p[nr] + p_in
        slot_l[nr] = l_in if slot_l[nr] is None else slot_l[nr] + l_in

    def finish(self):
        if self.naive_cost >= EXACT_LIMIT or self.dp_cost >= EXACT_LIMIT:
            self.exact = False
        naive = int(self.naive_cost) if self.exact else self.naive_cost
        paths = int(self.scalar_paths) if self.scalar_paths < EXACT_LIMIT else self.scalar_paths
        return naive, paths
