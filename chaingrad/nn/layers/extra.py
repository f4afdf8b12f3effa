"""Smaller layers PyTorch users reach for: padding layers, ``InstanceNorm1d/2d/3d``,
``PixelShuffle``/``PixelUnshuffle``, ``AdaptiveMaxPool2d``, ``Softshrink``, ``Hardshrink``,
``CELU``. Each is a short composition of differentiable ops."""
from __future__ import annotations

from ..module import Module
from .. import init
from .linear import _empty_param
from .._functional.norm import instance_norm
from .._functional.conv import max_pool2d
from ...backend import xp
from ...tensor import Tensor
from ...ops.shape import pad as _pad
from ...ops import elementwise as ew
from .._functional._names import node_named
from .._functional.activation import _float


class _PadNd(Module):
    _mode = "constant"
    _n = 2

    def __init__(self, padding, value=0.0):
        super().__init__()
        self.padding = (padding,) * (2 * self._n) if isinstance(padding, int) else tuple(padding)
        self.value = value

    def forward(self, input):  # noqa: A002
        return _pad(input, list(self.padding), mode=self._mode, value=self.value)

    def extra_repr(self):
        if type(self).__name__.startswith("Constant"):
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


def _pad_layer(name, mode, n, constant=False):
    def __init__(self, padding, value=0.0):
        _PadNd.__init__(self, padding, value if constant else 0.0)
    doc = f"Pad the last {n} dim(s) ({mode}); padding = int or (left, right, top, bottom)."
    return type(name, (_PadNd,), {"_mode": mode, "_n": n, "__doc__": doc, "__module__": __name__,
                                  "__init__": __init__})


ZeroPad1d = _pad_layer("ZeroPad1d", "constant", 1)
ZeroPad2d = _pad_layer("ZeroPad2d", "constant", 2)
ConstantPad1d = _pad_layer("ConstantPad1d", "constant", 1, constant=True)
ConstantPad2d = _pad_layer("ConstantPad2d", "constant", 2, constant=True)
ReflectionPad1d = _pad_layer("ReflectionPad1d", "reflect", 1)
ReflectionPad2d = _pad_layer("ReflectionPad2d", "reflect", 2)
ReplicationPad1d = _pad_layer("ReplicationPad1d", "replicate", 1)
ReplicationPad2d = _pad_layer("ReplicationPad2d", "replicate", 2)
ZeroPad3d = _pad_layer("ZeroPad3d", "constant", 3)
ConstantPad3d = _pad_layer("ConstantPad3d", "constant", 3, constant=True)
ReflectionPad3d = _pad_layer("ReflectionPad3d", "reflect", 3)
ReplicationPad3d = _pad_layer("ReplicationPad3d", "replicate", 3)
CircularPad1d = _pad_layer("CircularPad1d", "circular", 1)
CircularPad2d = _pad_layer("CircularPad2d", "circular", 2)
CircularPad3d = _pad_layer("CircularPad3d", "circular", 3)


