"""The one place chaingrad reaches the array library.

Every op asks this module for the array module (``xp``) instead of importing NumPy by name, so
that a CuPy backend can later be swapped in without touching any op. It also defines chaingrad's
dtype objects (``chaingrad.float32`` ...) and how Python values become arrays.
"""
from __future__ import annotations

import builtins

import numpy as np

xp = np  # the array module every op computes with


class DType:
    """A chaingrad dtype: a thin, hashable name for a NumPy dtype (``cg.float32`` ...)."""

    __slots__ = ("name", "np")

    def __init__(self, name: str, np_dtype):
        self.name = name
        self.np = np.dtype(np_dtype)

    @property
    def dtype(self):
        # NumPy's dtype protocol: np.dtype(cg.float32), np.zeros(n, dtype=t.dtype) just work
        return self.np

    @property
    def is_floating_point(self) -> bool:
        return self.np.kind == "f"

    @property
    def itemsize(self) -> int:
        return self.np.itemsize

    def __eq__(self, other):
        if isinstance(other, DType):
            return self.np == other.np
        try:
            return self.np == np.dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self):
        return hash(self.np)

    def __repr__(self):
        return f"chaingrad.{self.name}"


float16 = DType("float16", np.float16)
float32 = DType("float32", np.float32)
float64 = DType("float64", np.float64)
int8 = DType("int8", np.int8)
uint8 = DType("uint8", np.uint8)
int16 = DType("int16", np.int16)
int32 = DType("int32", np.int32)
int64 = DType("int64", np.int64)
bool_ = DType("bool", np.bool_)
half, float, double = float16, float32, float64  # noqa: A001  (PyTorch's aliases)
long, int = int64, int32  # noqa: A001

_BY_NUMPY = {d.np: d for d in (float16, float32, float64, int8, uint8, int16, int32, int64, bool_)}

_default_float = np.dtype(np.float32)


def to_dtype(dtype) -> DType:
    """Normalise anything dtype-like (DType, NumPy dtype or type, string) to a DType."""
    if isinstance(dtype, DType):
        return dtype
    npd = np.dtype(dtype)
    if npd not in _BY_NUMPY:
        raise TypeError(f"chaingrad does not support dtype {npd}")
    return _BY_NUMPY[npd]


def np_dtype(dtype):
    """The NumPy dtype for a dtype-like value, or None for None."""
    if dtype is None:
        return None
    if isinstance(dtype, DType):
        return dtype.np
    return np.dtype(dtype)


def default_float_dtype():
    return _default_float


def set_default_dtype(dtype) -> None:
    global _default_float
    d = np_dtype(dtype)
    if d.kind != "f":
        raise TypeError(f"default dtype must be a floating point dtype, got {d}")
    _default_float = d


def get_default_dtype() -> DType:
    return _BY_NUMPY[_default_float]


def as_array(data, dtype=None):
    """Convert Python data / arrays to an array with PyTorch's dtype inference.

    Python floats become the default float dtype (float32), ints int64, bools bool; an ndarray
    keeps its dtype (a float64 array stays float64).
    """
    want = np_dtype(dtype)
    if isinstance(data, np.ndarray):
        return data if want is None or data.dtype == want else data.astype(want)
    if isinstance(data, np.generic):
        arr = np.asarray(data)
        return arr if want is None else arr.astype(want)
    arr = np.array(data)
    if want is not None:
        return arr.astype(want, copy=False)
    if arr.dtype.kind == "f":
        return arr.astype(_default_float, copy=False)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64, copy=False)
    if arr.dtype == object:
        raise TypeError(f"cannot build a tensor from {type(data).__name__} holding mixed objects")
    return arr


def scalar_array(value, like: np.ndarray):
    """A 0-d array for a Python scalar operand next to array ``like``, typed as PyTorch would.

    A Python number never widens a tensor of its own kind (float32 * 2.0 stays float32); a
    Python float next to an integer or bool tensor gives the default float dtype.
    """
    kind = like.dtype.kind
    if isinstance(value, (builtins.bool, np.bool_)):
        return np.asarray(value, dtype=like.dtype)
    if isinstance(value, (builtins.int, np.integer)):
        return np.asarray(value, dtype=like.dtype if kind in "iuf" else np.int64)
    if isinstance(value, (builtins.float, np.floating)):
        return np.asarray(value, dtype=like.dtype if kind == "f" else _default_float)
    if isinstance(value, complex):
        raise TypeError("chaingrad does not support complex numbers")
    return np.asarray(value)


class Device:
    """Where a tensor's array lives: ``cpu`` (NumPy) or ``cuda[:n]`` (CuPy, when installed)."""

    __slots__ = ("type", "index")

    def __init__(self, spec="cpu", index=None):
        if isinstance(spec, Device):
            spec, index = spec.type, spec.index
        spec = str(spec)
        if ":" in spec:
            spec, idx = spec.split(":", 1)
            index = builtins.int(idx)
        if spec not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {spec}")
        self.type = spec
        self.index = index

    def __eq__(self, other):
        try:
            other = Device(other)
        except (RuntimeError, TypeError, ValueError):
            return NotImplemented
        return self.type == other.type and (self.index or 0) == (other.index or 0)

    def __hash__(self):
        return hash((self.type, self.index or 0))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"device(type='{self.type}'" + ("" if self.index is None else f", index={self.index}") + ")"


_CPU = Device("cpu")


def device_of(arr) -> Device:
    if isinstance(arr, np.ndarray):
        return _CPU
    dev = getattr(arr, "device", None)
    return Device("cuda", getattr(dev, "id", 0))


def cupy_module():
    """CuPy, imported on first use; a clear error when it is not installed."""
    try:
        import cupy  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise RuntimeError("the GPU backend needs CuPy: pip install cupy-cuda12x") from exc
    return cupy


def array_module(arr):
    """NumPy for CPU arrays, CuPy for GPU arrays."""
    return np if isinstance(arr, np.ndarray) else cupy_module()


def to_numpy(arr) -> np.ndarray:
    return arr if isinstance(arr, np.ndarray) else arr.get()


def to_device(arr, device):
    device = Device(device)
    if device.type == "cpu":
        return to_numpy(arr)
    cp = cupy_module()
    with cp.cuda.Device(device.index or 0):
        return cp.asarray(arr)
