"""Functions that make new tensors (``cg.tensor``, ``cg.zeros``, ``cg.rand`` ...)."""
from __future__ import annotations

import numpy as np

from . import backend
from . import random as _random
from .backend import xp
from .tensor import Tensor, _shape_args


def _finish(arr, requires_grad):
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def _leaves(data):
    for d in data:
        if isinstance(d, (list, tuple)):
            yield from _leaves(d)
        else:
            yield d


def _np_scalar_dtype(data):
    """PyTorch's dtype for a (nested) list holding NumPy scalars, None if it holds none: each
    NumPy scalar counts with its dtype, Python bools/ints/floats as bool/int64/default float;
    floats beat ints beat bools, and within a kind the widest wins."""
    leaves = list(_leaves(data))
    if not any(isinstance(d, np.generic) for d in leaves):
        return None
    kinds = {"b": [], "i": [], "f": []}
    for d in leaves:
        if isinstance(d, np.generic):
            kinds["i" if d.dtype.kind == "u" else d.dtype.kind].append(d.dtype)
        elif isinstance(d, bool):
            kinds["b"].append(np.dtype(np.bool_))
        elif isinstance(d, int):
            kinds["i"].append(np.dtype(np.int64))
        elif isinstance(d, float):
            kinds["f"].append(np.dtype(backend.np_dtype(backend.get_default_dtype())))
        else:
            return None
    for k in "fib":
        if kinds[k]:
            return np.result_type(*kinds[k])
    return None


def _tensors_to_scalars(data):
    """Tensors inside nested lists count as their single value, as PyTorch (``.item()``), of
    their own dtype."""
    if isinstance(data, Tensor):
        if data._array.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return data._array.reshape(())[()]
    if isinstance(data, (list, tuple)):
        return [_tensors_to_scalars(d) for d in data]
    return data


def tensor(data, dtype=None, requires_grad=False, device=None, pin_memory=False):
    """A new tensor holding a copy of ``data`` (Python floats become float32, ints int64;
    NumPy arrays, alone or in a list, keep their dtype)."""
    if data is None:
        raise RuntimeError("Could not infer dtype of NoneType")
    if (dtype is None and isinstance(data, (list, tuple)) and data
            and all(isinstance(d, np.ndarray) for d in data)):
        data = np.stack(data)  # a list of arrays keeps the arrays' dtype, as PyTorch
    if isinstance(data, Tensor):
        arr = data._array.copy() if dtype is None else data._array.astype(backend.np_dtype(dtype))
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in _leaves(data)):
            data = _tensors_to_scalars(data)  # each a NumPy scalar of its tensor's dtype
        if isinstance(data, (list, tuple)) and any(isinstance(d, str) for d in _leaves(data)):
            raise ValueError("too many dimensions 'str'")  # PyTorch's message
        if dtype is None and isinstance(data, (list, tuple)):
            dtype = _np_scalar_dtype(data)
        if dtype is None and isinstance(data, int) and not -2**63 <= data < 2**63:
            raise ValueError("Overflow when unpacking long long")  # PyTorch's error
        try:
            arr = backend.as_array(data, dtype)
        except TypeError as exc:
            if "mixed objects" not in str(exc):
                raise
            bad = next((d for d in (_leaves(data) if isinstance(data, (list, tuple)) else [data])
                        if not isinstance(d, (bool, int, float, np.generic))), data)
            raise RuntimeError(f"Could not infer dtype of {type(bad).__name__}") from None
        if isinstance(data, np.ndarray) and arr is data:
            arr = arr.copy()
    t = _finish(arr, requires_grad)
    return t.to(device) if device is not None and str(device) != "cpu" else t


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor) and dtype is None:
        return data
    if isinstance(data, np.ndarray):
        return Tensor._wrap(backend.as_array(data, dtype))
    return tensor(data, dtype=dtype)


