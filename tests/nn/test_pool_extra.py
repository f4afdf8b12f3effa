"""LPPool1d/2d, LocalResponseNorm, ChannelShuffle (and their F functions) against PyTorch."""
import numpy as np
import pytest

import chaingrad as cg
from tests.oracle import check_op

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X4, X3 = RNG.standard_normal((2, 6, 5, 7)), RNG.standard_normal((2, 6, 9))


@pytest.mark.parametrize("fn,args,x", [
    ("lp_pool2d", (2, 2), np.abs(X4) + 0.1), ("lp_pool2d", (3, (2, 3), (1, 2), True), np.abs(X4)),
    ("lp_pool1d", (2, 3, 2), X3), ("lp_pool1d", (1.5, 2), np.abs(X3) + 0.1),
    ("local_response_norm", (3, 0.1, 0.6, 2.0), X4), ("local_response_norm", (2,), X3),
    ("local_response_norm", (4,), RNG.standard_normal((1, 6, 2, 3, 4))),
    ("channel_shuffle", (3,), X4),
])
def test_functional(fn, args, x):
    check_op(lambda a: getattr(cg.nn.functional, fn)(a, *args),
             lambda a: getattr(torch.nn.functional, fn)(a, *args), [x], gradgradcheck=False)


@pytest.mark.parametrize("name,args", [("LPPool2d", (2, 3)), ("LPPool1d", (1.5, 2, 1)),
                                       ("LocalResponseNorm", (3,)), ("ChannelShuffle", (2,))])
def test_modules_repr(name, args):
    assert repr(getattr(cg.nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))


def test_errors():
    for m in (torch, cg):
        with pytest.raises(ValueError):
            m.nn.functional.local_response_norm(m.ones(2, 3), 2)
        with pytest.raises(RuntimeError):
            m.nn.functional.channel_shuffle(m.ones(1, 5, 2), 2)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=(2, 3), stride=(2, 1))])
@pytest.mark.parametrize("batched", [True, False])
def test_max_unpool2d_inverts_max_pool2d(kw, batched):
    x = X4 if batched else X4[0]
    size = x.shape[-2:]

    def pair(m):
        return lambda a: m.nn.functional.max_unpool2d(
            *m.nn.functional.max_pool2d(a, return_indices=True, **kw), output_size=size, **kw)
    # overlapping windows can pick one maximum twice: PyTorch's gradient (matched) then
    # counts it twice, which finite differences do not, so gradcheck only without overlap
    check_op(pair(cg), pair(torch), [x], gradgradcheck=False, gradcheck=kw == dict(kernel_size=2))


def test_max_unpool1d_and_modules():
    def pair(m):
        return lambda a: m.nn.functional.max_unpool1d(
            *m.nn.functional.max_pool1d(a, 3, stride=2, return_indices=True), 3, stride=2)
    check_op(pair(cg), pair(torch), [X3], gradcheck=False, gradgradcheck=False)
    assert repr(cg.nn.MaxUnpool2d(2)) == repr(torch.nn.MaxUnpool2d(2))
    assert repr(cg.nn.MaxUnpool1d(3, stride=2, padding=1)) == repr(
        torch.nn.MaxUnpool1d(3, stride=2, padding=1))
