"""The one test helper for ops: two oracles, PyTorch and central finite differences.

``check_op(cg_fn, torch_fn, inputs)`` runs the same function in chaingrad and in PyTorch on
the same seeded inputs, compares the forward values (shape, dtype, values) and every input's
gradient (for a random output gradient), and, in float64, runs ``gradcheck`` and
``gradgradcheck`` as well.

``layout`` feeds the inputs as non-contiguous leaves in both libraries: ``"transposed"`` (the
array is the transpose of a C-ordered buffer) or ``"sliced"`` (every other element of a buffer
twice as long in the last dimension); ``"contig"`` is the ordinary case.
"""
from __future__ import annotations

import numpy as np
import pytest

import chaingrad as cg

torch = pytest.importorskip("torch")

RTOL = {np.float64: 1e-7, np.float32: 1e-4}
ATOL = {np.float64: 1e-9, np.float32: 1e-5}
LAYOUTS = ("contig", "transposed", "sliced")


def to_torch(a, requires_grad):
    t = torch.from_numpy(np.array(a, copy=True))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _layout(a: np.ndarray, layout: str) -> np.ndarray:
    """The same values as ``a`` in a non-contiguous array (a view of a fresh buffer)."""
    if layout == "contig" or a.ndim == 0:
        return np.array(a, copy=True)
    if layout == "transposed":
        if a.ndim < 2:
            return _layout(a, "sliced")
        return np.ascontiguousarray(a.T).T
    if layout == "sliced":
        base = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
        base[..., ::2] = a
        return base[..., ::2]
    raise ValueError(layout)


def make_pair(a: np.ndarray, requires_grad: bool, layout: str = "contig"):
    """A chaingrad leaf and a PyTorch leaf with the same values and the given layout."""
    arr_cg, arr_th = _layout(a, layout), _layout(a, layout)
    t_cg = cg.from_numpy(arr_cg)
    t_th = torch.from_numpy(arr_th)
    if requires_grad:
        t_cg.requires_grad_(True)
        t_th.requires_grad_(True)
    return t_cg, t_th


def check_op(cg_fn, torch_fn, arrays, grad=None, dtype=np.float64, gradcheck=True,
             gradgradcheck=True, rtol=None, atol=None, seed=0, layout="contig"):
    """Compare ``cg_fn(*tensors)`` with ``torch_fn(*tensors)``: forward and gradients.

    ``arrays``: NumPy arrays; floating ones are cast to ``dtype`` and get requires_grad unless
    ``grad`` (one flag per array) says otherwise. Integer/bool arrays pass unchanged without
    grad. gradcheck/gradgradcheck run in float64 only, on non-empty inputs. Returns the
    chaingrad outputs for further checks.
    """
    key = np.dtype(dtype).type
    rtol = RTOL[key] if rtol is None else rtol
    atol = ATOL[key] if atol is None else atol
    arrays = [np.asarray(a, dtype=dtype) if np.asarray(a).dtype.kind == "f" else np.asarray(a)
              for a in arrays]
    needs = [a.dtype.kind == "f" if grad is None else bool(g) for a, g in
             zip(arrays, grad if grad is not None else arrays)]
    pairs_in = [make_pair(a, n, layout) for a, n in zip(arrays, needs)]
    cg_in = [p[0] for p in pairs_in]
    th_in = [p[1] for p in pairs_in]
    cg_out = _tuple(cg_fn(*cg_in))
    th_out = _tuple(torch_fn(*th_in))
    assert len(cg_out) == len(th_out), f"{len(cg_out)} outputs vs torch {len(th_out)}"
    rng = np.random.default_rng(seed)
    gos = []
    for k, (c, t) in enumerate(zip(cg_out, th_out)):
        tv = t.detach().numpy()
        assert isinstance(c, cg.Tensor), f"output {k} is {type(c).__name__}, not a Tensor"
        assert tuple(c.shape) == tuple(tv.shape), f"output {k}: shape {tuple(c.shape)} vs torch {tv.shape}"
        assert c._array.dtype == tv.dtype, f"output {k}: dtype {c._array.dtype} vs torch {tv.dtype}"
        assert c.requires_grad == t.requires_grad, (
            f"output {k}: requires_grad {c.requires_grad} vs torch {t.requires_grad}")
        np.testing.assert_allclose(c._array, tv, rtol=rtol, atol=atol, err_msg=f"forward output {k}")
        gos.append(rng.standard_normal(tv.shape).astype(tv.dtype) if tv.dtype.kind == "f" else None)
    pairs = [(c, t, g) for c, t, g in zip(cg_out, th_out, gos) if g is not None and t.requires_grad]
    diff = [i for i, n in enumerate(needs) if n]
    if pairs and diff:
        cg_grads = cg.autograd.grad([p[0] for p in pairs], [cg_in[i] for i in diff],
                                    [cg.tensor(p[2]) for p in pairs], allow_unused=True)
        th_grads = torch.autograd.grad([p[1] for p in pairs], [th_in[i] for i in diff],
                                       [torch.from_numpy(p[2]) for p in pairs], allow_unused=True)
        for i, cgg, thg in zip(diff, cg_grads, th_grads):
            if thg is None:
                assert cgg is None or np.allclose(cgg._array, 0), f"input {i}: torch has no grad"
                continue
            assert cgg is not None, f"input {i}: chaingrad gave no gradient"
            assert tuple(cgg.shape) == tuple(thg.shape), f"grad {i}: shape {tuple(cgg.shape)} vs {tuple(thg.shape)}"
            assert cgg._array.dtype == thg.numpy().dtype, f"grad {i}: dtype {cgg._array.dtype}"
            np.testing.assert_allclose(cgg._array, thg.numpy(), rtol=rtol, atol=atol,
                                       err_msg=f"gradient of input {i}")
    nonempty = all(a.size for a in arrays if a.dtype.kind == "f")
    if key is np.float64 and diff and pairs and nonempty:
        if gradcheck:
            assert cg.autograd.gradcheck(cg_fn, tuple(cg_in), eps=1e-6, atol=1e-5, rtol=1e-3)
        if gradgradcheck:
            assert cg.autograd.gradgradcheck(cg_fn, tuple(cg_in), eps=1e-6, atol=1e-4, rtol=1e-3)
    return cg_out