def from_numpy(a: np.ndarray) -> Tensor:
    """A tensor sharing memory with the NumPy array ``a``."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(a).__name__})")
    return Tensor._wrap(a)


def _float_or(dtype):
    return backend.np_dtype(dtype) or backend.default_float_dtype()


def _size(size, kwargs, name):
    """The shape from ``f(2, 3)``, ``f((2, 3))`` or ``f(size=(2, 3))``; negative sizes are
    refused as PyTorch does."""
    if "size" in kwargs:
        if size:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        size = (kwargs.pop("size"),)
    for accepted in ("layout", "pin_memory", "memory_format"):  # one layout here: ignored
        kwargs.pop(accepted, None)
    if kwargs.get("out", 0) is None:
        kwargs.pop("out")
    if kwargs:
        raise TypeError(f"{name}() got an unexpected keyword argument {next(iter(kwargs))!r}")
    shape = _shape_args(size)
    if any(d < 0 for d in shape):
        raise RuntimeError(f"{name}: Dimension size must be non-negative.")
    return shape


def zeros(*size, dtype=None, requires_grad=False, device=None, **kwargs):
    return _finish(xp.zeros(_size(size, kwargs, "zeros"), dtype=_float_or(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad=False, device=None, **kwargs):
    return _finish(xp.ones(_size(size, kwargs, "ones"), dtype=_float_or(dtype)), requires_grad)


def empty(*size, dtype=None, requires_grad=False, device=None, **kwargs):
    return _finish(xp.empty(_size(size, kwargs, "empty"), dtype=_float_or(dtype)), requires_grad)


def full(size, fill_value, *, dtype=None, requires_grad=False, device=None, out=None,
         layout=None, pin_memory=False):
    if isinstance(fill_value, np.generic):  # a NumPy scalar counts as the Python number
        fill_value = fill_value.item()
    if dtype is None:
        dtype = backend.as_array(fill_value).dtype
    return _finish(xp.full(_shape_args((size,)), fill_value, dtype=backend.np_dtype(dtype)),
                   requires_grad)


# (*_like: device / layout / memory_format are accepted as PyTorch's keywords; one CPU layout)
def zeros_like(t, dtype=None, requires_grad=False, *, device=None, layout=None,
               memory_format=None):
    return _finish(xp.zeros(t.shape, dtype=backend.np_dtype(dtype) or t._array.dtype), requires_grad)


def ones_like(t, dtype=None, requires_grad=False, *, device=None, layout=None,
              memory_format=None):
    return _finish(xp.ones(t.shape, dtype=backend.np_dtype(dtype) or t._array.dtype), requires_grad)


def empty_like(t, dtype=None, requires_grad=False, *, device=None, layout=None,
               memory_format=None):
    return zeros_like(t, dtype, requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False, *, device=None, layout=None,
              memory_format=None):
    return _finish(xp.full(t.shape, fill_value, dtype=backend.np_dtype(dtype) or t._array.dtype),
                   requires_grad)


def _float_only(dtype, kernel):
    if dtype is not None and np.dtype(backend.np_dtype(dtype)).kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{getattr(dtype, 'name', dtype)}'")


def rand(*size, dtype=None, requires_grad=False, generator=None, device=None, **kwargs):
    """Uniform samples on [0, 1), drawn from the library's seeded generator."""
    _float_only(dtype, "check_uniform_bounds")
    return _finish(_random.uniform_array(_size(size, kwargs, "rand"), dtype=dtype, generator=generator),
                   requires_grad)


def randn(*size, dtype=None, requires_grad=False, generator=None, device=None, **kwargs):
    """Standard normal samples, drawn from the library's seeded generator."""
    _float_only(dtype, "normal_kernel_cpu")
    return _finish(_random.normal_array(_size(size, kwargs, "randn"), dtype=dtype, generator=generator),
                   requires_grad)


def rand_like(t, dtype=None, requires_grad=False, *, device=None, layout=None,
              memory_format=None, generator=None):
    return rand(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad,
                generator=generator)


def randn_like(t, dtype=None, requires_grad=False, *, device=None, layout=None,
               memory_format=None, generator=None):
    return randn(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad,
                 generator=generator)


def randint(low, high=None, size=None, dtype=None, generator=None, requires_grad=False):
    """Integers in [low, high) (``randint(high, size)`` also works, as PyTorch)."""
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    arr = _random.integers_array(low, high, tuple(size), backend.np_dtype(dtype) or np.int64,
                                 generator)
    return _finish(arr, requires_grad)


def randperm(n, dtype=None, generator=None, *, requires_grad=False, device=None, layout=None,
             pin_memory=False):
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    return Tensor._wrap(_random.permutation_array(n, generator).astype(backend.np_dtype(dtype) or np.int64))


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False,
           out=None, layout=None, pin_memory=False):
    """Values from ``start`` up to (not including) ``end`` by ``step``; ``arange(end)`` counts
    from 0. Integers give int64, any float the default float dtype."""
    if end is None:
        start, end = 0, start
    vals = [start, end, step]
    vals = [v.item() if isinstance(v, Tensor) else v for v in vals]
    if vals[2] == 0:
        raise RuntimeError("step must be nonzero")
    if (vals[1] - vals[0]) * vals[2] < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in vals)
        dtype = backend.default_float_dtype() if is_float else np.int64
    return _finish(xp.arange(*vals, dtype=backend.np_dtype(dtype)), requires_grad)


