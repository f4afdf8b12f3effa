"""Spellings and names the round-3 API audit added to every Tensor method and ``cg.*``
function they concern, installed once ``Tensor`` exists (``install``, from
``_tensor_math._bind``):

* NumPy's keywords PyTorch also takes: ``x.sum(axis=0, keepdims=True)``, ``cg.cat(ts, axis=1)``;
* PyTorch's graph-node names for functions composed here from other ops (``x.sort()`` is a
  gather here, its node is named ``SortBackward0`` as in PyTorch);
* small methods PyTorch has under several names (``subtract``, ``clip_``, ``eq_`` ...).
"""
from __future__ import annotations

import numpy as np

Tensor = None


def install(tensor_cls, reduce, shape, select):
    global Tensor
    Tensor = tensor_cls
    for name, method in _ALIASES.items():
        if not hasattr(tensor_cls, name):
            setattr(tensor_cls, name, method)
    for name in _NUMPY_KEYWORDS:
        method = getattr(tensor_cls, name, None)
        if method is not None and not getattr(method, "_numpy_keywords", False):
            setattr(tensor_cls, name, _numpy_keywords(method))
        for module in (reduce, shape, select):
            fn = module.__dict__.get(name)
            if callable(fn) and not getattr(fn, "_numpy_keywords", False):
                setattr(module, name, _numpy_keywords(fn))

    for name, node in _NODE_NAMES.items():
        method = getattr(tensor_cls, name, None)
        if method is not None and not getattr(method, "_node_named", False):
            setattr(tensor_cls, name, _named(method, node))
        for module in (reduce, shape, select):
            fn = module.__dict__.get(name)
            if callable(fn) and not getattr(fn, "_node_named", False):
                setattr(module, name, _named(fn, node))


def _dim_given(args, kw):
    return len(args) > 1 and args[1] is not None or kw.get("dim") is not None


# PyTorch's node names for functions composed here from other ops (the name goes on the node
# that made the result; gradients are those of the composition). A callable picks by the call.
_NODE_NAMES = {
    "sort": "SortBackward0", "topk": "TopkBackward0", "kthvalue": "KthvalueBackward0",
    "cummax": "CummaxBackward0", "cummin": "CumminBackward0", "msort": "SortBackward0",
    "index_select": "IndexSelectBackward0", "roll": "RollBackward0",
    "masked_fill": "MaskedFillBackward0", "cumprod": "CumprodBackward0",
    "tril": "TrilBackward0", "triu": "TriuBackward0", "trace": "TraceBackward0",
    "diagonal": "DiagonalBackward0", "fmax": "FmaxBackward0", "fmin": "FminBackward0",
    "atan2": "Atan2Backward0", "arctan2": "Atan2Backward0", "hypot": "HypotBackward0",
    "xlogy": "XlogyBackward0", "nan_to_num": "NanToNumBackward0", "unfold": "UnfoldBackward0",
    "addcmul": "AddcmulBackward0", "addcdiv": "AddcdivBackward0",
    "median": lambda a, kw: "MedianBackward1" if _dim_given(a, kw) else "MedianBackward0",
    "prod": lambda a, kw: "ProdBackward1" if _dim_given(a, kw) else "ProdBackward0",
    "lerp": lambda a, kw: ("LerpBackward1" if isinstance(a[2] if len(a) > 2 else
                                                         kw.get("weight"), Tensor)
                           else "LerpBackward0"),
}


def _named(fn, node):
    """``fn`` whose result's graph node carries PyTorch's name ``node`` (for a tuple result,
    the node of its first tensor). An input returned unchanged keeps its own node's name."""
    def wrapper(*args, **kw):
        out = fn(*args, **kw)
        t = out[0] if isinstance(out, tuple) else out
        g = getattr(t, "grad_fn", None)
        if g is not None and not any(getattr(a, "grad_fn", None) is g for a in args):
            g.backward_name = node if isinstance(node, str) else node(args, kw)
        return out
    wrapper.__name__, wrapper.__qualname__ = fn.__name__, fn.__qualname__
    wrapper.__doc__, wrapper.__wrapped__ = fn.__doc__, fn
    wrapper._node_named = True
    wrapper._numpy_keywords = getattr(fn, "_numpy_keywords", False)
    return wrapper


_NUMPY_KEYWORDS = ("sum mean prod max min amax amin argmax argmin std var all any cumsum "
                   "cumprod logsumexp norm softmax log_softmax var_mean std_mean cat concat "
                   "stack squeeze unsqueeze").split()


