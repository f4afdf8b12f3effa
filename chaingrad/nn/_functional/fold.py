"""``F.unfold`` (im2col) and ``F.fold`` (col2im), PyTorch's layouts.

unfold: (N, C, H, W) -> (N, C kh kw, L), column l holding the window at output position l
(row-major over the (oh, ow) grid of window positions), row c kh kw + i kw + j its pixel at
kernel offset (i, j) of channel c. fold is its adjoint: blocks (N, C kh kw, L) are summed back
into (N, C, H, W), overlaps adding up. unfold is indexing of the zero-padded input, fold a
scatter-add (``ops/pool.ScatterWindows``), so both are differentiable to any order.

    cols = F.unfold(x, kernel_size=3, padding=1)          # (N, C*9, H*W)
    y = F.fold(cols, output_size=(H, W), kernel_size=3, padding=1)
"""
from __future__ import annotations

from ...backend import xp
from ...ops.pool import ScatterWindows
from ...ops.shape import pad as _pad
from ._names import node_named


def _pair(v, name):
    v = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    if len(v) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints")
    return tuple(int(a) for a in v)


def _windows(size, k, d, p, s):
    """Positions (k, o) of every kernel offset of every window along one padded axis."""
    o = (size + 2 * p - d * (k - 1) - 1) // s + 1
    if o <= 0:
        raise RuntimeError(f"Given input with spatial size {size}, kernel_size={k}, "
                           f"dilation={d}, padding={p}, calculated shape of the array of "
                           f"sliding blocks as {o}, but its components must be at least one.")
    return (xp.arange(k) * d)[:, None] + (xp.arange(o) * s)[None, :], o


def _index(rows, cols):
    return (slice(None), slice(None), rows[:, None, :, None], cols[None, :, None, :])


@node_named("Im2ColBackward0")
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):  # noqa: A002
    """Sliding local blocks of (N, C, H, W) (or unbatched (C, H, W)) as columns:
    (N, C kh kw, L), L = number of window positions."""
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported "
                                  f"(got {input.ndim}D)")
    if input.ndim == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    (kh, kw), (dh, dw) = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    (ph, pw), (sh, sw) = _pair(padding, "padding"), _pair(stride, "stride")
    n, c, h, w = input.shape
    rows, oh = _windows(h, kh, dh, ph, sh)
    cols, ow = _windows(w, kw, dw, pw, sw)
    x = _pad(input, [pw, pw, ph, ph]) if ph or pw else input
    blocks = x[_index(rows, cols)]                       # (N, C, kh, kw, oh, ow)
    return blocks.reshape(n, c * kh * kw, oh * ow)


@node_named("Col2ImBackward0")
def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):  # noqa: A002
    """Sum columns of sliding blocks (N, C kh kw, L) (or unbatched (C kh kw, L)) into
    (N, C, *output_size): the adjoint of ``unfold``."""
    if input.ndim not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input "
                                  f"Tensors are supported (got {input.ndim}D)")
    if input.ndim == 2:
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding,
                    stride).squeeze(0)
    (h, w), (kh, kw) = _pair(output_size, "output_size"), _pair(kernel_size, "kernel_size")
    (dh, dw), (ph, pw) = _pair(dilation, "dilation"), _pair(padding, "padding")
    sh, sw = _pair(stride, "stride")
    n, ckk, length = input.shape
    if ckk % (kh * kw):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={ckk} and "
                           f"kernel_size=({kh}, {kw})")
    rows, oh = _windows(h, kh, dh, ph, sh)
    cols, ow = _windows(w, kw, dw, pw, sw)
    if oh * ow != length:
        raise RuntimeError(f"Given output_size=({h}, {w}), kernel_size=({kh}, {kw}), "
                           f"dilation=({dh}, {dw}), padding=({ph}, {pw}), stride=({sh}, {sw}), "
                           f"expected size of input's dimension 2 to match the calculated number "
                           f"of sliding blocks {oh} * {ow} = {oh * ow}, but got "
                           f"input.size(2)={length}.")
    c = ckk // (kh * kw)
    blocks = input.reshape(n, c, kh, kw, oh, ow)
    out = ScatterWindows.apply(blocks, shape=(n, c, h + 2 * ph, w + 2 * pw),
                               index=_index(rows, cols))
    return out[:, :, ph:ph + h, pw:pw + w] if ph or pw else out
