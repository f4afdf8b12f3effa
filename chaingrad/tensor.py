"""The Tensor: an array, and what back-propagation needs to know about it.

A Tensor holds its array (``data``), whether gradients should flow to it
(``requires_grad``), the gradient once computed (``grad``) and, when an op made it, the graph
node that did (``grad_fn``). Every operator and method here only routes to an op in
``chaingrad.ops``, where each op's forward and derivative live side by side.
"""
from __future__ import annotations

import weakref

import numpy as np

from . import backend
from .backend import xp
from .autograd.grad_mode import is_grad_enabled
from .autograd.function import AccumulateGrad, _next_seq


_new_object = object.__new__
_ndarray = np.ndarray


class _VersionCounter:
    """Shared by a tensor and its views; bumped by every in-place change."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    Create tensors with ``cg.tensor``, ``cg.zeros``, ``cg.rand`` ...; ops on tensors whose
    ``requires_grad`` is set build the computational graph, and ``loss.backward()`` fills each
    leaf's ``.grad`` with dL/d(leaf).
    """

    # What every tensor sets lives in slots; what few tensors ever set (a gradient, hooks, a
    # name, the leaf's AccumulateGrad edge, a version counter) falls back to the class
    # defaults below and lands in the instance __dict__ only when set, so making a tensor
    # costs as little as possible.
    # _vc: the version counter, None until the first in-place change, view or saved output
    __slots__ = ("data", "_requires_grad", "grad_fn", "_vc", "__weakref__", "__dict__")
    grad = None
    _output_nr = 0
    _accumulator = None
    _retains_grad = False
    _hooks = None
    _post_acc_hooks = None
    _base = None  # a view's root base (see ops/views.py mark_view) and the way back to it
    _view_fns = ()
    _views = None  # a non-leaf base's live views (weak references), re-read after a change
    _multi_view = None  # (op name, output index) for split/unbind pieces
    _no_grad_view = False  # a view of a tensor requiring grad, made under no_grad
    name = None
    __array_ufunc__ = None  # NumPy defers to our reflected operators (ndarray * Tensor)
    __array_priority__ = 1000

    def __init__(self, data, dtype=None, requires_grad=False):
        arr = backend.as_array(data.data if isinstance(data, Tensor) else data, dtype)
        self._init(arr, None, 0)
        if requires_grad:
            self.requires_grad = True

    def _init(self, arr, grad_fn, output_nr):
        self.data = arr
        self._vc = None
        self.grad_fn = grad_fn
        self._requires_grad = grad_fn is not None
        if output_nr:
            self._output_nr = output_nr

    @classmethod
    def _wrap(cls, arr, grad_fn=None, output_nr=0):
        """A tensor around an existing array, without copying or dtype inference."""
        # every op result passes here: _init inlined, one allocation per slot-free object
        t = _new_object(cls)
        if arr.__class__ is not _ndarray and not isinstance(arr, np.ndarray):
            arr = xp.asarray(arr)
        t.data = arr
        t._vc = None
        t.grad_fn = grad_fn
        t._requires_grad = grad_fn is not None
        if output_nr:
            t._output_nr = output_nr
        return t

    @property
    def _version_counter(self) -> _VersionCounter:
        """Shared with every view of this tensor; made on first use (most tensors never
        need one: a tensor never changed in place is at version 0)."""
        vc = self._vc
        if vc is None:
            vc = self._vc = _VersionCounter()
        return vc

    @_version_counter.setter
    def _version_counter(self, counter):
        self._vc = counter

    # -- autograd state ------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        flag = bool(flag)
        if self.grad_fn is not None:
            if not flag:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach().")
            return
        if flag and self.data.dtype.kind not in "fc":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients (this tensor is "
                f"{self.dtype.name}); convert it first, e.g. t.float().requires_grad_()")
        self._requires_grad = flag

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def _version(self) -> int:
        vc = self._vc
        return 0 if vc is None else vc.value

    def _edge(self):
        """The (node, output_nr) a gradient for this tensor is sent to."""
        if self.grad_fn is not None:
            return (self.grad_fn, self._output_nr)
        edge = self._accumulator  # a leaf keeps (its AccumulateGrad, 0), made on first use
        if edge is None:
            edge = self._accumulator = (AccumulateGrad(self), 0)
        elif edge[0]._ran:  # first use since a backward pass ran it: renumber it (see there)
            edge[0]._seq = _next_seq()
            edge[0]._ran = False
        return edge

    def detach(self) -> "Tensor":
        """A tensor sharing this one's data, cut from the graph."""
        t = Tensor._wrap(self.data)
        t._version_counter = self._version_counter
        return t

    def detach_(self):
        self.grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        ref = weakref.ref(self)

        def keep(grad):
            t = ref()
            if t is not None:
                g = grad.detach() if grad._requires_grad and not is_grad_enabled() else grad
                if t.grad is None:
                    t.grad = Tensor._wrap(np.array(g.data, copy=True)) if not g._requires_grad else g
                else:
                    t.grad = t.grad + g
        self.grad_fn._add_tensor_hook(self._output_nr, keep)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, fn):
        """``fn(grad)`` runs when this tensor's gradient is computed; it may return a
        replacement gradient. Returns a handle with ``.remove()``."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from .autograd.function import _RemovableHandle
        if self.grad_fn is not None:
            return self.grad_fn._add_tensor_hook(self._output_nr, fn)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return _RemovableHandle(self._hooks, fn)

    def register_post_accumulate_grad_hook(self, fn):
        """``fn(tensor)`` runs after a leaf's ``.grad`` has been accumulated."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        from .autograd.function import _RemovableHandle
        if self._post_acc_hooks is None:
            self._post_acc_hooks = []
        self._post_acc_hooks.append(fn)
        return _RemovableHandle(self._post_acc_hooks, fn)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute d(self)/d(leaf) for every leaf and accumulate it into ``leaf.grad``."""
        from .autograd import backward as _backward
        _backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # -- basic attributes ------------------------------------------------------------------
    @property
    def shape(self):
        return Size(self.data.shape)

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def dim(self) -> int:
        return self.data.ndim

    ndimension = dim

    @property
    def dtype(self):
        return backend.to_dtype(self.data.dtype)

    @property
    def device(self):
        return backend.device_of(self.data)

    @property
    def is_cuda(self) -> bool:
        return str(self.device).startswith("cuda")

    def size(self, dim=None):
        if dim is None:
            return Size(self.data.shape)
        return self.data.shape[dim]

    def numel(self) -> int:
        return int(self.data.size)

    nelement = numel

    def element_size(self) -> int:
        return self.data.itemsize

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        return bool(self.data.flags.c_contiguous)

    def stride(self, dim=None):
        st = tuple(s // self.data.itemsize for s in self.data.strides)
        return st if dim is None else st[dim]

    def data_ptr(self) -> int:
        return self.data.__array_interface__["data"][0]

    @property
    def T(self):
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    # -- conversion ------------------------------------------------------------------------
    def numpy(self, force=False):
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return backend.to_numpy(self.data)

    def __array__(self, dtype=None, copy=None):
        arr = backend.to_numpy(self.data)
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        return arr.copy() if copy else arr

    def item(self):
        if self.data.size != 1:
            raise RuntimeError(f"a Tensor with {self.data.size} elements cannot be converted "
                               f"to Scalar")
        return self.data.reshape(()).item()

    def tolist(self):
        return self.data.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self.data.size} values is "
                               f"ambiguous")
        return bool(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def __hash__(self):
        return id(self)

    def __repr__(self):
        body = np.array2string(backend.to_numpy(self.data), separator=", ", precision=4,
                               prefix="tensor(")
        extras = []
        if self.data.dtype not in (np.float32, np.int64, np.bool_) or self.data.size == 0:
            extras.append(f"dtype={self.dtype!r}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    def to(self, *args, **kwargs):
        """``t.to(dtype)``, ``t.to(device)``, ``t.to(other_tensor)``: converts, keeping grad."""
        from .ops import elementwise as ew
        dtype, device = _to_args(args, kwargs)
        out = self
        if device is not None and str(backend.Device(device)) != str(self.device):
            out = ew.to_device(out, device)
        if dtype is not None and backend.np_dtype(dtype) != out.data.dtype:
            out = ew.cast(out, dtype)
        return out

    def type(self, dtype=None):
        if dtype is None:
            return f"chaingrad.{self.dtype.name}"
        return self.to(dtype)

    def float(self):
        return self.to(backend.float32)

    def double(self):
        return self.to(backend.float64)

    def half(self):
        return self.to(backend.float16)

    def long(self):
        return self.to(backend.int64)

    def int(self):
        return self.to(backend.int32)

    def bool(self):
        return self.to(backend.bool_)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else f"cuda:{device}")

    def clone(self):
        from .ops import elementwise as ew
        return ew.clone(self)

    def contiguous(self):
        if self.data.flags.c_contiguous:
            return self
        from .ops import elementwise as ew
        return ew.clone(self)

    def new_tensor(self, data, dtype=None, requires_grad=False):
        return Tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None):
        return Tensor._wrap(xp.zeros(_shape_args(size), dtype=backend.np_dtype(dtype) or self.data.dtype))

    def new_ones(self, *size, dtype=None):
        return Tensor._wrap(xp.ones(_shape_args(size), dtype=backend.np_dtype(dtype) or self.data.dtype))

    def new_full(self, size, fill_value, dtype=None):
        return Tensor._wrap(xp.full(tuple(size), fill_value, dtype=backend.np_dtype(dtype) or self.data.dtype))

    def new_empty(self, *size, dtype=None):
        return self.new_zeros(*size, dtype=dtype)

    # -- arithmetic operators ----------------------------------------------------------------
    # (+ and * go straight to the op when both sides are plain tensors of one dtype: they are
    # the commonest calls in any program; anything else, or an error, takes _binary's way)
    def __add__(self, other):
        if other.__class__ is Tensor and other.data.dtype is self.data.dtype:
            try:
                return _Add.apply(self, other)
            except ValueError:
                pass
        return _binary(_Add, self, other, "add")

    def __radd__(self, other):
        return _binary(_Add, other, self, "add")

    def __sub__(self, other):
        return _ew.sub(self, other)

    def __rsub__(self, other):
        return _ew.sub(other, self)

    def __mul__(self, other):
        if other.__class__ is Tensor and other.data.dtype is self.data.dtype:
            try:
                return _Mul.apply(self, other)
            except ValueError:
                pass
        return _binary(_Mul, self, other, "mul")

    def __rmul__(self, other):
        return _binary(_Mul, other, self, "mul")

    def __truediv__(self, other):
        return _ew.div(self, other)

    def __rtruediv__(self, other):
        return _ew.div(other, self)

    def __floordiv__(self, other):
        return _ew.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ew.floor_divide(other, self)

    def __mod__(self, other):
        return _ew.remainder(self, other)

    def __pow__(self, other):
        return _ew.pow(self, other)

    def __rpow__(self, other):
        return _ew.pow(other, self)

    def __matmul__(self, other):
        return _la.matmul(self, other)

    def __rmatmul__(self, other):
        return _la.matmul(other, self)

    def __neg__(self):
        return _ew.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ew.abs(self)

    def __invert__(self):
        return _ew.logical_not(self)

    def __and__(self, other):
        return _ew.logical_and(self, other)

    def __or__(self, other):
        return _ew.logical_or(self, other)

    def __xor__(self, other):
        return _ew.logical_xor(self, other)

    # comparisons: bool tensors, no gradient
    def __eq__(self, other):
        return _ew.compare("eq", self, other)

    def __ne__(self, other):
        return _ew.compare("ne", self, other)

    def __lt__(self, other):
        return _ew.compare("lt", self, other)

    def __le__(self, other):
        return _ew.compare("le", self, other)

    def __gt__(self, other):
        return _ew.compare("gt", self, other)

    def __ge__(self, other):
        return _ew.compare("ge", self, other)

    eq = __eq__
    ne = __ne__
    lt = __lt__
    le = __le__
    gt = __gt__
    ge = __ge__

    def equal(self, other) -> bool:
        return self.shape == other.shape and bool((self.data == other.data).all())

    def allclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
        return bool(xp.allclose(self.data, other.data, rtol=rtol, atol=atol, equal_nan=equal_nan))

    # in-place operators
    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __getitem__(self, index):
        return _shp.getitem(self, index)

    def __setitem__(self, index, value):
        _inplace.setitem(self, index, value)

    # -- in-place methods ----------------------------------------------------------------------
    def add_(self, other, alpha=1):
        return _inplace.apply_inplace(self, _ew.add, other if alpha == 1 else other * alpha)

    def sub_(self, other, alpha=1):
        return _inplace.apply_inplace(self, _ew.sub, other if alpha == 1 else other * alpha)

    def mul_(self, other):
        return _inplace.apply_inplace(self, _ew.mul, other)

    def div_(self, other):
        return _inplace.apply_inplace(self, _ew.div, other)

    def pow_(self, other):
        return _inplace.apply_inplace(self, _ew.pow, other)

    def clamp_(self, min=None, max=None):
        return _inplace.apply_inplace(self, lambda t: _ew.clamp(t, min, max))

    def relu_(self):
        return _inplace.apply_inplace(self, _ew.relu)

    def tanh_(self):
        return _inplace.apply_inplace(self, _ew.tanh)

    def sigmoid_(self):
        return _inplace.apply_inplace(self, _ew.sigmoid)

    def abs_(self):
        return _inplace.apply_inplace(self, _ew.abs)

    def clamp_min_(self, min):  # noqa: A002 - PyTorch's name
        return _inplace.apply_inplace(self, lambda t: _ew.clamp(t, min, None))

    def clamp_max_(self, max):  # noqa: A002 - PyTorch's name
        return _inplace.apply_inplace(self, lambda t: _ew.clamp(t, None, max))

    def neg_(self):
        return _inplace.apply_inplace(self, _ew.neg)

    def exp_(self):
        return _inplace.apply_inplace(self, _ew.exp)

    def sqrt_(self):
        return _inplace.apply_inplace(self, _ew.sqrt)

    def addcmul_(self, t1, t2, value=1):
        return _inplace.apply_inplace(self, _ew.add, t1 * t2 * value)

    def addcdiv_(self, t1, t2, value=1):
        return _inplace.apply_inplace(self, _ew.add, t1 / t2 * value)

    def lerp_(self, end, weight):
        return _inplace.apply_inplace(self, _ew.add, (end - self) * weight)

    def zero_(self):
        return _inplace.fill_(self, 0)

    def fill_(self, value):
        return _inplace.fill_(self, value)

    def copy_(self, src):
        return _inplace.copy_(self, src)

    def uniform_(self, a=0.0, b=1.0):
        from . import random as _random
        return _inplace.fill_array_(self, _random.uniform_array(self.data.shape, a, b, self.data.dtype))

    def normal_(self, mean=0.0, std=1.0):
        from . import random as _random
        return _inplace.fill_array_(self, _random.normal_array(self.data.shape, mean, std, self.data.dtype))

    def bernoulli_(self, p=0.5):
        from . import random as _random
        return _inplace.fill_array_(self, (_random.uniform_array(self.data.shape, 0.0, 1.0, np.float64) < p).astype(self.data.dtype))

    # -- elementwise --------------------------------------------------------------------------
    def exp(self): return _ew.exp(self)
    def log(self): return _ew.log(self)
    def log2(self): return _ew.log2(self)
    def log10(self): return _ew.log10(self)
    def log1p(self): return _ew.log1p(self)
    def expm1(self): return _ew.expm1(self)
    def sqrt(self): return _ew.sqrt(self)
    def rsqrt(self): return _ew.rsqrt(self)
    def square(self): return _ew.square(self)
    def abs(self): return _ew.abs(self)
    def sign(self): return _ew.sign(self)
    def neg(self): return _ew.neg(self)
    negative = neg
    def reciprocal(self): return _ew.reciprocal(self)
    def sin(self): return _ew.sin(self)
    def cos(self): return _ew.cos(self)
    def tan(self): return _ew.tan(self)
    def tanh(self): return _ew.tanh(self)  # (bound to the op's function directly below)
    def sigmoid(self): return _ew.sigmoid(self)
    def relu(self): return _ew.relu(self)
    def floor(self): return _ew.floor(self)
    def ceil(self): return _ew.ceil(self)
    def round(self): return _ew.round(self)
    def trunc(self): return _ew.trunc(self)
    def isnan(self): return _ew.isnan(self)
    def isinf(self): return _ew.isinf(self)
    def isfinite(self): return _ew.isfinite(self)
    def logical_not(self): return _ew.logical_not(self)
    def clamp(self, min=None, max=None): return _ew.clamp(self, min, max)
    clip = clamp
    def maximum(self, other): return _ew.maximum(self, other)
    def minimum(self, other): return _ew.minimum(self, other)
    def pow(self, exponent): return _ew.pow(self, exponent)
    def add(self, other, alpha=1): return _ew.add(self, other if alpha == 1 else other * alpha)
    def sub(self, other, alpha=1): return _ew.sub(self, other if alpha == 1 else other * alpha)
    def mul(self, other): return _ew.mul(self, other)
    def div(self, other): return _ew.div(self, other)
    multiply = mul
    divide = div
    def where(self, condition, other): return _ew.where(condition, self, other)
    def masked_fill(self, mask, value): return _ew.where(mask, value, self)
    def lerp(self, end, weight): return self + (end - self) * weight

    # -- reductions ---------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, dtype=None): return _red.sum(self, dim, keepdim, dtype=dtype)
    def mean(self, dim=None, keepdim=False, dtype=None): return _red.mean(self, dim, keepdim, dtype=dtype)
    def prod(self, dim=None, keepdim=False, dtype=None): return _red.prod(self, dim, keepdim, dtype=dtype)
    def var(self, dim=None, unbiased=None, keepdim=False, correction=None):
        return _red.var(self, dim, unbiased=unbiased, keepdim=keepdim, correction=correction)
    def std(self, dim=None, unbiased=None, keepdim=False, correction=None):
        return _red.std(self, dim, unbiased=unbiased, keepdim=keepdim, correction=correction)
    def amax(self, dim=(), keepdim=False): return _red.amax(self, dim, keepdim)
    def amin(self, dim=(), keepdim=False): return _red.amin(self, dim, keepdim)
    def max(self, dim=None, keepdim=False): return _red.max(self, dim, keepdim)
    def min(self, dim=None, keepdim=False): return _red.min(self, dim, keepdim)
    def argmax(self, dim=None, keepdim=False): return _red.argmax(self, dim, keepdim)
    def argmin(self, dim=None, keepdim=False): return _red.argmin(self, dim, keepdim)
    def logsumexp(self, dim, keepdim=False): return _red.logsumexp(self, dim, keepdim)
    def norm(self, p="fro", dim=None, keepdim=False): return _red.norm(self, p, dim, keepdim)
    def softmax(self, dim): return _red.softmax(self, dim)
    def log_softmax(self, dim): return _red.log_softmax(self, dim)
    def cumsum(self, dim): return _red.cumsum(self, dim)
    def all(self, dim=None, keepdim=False): return _red.all(self, dim, keepdim)
    def any(self, dim=None, keepdim=False): return _red.any(self, dim, keepdim)

    # -- shape --------------------------------------------------------------------------------
    def reshape(self, *shape): return _shp.reshape(self, _shape_args(shape))
    def view(self, *shape):
        if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)) and shape[0] is not None:
            return self.to(shape[0])
        return _shp.view(self, _shape_args(shape))
    def view_as(self, other): return _shp.view(self, other.shape)
    def reshape_as(self, other): return _shp.reshape(self, other.shape)
    def flatten(self, start_dim=0, end_dim=-1): return _shp.flatten(self, start_dim, end_dim)
    def unflatten(self, dim, sizes): return _shp.unflatten(self, dim, sizes)
    def squeeze(self, dim=None): return _shp.squeeze(self, dim)
    def unsqueeze(self, dim): return _shp.unsqueeze(self, dim)
    def transpose(self, dim0, dim1): return _shp.transpose(self, dim0, dim1)
    swapaxes = transpose
    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.transpose(0, 1) if self.ndim == 2 else self
    def permute(self, *dims): return _shp.permute(self, _shape_args(dims))
    def expand(self, *sizes): return _shp.expand(self, _shape_args(sizes))
    def expand_as(self, other): return _shp.expand(self, other.shape)
    def repeat(self, *sizes): return _shp.repeat(self, _shape_args(sizes))
    def flip(self, dims): return _shp.flip(self, dims)
    def split(self, split_size_or_sections, dim=0): return _shp.split(self, split_size_or_sections, dim)
    def chunk(self, chunks, dim=0): return _shp.chunk(self, chunks, dim)
    def unbind(self, dim=0): return _shp.unbind(self, dim)
    def gather(self, dim, index): return _shp.gather(self, dim, index)
    def narrow(self, dim, start, length): return _shp.narrow(self, dim, start, length)
    def index_select(self, dim, index): return _shp.index_select(self, dim, index)
    def masked_select(self, mask): return self[mask]
    def roll(self, shifts, dims=None): return _shp.roll(self, shifts, dims)

    # -- linear algebra -----------------------------------------------------------------------
    def matmul(self, other): return _la.matmul(self, other)
    def mm(self, other):
        if self.ndim != 2 or other.ndim != 2:
            raise RuntimeError(f"mm: both arguments must be 2-D, got {self.ndim}-D and {other.ndim}-D")
        return _la.matmul(self, other)
    def bmm(self, other):
        if self.ndim != 3 or other.ndim != 3:
            raise RuntimeError(f"bmm: both arguments must be 3-D, got {self.ndim}-D and {other.ndim}-D")
        return _la.matmul(self, other)
    def mv(self, vec): return _la.matmul(self, vec)
    def dot(self, other): return _la.matmul(self, other)
    def outer(self, other): return _la.outer(self, other)


class Size(tuple):
    """A tensor's shape: a tuple (PyTorch's ``torch.Size``)."""

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self):
        return f"chaingrad.Size({list(self)})"


def _to_args(args, kwargs):
    """The ``(dtype, device)`` named by ``.to(...)``'s arguments (Tensor and Module): a
    tensor gives both, a string or Device the device, anything else the dtype."""
    dtype = kwargs.get("dtype")
    device = kwargs.get("device")
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, (str, backend.Device)):
            device = a
        elif a is not None:
            dtype = a
    return dtype, device


def _shape_args(args):
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` alike."""
    if len(args) == 1 and isinstance(args[0], (tuple, list, Size)):
        args = args[0]
    return tuple(int(a) for a in args)


