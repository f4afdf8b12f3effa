"""Round-3 conformance of the Optimizer base class with PyTorch: param groups, step hooks,
state_dict hooks, load_state_dict semantics, hyper-parameter errors."""
import warnings

import numpy as np
import pytest
import torch

import chaingrad as cg


def _outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return (type(e).__name__, str(e))


def _same(make):
    """``make(lib)`` gives the same outcome (value, or error type and message) in both."""
    t, c = _outcome(lambda: make(torch)), _outcome(lambda: make(cg))
    assert t == c


def _p(lib, n=2):
    return lib.zeros(n, requires_grad=True)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
                                  "Adamax", "NAdam", "RAdam", "Rprop", "ASGD"])
def test_tensor_lr_must_be_one_element(name):
    _same(lambda lib: getattr(lib.optim, name)([_p(lib)], lr=lib.tensor([0.1, 0.2])))


@pytest.mark.parametrize("name,kw", [
    ("SGD", dict(lr=0.1, fused=True, foreach=True)),
    ("SGD", dict(lr=0.1, fused=True, differentiable=True)),
    ("Adam", dict(fused=True, foreach=True)), ("AdamW", dict(fused=True, foreach=True)),
    ("Adagrad", dict(fused=True, foreach=True)),
    ("Adam", dict(betas=(0, 0.9))), ("AdamW", dict(betas=(0.9, 1))),
])
def test_constructor_errors(name, kw):
    _same(lambda lib: sorted(getattr(lib.optim, name)([_p(lib)], **kw).defaults))


def test_add_param_group_uses_the_dict_and_checks_names():
    def run(lib):
        a, b = _p(lib), _p(lib, 3)
        opt = lib.optim.SGD([a], lr=0.1, momentum=0.9)
        group = {"params": b, "lr": 0.5, "extra": "x"}
        opt.add_param_group(group)
        return opt.param_groups[1] is group, sorted(k for k in group if k != "params")
    _same(run)
    _same(lambda lib: lib.optim.SGD([_p(lib)], lr=1).add_param_group([_p(lib)]))
    _same(lambda lib: lib.optim.SGD([("a", _p(lib))], lr=1).add_param_group(
        {"params": [_p(lib)]}))
    _same(lambda lib: lib.optim.SGD([_p(lib)], lr=1).add_param_group(
        {"params": [("b", _p(lib))]}))
    _same(lambda lib: lib.optim.SGD([("a", _p(lib)), _p(lib)], lr=1))
    _same(lambda lib: lib.optim.SGD([_p(lib), 1.0], lr=1))


def test_duplicate_parameter_warning_text():
    def run(lib):
        a = _p(lib)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.optim.SGD([a, a], lr=1)
        return [str(x.message) for x in w]
    _same(run)


def test_retains_grad_tensor_may_be_optimized():
    def run(lib):
        b = _p(lib) * 2
        b.retain_grad()
        return len(lib.optim.SGD([b], lr=1).param_groups[0]["params"])
    _same(run)


def test_step_hooks_get_the_optimizer_and_step_arguments():
    def run(lib):
        a = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([a], lr=1.0)
        calls = []
        h = opt.register_step_pre_hook(
            lambda o, args, kw: calls.append(("pre", args[0] is o, len(args), sorted(kw))))
        opt.register_step_post_hook(
            lambda o, args, kw: calls.append(("post", args[0] is o, len(args), sorted(kw))))
        a.grad = lib.ones(2)
        opt.step()
        h.remove()

        def closure():
            return lib.tensor(1.0)
        loss = opt.step(closure)
        opt.step(closure=closure)
        return calls, float(loss), a.tolist()
    _same(run)


def test_step_pre_hook_may_replace_the_arguments():
    def run(lib):
        a = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([a], lr=1.0)
        opt.register_step_pre_hook(lambda o, args, kw: ((o, lambda: 7.0), {}))
        a.grad = lib.ones(2)
        return opt.step()
    _same(run)

    def bad(lib):
        a = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([a], lr=1.0)
        opt.register_step_pre_hook(lambda o, args, kw: 3)
        a.grad = lib.ones(2)
        opt.step()
    t, c = _outcome(lambda: bad(torch)), _outcome(lambda: bad(cg))
    assert t[0] == c[0] == "RuntimeError" and "must return None or a tuple" in c[1]


def test_hooks_run_for_lbfgs_too():
    a = cg.ones(2, requires_grad=True)
    opt = cg.optim.LBFGS([a], max_iter=2)
    seen = []
    opt.register_step_post_hook(lambda o, args, kw: seen.append(len(args)))

    def closure():
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss
    opt.step(closure)
    assert seen == [2]