def _numpy_keywords(fn):
    """``fn`` also taking NumPy's ``axis=`` / ``keepdims=`` for ``dim=`` / ``keepdim=`` (and
    ``input=`` for the tensor)."""
    def wrapper(*args, **kw):
        if kw:
            if "axis" in kw:
                kw["dim"] = kw.pop("axis")
            if "keepdims" in kw:
                kw["keepdim"] = kw.pop("keepdims")
            if not args and "input" in kw:  # cg.sum(input=x): PyTorch's name for the tensor
                args = (kw.pop("input"),)
        return fn(*args, **kw)
    wrapper.__name__, wrapper.__qualname__ = fn.__name__, fn.__qualname__
    wrapper.__doc__, wrapper.__wrapped__ = fn.__doc__, fn
    wrapper._numpy_keywords = True
    return wrapper




# -- small methods PyTorch has under more names --------------------------------------------------
def _compare_(op):
    def method(self, other):
        """In place: 1 where the comparison holds, else 0, in this tensor's dtype."""
        from .ops import inplace
        return inplace.apply_inplace(self, lambda t: getattr(t, op)(other).to(t.dtype))
    method.__name__ = op + "_"
    return method


def _alias(name):
    def method(self, *args, **kwargs):
        return getattr(self, name)(*args, **kwargs)
    method.__name__ = name
    return method


def _function(module, name):
    def method(self, *args, **kwargs):
        import importlib
        return getattr(importlib.import_module(f"chaingrad.{module}"), name)(self, *args, **kwargs)
    method.__name__ = name
    return method


def _split_with_sizes(self, split_sizes, dim=0):
    return self.split(list(split_sizes), dim)


def _new(self, *args):
    """``t.new(sizes...)`` (uninitialised; zeros here) or ``t.new(data)``, of t's dtype."""
    if len(args) == 1 and not isinstance(args[0], int):
        data = args[0]
        if isinstance(data, Tensor):
            return data.to(self.dtype)
        return self.new_tensor(data)
    return self.new_zeros(*args) if args else self.new_zeros(0)


def _diagflat(self, offset=0):
    return self.reshape(-1).diag(offset)


def _cross(self, other, dim=None):
    """The cross product of 3-vectors along ``dim`` (the first dim of size 3 when None)."""
    if dim is None:
        dim = next(d for d, n in enumerate(np.broadcast_shapes(self.shape, other.shape)) if n == 3)
    a0, a1, a2 = self.unbind(dim)
    b0, b1, b2 = other.unbind(dim)
    from .ops.shape import stack
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim)


_ALIASES = {
    "subtract": _alias("sub"), "subtract_": _alias("sub_"), "multiply_": _alias("mul_"),
    "divide_": _alias("div_"), "true_divide_": _alias("div_"), "clip_": _alias("clamp_"),
    "absolute_": _alias("abs_"), "fix_": _alias("trunc_"), "swapaxes_": _alias("transpose_"),
    "swapdims_": _alias("transpose_"), "split_with_sizes": _split_with_sizes,
    "narrow_copy": lambda self, dim, start, length: self.narrow(dim, start, length).clone(),
    "broadcast_to": lambda self, size: self.expand(size),
    "aminmax": _function("_functions_more", "aminmax"),
    "argwhere": _function("_functions_extra", "argwhere"),
    "dist": _function("_functions_more", "dist"),
    "rot90": _function("_functions_more", "rot90"),
    "nanquantile": _function("_functions_extra", "nanquantile"),
    "multinomial": _function("creation", "multinomial"),
    "bernoulli": _function("_functions_more", "bernoulli"),
    "vdot": _alias("dot"), "ger": _alias("outer"), "diagflat": _diagflat, "cross": _cross,
    "new": _new, "get_device": lambda self: -1,
    "is_cpu": property(lambda self: str(self.device) == "cpu"),
    "is_neg": lambda self: False, "is_conj": lambda self: False,
    "eq_": _compare_("eq"), "ne_": _compare_("ne"), "lt_": _compare_("lt"),
    "le_": _compare_("le"), "gt_": _compare_("gt"), "ge_": _compare_("ge"),
    "greater_": _compare_("gt"), "greater_equal_": _compare_("ge"), "less_": _compare_("lt"),
    "less_equal_": _compare_("le"), "not_equal_": _compare_("ne"),
}