class Parameter(Tensor):
    """A tensor that is a module's learnable parameter (requires grad by default)."""

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = xp.zeros((0,), dtype=backend.default_float_dtype())
        arr = data.data if isinstance(data, Tensor) else backend.as_array(data)
        self._init(arr, None, 0)
        if isinstance(data, Tensor):
            self._version_counter = data._version_counter
        self.requires_grad = requires_grad

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, proto):
        raise TypeError("chaingrad tensors are saved with cg.save, not pickle")

    def __deepcopy__(self, memo):
        # copy.deepcopy(model) must work as in PyTorch: new storage, same requires_grad
        if id(self) not in memo:
            memo[id(self)] = Parameter(np.array(self.data, copy=True), self._requires_grad)
        return memo[id(self)]


from .autograd import function as _function  # noqa: E402
_function._bind_tensor(Tensor, _VersionCounter)
from .ops import elementwise as _ew  # noqa: E402  (ops import Tensor)
from .ops.elementwise import _binary, Add as _Add, Mul as _Mul  # noqa: E402
from .ops import reduce as _red  # noqa: E402

from .ops import select as _sel  # noqa: E402

# sorting, selection and scatter (chaingrad/ops/select.py): the functions themselves as methods
for _name in ("sort", "argsort", "topk", "scatter", "scatter_add", "nonzero",
              "repeat_interleave", "movedim", "diagonal", "diag", "trace", "cumprod"):
    setattr(Tensor, _name, getattr(_sel, _name))
Tensor.moveaxis = _sel.movedim
Tensor.tile = lambda self, *dims: _sel.tile(self, _shape_args(dims))
Tensor.scatter_ = lambda self, dim, index, src=None, value=None, reduce=None: \
    _inplace.apply_inplace(self, lambda t: _sel.scatter(t, dim, index, src, value, reduce))
Tensor.scatter_add_ = lambda self, dim, index, src: \
    _inplace.apply_inplace(self, lambda t: _sel.scatter_add(t, dim, index, src))

# the commonest unary ops: the method is the op's function itself (one call fewer per op)
Tensor.tanh, Tensor.sigmoid, Tensor.relu, Tensor.exp = _ew.tanh, _ew.sigmoid, _ew.relu, _ew.exp
from .ops import shape as _shp  # noqa: E402
from .ops import linalg as _la  # noqa: E402
from .ops import inplace as _inplace  # noqa: E402
