"""Transforms as array operations on whole batches.

Each transform takes an array (or Tensor) whose last three dimensions are ``(C, H, W)`` - a
single image or a batch ``(B, C, H, W)`` - and returns the same kind of thing. Random
transforms draw one value per image, in a single call, from chaingrad's global generator (or
the ``generator`` given), so ``cg.manual_seed(n)`` reproduces them and a batch costs a few
NumPy operations, not a Python loop over images.

Example::

    t = Compose([ToTensor(), RandomCrop(28, padding=2), RandomHorizontalFlip(),
                 Normalize((0.286,), (0.353,))])
    batch = t(uint8_images)          # (B, 1, 28, 28) uint8 -> float32, augmented, normalised
"""
from __future__ import annotations

from ..backend import xp
from ..tensor import Tensor
from .. import random as _random


def _as_batch(x):
    """(array with a leading batch dim, was_tensor, was_single)."""
    was_tensor = isinstance(x, Tensor)
    arr = x._array if was_tensor else xp.asarray(x)
    single = arr.ndim == 3
    if arr.ndim == 2:           # one (H, W) image: treat as (1, H, W)
        arr, single = arr[None], True
    return (arr[None] if single else arr), was_tensor, single


def _back(arr, was_tensor, single):
    arr = arr[0] if single else arr
    return Tensor._wrap(arr) if was_tensor else arr


class Compose:
    """Apply ``transforms`` one after another."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self):
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose({inner}\n)"


class Lambda:
    """Apply a user function."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, x):
        return self.fn(x)


class ToTensor:
    """An image as torchvision's ``ToTensor`` makes it: a NumPy ``(H, W, C)`` (or ``(H, W)``)
    array becomes a ``(C, H, W)`` Tensor, uint8 pixels scaled to float32 in [0, 1], other
    dtypes kept. chaingrad extensions: a ``(B, C, H, W)`` array batch (kept in that layout) and
    a Tensor are cast to float32 (uint8 scaled by 1/255)."""

    def __call__(self, pic):
        arr = pic._array if isinstance(pic, Tensor) else xp.asarray(pic)
        if not isinstance(pic, Tensor) and arr.ndim in (2, 3):
            if arr.ndim == 2:
                arr = arr[:, :, None]
            arr = xp.ascontiguousarray(arr.transpose(2, 0, 1))
            if arr.dtype == xp.uint8:
                arr = arr.astype(xp.float32) * xp.float32(1.0 / 255.0)
            return Tensor._wrap(arr)
        if not isinstance(pic, Tensor) and arr.ndim != 4:
            raise ValueError(f"pic should be 2/3 dimensional. Got {arr.ndim} dimensions.")
        if arr.dtype == xp.uint8:
            arr = arr.astype(xp.float32) * xp.float32(1.0 / 255.0)
        else:
            arr = arr.astype(xp.float32, copy=False)
        return Tensor._wrap(arr)

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """``(x - mean[c]) / std[c]`` per channel c.

    Args:
        mean, std (sequences of floats, one per channel).
        inplace (bool, default False): accepted for compatibility; a new array is returned.
    """

    def __init__(self, mean, std, inplace=False):
        self.mean = tuple(float(m) for m in (mean if hasattr(mean, "__len__") else [mean]))
        self.std = tuple(float(s) for s in (std if hasattr(std, "__len__") else [std]))
        if any(s == 0 for s in self.std):
            raise ValueError(f"std evaluated to zero after conversion to float, leading to division by zero.")

    def __call__(self, x):
        arr, was_tensor, single = _as_batch(x)
        dtype = arr.dtype if arr.dtype.kind == "f" else xp.float32
        mean = xp.asarray(self.mean, dtype=dtype).reshape(-1, 1, 1)
        inv = (1.0 / xp.asarray(self.std, dtype=xp.float64)).astype(dtype).reshape(-1, 1, 1)
        return _back((arr.astype(dtype, copy=False) - mean) * inv, was_tensor, single)

    def __repr__(self):
        return f"Normalize(mean={self.mean}, std={self.std})"


class RandomHorizontalFlip:
    """Mirror each image left-right with probability ``p`` (default 0.5)."""

    def __init__(self, p=0.5, generator=None):
        self.p = p
        self.generator = generator

    def __call__(self, x):
        arr, was_tensor, single = _as_batch(x)
        flip = _random.uniform_array((arr.shape[0],), dtype=xp.float64,
                                     generator=self.generator) < self.p
        out = arr.copy()
        out[flip] = arr[flip][..., ::-1]
        return _back(out, was_tensor, single)

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"


class RandomCrop:
    """Pad each image by ``padding`` (constant ``fill``) and cut a random ``size`` window.

    Args:
        size (int or (h, w)): the output size.
        padding (int, default 0): pixels added on every side before cropping.
        fill (float, default 0): the padding value.
    """

    def __init__(self, size, padding=0, fill=0, generator=None):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.padding = int(padding or 0)
        self.fill = fill
        self.generator = generator

    def __call__(self, x):
        arr, was_tensor, single = _as_batch(x)
        p = self.padding
        if p:
            arr = xp.pad(arr, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=self.fill)
        b, c, h, w = arr.shape
        th, tw = self.size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        top = _random.integers_array(0, h - th + 1, (b,), generator=self.generator)
        left = _random.integers_array(0, w - tw + 1, (b,), generator=self.generator)
        # one gather for the whole batch: rows[b, i] = top[b] + i, cols[b, j] = left[b] + j
        rows = (top[:, None] + xp.arange(th))[:, None, :, None]
        cols = (left[:, None] + xp.arange(tw))[:, None, None, :]
        out = arr[xp.arange(b)[:, None, None, None], xp.arange(c)[None, :, None, None], rows, cols]
        return _back(out, was_tensor, single)

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding})"
