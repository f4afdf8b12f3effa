"""Module API: registration, traversal, modes, state_dict, hooks, dtype conversion."""
import numpy as np
import pytest

import chaingrad as cg
from chaingrad import nn

torch = pytest.importorskip("torch")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(3, 2, bias=False)
        self.register_buffer("steps", cg.zeros(1))
        self.register_buffer("scratch", cg.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def test_registration_and_traversal():
    m = Net()
    assert [n for n, _ in m.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight"]
    assert [n for n, _ in m.named_buffers()] == ["steps", "scratch"]
    assert [n for n, _ in m.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in m.named_modules()] == ["", "fc1", "act", "fc2"]
    assert len(list(m.parameters(recurse=False))) == 0
    assert [n for n, _ in m.named_parameters(prefix="net")][0] == "net.fc1.weight"
    assert m.fc2.bias is None
    assert list(m.state_dict()) == ["steps", "fc1.weight", "fc1.bias", "fc2.weight"]


def test_shared_parameters_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.named_modules())) == 2


def test_train_eval_and_requires_grad():
    m = Net()
    assert m.training and m.fc1.training
    m.eval()
    assert not m.training and not m.fc1.training
    m.train()
    assert m.fc2.training
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_zero_grad():
    m = Net()
    m(cg.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_state_dict_round_trip():
    a, b = Net(), Net()
    a.steps._array[...] = 7
    res = b.load_state_dict(a.state_dict())
    assert res.missing_keys == [] and res.unexpected_keys == []
    for (k, v), (_, w) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(v.numpy(), w.numpy())
    x = cg.randn(3, 4)
    np.testing.assert_array_equal(a(x)._array, b(x)._array)
    sd = a.state_dict()
    assert sd["fc1.weight"].grad_fn is None and not sd["fc1.weight"].requires_grad
    assert np.shares_memory(sd["fc1.weight"]._array, a.fc1.weight._array)


def test_state_dict_errors():
    m = Net()
    sd = m.state_dict()
    del sd["fc1.bias"]
    sd["extra.weight"] = cg.zeros(1)
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(sd)
    msg = str(e.value)
    assert "Missing key(s) in state_dict: \"fc1.bias\"" in msg
    assert "Unexpected key(s) in state_dict: \"extra.weight\"" in msg
    res = m.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["fc1.bias"] and res.unexpected_keys == ["extra.weight"]
    sd = m.state_dict()
    sd["fc1.weight"] = cg.zeros(5, 5)
    with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight: copying a param with "
                       r"shape torch.Size\(\[5, 5\]\) from checkpoint, the shape in current "
                       r"model is torch.Size\(\[3, 4\]\)"):
        m.load_state_dict(sd, strict=False)


