"""``F.interpolate``: resize the spatial dims of (N, C, d1, ..., dk) input, k = 1, 2, 3.

Every mode is separable: the output along one spatial axis is a fixed combination of a few
input rows along that axis, so the resize is a sequence of 1-D resamplings

    y[..., j, ...] = sum_t w_t[j] x[..., i_t[j], ...]

with integer taps i_t and weights w_t computed as PyTorch's kernels do (same precision: float
for float32 input, double for float64). Each step is indexing (whose gradient scatter-adds,
so taps that repeat a row sum their gradients) and multiplication by constants, so the
backward pass -- the adjoint of the resampling -- and higher derivatives come for free.

Source coordinate of output index j along an axis of in -> out (PyTorch's
``area_pixel_compute_source_index``):

    align_corners=True:   src = j (in - 1) / (out - 1)
    align_corners=False:  src = (j + 0.5) s - 0.5   (clamped at 0 except for cubic),
                          s = 1 / scale_factor when given (unless recompute_scale_factor),
                          else in / out
"""
from __future__ import annotations

import math

from ...backend import xp
from ...tensor import Tensor

_LINEAR = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_MODES = "nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact"
_CUBIC_A = -0.75  # PyTorch's (and OpenCV's) bicubic coefficient


def _out_size_and_scales(spatial, size, scale_factor, recompute_scale_factor):
    k = len(spatial)
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        out = tuple(int(s) for s in size) if isinstance(size, (tuple, list)) else (int(size),) * k
        if len(out) != k:
            raise ValueError(
                f"Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {list(spatial)} and output size of "
                f"{tuple(size)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                f"and output size in (o1, o2, ...,oK) format.")
        return out, (None,) * k
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    sf = tuple(float(s) for s in scale_factor) if isinstance(scale_factor, (tuple, list)) \
        else (float(scale_factor),) * k
    if len(sf) != k:
        raise ValueError(
            f"Input and scale_factor must have the same number of spatial dimensions, but got "
            f"input with spatial dimensions of {list(spatial)} and scale_factor of shape "
            f"{tuple(scale_factor)}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
            f"format and scale_factor in (s1, s2, ...,sK) format.")
    out = tuple(int(math.floor(float(n) * s)) for n, s in zip(spatial, sf))
    return out, ((None,) * k if recompute_scale_factor else sf)


def _scale(n, o, sf, align_corners, ft):
    """PyTorch's area_pixel_compute_scale, in the kernel's precision ``ft``."""
    if align_corners:
        return ft((n - 1) / (o - 1)) if o > 1 else ft(0)
    if sf is not None and sf > 0:
        return ft(1.0 / sf)
    return ft(n) / ft(o)


def _source(o, scale, align_corners, cubic, ft):
    dst = xp.arange(o).astype(ft)
    if align_corners:
        return scale * dst
    src = scale * (dst + ft(0.5)) - ft(0.5)
    return src if cubic else xp.maximum(src, ft(0))


def _nearest_taps(n, o, sf, exact, exact_sizes):
    """PyTorch's nearest index, computed in float (floorf) whatever the input dtype. Its 2-D
    kernel takes an unchanged size as a copy and a doubled one as j >> 1 first
    (``exact_sizes``), whatever the scale factor; the 1-D and 3-D kernels do not."""
    if exact_sizes and not exact and o in (n, 2 * n):
        return [xp.arange(o) // (o // n)], None
    ft = xp.float32
    scale = ft(1.0 / sf) if sf is not None and sf > 0 else ft(n) / ft(o)
    dst = xp.arange(o).astype(ft)
    src = xp.floor((dst + ft(0.5)) * scale) if exact else xp.floor(dst * scale)
    return [xp.minimum(src.astype(xp.int64), n - 1)], None


def _linear_taps(n, o, sf, align_corners, ft):
    src = _source(o, _scale(n, o, sf, align_corners, ft), align_corners, False, ft)
    i0 = xp.minimum(xp.floor(src).astype(xp.int64), n - 1)
    i1 = xp.minimum(i0 + 1, n - 1)
    l1 = xp.clip(src - i0.astype(ft), 0, 1).astype(ft)
    return [i0, i1], [ft(1) - l1, l1]


def _cubic_conv1(x, a):
    return ((a + 2) * x - (a + 3)) * x * x + 1


def _cubic_conv2(x, a):
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a


def _cubic_taps(n, o, sf, align_corners, ft):
    src = _source(o, _scale(n, o, sf, align_corners, ft), align_corners, True, ft)
    base = xp.floor(src)
    t = src - base
    a = ft(_CUBIC_A)
    weights = [_cubic_conv2(t + 1, a), _cubic_conv1(t, a), _cubic_conv1(1 - t, a),
               _cubic_conv2(2 - t, a)]
    base = base.astype(xp.int64)
    taps = [xp.clip(base - 1 + k, 0, n - 1) for k in range(4)]  # border rows repeat
    return taps, [w.astype(ft) for w in weights]


def _aa_filter(x, mode):
    x = xp.abs(x)
    if mode == "bilinear":
        return xp.where(x < 1, 1 - x, 0)
    a = -0.5  # the antialiasing bicubic filter is Keys' a = -0.5 (PIL's), not -0.75
    return xp.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                    xp.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, 0))


