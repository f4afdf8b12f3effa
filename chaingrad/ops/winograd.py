"""3x3 stride-1 convolution by Winograd's minimal filtering F(2x2, 3x3).

Each 2x2 block of outputs ("tile") is computed from the 4x4 input patch d under it and the
3x3 kernel g as

    y_tile = A^T [ (G g G^T) (*) (B^T d B) ] A          (* : element-wise over the 4x4)

    B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
    G   = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]]
    A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]

Summed over input channels, the element-wise product becomes 16 matrix products, one per
position (a, b) of the 4x4 transformed tile:  M_ab = V_ab @ U_ab^T  with V_ab (tiles, C) the
transformed inputs and U_ab (O, C) the transformed kernels. That is 16 multiply-adds per
4 outputs instead of 36: 2.25x fewer flops in the matrix products, which are most of a
convolution's time. The transforms are additions only (exact in binary up to rounding of
sums, errors of the same size as the direct product's).

The derivatives are the same kind of products (the adjoints of the transforms are again
additions):

    dL/dU_ab = dM_ab^T @ V_ab,        dM_ab = (A dL/dy_tile A^T)_ab,     dL/dg = G^T dL/dU G
    dL/dx    = the same F(2x2, 3x3) convolution of dL/dy with the flipped, transposed kernel,
               whose transform is U with the tile positions permuted (G's rows 1, 2 are
               palindromes, rows 0 and 3 swap): U'_ab = U_{s(a) s(b)}, s = (3, 1, 2, 0).

Layout: the transforms work on arrays laid out (rows, cols, N, C), so every element-wise
pass runs over long contiguous runs of N*C numbers (in NCHW the runs would be a few pixels
long, and NumPy's per-run overhead would dominate); the conversions to and from NCHW are
transposed copies (``_to_last``/``_from_last``; the one back to NCHW in blocks sized for the
L1 cache, 3-4x faster than NumPy's plain transposed copy). At one BLAS thread the batch is
processed in image ranges small enough for the intermediates to stay in cache (``_chunks``).
"""
from __future__ import annotations

from ..backend import xp
from .. import _threads

_G = ((1.0, 0.0, 0.0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0.0, 0.0, 1.0))
_FLIP = [3, 1, 2, 0]
_KRON = {}
_BLOCK = 8  # rows per block of the blocked transposes (measured: 8-16 best)
_CHUNK_BYTES = 1 << 20  # products per image range (see _chunks)
_MIN_ROWS = 256  # ... but at least this many tiles, for the products' efficiency