def _linspace_array(start, end, steps, dtype):
    """PyTorch's linspace: the first half counted up from ``start``, the second half down
    from ``end`` (so both ends are exact and the values symmetric)."""
    start = start.item() if isinstance(start, Tensor) else start
    end = end.item() if isinstance(end, Tensor) else end
    work = dtype if dtype.kind == "f" else np.dtype(np.float64)
    if steps == 1:
        return xp.full((1,), start, dtype=work).astype(dtype)
    i = np.arange(steps, dtype=work)
    step = (work.type(end) - work.type(start)) / work.type(steps - 1)
    half = steps // 2
    out = np.where(i < half, work.type(start) + i * step, work.type(end) - (steps - 1 - i) * step)
    return xp.asarray(out.astype(dtype))


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False, out=None,
             layout=None):
    """``steps`` evenly spaced values from ``start`` to ``end`` (both included)."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = np.dtype(_float_or(dtype))
    return _finish(_linspace_array(start, end, int(steps), dt), requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False,
             out=None, layout=None):
    """``base ** linspace(start, end, steps)``."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = np.dtype(_float_or(dtype))
    work = dt if dt.kind == "f" else np.dtype(np.float64)
    expo = _linspace_array(start, end, int(steps), work)
    return _finish(xp.asarray(np.power(work.type(base), expo).astype(dt)), requires_grad)


def eye(n, m=None, *, dtype=None, requires_grad=False, device=None, layout=None,
        pin_memory=False, out=None):
    """The n x m identity (m = n by default)."""
    for name, v in (("n", n), ("m", m)):
        if v is not None and v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    return _finish(xp.eye(n, m, dtype=_float_or(dtype)), requires_grad)


def tril(t, diagonal=0):
    return t * Tensor._wrap(xp.tril(xp.ones(t.shape[-2:], dtype=bool), diagonal))


def triu(t, diagonal=0):
    return t * Tensor._wrap(xp.triu(xp.ones(t.shape[-2:], dtype=bool), diagonal))


def multinomial(input, num_samples, replacement=False, *, generator=None):  # noqa: A002
    """``num_samples`` category indices per row of the (unnormalised) probabilities ``input``
    (1-D or 2-D). Without replacement each category comes at most once; rows are drawn as an
    exponential race (key = E / p, E ~ Exp(1), the smallest keys first), which is the same
    law as drawing one by one, and puts zero-probability categories last, as PyTorch."""
    if input._array.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_TORCH_NAME.get(input._array.dtype.name, input.dtype.name)}")
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    p = input._array.astype(np.float64)
    p2 = p.reshape(-1, p.shape[-1])
    if not replacement and num_samples > p2.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if not np.all(np.isfinite(p2)) or np.any(p2 < 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if np.any(p2.sum(-1) <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = _random._rng(generator)
    if replacement:
        out = np.stack([rng.choice(p2.shape[1], size=num_samples, replace=True,
                                   p=row / row.sum()) for row in p2])
    else:
        e = rng.exponential(size=p2.shape)
        with np.errstate(divide="ignore"):
            keys = np.where(p2 > 0, e / np.where(p2 > 0, p2, 1), np.inf)
        out = np.argsort(keys, axis=-1, kind="stable")[:, :num_samples]
    return Tensor._wrap(np.ascontiguousarray(out.reshape(p.shape[:-1] + (num_samples,)))
                        .astype(np.int64))


_TORCH_NAME = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
               "uint8": "Byte", "bool": "Bool"}


def randint_like(input, low=0, high=None, *, dtype=None, requires_grad=False,  # noqa: A002
                 generator=None, device=None, layout=None, memory_format=None):
    """Integers in [low, high) shaped like ``input``, of its dtype unless ``dtype``;
    ``randint_like(x, high)`` counts from 0."""
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype,
                   generator=generator, requires_grad=requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False):
    """A 0-d tensor holding ``s`` (the default float dtype unless ``dtype``)."""
    return _finish(xp.asarray(s.item() if isinstance(s, Tensor) else s,
                              dtype=_float_or(dtype)), requires_grad)


def poisson(input, generator=None):  # noqa: A002
    """A Poisson draw per element, with rate ``input`` (same shape and dtype, no gradient)."""
    lam = input._array.astype(np.float64)
    if np.any(lam < 0) or not np.all(np.isfinite(lam)):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    return Tensor._wrap(xp.asarray(_random._rng(generator).poisson(lam).astype(input._array.dtype)))
