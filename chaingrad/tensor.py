"""The Tensor: an array, and what back-propagation needs to know about it.

A Tensor holds its array (``_array``; ``.data`` is PyTorch's detached view of it), whether
gradients should flow to it (``requires_grad``), the gradient once computed (``grad``) and,
when an op made it, the graph node that did (``grad_fn``). Every operator and method here only routes to an op in
``chaingrad.ops``, where each op's forward and derivative live side by side.
"""
from __future__ import annotations

import weakref

import numpy as np

from . import backend
from .backend import xp
from .autograd.grad_mode import is_grad_enabled
from .autograd.function import AccumulateGrad, _next_seq
from ._tensor_math import TensorMath
from ._tensor_extra import TensorExtra
from ._tensor_more import TensorMore
from ._tensor_misc import TensorMisc


_new_object = object.__new__
_ndarray = np.ndarray


class _VersionCounter:
    """Shared by a tensor and its views; bumped by every in-place change."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class Tensor(TensorMath, TensorExtra, TensorMore, TensorMisc):
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
    __slots__ = ("_array", "_requires_grad", "grad_fn", "_vc", "__weakref__", "__dict__")
    _grad = None  # .grad (set in the instance __dict__ once a gradient exists)
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
        arr = backend.as_array(data._array if isinstance(data, Tensor) else data, dtype)
        self._init(arr, None, 0)
        if requires_grad:
            self.requires_grad = True

    def _init(self, arr, grad_fn, output_nr):
        self._array = arr
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
        t._array = arr
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

    @property
    def data(self) -> "Tensor":
        """The values as a new tensor sharing this one's memory, cut from the graph
        (PyTorch's ``.data``): ``p.data.zero_()``, ``p.data.copy_(w)``. Changes made through
        it are not tracked by autograd (its version counter is its own); ``detach()`` is the
        tracked way. Assigning a tensor (``p.data = t``) makes this tensor use t's values."""
        return Tensor._wrap(self._array)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got "
                            f"{type(value).__name__}")
        if self._requires_grad and value._array.dtype.kind not in "fc":
            raise RuntimeError("data set to a tensor that requires gradients must be floating "
                               "point or complex dtype")
        self._array = value._array

    # -- autograd state ------------------------------------------------------------------------
    @property
    def grad(self):
        """dL/d(this tensor) after ``backward()`` (leaves, and non-leaves that
        ``retain_grad()``); None before. Reading it on a non-leaf that does not retain its
        gradient warns, as PyTorch does."""
        g = self._grad
        if g is None and self.grad_fn is not None and not self._retains_grad:
            import warnings
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. "
                "Its .grad attribute won't be populated during autograd.backward(). If you "
                "indeed want the .grad field to be populated for a non-leaf Tensor, use "
                ".retain_grad() on the non-leaf Tensor.", UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value):
        if value is not None:  # PyTorch's checks, with its messages
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad "
                                f"of type {type(value).__name__}")
            if value._array.shape != self._array.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._array.shape)}' to a "
                    f"tensor of size '{list(self._array.shape)}'. Please ensure that the "
                    f"gradient and the tensor are the same size")
            if value._array.dtype != self._array.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value.dtype}' to a tensor "
                    f"with dtype '{self.dtype}'. The gradient must match the tensor's dtype")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

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
        if flag and self._array.dtype.kind not in "fc":
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
        t = Tensor._wrap(self._array)
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
                    t.grad = Tensor._wrap(np.array(g._array, copy=True)) if not g._requires_grad else g
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

        def checked(t):
            if fn(t) is not None:
                raise RuntimeError("Tensor post accumulate grad hooks should return None.")
        self._post_acc_hooks.append(checked)
        return _RemovableHandle(self._post_acc_hooks, checked)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute d(self)/d(leaf) for every leaf and accumulate it into ``leaf.grad``."""
        from .autograd import backward as _backward
        _backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # -- basic attributes ------------------------------------------------------------------
    @property
    def shape(self):
        return Size(self._array.shape)

    @property
    def ndim(self) -> int:
        return self._array.ndim

    def dim(self) -> int:
        return self._array.ndim

    ndimension = dim

    @property
    def dtype(self):
        return backend.to_dtype(self._array.dtype)

    @property
    def device(self):
        return backend.device_of(self._array)

    @property
    def is_cuda(self) -> bool:
        return str(self.device).startswith("cuda")

    def size(self, dim=None):
        if dim is None:
            return Size(self._array.shape)
        return self._array.shape[dim]

    def numel(self) -> int:
        return int(self._array.size)

    nelement = numel

    def element_size(self) -> int:
        return self._array.itemsize

    def is_floating_point(self) -> bool:
        return self._array.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        return bool(self._array.flags.c_contiguous)

    def stride(self, dim=None):
        st = tuple(s // self._array.itemsize for s in self._array.strides)
        return st if dim is None else st[dim]

    def data_ptr(self) -> int:
        return self._array.__array_interface__["data"][0]

    @property
    def T(self):
        return self.permute(*reversed(range(self.ndim)))

    # -- conversion ------------------------------------------------------------------------
    def numpy(self, force=False):
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return backend.to_numpy(self._array)

    def __array__(self, dtype=None, copy=None):
        arr = backend.to_numpy(self._array)
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        return arr.copy() if copy else arr

    def item(self):
        if self._array.size != 1:
            raise RuntimeError(f"a Tensor with {self._array.size} elements cannot be converted "
                               f"to Scalar")
        return self._array.reshape(()).item()

    def tolist(self):
        return self._array.tolist()

    def __float__(self):
        if self._array.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return float(self.item())

    def __int__(self):
        if self._array.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self.item())

    def __bool__(self):
        if self._array.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._array.size} values is "
                               f"ambiguous")
        return bool(self.item())

    def __index__(self):
        if self._array.dtype.kind not in "iub" or self._array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __len__(self):
        if self._array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._array.shape[0]

    def __iter__(self):
        if self._array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._array.shape[0]))

    def __hash__(self):
        return id(self)

    def __repr__(self):
        arr = backend.to_numpy(self._array)
        body = _tensor_text(arr)
        extras = []
        if arr.size == 0 and arr.shape != (0,):
            extras.append(f"size={tuple(arr.shape)}")  # (PyTorch's way of showing the shape)
        if self._array.dtype not in (np.float32, np.int64, np.bool_) or (
                self._array.size == 0 and self._array.dtype != np.float32):
            extras.append(f"dtype={self.dtype!r}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    def to(self, *args, copy=False, non_blocking=False, **kwargs):
        """``t.to(dtype)``, ``t.to(device)``, ``t.to(other_tensor)``: converts, keeping grad;
        ``self`` itself when nothing changes, unless ``copy=True``."""
        from .ops import elementwise as ew
        dtype, device = _to_args(args, kwargs)
        if copy:
            out = self.to(*args, **kwargs)
            return out.clone() if out is self else out
        out = self
        if device is not None and str(backend.Device(device)) != str(self.device):
            out = ew.to_device(out, device)
        if dtype is not None and backend.np_dtype(dtype) != out._array.dtype:
            out = ew.cast(out, dtype)
        return out

    def type(self, dtype=None):
        """Without an argument, the tensor type's name as PyTorch gives it
        (``'chaingrad.FloatTensor'`` for float32); with one, ``to(dtype)`` (a dtype, or such a
        name: ``'chaingrad.DoubleTensor'``, ``'torch.DoubleTensor'``)."""
        if dtype is None:
            return f"chaingrad.{_TYPE_NAMES.get(self.dtype.name, self.dtype.name)}"
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            names = {v: k for k, v in _TYPE_NAMES.items()}
            key = dtype.rsplit(".", 1)[-1]
            if key not in names or not hasattr(backend, names[key]):
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = getattr(backend, names[key])
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

    def clone(self, *, memory_format=None):
        """A copy that stays in the graph (``memory_format`` accepted; layouts are C order)."""
        from .ops import elementwise as ew
        return ew.clone(self)

    def contiguous(self, memory_format=None):
        if self._array.flags.c_contiguous:
            return self
        from .ops import elementwise as ew
        return ew.clone(self)

    def new_tensor(self, data, dtype=None, requires_grad=False, device=None):
        return Tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def _new(self, arr, requires_grad):
        t = Tensor._wrap(arr)
        if requires_grad:
            t.requires_grad = True
        return t

    def new_zeros(self, *size, dtype=None, requires_grad=False, device=None, **kwargs):
        size = _size_arg(size, kwargs)
        return self._new(xp.zeros(size, dtype=backend.np_dtype(dtype) or self._array.dtype),
                         requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False, device=None, **kwargs):
        size = _size_arg(size, kwargs)
        return self._new(xp.ones(size, dtype=backend.np_dtype(dtype) or self._array.dtype),
                         requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad=False, device=None):
        return self._new(xp.full(tuple(size), fill_value,
                                 dtype=backend.np_dtype(dtype) or self._array.dtype), requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad=False, device=None, **kwargs):
        return self.new_zeros(*size, dtype=dtype, requires_grad=requires_grad, **kwargs)


def _size_arg(size, kwargs):
    """``new_zeros(2, 3)``, ``new_zeros((2, 3))`` or ``new_zeros(size=(2, 3))``, as PyTorch."""
    if "size" in kwargs:
        if size:
            raise TypeError("new_zeros() got multiple values for argument 'size'")
        size = (kwargs.pop("size"),)
    if kwargs:
        raise TypeError(f"new_zeros() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return _shape_args(size)


# PyTorch's names of tensor types (t.type(), torch.typename), by dtype name
_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "bfloat16": "BFloat16Tensor", "int64": "LongTensor", "int32": "IntTensor",
               "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
               "bool": "BoolTensor", "complex64": "ComplexFloatTensor",
               "complex128": "ComplexDoubleTensor"}


class Size(tuple):
    """A tensor's shape: a tuple (PyTorch's ``torch.Size``)."""

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self):
        return f"chaingrad.Size({list(self)})"

    # slices, concatenation and repetition stay sizes, as torch.Size's
    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__


def _summarized(arr, edge=3, threshold=1000):
    """The values PyTorch looks at to choose a format: all of them, or for a tensor of more
    than ``threshold`` elements only the first and last ``edge`` along every dimension."""
    if arr.size <= threshold:
        return arr
    for axis, n in enumerate(arr.shape):
        if n > 2 * edge:
            arr = np.concatenate([np.take(arr, range(edge), axis),
                                  np.take(arr, range(n - edge, n), axis)], axis)
    return arr


def _float_formatter(arr):
    """PyTorch's way of printing floats: ``1.``/``2.`` when every value is whole, 4 decimals
    (``1.5000``) otherwise, scientific (``1.0000e-08``) when the magnitudes span more than
    1000x or leave [1e-4, 1e8]; values padded to the width of the finite ones (from the values
    shown, for a summarized tensor)."""
    shown = _summarized(arr)
    finite = shown[np.isfinite(shown)].astype(np.float64)
    nonzero = np.abs(finite[finite != 0])
    big = nonzero.size and nonzero.max() > 1e8
    spread = nonzero.size and nonzero.max() / nonzero.min() > 1000
    if finite.size and np.all(finite == np.round(finite)):
        fmt = "{:.4e}" if big or spread else "{:.0f}."
    elif nonzero.size and (big or nonzero.min() < 1e-4 or nonzero.max() / nonzero.min() > 1000):
        fmt = "{:.4e}"
    else:
        fmt = "{:.4f}"

    def text(v):
        if v != v:
            return "nan"
        if v in (np.inf, -np.inf):
            return "inf" if v > 0 else "-inf"
        return fmt.format(float(v))
    sample = finite if finite.size else shown.ravel()
    width = max((len(text(v)) for v in sample), default=0)
    return text, width


_LINE_WIDTH, _EDGE_ITEMS, _THRESHOLD = 80, 3, 1000  # PyTorch's print options


def _tensor_text(arr):
    """The values part of ``repr(tensor)``, laid out as PyTorch lays it out: every value
    padded to one width, as many per line as fit in 80 columns, a tensor of more than 1000
    values summarized to its first and last 3 along every dimension."""
    if arr.size == 0:
        return "[]"
    if arr.dtype.kind == "f":
        text, width = _float_formatter(arr)
    else:
        shown = _summarized(arr)
        text = (lambda v: "True" if v else "False") if arr.dtype.kind == "b" else \
            (lambda v: str(int(v)))
        width = max(len(text(v)) for v in shown.ravel())

    def fmt(v):
        s = text(v)
        return " " * (width - len(s)) + s

    summarize = arr.size > _THRESHOLD

    def block(a, indent):
        if a.ndim == 0:
            return fmt(a[()])
        n = a.shape[0]
        cut = summarize and n > 2 * _EDGE_ITEMS
        if a.ndim == 1:
            items = ([fmt(v) for v in a[:_EDGE_ITEMS]] + [" ..."] +
                     [fmt(v) for v in a[n - _EDGE_ITEMS:]]) if cut else [fmt(v) for v in a]
            per_line = max(1, (_LINE_WIDTH - indent) // (width + 2))
            lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
            return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
        rows = ([block(a[i], indent + 1) for i in range(_EDGE_ITEMS)] + ["..."] +
                [block(a[i], indent + 1) for i in range(n - _EDGE_ITEMS, n)]) if cut else \
            [block(a[i], indent + 1) for i in range(n)]
        return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(rows) + "]"

    return block(arr, len("tensor("))


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
        arr = data._array if isinstance(data, Tensor) else backend.as_array(data)
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
            memo[id(self)] = Parameter(np.array(self._array, copy=True), self._requires_grad)
        return memo[id(self)]


from .autograd import function as _function  # noqa: E402
_function._bind_tensor(Tensor, _VersionCounter)
# the op modules import Tensor: they load now, and the math methods get them (_tensor_math.py)
from .ops import elementwise as _ew  # noqa: E402
from .ops import reduce as _red  # noqa: E402
from .ops import shape as _shp  # noqa: E402
from .ops import linalg as _la  # noqa: E402
from .ops import inplace as _inplace  # noqa: E402
from .ops import select as _sel  # noqa: E402
from . import _tensor_math  # noqa: E402
_tensor_math._bind(Tensor, _ew, _red, _shp, _la, _inplace, _sel, _shape_args)
from . import _tensor_extra  # noqa: E402
_tensor_extra._bind(Tensor, _ew, _red, _shp, _inplace, _sel, _red._ValuesIndices)
from . import _tensor_more  # noqa: E402
_tensor_more._bind(Tensor, _inplace, _ew)
from . import _tensor_misc  # noqa: E402
_tensor_misc._bind(Tensor, _inplace)

# the commonest unary ops: the method is the op's function itself (one call fewer per op)
Tensor.tanh, Tensor.sigmoid, Tensor.relu, Tensor.exp = _ew.tanh, _ew.sigmoid, _ew.relu, _ew.exp