def usable(x_shape, w_shape, p, dtype):
    """Whether the Winograd path applies (3x3 kernel, stride 1, no dilation, one group,
    pads at most 2, a float type) and pays (enough tiles and channels for the products;
    measured on ResNet-18 / W2 shapes)."""
    if w_shape[2:] != (3, 3) or p.stride != (1, 1) or p.dilation != (1, 1) or p.groups != 1:
        return False
    if dtype.kind != "f" or dtype.itemsize < 4 or max(sum(p.pads, ())) > 2:
        return False
    n, c, h, w = x_shape
    o = w_shape[0]
    (pt, pb), (pl, pr) = p.pads
    ho, wo = h + pt + pb - 2, w + pl + pr - 2
    if ho < 2 or wo < 2:
        return False
    tiles = n * ((ho + 1) // 2) * ((wo + 1) // 2)
    return c >= 16 and o >= 16 and tiles >= 64


def _kron(dtype):
    k = _KRON.get(dtype)
    if k is None:
        g = xp.array(_G, dtype=dtype)
        k = _KRON[dtype] = xp.kron(g, g)  # (16, 9): U_ab = sum_ij G_ai G_bj g_ij
    return k


def _to_last(src, dst):
    """dst[..., r] = src[r, ...] for src (R, A, B), dst (A, B, R), in blocks of 256 source
    rows (the writes are long runs here: small blocks only add Python overhead)."""
    for i in range(0, src.shape[0], 256):
        dst[..., i:i + 256] = src[i:i + 256].transpose(1, 2, 0)


def _from_last(src, dst):
    """dst[r, a, b] = src[a, b, r] for src (A, B, R), dst (R, A, B): blocks of source rows
    (of the flattened (A*B, R) when its rows are one run, as when nothing was cropped),
    as many as keep the destination strip (R x block) in the L1 cache."""
    if src.strides[0] == src.shape[1] * src.strides[1]:
        src, dst = src.reshape(1, -1, src.shape[2]), dst.reshape(dst.shape[0], 1, -1)
    b = src.shape[1]
    blk = max(_BLOCK, min(64, 8192 // src.shape[2]))
    for a in range(src.shape[0]):
        for j in range(0, b, blk):
            dst[:, a, j:j + blk] = src[a, j:j + blk].T


def tiles(h, w, pads):
    """Output size and tile counts of a 3x3 stride-1 convolution."""
    (pt, pb), (pl, pr) = pads
    ho, wo = h + pt + pb - 2, w + pl + pr - 2
    return ho, wo, (ho + 1) // 2, (wo + 1) // 2


def padded_hwnc(x, top, left, hp, wp):
    """x (N, C, H, W) copied into a zero (hp, wp, N, C) array at offset (top, left)."""
    n, c, h, w = x.shape
    out = xp.empty((hp, wp, n, c), dtype=x.dtype)
    out[:top] = 0
    out[top + h:] = 0
    out[top:top + h, :left] = 0
    out[top:top + h, left + w:] = 0
    _to_last(x.reshape(n * c, h, w), out[top:top + h, left:left + w].reshape(h, w, n * c))
    return out


def input_transform(xh, th, tw, slot=(0, 1, 2, 3)):
    """V = B^T d B for every 4x4 patch at (2 ty, 2 tx) of xh (rows, cols, N, C):
    (16, th*tw*N, C), tile position (a, b) stored at (slot[a], slot[b])."""
    n, c = xh.shape[2:]
    s0, s1, s2, s3 = slot
    r = [xh[k:k + 2 * th:2, :2 * tw + 2] for k in range(4)]  # (th, 2tw+2, N, C)
    u = xp.empty((4, th, 2 * tw + 2, n, c), dtype=xh.dtype)
    xp.subtract(r[0], r[2], out=u[s0])
    xp.add(r[1], r[2], out=u[s1])
    xp.subtract(r[2], r[1], out=u[s2])
    xp.subtract(r[1], r[3], out=u[s3])
    v = xp.empty((4, 4, th, tw, n, c), dtype=xh.dtype)
    k = [u[:, :, j:j + 2 * tw:2] for j in range(4)]  # (4, th, tw, N, C)
    xp.subtract(k[0], k[2], out=v[:, s0])
    xp.add(k[1], k[2], out=v[:, s1])
    xp.subtract(k[2], k[1], out=v[:, s2])
    xp.subtract(k[1], k[3], out=v[:, s3])
    return v.reshape(16, th * tw * n, c)


def output_transform(m, n, ho, wo, th, tw, out, slot=(0, 1, 2, 3)):
    """y = A^T M A per tile, from M (16, th*tw*N, O) (tile position (a, b) at
    (slot[a], slot[b])) into ``out`` (N, O, ho, wo) (NCHW, contiguous)."""
    o = m.shape[2]
    m = m.reshape(4, 4, th, tw, n, o)
    m = [m[k] for k in slot]
    q = xp.empty((2, 4, th, tw, n, o), dtype=m[0].dtype)
    xp.add(m[0], m[1], out=q[0])
    q[0] += m[2]
    xp.subtract(m[1], m[2], out=q[1])
    q[1] -= m[3]
    q = [[q[r, k] for k in slot] for r in range(2)]
    yh = xp.empty((th, 2, tw, 2, n, o), dtype=out.dtype)
    for r in range(2):
        d0, d1 = yh[:, r, :, 0], yh[:, r, :, 1]
        xp.add(q[r][0], q[r][1], out=d0)
        d0 += q[r][2]
        xp.subtract(q[r][1], q[r][2], out=d1)
        d1 -= q[r][3]
    _from_last(yh.reshape(2 * th, 2 * tw, n * o)[:ho, :wo], out.reshape(n * o, ho, wo))
    return out


def weight_transform(w):
    """U = G g G^T for every (o, c), laid out (O, 16, C): one small product per output
    channel (measured 1.6-1.9x faster than one (16, 9) x (9, O*C) product, whose result
    the products below also read a little faster in this layout)."""
    o, c = w.shape[:2]
    return xp.matmul(_kron(w.dtype), w.reshape(o, c, 9).transpose(0, 2, 1))


def _chunks(n, tiles_per_image, c, o, itemsize):
    """Image ranges processed together: about 1 MiB of products per range (but at least
    256 tiles, below which the products lose efficiency), so that the transforms' passes
    over the intermediates run in cache (measured 1.1-1.45x faster on ResNet-18's first
    stage and W2's second convolution than the whole batch at once)."""
    if _threads.blas_threads() > 1:
        # each range's products are 16 small BLAS calls, and every threaded call wakes the
        # BLAS threads, which then spin: on a shared machine (the other core busy) many
        # small threaded calls cost far more than they save; one range keeps them large
        return [(0, n)]
    per = 16 * tiles_per_image * max(c, o) * itemsize
    k = max(1, min(n, max(_CHUNK_BYTES // per, -(-_MIN_ROWS // tiles_per_image))))
    k = -(-n // -(-n // k))  # equal ranges
    return [(i, min(n, i + k)) for i in range(0, n, k)]


def forward(x, w, pads, keep=True):
    """y = conv2d(x, w) (3x3, stride 1); also the context the gradients need (the
    transformed kernel and each image range's transformed input; not kept unless
    ``keep``, so that no-grad inference holds one range at a time)."""
    n, c, h, wd = x.shape
    ho, wo, th, tw = tiles(h, wd, pads)
    (pt, _), (pl, _) = pads
    u = weight_transform(w)
    ut = u.transpose(1, 2, 0)  # U_ab^T: (16, C, O)
    o = u.shape[0]
    y = xp.empty((n, o, ho, wo), dtype=x.dtype)
    vs = []
    for i, j in _chunks(n, th * tw, c, o, x.dtype.itemsize):
        v = input_transform(padded_hwnc(x[i:j], pt, pl, 2 * th + 2, 2 * tw + 2), th, tw)
        output_transform(xp.matmul(v, ut), j - i, ho, wo, th, tw, y[i:j])
        if keep:
            vs.append(v)
    return y, (u, vs)


def backward(gy, ctx, x_shape, pads, need_x=True, need_w=True):
    """dL/dx and dL/dW of ``forward`` from dL/dy (N, O, ho, wo) and its context."""
    u, vs = ctx
    n, c, h, wd = x_shape
    o = gy.shape[1]
    ho, wo, th, tw = tiles(h, wd, pads)
    (pt, pb), (pl, pr) = pads
    gpads = ((2 - pt, 2 - pb), (2 - pl, 2 - pr))  # dL/dx = conv(dL/dy, flipped W^T)
    _, _, gth, gtw = tiles(ho, wo, gpads)
    top, left = 2 - pt, 2 - pl
    hp, wp = max(2 * gth + 2, top + 2 * th), max(2 * gtw + 2, left + 2 * tw)
    gx = xp.empty(x_shape, dtype=gy.dtype) if need_x else None
    du = tmp = None
    for (i, j), v in zip(_chunks(n, th * tw, c, o, gy.dtype.itemsize), vs):
        gh = padded_hwnc(gy[i:j], top, left, hp, wp)
        if need_x:  # slot s(a) gets position a: the products pair it with U_{s(a)}
            m = xp.matmul(input_transform(gh, gth, gtw, _FLIP), u.transpose(1, 0, 2))
            output_transform(m, j - i, h, wd, gth, gtw, gx[i:j], _FLIP)
        if need_w:
            dm = _output_transform_adjoint(gh[top:top + 2 * th, left:left + 2 * tw], th, tw)
            if du is None:
                du = xp.matmul(dm.transpose(0, 2, 1), v)  # (16, O, C)
            else:
                tmp = xp.matmul(dm.transpose(0, 2, 1), v, out=tmp)
                du += tmp
    gw = None
    if need_w:
        gw = (du.reshape(16, o * c).T @ _kron(du.dtype)).reshape(o, c, 3, 3)
    return gx, gw


def _output_transform_adjoint(g, th, tw):
    """dM = A dL/dy_tile A^T per tile, from g (2th, 2tw, N, O): (16, th*tw*N, O)."""
    n, o = g.shape[2:]
    r0, r1 = g[0::2], g[1::2]  # (th, 2tw, N, O)
    p = xp.empty((4, th, 2 * tw, n, o), dtype=g.dtype)
    p[0] = r0
    xp.add(r0, r1, out=p[1])
    xp.subtract(r0, r1, out=p[2])
    xp.negative(r1, out=p[3])
    dm = xp.empty((4, 4, th, tw, n, o), dtype=g.dtype)
    c0, c1 = p[:, :, 0::2], p[:, :, 1::2]
    dm[:, 0] = c0
    xp.add(c0, c1, out=dm[:, 1])
    xp.subtract(c0, c1, out=dm[:, 2])
    xp.negative(c1, out=dm[:, 3])
    return dm.reshape(16, th * tw * n, o)
