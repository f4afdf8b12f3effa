"""Round-3 audit: nn.utils.weight_norm / remove_weight_norm and the conv/linear + BatchNorm
fusion helpers, against PyTorch."""
import warnings

import numpy as np
import pytest

import chaingrad as cg

torch = pytest.importorskip("torch")


def _copy(t, c):
    c.load_state_dict({k: cg.tensor(v.detach().numpy().copy()) for k, v in t.state_dict().items()})


@pytest.mark.parametrize("dim", [0, 1, None])
@pytest.mark.parametrize("kind", ["linear", "conv"])
def test_weight_norm_matches_torch(dim, kind):
    def make(M):
        return M.nn.Linear(3, 4) if kind == "linear" else M.nn.Conv2d(2, 3, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        t = torch.nn.utils.weight_norm(make(torch).double(), dim=dim)
        c = cg.nn.utils.weight_norm(make(cg).double(), dim=dim)
    assert [(n, tuple(p.shape)) for n, p in c.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    assert list(c.state_dict()) == list(t.state_dict())
    _copy(t, c)
    x = np.random.default_rng(0).random((2, 3) if kind == "linear" else (1, 2, 5, 5))
    yt, yc = t(torch.tensor(x)), c(cg.tensor(x))
    np.testing.assert_allclose(yc.detach().numpy(), yt.detach().numpy(), rtol=1e-10)
    yt.sum().backward()
    yc.sum().backward()
    for (_, p), (_, q) in zip(t.named_parameters(), c.named_parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-9, atol=1e-12)
    torch.nn.utils.remove_weight_norm(t)
    cg.nn.utils.remove_weight_norm(c)
    assert [n for n, _ in c.named_parameters()] == [n for n, _ in t.named_parameters()]
    np.testing.assert_allclose(c.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-10)
    with pytest.raises(ValueError):
        cg.nn.utils.remove_weight_norm(c)


@pytest.mark.parametrize("transpose", [False, True])
def test_fuse_conv_bn_eval(transpose):
    mods = []
    for M in (torch, cg):
        conv = (M.nn.ConvTranspose2d if transpose else M.nn.Conv2d)(2, 4, 3).double()
        mods.append((conv, M.nn.BatchNorm2d(4).double()))
    (tc, tb), (cc, cb) = mods
    with torch.no_grad():
        tb.running_mean.uniform_()
        tb.running_var.uniform_(0.5, 2)
        tb.weight.uniform_()
        tb.bias.uniform_()
    _copy(tc, cc)
    _copy(tb, cb)
    tf = torch.nn.utils.fuse_conv_bn_eval(tc.eval(), tb.eval(), transpose)
    cf = cg.nn.utils.fuse_conv_bn_eval(cc.eval(), cb.eval(), transpose)
    assert isinstance(cf.weight, cg.nn.Parameter) and cf is not cc
    x = np.random.default_rng(1).random((1, 2, 5, 5))
    np.testing.assert_allclose(cf(cg.tensor(x)).detach().numpy(),
                               tf(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    with pytest.raises(AssertionError):
        cg.nn.utils.fuse_conv_bn_eval(cc.train(), cb)


def test_fuse_linear_bn_eval():
    tl, tb = torch.nn.Linear(3, 4).double(), torch.nn.BatchNorm1d(4).double()
    with torch.no_grad():
        tb.running_mean.uniform_()
        tb.running_var.uniform_(0.5, 2)
    cl, cb = cg.nn.Linear(3, 4).double(), cg.nn.BatchNorm1d(4).double()
    _copy(tl, cl)
    _copy(tb, cb)
    x = np.random.default_rng(2).random((2, 3))
    want = torch.nn.utils.fuse_linear_bn_eval(tl.eval(), tb.eval())(torch.tensor(x))
    got = cg.nn.utils.fuse_linear_bn_eval(cl.eval(), cb.eval())(cg.tensor(x))
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-10)


def test_skip_init():
    m = cg.nn.utils.skip_init(cg.nn.Linear, 2, 3, bias=False)
    assert tuple(m.weight.shape) == (3, 2) and m.bias is None
    for M in (torch, cg):
        with pytest.raises(RuntimeError, match="device"):
            M.nn.utils.skip_init(M.nn.ReLU)
