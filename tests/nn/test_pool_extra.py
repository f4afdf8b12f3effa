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
