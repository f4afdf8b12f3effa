"""Every optimizer and option against PyTorch: the same problem, the same steps, float64."""
from __future__ import annotations

import numpy as np
import pytest

import chaingrad as cg

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-10, 1e-12

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("SGD", dict()),  # default lr=1e-3
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.02, amsgrad=True)),
    ("Adam", dict(lr=0.02, amsgrad=True, maximize=True, weight_decay=0.05)),
    ("Adam", dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.3, amsgrad=True, betas=(0.5, 0.6))),
    ("AdamW", dict(lr=0.02, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.01, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.5,
                     eps=1e-6)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.9), eps=1e-4, weight_decay=0.1, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, momentum_decay=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.01)),  # rho_t > 5 (rectified) from step 6 of 8
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.6), weight_decay=0.1, decoupled_weight_decay=True,
                   maximize=True)),  # rho_inf < 5: never rectified
]


def _arrays(seed=0):
    rng = np.random.default_rng(seed)
    return {"A": rng.standard_normal((5, 4)), "b": rng.standard_normal(5),
            "w": rng.standard_normal(4), "M": rng.standard_normal((3, 2)),
            "c": rng.standard_normal(3)}


def _loss(lib, ps, consts):
    """A small non-quadratic problem: least squares plus a tanh term."""
    w, M = ps
    r = consts["A"] @ w - consts["b"]
    return (r * r).sum() + lib.tanh(M).sum() * 0.5 + ((M * M).sum(1) * consts["c"]).sum()


def run_pair(name, kwargs, steps=6, groups=None, seed=0):
    arr = _arrays(seed)
    cg_ps = [cg.Parameter(cg.tensor(arr["w"].copy())), cg.Parameter(cg.tensor(arr["M"].copy()))]
    th_ps = [torch.nn.Parameter(torch.tensor(arr["w"].copy())),
             torch.nn.Parameter(torch.tensor(arr["M"].copy()))]
    cg_c = {k: cg.tensor(arr[k]) for k in ("A", "b", "c")}
    th_c = {k: torch.tensor(arr[k]) for k in ("A", "b", "c")}
    if groups is None:
        cg_opt = getattr(cg.optim, name)(cg_ps, **kwargs)
        th_opt = getattr(torch.optim, name)(th_ps, **kwargs)
    else:
        cg_opt = getattr(cg.optim, name)([dict(params=[p], **g) for p, g in zip(cg_ps, groups)],
                                         **kwargs)
        th_opt = getattr(torch.optim, name)([dict(params=[p], **g) for p, g in zip(th_ps, groups)],
                                            **kwargs)
    for _ in range(steps):
        cg_opt.zero_grad()
        _loss(cg, cg_ps, cg_c).backward()
        cg_opt.step()
        th_opt.zero_grad()
        _loss(torch, th_ps, th_c).backward()
        th_opt.step()
    return cg_ps, th_ps, cg_opt, th_opt


def assert_same(cg_ps, th_ps):
    for c, t in zip(cg_ps, th_ps):
        assert c._array.dtype == np.float64
        np.testing.assert_allclose(c._array, t.detach().numpy(), rtol=RTOL, atol=ATOL)


def assert_same_state(cg_opt, th_opt):
    cs, ts = cg_opt.state_dict(), th_opt.state_dict()
    assert set(cs["state"]) == set(ts["state"])
    for k in ts["state"]:
        assert set(cs["state"][k]) == set(ts["state"][k]), k
        for name, tv in ts["state"][k].items():
            np.testing.assert_allclose(np.asarray(cs["state"][k][name]._array), tv.numpy(),
                                       rtol=RTOL, atol=ATOL, err_msg=name)
    for cgrp, tgrp in zip(cs["param_groups"], ts["param_groups"]):
        assert cgrp == tgrp


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in
                                                      enumerate(CONFIGS)])
def test_matches_torch(name, kwargs):
    cg_ps, th_ps, cg_opt, th_opt = run_pair(name, kwargs, steps=8)
    assert_same(cg_ps, th_ps)
    assert_same_state(cg_opt, th_opt)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_param_groups_override_defaults(name):
    groups = [dict(lr=0.03, weight_decay=0.2), dict()]
    extra = {"SGD": dict(momentum=0.7), "Adam": dict(betas=(0.7, 0.8)),
             "AdamW": dict(amsgrad=True), "RMSprop": dict(centered=True),
             "Adagrad": dict(lr_decay=0.05)}[name]
    cg_ps, th_ps, cg_opt, th_opt = run_pair(name, dict(lr=0.01, **extra), groups=groups)
    assert_same(cg_ps, th_ps)
    assert_same_state(cg_opt, th_opt)