class _InstanceNorm(Module):
    """Normalise each (sample, channel) over its spatial dims. Args: num_features,
    eps=1e-5, momentum=0.1, affine=False, track_running_stats=False (PyTorch's defaults),
    keyword-only bias=True (with ``affine``, False leaves the shift out).

    With ``track_running_stats=True`` the layer keeps ``running_mean`` / ``running_var`` (and
    ``num_batches_tracked``, never advanced, as PyTorch) updated in training from the batch
    average of the per-plane statistics, and normalises with them in eval mode."""
    _batched_ndim = 3
    _version = 2

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = _empty_param((num_features,), dtype, device) if affine else None
        self.bias = _empty_param((num_features,), dtype, device) if affine and bias else None
        if affine:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)
        from .normalization import _register_running_stats
        from ... import backend
        _register_running_stats(self, num_features, track_running_stats,
                                backend.np_dtype(dtype) or backend.default_float_dtype())

    def forward(self, input):  # noqa: A002
        unbatched = input.ndim == self._batched_ndim - 1
        if unbatched:
            input = input.unsqueeze(0)  # noqa: A001
        if input.shape[1] != self.num_features and self.affine:
            raise ValueError(f"expected input's size at dim=1 to match num_features "
                             f"({self.num_features}), but got: {input.shape[1]}.")
        y = instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                          self.training or not self.track_running_stats,
                          self.momentum if self.momentum is not None else 0.0, self.eps)
        return y.squeeze(0) if unbatched else y

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Instance norm over (N, C, L)."""


class InstanceNorm2d(_InstanceNorm):
    """Instance norm over (N, C, H, W)."""
    _batched_ndim = 4


class InstanceNorm3d(_InstanceNorm):
    """Instance norm over (N, C, D, H, W)."""
    _batched_ndim = 5


def _check_3d(x, name):
    if x.ndim < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input "
                           f"with {x.ndim} dimension(s)")


@node_named("PixelShuffleBackward0")
def pixel_shuffle(input, upscale_factor):  # noqa: A002 - PyTorch's argument names
    """(*, C r^2, H, W) -> (*, C, H r, W r) (any number of leading dims, as PyTorch)."""
    x, r = input, upscale_factor
    _check_3d(x, "pixel_shuffle")
    *lead, c, h, w = x.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    oc, k = c // (r * r), len(lead)
    perm = tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2)
    return x.reshape(*lead, oc, r, r, h, w).permute(*perm).reshape(*lead, oc, h * r, w * r)


@node_named("PixelUnshuffleBackward0")
def pixel_unshuffle(input, downscale_factor):  # noqa: A002
    """(*, C, H r, W r) -> (*, C r^2, H, W)."""
    x, r = input, downscale_factor
    _check_3d(x, "pixel_unshuffle")
    *lead, c, h, w = x.shape
    for name, n, d in (("height", h, -2), ("width", w, -1)):
        if n % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by "
                               f"downscale_factor, but input.size({d})={n} is not divisible by "
                               f"{r}")
    k = len(lead)
    perm = tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3)
    return x.reshape(*lead, c, h // r, r, w // r, r).permute(*perm).reshape(
        *lead, c * r * r, h // r, w // r)


class PixelShuffle(Module):
    """Rearrange (N, C r^2, H, W) into (N, C, H r, W r)."""

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):  # noqa: A002
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """Rearrange (N, C, H r, W r) into (N, C r^2, H, W)."""

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):  # noqa: A002
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"


@node_named("AdaptiveMaxPool2DBackward0")
def adaptive_max_pool2d(input, output_size, return_indices=False):  # noqa: A002
    """Max over PyTorch's adaptive bins [floor(i H / Ho), ceil((i + 1) H / Ho)); the gradient
    goes to the first maximum of each bin (indices into the flattened H x W plane)."""
    x = input
    oh, ow = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    h, w = x.shape[-2], x.shape[-1]
    oh, ow = (h if oh is None else oh), (w if ow is None else ow)
    if oh and ow and h % oh == 0 and w % ow == 0:
        return max_pool2d(x, (h // oh, w // ow), return_indices=return_indices)
    data = x._array
    idx = xp.empty(data.shape[:-2] + (oh, ow), dtype=xp.int64)
    for i in range(oh):  # one argmax per output bin: loops over the (few) bins, not pixels
        a, b = (i * h) // oh, -(-((i + 1) * h) // oh)
        for j in range(ow):
            c, d = (j * w) // ow, -(-((j + 1) * w) // ow)
            win = data[..., a:b, c:d].reshape(data.shape[:-2] + (-1,))
            k = xp.argmax(win, axis=-1)
            idx[..., i, j] = (a + k // (d - c)) * w + c + k % (d - c)
    flat = x.reshape(*x.shape[:-2], h * w)
    y = flat.gather(-1, Tensor._wrap(idx.reshape(idx.shape[:-2] + (-1,)))).reshape(
        *idx.shape)
    return (y, Tensor._wrap(idx)) if return_indices else y


def _stack(ts, dim):
    from ...ops.shape import stack
    return stack(ts, dim)


class AdaptiveMaxPool2d(Module):
    """Max pooling to a fixed output size."""

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):  # noqa: A002
        return adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


@node_named("SoftshrinkBackward0")
def softshrink(input, lambd=0.5):  # noqa: A002
    """x - lambda above lambda, x + lambda below -lambda, 0 between."""
    x = input
    _float(x, "softshrink")
    return ew.where(x > lambd, x - lambd, ew.where(x < -lambd, x + lambd, 0.0))


@node_named("HardshrinkBackward0")
def hardshrink(input, lambd=0.5):  # noqa: A002
    """x where |x| > lambda, else 0."""
    x = input
    _float(x, "hardshrink")
    return ew.where((x > lambd) | (x < -lambd), x, 0.0)


@node_named("CeluBackward0")
def celu(input, alpha=1.0, inplace=False):  # noqa: A002
    """max(0, x) + min(0, alpha (e^(x / alpha) - 1)); slope 1 at 0 (PyTorch's, from the
    exponential side)."""
    x = input.clone() if inplace and input.requires_grad else input
    pos = Tensor._wrap(_float(x, "celu")._array > 0)
    neg = ew.where(pos, Tensor._wrap(xp.zeros((), dtype=x._array.dtype)), x)
    y = ew.where(pos, x, alpha * (neg / alpha).expm1())
    return input.copy_(y) if inplace else y


def celu_(input, alpha=1.0):  # noqa: A002
    return celu(input, alpha, inplace=True)


class Softshrink(Module):
    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):  # noqa: A002
        return softshrink(input, self.lambd)

    def extra_repr(self):
        return str(self.lambd)


class Hardshrink(Module):
    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):  # noqa: A002
        return hardshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class CELU(Module):
    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):  # noqa: A002
        return celu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")
