"""F.unfold / F.fold (and nn.Unfold / nn.Fold) against PyTorch, to second order."""
import numpy as np
import pytest

import chaingrad as cg
from tests.oracle import check_op

torch = pytest.importorskip("torch")

KW = [dict(kernel_size=3), dict(kernel_size=(2, 3), stride=2),
      dict(kernel_size=2, padding=1, dilation=2), dict(kernel_size=(3, 2), padding=(1, 2), stride=(2, 1))]


def r(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("kw", KW)
@pytest.mark.parametrize("batched", [True, False])
def test_unfold_and_fold(kw, batched):
    x = r((2, 2, 5, 4)) if batched else r((2, 5, 4))
    check_op(lambda a: cg.nn.functional.unfold(a, **kw),
             lambda a: torch.nn.functional.unfold(a, **kw), [x])
    cols = torch.nn.functional.unfold(torch.tensor(x), **kw).numpy()
    check_op(lambda a: cg.nn.functional.fold(a, (5, 4), **kw),
             lambda a: torch.nn.functional.fold(a, (5, 4), **kw), [cols])


def test_modules_repr_and_values():
    kw = dict(kernel_size=2, stride=2)
    u, tu = cg.nn.Unfold(**kw), torch.nn.Unfold(**kw)
    f, tf = cg.nn.Fold((4, 4), **kw), torch.nn.Fold((4, 4), **kw)
    assert repr(u) == repr(tu) and repr(f) == repr(tf)
    x = r((1, 3, 4, 4))
    check_op(lambda a: f(u(a)), lambda a: tf(tu(a)), [x], dtype=np.float32)


@pytest.mark.parametrize("fn", [lambda m: m.nn.functional.fold(m.ones(1, 4, 5), (3, 3), 2),
                                lambda m: m.nn.functional.fold(m.ones(1, 5, 4), (3, 3), 2),
                                lambda m: m.nn.functional.unfold(m.ones(1, 1, 2, 2), 3)])
def test_bad_sizes_are_runtime_errors(fn):
    for m in (torch, cg):
        with pytest.raises(RuntimeError):
            fn(m)
