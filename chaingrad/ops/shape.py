"""Shape ops and indexing. Their derivatives move gradients back to where values came from."""
from __future__ import annotations

import math
import numpy as np

from ..backend import xp
from ..autograd.function import Op, backward_named
from ..tensor import Tensor
from .reduce import normalize_dims
from .views import mark_view


def _dim(d, ndim):
    n = max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {d})")
    return d % n


class Reshape(Op):
    backward_name = "ViewBackward0"  # PyTorch's name
    def forward(self, x, shape):
        self.in_shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {x.size}") from None

    def backward(self, g, F):
        return F.reshape(g, self.in_shape)


class Permute(Op):
    def forward(self, x, axes):
        self.inverse = tuple(np.argsort(axes))
        return x.transpose(axes)

    def backward(self, g, F):  # undo the permutation
        return F.transpose(g, self.inverse)


class Expand(Op):
    def forward(self, x, shape):
        if x.size == math.prod(shape):  # nothing repeated: a writable view, as in PyTorch
            return x.reshape(shape)  # (NumPy's broadcast_to is always read-only)
        return xp.broadcast_to(x, shape)

    def backward(self, g, F):  # the engine sums the gradient back to the input's shape
        return g


class SumTo(Op):
    """Sum a gradient back to a smaller (broadcast-compatible) shape; backward broadcasts."""

    def forward(self, x, shape):
        from .dual import ARRAY_MATH
        self.in_shape = x.shape
        return ARRAY_MATH.sum_to(x, shape)

    def backward(self, g, F):
        return F.broadcast_to(g, self.in_shape)


class Index(Op):
    """x[index]; the gradient is scattered back, repeated indices adding up."""

    def forward(self, x, index, basic):
        self.in_shape = x.shape
        self.index = index
        self.basic = basic
        out = x[index]
        if basic and out.__class__ is not np.ndarray:  # x[0] of a 1-d: a 0-d view, as in PyTorch
            out = x[index + (Ellipsis,)]
        elif not basic and not out.flags.c_contiguous:  # a fresh tensor is contiguous in
            out = out.copy()  # PyTorch (so reshape is a view of it)
        return out

    def backward(self, g, F):
        return F.scatter_add(self.in_shape, self.index, g, self.basic)


class IndexScatter(Op):
    """A zero tensor of ``shape`` with the input added at ``index`` (Index's adjoint)."""

    def forward(self, x, shape, index, basic):
        from .dual import ARRAY_MATH
        self.index = index
        return ARRAY_MATH.scatter_add(shape, index, x, basic)

    def backward(self, g, F):
        return F.getitem(g, self.index)


class Cat(Op):
    def forward(self, *xs, axis):
        self.axis = axis
        # PyTorch lets 1-d empty tensors into any cat (they are skipped): size None marks them
        skip = len(xs[0].shape) != 1 or any(len(x.shape) != 1 for x in xs)
        self.sizes = [None if skip and x.shape == (0,) else x.shape[axis] for x in xs]
        kept = [x for x, s in zip(xs, self.sizes) if s is not None]
        self.dtype = xs[0].dtype
        return xp.concatenate(kept or xs[:1], axis=axis)

    def backward(self, g, F):  # each input gets back its own slice
        out, start = [], 0
        nd = len(g.shape)
        for size in self.sizes:
            if size is None:
                out.append(F.zeros((0,), self.dtype))
                continue
            idx = tuple(slice(start, start + size) if i == self.axis else slice(None)
                        for i in range(nd))
            out.append(F.getitem(g, idx))
            start += size
        return tuple(out)


class Repeat(Op):
    def forward(self, x, reps):
        lead = len(reps) - x.ndim
        self.view_shape = (1,) * lead + x.shape
        self.reps = reps
        return xp.tile(x.reshape(self.view_shape), reps)

    def backward(self, g, F):  # sum the tiles back onto one
        split = []
        for r, s in zip(self.reps, self.view_shape):
            split += [r, s]
        g = F.reshape(g, tuple(split))
        return F.sum(g, axis=tuple(range(0, len(split), 2)))


class Flip(Op):
    def forward(self, x, axes):
        self.axes = axes
        return xp.flip(x, axes).copy()  # a copy, as in PyTorch: NumPy's flip is a view of x

    def backward(self, g, F):
        if F.graph:
            return g.flip(self.axes)
        return xp.flip(g, self.axes)


