"""One helper for layers: same weights (PyTorch's state_dict loaded into ours), same inputs,
forward values and every gradient (inputs, initial states, each parameter) compared."""
from __future__ import annotations

import numpy as np
import torch

import chaingrad as cg

RTOL, ATOL = 1e-7, 1e-9


def load_torch_weights(cg_module, torch_module):
    """Copy PyTorch's state_dict into the chaingrad module (strict: names and shapes agree)."""
    sd = {k: cg.tensor(v.detach().numpy().copy()) for k, v in torch_module.state_dict().items()}
    cg_module.load_state_dict(sd, strict=True)


def _flat(out):
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flat(o))
        return res
    return [] if out is None else [out]


def compare_module(cg_module, torch_module, arrays, call=None, grad=None, seed=0,
                   rtol=RTOL, atol=ATOL):
    """Run ``call(module, *inputs)`` in both libraries (default ``module(*inputs)``).

    ``arrays``: float64 NumPy inputs (None entries are passed through as None); ``grad``:
    which of them require grad (default all floating ones). Compares every output, then the
    gradients of a random weighted sum of the floating outputs with respect to each input and
    each parameter. Returns the chaingrad outputs.
    """
    call = call or (lambda m, *xs: m(*xs))
    torch_module = torch_module.double()
    load_torch_weights(cg_module, torch_module)
    needs = [a is not None and np.asarray(a).dtype.kind == "f" for a in arrays] \
        if grad is None else list(grad)
    cg_in = [None if a is None else cg.tensor(a, requires_grad=n) for a, n in zip(arrays, needs)]
    th_in = [None if a is None else torch.tensor(np.array(a), requires_grad=n)
             for a, n in zip(arrays, needs)]
    cg_out, th_out = _flat(call(cg_module, *cg_in)), _flat(call(torch_module, *th_in))
    assert len(cg_out) == len(th_out), f"{len(cg_out)} outputs vs torch {len(th_out)}"
    rng = np.random.default_rng(seed)
    cg_loss, th_loss = 0, 0
    for i, (c, t) in enumerate(zip(cg_out, th_out)):
        tv = t.detach().numpy()
        assert tuple(c.shape) == tv.shape, f"output {i}: shape {tuple(c.shape)} vs {tv.shape}"
        assert c._array.dtype == tv.dtype, f"output {i}: dtype {c._array.dtype} vs {tv.dtype}"
        np.testing.assert_allclose(c._array, tv, rtol=rtol, atol=atol, err_msg=f"output {i}")
        if tv.dtype.kind == "f" and t.requires_grad:
            w = rng.standard_normal(tv.shape)
            cg_loss = cg_loss + (c * cg.tensor(w)).sum()
            th_loss = th_loss + (t * torch.tensor(w)).sum()
    if isinstance(th_loss, int):
        return cg_out
    th_loss.backward()
    cg_loss.backward()
    for i, (c, t) in enumerate(zip(cg_in, th_in)):
        if t is not None and t.requires_grad:
            assert c.grad is not None, f"input {i}: no gradient"
            np.testing.assert_allclose(c.grad._array, t.grad.numpy(), rtol=rtol, atol=atol,
                                       err_msg=f"gradient of input {i}")
    cg_params = dict(cg_module.named_parameters())
    th_params = dict(torch_module.named_parameters())
    assert list(cg_params) == list(th_params), "parameter names or order differ"
    for name, tp in th_params.items():
        cp = cg_params[name]
        assert tuple(cp.shape) == tuple(tp.shape), name
        if tp.grad is None:
            assert cp.grad is None or np.allclose(cp.grad._array, 0), f"{name}: torch has no grad"
            continue
        assert cp.grad is not None, f"parameter {name}: no gradient"
        np.testing.assert_allclose(cp.grad._array, tp.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of parameter {name}")
    return cg_out
