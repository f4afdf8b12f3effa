"""The selection ops (chaingrad/ops/select.py) as Tensor methods and cg.* functions, against
PyTorch: values, indices, and gradients where the op has one."""
import numpy as np
import pytest
import torch

import chaingrad as cg

X = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])

CALLS = {
    "sort": lambda lib, t: t.sort(dim=1, descending=True)[0],
    "sort indices": lambda lib, t: t.sort(1)[1],
    "argsort": lambda lib, t: t.argsort(dim=0),
    "topk": lambda lib, t: t.topk(2, dim=1).values,
    "topk indices": lambda lib, t: t.topk(1, largest=False).indices,
    "scatter": lambda lib, t: t.scatter(1, lib.tensor([[2], [0]]), lib.ones(2, 1, dtype=lib.float64)),
    "scatter_add": lambda lib, t: t.scatter_add(0, lib.tensor([[1, 0, 1]]), t[:1] * 2),
    "nonzero": lambda lib, t: t.nonzero(),
    "repeat_interleave": lambda lib, t: t.repeat_interleave(2, dim=0),
    "tile": lambda lib, t: t.tile(2, 1),
    "tile tuple": lambda lib, t: t.tile((1, 2)),
    "movedim": lambda lib, t: t.movedim(0, 1),
    "moveaxis": lambda lib, t: t.moveaxis(1, 0),
    "diagonal": lambda lib, t: t.diagonal(),
    "diag": lambda lib, t: t.diag(),
    "trace": lambda lib, t: t.trace(),
    "cumprod": lambda lib, t: t.cumprod(1),
    "cg.sort": lambda lib, t: lib.sort(t)[0],
    "cg.topk": lambda lib, t: lib.topk(t, 2)[0],
    "cg.tile": lambda lib, t: lib.tile(t, (2,)),
    "cg.moveaxis": lambda lib, t: lib.moveaxis(t, 0, 1),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_method_matches_pytorch(name):
    outs, grads = [], []
    for lib in (cg, torch):
        t = lib.tensor(X, requires_grad=True)
        out = CALLS[name](lib, t)
        outs.append(np.asarray(out.detach().numpy()))
        if out.requires_grad:
            (out * lib.tensor(np.arange(out.numel(), dtype=np.float64).reshape(tuple(out.shape)))).sum().backward()
            grads.append(t.grad.numpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-12)
    assert outs[0].dtype == outs[1].dtype
    if len(grads) == 2:
        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


@pytest.mark.parametrize("method", ["scatter_", "scatter_add_"])
def test_in_place_scatter_matches_pytorch(method):
    results = []
    for lib in (cg, torch):
        base = lib.tensor(X, requires_grad=True)
        t = base * 1
        src = lib.tensor([[10.0, 20.0, 30.0]], dtype=lib.float64, requires_grad=True)
        out = getattr(t, method)(0, lib.tensor([[1, 0, 1]]), src)
        assert out is t
        (t * t).sum().backward()
        results.append((t.detach().numpy(), base.grad.numpy(), src.grad.numpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_scatter_in_place_with_a_scalar_value():
    for lib in (cg, torch):
        z = lib.zeros(2, 3)
        z.scatter_(1, lib.tensor([[0], [2]]), 5.0)
        np.testing.assert_array_equal(z.numpy(), [[5, 0, 0], [0, 0, 5]])