def _to_cg(obj):
    if isinstance(obj, torch.Tensor):
        return cg.tensor(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return {k: _to_cg(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_cg(v) for v in obj]
    return obj


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)),
                                         ("Adam", dict(lr=0.01, amsgrad=True)),
                                         ("RMSprop", dict(momentum=0.3, centered=True)),
                                         ("Adagrad", dict(lr=0.1))])
def test_resume_from_state_dict(name, kwargs):
    """3 steps, state_dict, new optimizer, 3 more steps == 6 uninterrupted steps."""
    cg_ps, th_ps, cg_opt, th_opt = run_pair(name, kwargs, steps=3)
    arr = _arrays()
    consts = {k: cg.tensor(arr[k]) for k in ("A", "b", "c")}
    new_ps = [cg.Parameter(cg.tensor(p._array.copy())) for p in cg_ps]
    new_opt = getattr(cg.optim, name)(new_ps, lr=123.0)
    new_opt.load_state_dict(cg_opt.state_dict())
    assert new_opt.param_groups[0]["lr"] == kwargs.get("lr", new_opt.defaults["lr"]) or \
        name == "RMSprop"
    # and an optimizer resumed from PyTorch's own state_dict (same layout)
    tor_ps = [cg.Parameter(cg.tensor(p._array.copy())) for p in cg_ps]
    tor_opt = getattr(cg.optim, name)(tor_ps)
    tor_opt.load_state_dict(_to_cg(th_opt.state_dict()))
    th_c = {k: torch.tensor(arr[k]) for k in ("A", "b", "c")}
    for _ in range(3):
        for ps, opt in ((new_ps, new_opt), (tor_ps, tor_opt)):
            opt.zero_grad()
            _loss(cg, ps, consts).backward()
            opt.step()
        th_opt.zero_grad()
        _loss(torch, th_ps, th_c).backward()
        th_opt.step()
    assert_same(new_ps, th_ps)
    assert_same(tor_ps, th_ps)


