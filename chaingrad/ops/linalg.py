"""Matrix products. For Y = A B:  dL/dA = dL/dY B^T  and  dL/dB = A^T dL/dY."""
from __future__ import annotations

import numpy as np

from ..backend import xp
from ..autograd.function import Op, backward_named
from ..tensor import Tensor
from .elementwise import as_tensor_operand, _promote


class MatMul(Op):
    """Batched, broadcasting matrix product (NumPy's ``matmul`` semantics, 1-D included)."""
    save_inputs = (0, 1)

    def forward(self, a, b):
        self.a_vec = a.ndim == 1
        self.b_vec = b.ndim == 1
        if a.ndim == 2 and b.ndim == 2:  # (np.dot always reaches BLAS: see ARRAY_MATH.matmul)
            return xp.dot(a, b)
        return xp.matmul(a, b)

    def backward(self, g, F):  # dA = g B^T,  dB = A^T g
        a, b = self.inputs(F)
        # a 1-D operand is a matrix with one row (a) or one column (b): put that dim back
        if self.a_vec:
            a = F.reshape(a, (1,) + tuple(a.shape))
            g = F.expand_dims(g, -1 if self.b_vec else -2)
        if self.b_vec:
            b = F.reshape(b, tuple(b.shape) + (1,))
            g = F.expand_dims(g, -1)
        need_a, need_b = self.next_functions  # skip the product an input does not need
        ga = gb = None
        if need_a:
            ga = F.matmul(g, F.swapaxes(b, -1, -2))
            if self.a_vec:
                ga = F.reshape(ga, tuple(ga.shape[:-2]) + (ga.shape[-1],))
        if need_b:
            gb = F.matmul(F.swapaxes(a, -1, -2), g)
            if self.b_vec:
                gb = F.reshape(gb, tuple(gb.shape[:-2]) + (gb.shape[-2],))
        return ga, gb


def matmul(a, b):
    a = as_tensor_operand(a)
    b = as_tensor_operand(b)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got {a.ndim}-D "
                           f"and {b.ndim}-D tensors")
    if a._array.dtype != b._array.dtype:  # PyTorch does not promote here
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_C_NAMES.get(a.dtype.name, a.dtype.name)} != "
                           f"{_C_NAMES.get(b.dtype.name, b.dtype.name)}")
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        sa = "x".join(map(str, a.shape))
        sb = "x".join(map(str, b.shape))
        raise RuntimeError(f"matmul: shapes cannot be multiplied ({sa} and {sb}): the inner "
                           f"dimensions {ka} and {kb} differ")
    try:
        out = MatMul.apply(a, b)
    except ValueError:
        sa = "x".join(map(str, a.shape))
        sb = "x".join(map(str, b.shape))
        raise RuntimeError(f"matmul: the batch dimensions of {sa} and {sb} cannot be "
                           f"broadcast ({tuple(a.shape[:-2])} vs {tuple(b.shape[:-2])})") from None
    return backward_named(out, _MATMUL_NAMES.get((a.ndim, b.ndim), "UnsafeViewBackward0"))


# the C type names PyTorch's dtype errors use
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool"}

# PyTorch's node for a @ b by the operands' dims (higher dims: a batched product, reshaped)
_MATMUL_NAMES = {(2, 2): "MmBackward0", (2, 1): "MvBackward0", (1, 1): "DotBackward0",
                 (1, 2): "SqueezeBackward4"}


def outer(a, b):
    """a_i b_j for 1-D a and b."""
    for name, t in (("self", a), ("vec2", b)):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    return a.reshape(-1, 1) * b.reshape(1, -1)  # a product: it promotes, as a * b does


class Einsum(Op):
    """einsum. The gradient for each operand is another einsum: the output gradient and the
    other operands contracted onto this operand's letters; letters summed away only in this
    operand are broadcast back, and repeated letters (a diagonal) are scattered back onto it."""
    save_inputs = "all"

    def forward(self, *xs, spec):
        self.spec = spec
        self.shapes = [x.shape for x in xs]
        return xp.asarray(xp.einsum(spec, *xs, optimize=len(xs) > 2))

    def backward(self, g, F):
        ins, out = self.spec.split("->")
        terms = ins.split(",")
        xs = self.inputs(F)
        grads = []
        for i, term in enumerate(terms):
            others = [t for j, t in enumerate(terms) if j != i]
            ops = [g] + [xs[j] for j in range(len(terms)) if j != i]
            shape = self.shapes[i]
            size = {c: shape[k] for k, c in enumerate(term)}
            uniq = "".join(dict.fromkeys(term))
            present = set(out) | set("".join(others))
            kept = "".join(c for c in uniq if c in present)
            r = _einsum_any(",".join([out] + others) + "->" + kept, ops, F)
            if kept != uniq:  # d/dx of a sum over a letter only x has: broadcast back
                r = F.expand_dims(r, tuple(k for k, c in enumerate(uniq) if c not in present))
                r = F.broadcast_to(r, tuple(size[c] for c in uniq))
            if uniq != term:  # 'ii': the gradient lives on the diagonal
                grids = np.ix_(*[np.arange(size[c]) for c in uniq])
                index = tuple(grids[uniq.index(c)] for c in term)
                r = F.scatter_add(shape, index, r)
            grads.append(r)
        return tuple(grads)


def _einsum_any(spec, ops, F):
    if F.graph:
        return einsum(spec, *ops)
    return xp.einsum(spec, *ops, optimize=len(ops) > 2)


def _normalize_spec(spec, operands):
    spec = spec.replace(" ", "")
    if "->" not in spec:  # implicit output: broadcast dims, then the letters seen once
        letters = spec.replace(",", "").replace("...", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        spec = spec + "->" + ("..." if "..." in spec else "") + out
    if "..." in spec:
        ins, out = spec.split("->")
        used = set(spec) - set(".,->")
        free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used]
        terms = ins.split(",")
        nmax = 0
        new_terms = []
        for t, op in zip(terms, operands):
            if "..." in t:
                n = op.ndim - (len(t) - 3)
                nmax = max(nmax, n)
                new_terms.append(t.replace("...", "".join(free[nmax - n:nmax])))
            else:
                new_terms.append(t)
        # broadcast ellipsis dims are right-aligned
        fixed = []
        for t, op in zip(terms, operands):
            if "..." in t:
                n = op.ndim - (len(t) - 3)
                fixed.append(t.replace("...", "".join(free[nmax - n:nmax])))
            else:
                fixed.append(t)
        out = out.replace("...", "".join(free[:nmax]))
        spec = ",".join(fixed) + "->" + out
    return spec


def einsum(spec, *operands):
    """Einstein summation, e.g. ``cg.einsum('bij,bjk->bik', a, b)``."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = tuple(as_tensor_operand(o) for o in operands)
    spec = _normalize_spec(spec, operands)
    dtype = np.result_type(*[o._array.dtype for o in operands])
    operands = tuple(o if o._array.dtype == dtype else o.to(dtype) for o in operands)
    try:
        return Einsum.apply(*operands, spec=spec)
    except ValueError as exc:
        shapes = ", ".join(str(tuple(o.shape)) for o in operands)
        raise RuntimeError(f"einsum('{spec}'): operands of shapes {shapes} do not fit the "
                           f"subscripts ({exc})") from None