class Gather(Op):
    def forward(self, x, index, axis):
        self.in_shape = x.shape
        self.axis = axis
        self.idx = index
        # the index may be smaller than x in the other dims: only that corner is read
        corner = tuple(slice(None) if d == axis else slice(0, s) for d, s in enumerate(index.shape))
        return xp.take_along_axis(x[corner], index, axis=axis)

    def backward(self, g, F):  # scatter-add into the gathered positions
        full = _along_axis_index(self.idx, self.axis)
        return F.scatter_add(self.in_shape, full, g)


def _along_axis_index(index, axis):
    """Fancy-index tuple equivalent to take_along_axis(., index, axis)."""
    grids = list(np.ogrid[tuple(slice(0, s) for s in index.shape)])
    grids[axis] = index
    return tuple(grids)


class Pad(Op):
    def forward(self, x, widths, mode, value):
        self.slices = tuple(slice(lo, lo + s) for (lo, _), s in zip(widths, x.shape))
        if mode == "constant":
            return xp.pad(x, widths, mode="constant", constant_values=value)
        self.widths, self.mode, self.in_shape = widths, mode, x.shape
        return xp.pad(x, widths, mode={"reflect": "reflect", "replicate": "edge",
                                      "circular": "wrap"}[mode])

    def backward(self, g, F):
        if not hasattr(self, "mode"):
            return F.getitem(g, self.slices)
        # reflect/replicate/circular: push gradient of each padded cell back to its source
        src = np.arange(int(np.prod(self.in_shape))).reshape(self.in_shape)
        src_padded = np.pad(src, self.widths, mode={"reflect": "reflect", "replicate": "edge",
                                                     "circular": "wrap"}[self.mode])
        flat = F.reshape(g, (-1,))
        return F.reshape(F.scatter_add((src.size,), (src_padded.reshape(-1),), flat),
                         self.in_shape)


# -- public functions --------------------------------------------------------------------------
def reshape(x, shape):
    shape = tuple(shape)
    for k, n in enumerate(shape):
        if n < -1:  # NumPy would read any negative size as -1
            raise RuntimeError(f"invalid shape dimension {n} at index {k} of shape "
                               f"{list(shape)}")
    if shape == x._array.shape and not x._requires_grad:
        out = Tensor._wrap(x._array)
    else:
        out = Reshape.apply(x, shape=shape)
    # numpy copies when the strides do not allow a view (never for a C-contiguous input)
    if x._array.flags.c_contiguous or np.may_share_memory(out._array, x._array):
        mark_view(out, x, lambda a: a.reshape(shape))
    return out


def view(x, shape):
    """``x.view(shape)``: like reshape, but never copies (PyTorch's error when it would)."""
    try:
        x._array.reshape(tuple(shape), copy=False)
    except ValueError as exc:
        if "copy" not in str(exc):
            return reshape(x, shape)  # let reshape report a bad shape
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.") from None
    return reshape(x, shape)


def flatten(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return reshape(x, (1,))
    s, e = _dim(start_dim, x.ndim), _dim(end_dim, x.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = x.shape
    return reshape(x, shape[:s] + (int(np.prod(shape[s:e + 1])),) + shape[e + 1:])


def unflatten(x, dim, sizes):
    d = _dim(dim, x.ndim)
    sizes = list(sizes)
    if -1 in sizes:
        known = int(np.prod([s for s in sizes if s != -1]))
        sizes[sizes.index(-1)] = x.shape[d] // known
    return reshape(x, x.shape[:d] + tuple(sizes) + x.shape[d + 1:])


def squeeze(x, dim=None):
    if dim is None:
        return backward_named(reshape(x, tuple(s for s in x.shape if s != 1)),
                              "SqueezeBackward0")
    dims = normalize_dims(dim, x.ndim, empty_means_all=False) or ()
    return backward_named(
        reshape(x, tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1))),
        "SqueezeBackward1")


def unsqueeze(x, dim):
    d = _dim(dim, x.ndim + 1)
    shape = list(x.shape)
    shape.insert(d, 1)
    return backward_named(reshape(x, tuple(shape)), "UnsqueezeBackward0")