def test_state_dict_matches_torch_names():
    tm = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    cm = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    assert list(tm.state_dict()) == list(cm.state_dict())
    cm.load_state_dict({k: cg.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)
    np.testing.assert_allclose(cm(cg.tensor(x))._array, tm(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_forward_hooks():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out + 1)
    x = cg.ones(1, 2)
    y = m(x)
    expected = cg.nn.functional.linear(x * 2, m.weight, m.bias) + 1
    np.testing.assert_allclose(y._array, expected._array)
    assert calls == [(1, 2)]
    h1.remove()
    h2.remove()
    np.testing.assert_allclose(m(x)._array, cg.nn.functional.linear(x, m.weight, m.bias)._array)


def test_forward_hook_with_kwargs_and_prepend():
    m = nn.Identity()
    order = []
    m.register_forward_hook(lambda mod, a, kw, out: order.append("b"), with_kwargs=True)
    m.register_forward_hook(lambda mod, a, out: order.append("a"), prepend=True)
    m(cg.ones(1))
    assert order == ["a", "b"]


def test_full_backward_hook_matches_torch():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((3, 4))
    x = rng.standard_normal((2, 4))
    seen = {}

    cm = nn.Linear(4, 3).double()
    cm.weight._array[...] = w
    tm = torch.nn.Linear(4, 3).double()
    with torch.no_grad():
        tm.weight.copy_(torch.from_numpy(w))
        tm.bias.copy_(torch.from_numpy(cm.bias._array))

    def hook(key):
        def f(mod, gin, gout):
            seen[key] = ([None if g is None else np.array(g.detach().numpy()) for g in gin],
                         [np.array(g.detach().numpy()) for g in gout])
            return (gin[0] * 2,)
        return f
    cm.register_full_backward_hook(hook("cg"))
    tm.register_full_backward_hook(hook("th"))
    cx = cg.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    (cm(cx) ** 2).sum().backward()
    (tm(tx) ** 2).sum().backward()
    for a, b in zip(seen["cg"][0] + seen["cg"][1], seen["th"][0] + seen["th"][1]):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    np.testing.assert_allclose(cx.grad.numpy(), tx.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(cm.weight.grad.numpy(), tm.weight.grad.numpy(), rtol=1e-10)


def test_backward_hook_without_input_grad():
    m = nn.Linear(2, 2)
    seen = []
    m.register_full_backward_hook(lambda mod, gin, gout: seen.append((gin, gout)))
    m(cg.ones(1, 2)).sum().backward()
    assert len(seen) == 1 and seen[0][0] == (None,)
    assert seen[0][1][0].shape == (1, 2)


def test_apply_and_to_dtype():
    m = Net()
    opt_param = m.fc1.weight
    names = []
    m.apply(lambda mod: names.append(type(mod).__name__))
    assert names == ["Linear", "ReLU", "Linear", "Net"]
    m.double()
    assert m.fc1.weight is opt_param and m.fc1.weight.dtype == cg.float64
    assert m.steps.dtype == cg.float64
    m.to(cg.float32)
    assert m.fc1.weight.dtype == cg.float32
    m.float()
    with pytest.raises(TypeError):
        m.to(cg.int64)


def test_repr_like_torch():
    tm = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Flatten())
    cm = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Flatten())
    assert repr(cm) == repr(tm)


def test_setattr_rules():
    m = nn.Module()
    m.p = nn.Parameter(cg.zeros(2))
    assert "p" in dict(m.named_parameters())
    with pytest.raises(TypeError):
        m.p = cg.zeros(2)
    m.p = None
    assert m.p is None
    with pytest.raises(KeyError):
        m.register_buffer("a.b", cg.zeros(1))
    with pytest.raises(NotImplementedError, match="missing the required \"forward\""):
        m(1)
    with pytest.raises(AttributeError):
        m.nothing


def test_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU) and isinstance(seq[-1], nn.Linear)
    assert isinstance(seq[:2], nn.Sequential) and len(seq[:2]) == 2
    seq.append(nn.Identity())
    assert len(seq) == 4
    del seq[0]
    assert list(seq._modules) == ["0", "1", "2"]
    from collections import OrderedDict
    named = nn.Sequential(OrderedDict([("a", nn.Linear(1, 1)), ("b", nn.ReLU())]))
    assert list(named.state_dict()) == ["a.weight", "a.bias"]
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    ml.append(nn.Linear(1, 2))
    assert len(list(ml.parameters())) == 8 and ml[-1].out_features == 2
    md = nn.ModuleDict({"x": nn.Linear(1, 1)})
    md["y"] = nn.ReLU()
    assert list(md.keys()) == ["x", "y"] and "x" in md
    pl = nn.ParameterList([nn.Parameter(cg.zeros(2)) for _ in range(2)])
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]


def test_flatten_unflatten_identity():
    x = cg.randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Unflatten(1, (3, 20))(nn.Flatten()(x)).shape == (2, 3, 20)
    assert nn.Identity(3, foo=1)(x) is x


def test_module_list_repr_compresses_runs_like_torch():
    def build(lib):
        return lib.nn.ModuleList([lib.nn.Linear(1, 1) for _ in range(3)] + [lib.nn.ReLU()])
    assert repr(build(cg)) == repr(build(torch))
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())


def test_to_device_cpu_keeps_parameters():
    m = Net()
    w = m.fc1.weight
    assert m.to("cpu") is m and m.cpu() is m and m.fc1.weight is w
    assert m.to(cg.zeros(1, dtype=cg.float64)).fc1.weight.dtype == cg.float64


def test_hook_handles_and_context_manager():
    m = nn.Linear(2, 2)
    calls = []
    with m.register_forward_hook(lambda *a: calls.append(1)):
        m(cg.ones(1, 2))
    m(cg.ones(1, 2))
    assert calls == [1]
    pre = m.register_full_backward_pre_hook(lambda mod, gout: (gout[0] * 0,))
    x = cg.ones(1, 2, requires_grad=True)
    m(x).sum().backward()
    assert np.all(x.grad._array == 0)
    pre.remove()


def test_load_state_dict_assign_shares_memory():
    sd = {"weight": cg.ones(2, 2), "bias": cg.zeros(2)}
    m = nn.Linear(2, 2)
    m.load_state_dict(sd, assign=True)
    assert np.shares_memory(m.weight._array, sd["weight"]._array) and m.weight.requires_grad
    m2 = nn.Linear(2, 2)
    m2.load_state_dict(sd)
    assert not np.shares_memory(m2.weight._array, sd["weight"]._array)