def _aa_matrix(n, o, sf, align_corners, mode, ft):
    """(o, n) weights of PyTorch's antialiased resampling (PIL's): output j averages the
    inputs within ``support`` of its centre (j + 0.5) s through the filter stretched by s
    when shrinking (s > 1), each row normalised to sum 1."""
    scale = _scale(n, o, sf, align_corners, ft)
    half = ft(1 if mode == "bilinear" else 2)
    support = half * scale if scale >= 1 else half
    inv = ft(1) / scale if scale >= 1 else ft(1)
    w = xp.zeros((o, n), dtype=ft)
    for j in range(o):
        center = scale * (ft(j) + ft(0.5))
        lo = max(int(center - support + ft(0.5)), 0)
        hi = min(int(center + support + ft(0.5)), n)
        k = xp.arange(lo, hi).astype(ft)
        row = _aa_filter((k - center + ft(0.5)) * inv, mode).astype(ft)
        total = row.sum()
        w[j, lo:hi] = row / total if total != 0 else row
    return w


def _resample_matrix(x, axis, w):
    """y = W x along ``axis`` (a matmul with a constant: its gradient is W^T g)."""
    moved = x.transpose(axis, -1)
    y = moved @ Tensor._wrap(xp.ascontiguousarray(w.T.astype(x._array.dtype)))
    return y.transpose(axis, -1)


def _resample(x, axis, taps, weights):
    """sum_t w_t x[..., taps_t, ...] along ``axis``."""
    lead = (slice(None),) * axis
    if weights is None:
        return x[lead + (taps[0],)]
    tail = (1,) * (x.ndim - axis - 1)
    y = None
    for idx, w in zip(taps, weights):
        term = x[lead + (idx,)] * Tensor._wrap(w.astype(x._array.dtype).reshape((-1,) + tail))
        y = term if y is None else y + term
    return y


def _check_dims(input, mode):  # noqa: A002
    dim = input.ndim
    if dim not in (3, 4, 5) or mode not in ("nearest", "nearest-exact", "area") + tuple(_LINEAR):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                                  f"{dim}D) for the modes: {_MODES} (got {mode})")
    if mode in _LINEAR and dim - 2 != _LINEAR[mode]:
        raise NotImplementedError(f"Got {dim}D input, but {mode} mode needs "
                                  f"{_LINEAR[mode] + 2}D input")


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,  # noqa: A002
                recompute_scale_factor=None, antialias=False):
    """Resize (N, C, *spatial) input to ``size`` or by ``scale_factor``, as PyTorch.

    mode: 'nearest' (src = floor(j s)), 'nearest-exact' (floor((j + 0.5) s)), 'linear' (3-D
    input), 'bilinear' / 'bicubic' (4-D), 'trilinear' (5-D), 'area' (adaptive average
    pooling). ``align_corners`` (linear modes only, default False) maps the corner pixels'
    centres onto each other. Gradients flow to ``input`` for every mode: the exact adjoint of
    the forward resampling. (Where PyTorch's own backward kernel disagrees with its forward one
    -- 'bicubic', or 1-D and 3-D 'nearest', with a scale factor that leaves a size unchanged or
    doubles it -- the gradient here is the adjoint of the forward.) ``antialias=True``
    ('bilinear' / 'bicubic', 4-D input) low-pass filters when shrinking, as PyTorch (PIL's
    filters).

        y = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if antialias and not (mode in ("bilinear", "bicubic") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and "
                         "requires a 4-D tensor as input")
    if input._array.dtype.kind != "f" and not (mode.startswith("nearest")
                                              and input._array.dtype == xp.uint8):
        raise NotImplementedError(f"interpolate: mode {mode!r} not implemented for "
                                  f"{input.dtype.name}")
    spatial = tuple(input.shape[2:])
    out, sfs = _out_size_and_scales(spatial, size, scale_factor, recompute_scale_factor)
    if out and min(out) <= 0:
        names = ("D", "H", "W")[3 - len(out):]
        fmt = lambda v: ", ".join(f"{n}: {int(x)}" for n, x in zip(names, v))  # noqa: E731
        sep = " and" if len(out) == 1 else ""
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({fmt(spatial)}){sep} output ({fmt(out)})")
    _check_dims(input, mode)
    if mode == "area":
        from . import conv, conv1d
        if input.ndim == 3:
            return conv1d.adaptive_avg_pool1d(input, out[0])
        if input.ndim == 4:
            return conv.adaptive_avg_pool2d(input, out)
        raise NotImplementedError("interpolate: mode 'area' is supported for 3-D and 4-D input")
    ft = xp.float64 if input._array.dtype == xp.float64 else xp.float32
    y = input
    for a, (n, o, sf) in enumerate(zip(spatial, out, sfs)):
        if antialias:
            y = _resample_matrix(y, 2 + a, _aa_matrix(n, o, sf, align_corners, mode, ft))
            continue
        if mode in ("nearest", "nearest-exact"):
            taps, weights = _nearest_taps(n, o, sf, mode == "nearest-exact", input.ndim == 4)
        elif n == o and mode != "bicubic":
            continue  # PyTorch's linear kernels copy an axis whose size is unchanged
        elif mode == "bicubic":
            taps, weights = _cubic_taps(n, o, sf, align_corners, ft)
        else:
            taps, weights = _linear_taps(n, o, sf, align_corners, ft)
        y = _resample(y, 2 + a, taps, weights)
    if y is input or antialias:
        return y
    from ...autograd.function import backward_named
    kind = {"nearest": "Nearest", "nearest-exact": "NearestExact", "linear": "Linear",
            "bilinear": "Bilinear", "bicubic": "Bicubic", "trilinear": "Trilinear"}[mode]
    return backward_named(y, f"Upsample{kind}{input.ndim - 2}DBackward0")  # PyTorch's name


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):  # noqa: A002
    """PyTorch's deprecated name of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):  # noqa: A002
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')``."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):  # noqa: A002
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