def test_state_dict_layout_and_load_checks():
    p1, p2 = cg.Parameter(cg.zeros(2)), cg.Parameter(cg.zeros(3))
    opt = cg.optim.SGD([{"params": [p1]}, {"params": [p2], "lr": 0.5}], lr=0.1, momentum=0.9)
    p1.grad, p2.grad = cg.ones(2), cg.ones(3)
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0] and sd["param_groups"][1]["params"] == [1]
    assert sd["param_groups"][1]["lr"] == 0.5 and set(sd["state"]) == {0, 1}
    assert sd["state"][1]["momentum_buffer"].shape == (3,)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        cg.optim.SGD([p1], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        cg.optim.SGD([{"params": [p1, p2]}, {"params": []}], lr=0.1).load_state_dict(sd)


@pytest.mark.parametrize("make,message", [
    (lambda p: cg.optim.SGD(p, lr=-1), "Invalid learning rate: -1"),
    (lambda p: cg.optim.SGD(p, lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
    (lambda p: cg.optim.SGD(p, lr=0.1, weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda p: cg.optim.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires"),
    (lambda p: cg.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
     "Nesterov momentum requires"),
    (lambda p: cg.optim.Adam(p, lr=-0.1), "Invalid learning rate: -0.1"),
    (lambda p: cg.optim.Adam(p, eps=-1e-8), "Invalid epsilon value: -1e-08"),
    (lambda p: cg.optim.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    (lambda p: cg.optim.Adam(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (lambda p: cg.optim.AdamW(p, weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    (lambda p: cg.optim.RMSprop(p, alpha=-0.1), "Invalid alpha value: -0.1"),
    (lambda p: cg.optim.RMSprop(p, momentum=-1), "Invalid momentum value: -1"),
    (lambda p: cg.optim.RMSprop(p, eps=-1), "Invalid epsilon value: -1"),
    (lambda p: cg.optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1"),
    (lambda p: cg.optim.Adagrad(p, initial_accumulator_value=-1),
     "Invalid initial_accumulator_value value: -1"),
    (lambda p: cg.optim.Adagrad(p, eps=-1), "Invalid epsilon value: -1"),
    (lambda p: cg.optim.Adadelta(p, rho=1.5), "Invalid rho value: 1.5"),
    (lambda p: cg.optim.Adamax(p, betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    (lambda p: cg.optim.NAdam(p, momentum_decay=-1), "Invalid momentum_decay value: -1"),
    (lambda p: cg.optim.RAdam(p, lr=-2), "Invalid learning rate: -2"),
    (lambda p: cg.optim.SGD([], lr=0.1), "empty parameter list"),
    (lambda p: cg.optim.SGD([{"params": p}, {"params": p}], lr=0.1), "more than one"),
    (lambda p: cg.optim.SGD([p[0] * 2], lr=0.1), "non-leaf"),
])
def test_bad_hyper_parameters_raise_value_error(make, message):
    params = [cg.Parameter(cg.zeros(2))]
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make(params)


def test_params_must_be_an_iterable():
    with pytest.raises(TypeError, match="iterable of Tensors"):
        cg.optim.SGD(cg.Parameter(cg.zeros(2)), lr=0.1)


def test_zero_grad_and_closure():
    p = cg.Parameter(cg.tensor([1.0, -2.0]))
    opt = cg.optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss) == 5.0
    np.testing.assert_allclose(p._array, [0.8, -1.6], rtol=1e-6)
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and np.all(g._array == 0)
    opt.zero_grad()
    assert p.grad is None
    opt.step()  # no gradient: nothing changes
    np.testing.assert_allclose(p._array, [0.8, -1.6], rtol=1e-6)


def test_step_bumps_version_so_stale_graphs_refuse_backward():
    p = cg.Parameter(cg.tensor([1.0, 2.0]))
    opt = cg.optim.SGD([p], lr=0.1)
    y = (p * p).sum()
    p.grad = cg.ones(2)
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation|in-place|inplace"):
        y.backward()


def test_add_param_group_and_named_params():
    a, b = cg.Parameter(cg.zeros(2)), cg.Parameter(cg.zeros(2))
    opt = cg.optim.Adam([("a", a)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["a"]
    with pytest.raises(ValueError, match="with/without names"):  # as PyTorch: all or none named
        opt.add_param_group({"params": b, "lr": 0.01})
    opt.add_param_group({"params": [("b", b)], "lr": 0.01})
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match="more than one"):
        opt.add_param_group({"params": [("a", a)]})


def test_float32_params_stay_float32():
    p = cg.Parameter(cg.ones(3))
    for opt in (cg.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1),
                cg.optim.Adam([p]), cg.optim.RMSprop([p], centered=True), cg.optim.Adagrad([p])):
        p.grad = cg.ones(3)
        opt.step()
        opt.step()
        assert p._array.dtype == np.float32
        assert all(v._array.dtype == np.float32 for k, v in opt.state[p].items() if k != "step")


@pytest.mark.parametrize("name,kwargs", [c for c in CONFIGS if c[1]][::2],
                         ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_large_parameters_are_updated_in_slices(name, kwargs, dtype):
    """Parameters bigger than the cache-sized slice (and a non-contiguous gradient, which
    takes the whole-array path) give PyTorch's values."""
    rng = np.random.default_rng(5)
    big = rng.standard_normal((300, 250)).astype(dtype)
    small = rng.standard_normal(7).astype(dtype)
    cg_ps = [cg.Parameter(cg.tensor(big.copy())), cg.Parameter(cg.tensor(small.copy())),
             cg.Parameter(cg.tensor(big.T.copy()))]
    th_ps = [torch.nn.Parameter(torch.tensor(a.copy())) for a in (big, small, big.T)]
    cg_opt = getattr(cg.optim, name)(cg_ps, **kwargs)
    th_opt = getattr(torch.optim, name)(th_ps, **kwargs)
    for step in range(4):
        grads = [np.sin(3 * p._array + step) for p in cg_ps[:2]]
        gt = np.ascontiguousarray(np.cos(2 * cg_ps[2]._array + step).T).T  # non-contiguous
        for p, tp, gr in zip(cg_ps, th_ps, grads + [gt]):
            p.grad = cg.tensor(np.array(gr, copy=True)) if gr is not gt else cg.Tensor._wrap(gt)
            tp.grad = torch.tensor(np.array(gr, copy=True))
        assert not cg_ps[2].grad._array.flags.c_contiguous
        cg_opt.step()
        th_opt.step()
    rtol = RTOL if dtype == np.float64 else 2e-5
    for c, t in zip(cg_ps, th_ps):
        assert c._array.dtype == dtype
        np.testing.assert_allclose(c._array, t.detach().numpy(), rtol=rtol, atol=rtol * 1e-2)


def test_deepcopy_of_model_and_optimizer_is_independent():
    import copy
    model = cg.models.MLP([3, 4, 2])
    opt = cg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(cg.ones(5, 3)).sum().backward()
    opt.step()
    twin = copy.deepcopy(opt)
    p, q = opt.param_groups[0]["params"][0], twin.param_groups[0]["params"][0]
    assert q is not p and q._array is not p._array and np.array_equal(q._array, p._array)
    q.grad = cg.ones_like(q)
    twin.step()
    assert not np.array_equal(q._array, p._array)
    clone = copy.deepcopy(model)
    assert all(a._array is not b._array for a, b in zip(clone.parameters(), model.parameters()))