def permute(x, dims):
    if len(dims) != x.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {x.ndim} is not equal to len(dims) = {len(dims)}")
    axes = tuple(_dim(d, x.ndim) for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return mark_view(Permute.apply(x, axes=axes), x, lambda a: a.transpose(axes))


def transpose(x, dim0, dim1):
    if x.ndim == 0:
        return x
    axes = list(range(x.ndim))
    a, b = _dim(dim0, x.ndim), _dim(dim1, x.ndim)
    axes[a], axes[b] = axes[b], axes[a]
    axes = tuple(axes)
    return backward_named(mark_view(Permute.apply(x, axes=axes), x, lambda a: a.transpose(axes)),
                          "TransposeBackward0")


def expand(x, sizes):
    sizes = tuple(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater "
                           f"or equal to the number of dimensions in the tensor ({x.ndim})")
    for i, s in enumerate(sizes[:lead]):
        if s == -1:
            raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a "
                               f"leading, non-existing dimension {i}")
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    for i, s in enumerate(x.shape):
        if s != 1 and s != shape[i + lead]:
            raise RuntimeError(f"The expanded size of the tensor ({shape[i + lead]}) must match "
                               f"the existing size ({s}) at non-singleton dimension {i + lead}. "
                               f"Target sizes: {list(sizes)}.  Tensor sizes: {list(x.shape)}")
    return mark_view(Expand.apply(x, shape=shape), x, lambda a: xp.broadcast_to(a, shape))


broadcast_to = expand


def sum_to(x, shape):
    return SumTo.apply(x, shape=tuple(shape))


def repeat(x, reps):
    if any(r < 0 for r in reps):
        shape = [r * n for r, n in zip(reps, (1,) * (len(reps) - x.ndim) + tuple(x.shape))]
        neg = next(n for n in shape if n < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {neg}: {shape}")
    if len(reps) < x.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    return Repeat.apply(x, reps=tuple(reps))


def flip(x, dims):
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    axes = tuple(_dim(d, x.ndim) for d in dims)
    if len(set(axes)) != len(axes):
        dup = next(a for a in axes if axes.count(a) > 1)
        raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
    return Flip.apply(x, axes=axes if x.ndim else ())  # 0-d: dim 0 / -1 is accepted, no-op


def roll(x, shifts, dims=None):
    if dims is None:
        return reshape(roll(flatten(x), shifts, 0), x.shape)
    if isinstance(dims, int):
        dims = (dims,)
    if isinstance(shifts, int):
        shifts = (shifts,)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                           f"{len(dims)}")
    out = x
    for s, d in zip(shifts, dims):
        d = _dim(d, x.ndim)
        n = x.shape[d]
        if n == 0:
            continue
        s %= n
        if s:
            out = cat([narrow(out, d, n - s, s), narrow(out, d, 0, n - s)], d)
    return out


def _convert_index(index, shape=None):
    """Tensors in an index become arrays; say whether it is basic (no copy, no repeats).
    With the indexed tensor's ``shape``, a bool mask must match the dimensions it covers."""
    if not isinstance(index, tuple):
        index = (index,)
    out, basic = [], True
    dim = 0  # the indexed tensor's dimension the next part applies to (None: after an ...)
    for i in index:
        if isinstance(i, Tensor):
            i = i._array
        if isinstance(i, (list, np.ndarray)):
            i = xp.asarray(i) if not (isinstance(i, list) and not i) else xp.zeros(0, np.int64)
            if i.dtype.kind not in "iub":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            basic = False
            if i.dtype.kind == "b":  # a mask is the tuple of its nonzero coordinates
                if shape is not None and dim is not None:
                    _check_mask(i, shape, dim)
                    dim += i.ndim
                out.extend(xp.nonzero(i))
                continue
        elif not (i is None or i is Ellipsis or isinstance(i, (int, slice, np.integer))):
            raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or "
                             f"byte Variables are valid indices (got {type(i).__name__})")
        if i is Ellipsis:
            dim = None
        elif i is not None and dim is not None:
            dim += 1
        out.append(i)
    return tuple(out), basic


def _check_mask(mask, shape, dim):
    for k, n in enumerate(mask.shape):
        if dim + k < len(shape) and n != shape[dim + k]:
            raise IndexError(f"The shape of the mask {list(mask.shape)} at index {k} does not "
                             f"match the shape of the indexed tensor {list(shape)} at index "
                             f"{dim + k}")


def split_int_index(idx):
    """For an index mixing integers with index arrays: (the basic part, the rest), applied one
    after the other as PyTorch does (an integer selects first; NumPy would turn it into an
    index array, which moves the result's dimensions when the arrays are not adjacent:
    ``x[0, :, [0, 1]]`` is (3, 2) in PyTorch for x of shape (2, 3, 4), (2, 3) in NumPy).
    None when the index does not mix them."""
    ints = [isinstance(p, (int, np.integer)) for p in idx]
    if not any(ints) or not any(isinstance(p, np.ndarray) and p.ndim for p in idx):
        return None
    first = tuple(slice(None) if isinstance(p, np.ndarray) else p for p in idx)
    rest = tuple(p if isinstance(p, np.ndarray) or p is Ellipsis else slice(None)
                 for p, k in zip(idx, ints) if not k)  # (slices and None: done in first)
    return first, rest