def test_state_dict_and_load_state_dict_hooks():
    def run(lib):
        a = lib.ones(2, requires_grad=True)
        opt = lib.optim.Adam([a])
        log = []
        opt.register_state_dict_pre_hook(lambda o: log.append("sd-pre"))
        opt.register_state_dict_post_hook(lambda o, sd: log.append("sd-post1"))
        opt.register_state_dict_post_hook(lambda o, sd: log.append("sd-post0"), prepend=True)

        def change_lr(o, sd):
            log.append("load-pre")
            sd = dict(sd)
            sd["param_groups"] = [dict(g, lr=0.5) for g in sd["param_groups"]]
            return sd
        opt.register_load_state_dict_pre_hook(change_lr)
        opt.register_load_state_dict_post_hook(lambda o: log.append("load-post"))
        sd = opt.state_dict()
        opt.load_state_dict(sd)
        return log, opt.param_groups[0]["lr"]
    _same(run)


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", {}),
                                     ("RMSprop", dict(momentum=0.5, centered=True)),
                                     ("Adagrad", {}), ("Rprop", {})])
def test_loaded_state_shares_tensors_as_in_torch(name, kw):
    """PyTorch casts loaded state with ``.to(dtype)``, which returns the very tensor when the
    dtype already matches: two optimizers loaded from one state_dict share their buffers."""
    def run(lib):
        x = np.linspace(-1, 1, 6).reshape(2, 3)
        a = lib.tensor(x, requires_grad=True)
        opt = getattr(lib.optim, name)([a], **kw)
        a.grad = lib.tensor(x * 0.5)
        opt.step()
        sd = opt.state_dict()
        b = lib.tensor(x, requires_grad=True)
        opt2 = getattr(lib.optim, name)([b], **kw)
        opt2.load_state_dict(sd)
        shared = sorted(k for k, v in opt2.state[b].items() if v is sd["state"][0][k])
        b.grad = lib.tensor(x * 0.25)
        opt.step()
        opt2.step()
        return shared, np.round(np.asarray(b.tolist()), 12).tolist()
    _same(run)


def test_load_casts_to_the_parameter_dtype_but_not_step():
    def run(lib):
        a = lib.ones(3, dtype=lib.float64, requires_grad=True)
        opt = lib.optim.Adam([a])
        a.grad = lib.ones(3, dtype=lib.float64)
        opt.step()
        b = lib.ones(3, requires_grad=True)
        opt2 = lib.optim.Adam([b])
        opt2.load_state_dict(opt.state_dict())
        return {k: str(v.dtype).split(".")[-1] for k, v in opt2.state[b].items()}
    _same(run)


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1)), ("Adam", {}), ("AdamW", {}),
                                     ("RMSprop", {}), ("Adagrad", {}), ("NAdam", {}),
                                     ("RAdam", {}), ("Rprop", {}), ("ASGD", {}),
                                     ("Adadelta", {}), ("Adamax", {})])
def test_loading_an_old_state_dict_fills_group_keys(name, kw):
    def run(lib):
        opt = getattr(lib.optim, name)([_p(lib)], **kw)
        opt.load_state_dict({"state": {}, "param_groups": [{"params": [0], "lr": 0.3,
                                                            "decoupled_weight_decay": False}]})
        return sorted(opt.param_groups[0].items(), key=lambda kv: kv[0])[1:]
    t, c = run(torch), run(cg)
    assert [k for k, _ in t] == [k for k, _ in c] and dict(t) == {
        k: v for k, v in c if k != "params"} | {"params": dict(t)["params"]}


def test_global_step_hooks_run_around_every_optimizer():
    def run(lib):
        from importlib import import_module
        mod = import_module(lib.__name__ + ".optim.optimizer")
        log = []
        a = lib.ones(2, requires_grad=True)
        opt = lib.optim.Adam([a])
        opt.register_step_pre_hook(lambda o, args, kw: log.append("pre"))
        opt.register_step_post_hook(lambda o, args, kw: log.append("post"))
        handles = [mod.register_optimizer_step_pre_hook(lambda o, args, kw: log.append("gpre")),
                   mod.register_optimizer_step_post_hook(lambda o, args, kw: log.append("gpost"))]
        try:
            a.grad = lib.ones(2)
            opt.step()
        finally:
            for h in handles:
                h.remove()
        opt.step()
        return log
    _same(run)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_tensor_betas(name):
    def run(lib):
        p = lib.ones(3, requires_grad=True)
        opt = getattr(lib.optim, name)([p], lr=0.1, betas=(lib.tensor(0.8), lib.tensor([0.99])))
        for _ in range(3):
            p.grad = lib.tensor([1.0, -2.0, 3.0])
            opt.step()
        return np.round(np.asarray(p.tolist()), 5).tolist(), [
            (type(b).__name__, tuple(b.shape)) for b in opt.param_groups[0]["betas"]]
    _same(run)
    _same(lambda lib: getattr(lib.optim, name)([_p(lib)], betas=(lib.tensor(0.8), 0.9)))


@pytest.mark.parametrize("kw", [dict(lr=0.0), dict(eps=0.0), dict(betas=(1.0, 0.9)), {}])
def test_sparse_adam_arguments_and_dense_gradients(kw):
    def run(lib):
        a = lib.ones(2, requires_grad=True)
        opt = lib.optim.SparseAdam([a], **kw)
        a.grad = lib.ones(2)
        opt.step()
    _same(run)
