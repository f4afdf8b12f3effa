"""The one test helper for ops: two oracles, PyTorch and central finite differences.

``check_op(cg_fn, torch_fn, inputs)`` runs the same function in chaingrad and in PyTorch on
the same seeded inputs, compares the forward values and every input's gradient (for a random
output gradient), and, in float64, runs ``gradcheck`` and ``gradgradcheck`` as well.
"""
from __future__ import annotations

import numpy as np
import pytest

import chaingrad as cg

torch = pytest.importorskip("torch")

RTOL = {np.float64: 1e-7, np.float32: 1e-4}
ATOL = {np.float64: 1e-9, np.float32: 1e-5}


def to_torch(a, requires_grad):
    t = torch.from_numpy(np.array(a, copy=True))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _tuple(x):
    return x if isinstance(x, (tuple, list)) else (x,)


def check_op(cg_fn, torch_fn, arrays, grad=None, dtype=np.float64, gradcheck=True,
             gradgradcheck=True, rtol=None, atol=None, seed=0):
    """Compare ``cg_fn(*tensors)`` with ``torch_fn(*tensors)``.

    ``arrays``: NumPy arrays (floating ones get requires_grad unless listed in ``grad`` as
    False). Returns the chaingrad outputs for further checks.
    """
    rtol = RTOL[np.dtype(dtype).type] if rtol is None else rtol
    atol = ATOL[np.dtype(dtype).type] if atol is None else atol
    arrays = [np.asarray(a, dtype=dtype) if np.asarray(a).dtype.kind == "f" else np.asarray(a)
              for a in arrays]
    needs = [a.dtype.kind == "f" if grad is None else bool(g) for a, g in
             zip(arrays, grad if grad is not None else arrays)]
    cg_in = [cg.tensor(a, requires_grad=n) for a, n in zip(arrays, needs)]
    th_in = [to_torch(a, n) for a, n in zip(arrays, needs)]
    cg_out = _tuple(cg_fn(*cg_in))
    th_out = _tuple(torch_fn(*th_in))
    assert len(cg_out) == len(th_out)
    rng = np.random.default_rng(seed)
    gos = []
    for c, t in zip(cg_out, th_out):
        tv = t.detach().numpy()
        assert tuple(c.shape) == tuple(tv.shape), f"shape {tuple(c.shape)} vs torch {tv.shape}"
        assert c.data.dtype == tv.dtype, f"dtype {c.data.dtype} vs torch {tv.dtype}"
        np.testing.assert_allclose(c.data, tv, rtol=rtol, atol=atol, err_msg="forward")
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
                assert cgg is None or np.allclose(cgg.data, 0), f"input {i}: torch has no grad"
                continue
            assert cgg is not None, f"input {i}: chaingrad gave no gradient"
            assert tuple(cgg.shape) == tuple(thg.shape)
            np.testing.assert_allclose(cgg.data, thg.numpy(), rtol=rtol, atol=atol,
                                       err_msg=f"gradient of input {i}")
    if dtype == np.float64 and diff and pairs:
        if gradcheck:
            assert cg.autograd.gradcheck(cg_fn, tuple(cg_in), eps=1e-6, atol=1e-5, rtol=1e-3)
        if gradgradcheck:
            assert cg.autograd.gradgradcheck(cg_fn, tuple(cg_in), eps=1e-6, atol=1e-4, rtol=1e-3)
    return cg_out