def getitem(x, index):
    idx, basic = _convert_index(index, x._array.shape)
    if not basic:
        parts = split_int_index(idx)
        if parts is not None:
            return getitem(getitem(x, parts[0]), parts[1])
    try:
        out = Index.apply(x, index=idx, basic=basic)
    except IndexError as exc:
        raise IndexError(f"{exc} (indexing a tensor of shape {tuple(x.shape)})") from None
    if basic:  # slices and integers give a view in NumPy as in PyTorch
        mark_view(out, x, lambda a: a[idx + (Ellipsis,)] if Ellipsis not in idx else a[idx])
        backward_named(out, _basic_index_name(idx))
    return out


def _basic_index_name(idx):
    """PyTorch's node name for a basic index: that of its last step that does something
    (applied left to right: an int selects, a slice slices, None unsqueezes)."""
    name = "SliceBackward0"
    for i in idx:
        if i is None:
            name = "UnsqueezeBackward0"
        elif isinstance(i, slice):
            if i != slice(None):
                name = "SliceBackward0"
        elif i is not Ellipsis:
            name = "SelectBackward0"
    return name


def index_scatter(g, shape, index, basic=False):
    return IndexScatter.apply(g, shape=tuple(shape), index=index, basic=basic)


def _result_dtype(dtypes):
    """PyTorch's promotion across tensors: the highest category (bool < int < float) wins,
    and within it NumPy's rule (int64 with float32 is float32, not NumPy's float64)."""
    rank = {"b": 0, "u": 1, "i": 1}
    top = max(rank.get(d.kind, 2) for d in dtypes)
    return np.result_type(*[d for d in dtypes if rank.get(d.kind, 2) == top])


def _tensor_list(tensors, name):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not Tensor")
    tensors = list(tensors)
    for k, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {k} in argument 0, but got "
                            f"{type(t).__name__}")
    return tensors


def cat(tensors, dim=0):
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    # PyTorch skips 1-d empty tensors in cat
    shaped = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or tensors[:1]
    ndim = shaped[0].ndim
    axis = _dim(dim, ndim)
    dtype = _result_dtype([t._array.dtype for t in tensors])
    tensors = [t if t._array.dtype == dtype else t.to(dtype) for t in tensors]
    shaped = [t if t._array.dtype == dtype else t.to(dtype) for t in shaped]
    for t in shaped[1:]:
        if t.ndim != ndim or any(a != b for i, (a, b) in enumerate(zip(t.shape, tensors[0].shape))
                                 if i != axis):
            raise RuntimeError(f"cat: sizes of tensors must match except in dimension {axis}: got "
                               f"{tuple(tensors[0].shape)} and {tuple(t.shape)}")
    return Cat.apply(*tensors, axis=axis)


concat = cat


def concatenate(tensors, axis=0):
    """``cat`` with NumPy's keyword (PyTorch's alias)."""
    return cat(tensors, axis)


def stack(tensors, dim=0):
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0].shape
    for t in tensors[1:]:
        if t.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape)} at entry 0 and {list(t.shape)} at another entry")
    d = _dim(dim, tensors[0].ndim + 1)
    return backward_named(cat([unsqueeze(t, d) for t in tensors], d), "StackBackward0")


def narrow(x, dim, start, length):
    if x.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _dim(dim, x.ndim)
    size = x.shape[d]
    start = int(start.item() if isinstance(start, Tensor) else start)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    if start < 0:
        start += size
    if length < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}).")
    idx = tuple(slice(start, start + length) if i == d else slice(None) for i in range(x.ndim))
    return x[idx]


def split(x, split_size_or_sections, dim=0):
    if x.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _dim(dim, x.ndim)
    n = x.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got "
                               f"split_size={size}")
        if size == 0 and n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        if size == 0:
            return (narrow(x, d, 0, 0),)
        sizes = [min(size, n - s) for s in range(0, n, size)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got "
                               f"split_sizes={sizes}")
    out, start = [], 0
    for i, s in enumerate(sizes):
        out.append(backward_named(narrow(x, d, start, s), "SplitBackward0"))
        out[-1]._multi_view = ("Split", i)
        start += s
    return tuple(out)


def chunk(x, chunks, dim=0):
    if x.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = x.shape[_dim(dim, x.ndim)]
    size = -(-n // chunks) if n else 1
    return split(x, size, dim)


def unbind(x, dim=0):
    d = _dim(dim, x.ndim)
    out = []
    for i in range(x.shape[d]):
        out.append(backward_named(x[tuple(i if j == d else slice(None) for j in range(x.ndim))],
                                  "UnbindBackward0"))
        out[-1]._multi_view = ("Unbind", i)
    return tuple(out)


def gather(x, dim, index):
    idx = index._array if isinstance(index, Tensor) else xp.asarray(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    if x.ndim == 0 and idx.ndim <= 1 and idx.size <= 1:  # a 0-d tensor: index 0 only
        _dim(dim, 0)
        if idx.size and int(idx.reshape(-1)[0]) != 0:
            raise RuntimeError(f"index {int(idx.reshape(-1)[0])} is out of bounds for dimension "
                               f"0 with size 1")
        return Gather.apply(x.reshape(1), index=xp.zeros(1, np.int64), axis=0).reshape(idx.shape)
    if idx.ndim != x.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    d = _dim(dim, x.ndim)
    for i, (si, sx) in enumerate(zip(idx.shape, x.shape)):
        if i != d and si > sx:
            raise RuntimeError(f"gather: size of index {tuple(idx.shape)} does not match input "
                               f"{tuple(x.shape)}: it may not be larger except at dimension {d}")
    if idx.size and (idx.min() < 0 or idx.max() >= x.shape[d]):
        bad = idx.max() if idx.max() >= x.shape[d] else idx.min()
        raise RuntimeError(f"index {int(bad)} is out of bounds for dimension {d} with size "
                           f"{x.shape[d]}")
    return Gather.apply(x, index=idx.astype(np.int64, copy=False), axis=_dim(dim, x.ndim))


def index_select(x, dim, index):
    d = _dim(dim, x.ndim)
    idx = index._array if isinstance(index, Tensor) else xp.asarray(index)
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if idx.dtype.kind not in "iu":
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    return x[(slice(None),) * d + (idx.reshape(-1),)]


def pad(x, pad, mode="constant", value=None):  # noqa: A002 - PyTorch's name
    """Pad the last ``len(pad) // 2`` dims: ``pad = (left, right, top, bottom, ...)``.

    mode 'constant' (``value``, default 0), 'reflect', 'replicate', 'circular'; the last three
    pad the last 1, 2 or 3 dims of a (batched or unbatched) 2-D to 5-D input, as PyTorch."""
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    n = len(pad) // 2
    if n > x.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           "dimension")
    if mode != "constant":
        if value is not None and value != 0:
            raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
        if n not in (1, 2, 3) or x.ndim not in (n + 1, n + 2):
            raise NotImplementedError(
                f"Padding size {len(pad)} is not supported for {x.ndim}D input tensor.\n"
                "Supported combinations for non-constant padding:\n"
                "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    widths = [(0, 0)] * (x.ndim - n)
    for i in range(n - 1, -1, -1):
        widths.append((pad[2 * i], pad[2 * i + 1]))
    if any(lo < 0 or hi < 0 for lo, hi in widths):
        out = x
        crop = tuple(slice(-lo if lo < 0 else None, hi if hi < 0 else None) for lo, hi in widths)
        out = out[crop]
        return globals()["pad"](out, [max(p, 0) for p in pad], mode, value)
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad mode {mode!r} is not supported")
    for axis, (lo, hi) in enumerate(widths):
        size = x.shape[axis]
        if mode == "reflect" and (lo or hi) and (lo >= size or hi >= size):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({lo}, {hi}) at dimension "
                               f"{axis} of input {list(x.shape)}")
        if mode == "circular" and (lo > size or hi > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
    out = Pad.apply(x, widths=tuple(widths), mode=mode, value=value if value is not None else 0.0)
    if mode == "constant":
        return backward_named(out, "ConstantPadNdBackward0")
    if mode in ("reflect", "replicate"):
        k = sum(1 for w in widths if w != (0, 0)) or 1
        return backward_named(out, f"{'Reflection' if mode == 'reflect' else 'Replication'}"
                                   f"Pad{max(k, x.ndim - 2)}DBackward0")
    return out


def meshgrid(*tensors, indexing="ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    shapes = [t.numel() for t in tensors]
    out = []
    for i, t in enumerate(tensors):
        shape = [1] * len(tensors)
        shape[i] = shapes[i]
        out.append(expand(reshape(t, tuple(shape)), tuple(shapes)))
    if indexing == "xy" and len(tensors) >= 2:
        out = [transpose(o, 0, 1) for o in out]
    return tuple(out)
