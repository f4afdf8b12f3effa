"""nn.init distributions and gains (statistical checks with margins), default layer init,
and nn.utils (gradient clipping, parameter vectors) against PyTorch."""
import math

import numpy as np
import pytest

import chaingrad as cg
from chaingrad.nn import init

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("nl,param", [("linear", None), ("conv2d", None), ("sigmoid", None),
                                      ("tanh", None), ("relu", None), ("leaky_relu", None),
                                      ("leaky_relu", 0.2), ("selu", None)])
def test_calculate_gain(nl, param):
    assert init.calculate_gain(nl, param) == pytest.approx(torch.nn.init.calculate_gain(nl, param))


def test_calculate_gain_errors():
    with pytest.raises(ValueError):
        init.calculate_gain("bogus")
    with pytest.raises(ValueError):
        init.calculate_gain("leaky_relu", "x")


def _uniform_ok(a, lo, hi):
    n = a.size
    assert a.min() >= lo and a.max() <= hi
    width = hi - lo
    assert abs(a.mean() - (lo + hi) / 2) < 6 * width / math.sqrt(12 * n)
    assert abs(a.std() - width / math.sqrt(12)) < 0.02 * width


def _normal_ok(a, mean, std):
    n = a.size
    assert abs(a.mean() - mean) < 6 * std / math.sqrt(n)
    assert abs(a.std() - std) < 0.03 * std


def test_uniform_normal_constant():
    cg.manual_seed(0)
    t = cg.empty(300, 200)
    _uniform_ok(init.uniform_(t, -2, 3)._array, -2, 3)
    _normal_ok(init.normal_(t, 1.5, 0.5)._array, 1.5, 0.5)
    assert np.all(init.constant_(t, 0.3)._array == np.float32(0.3))
    assert np.all(init.zeros_(t)._array == 0) and np.all(init.ones_(t)._array == 1)
    np.testing.assert_array_equal(init.eye_(cg.empty(3, 4))._array, np.eye(3, 4))


def test_trunc_normal():
    cg.manual_seed(0)
    a = init.trunc_normal_(cg.empty(400, 300), mean=0.5, std=1.0, a=-1.0, b=2.0)._array
    assert a.min() >= -1.0 and a.max() <= 2.0
    ref = torch.nn.init.trunc_normal_(torch.empty(400, 300), 0.5, 1.0, -1.0, 2.0).numpy()
    assert abs(a.mean() - ref.mean()) < 0.02 and abs(a.std() - ref.std()) < 0.02


@pytest.mark.parametrize("shape", [(200, 300), (64, 32, 3, 3)])
def test_xavier_and_kaiming(shape):
    cg.manual_seed(1)
    fan_in = shape[1] * int(np.prod(shape[2:]))
    fan_out = shape[0] * int(np.prod(shape[2:]))
    t = cg.empty(*shape)
    b = math.sqrt(6 / (fan_in + fan_out)) * 2.0
    _uniform_ok(init.xavier_uniform_(t, gain=2.0)._array, -b, b)
    _normal_ok(init.xavier_normal_(t)._array, 0, math.sqrt(2 / (fan_in + fan_out)))
    b = math.sqrt(2 / (1 + 5)) * math.sqrt(3 / fan_in)
    _uniform_ok(init.kaiming_uniform_(t, a=math.sqrt(5))._array, -b, b)
    _normal_ok(init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu")._array, 0,
               math.sqrt(2) / math.sqrt(fan_out))
    with pytest.raises(ValueError):
        init.kaiming_uniform_(t, mode="fan_avg")
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(cg.empty(5))


@pytest.mark.parametrize("shape", [(5, 8), (8, 5), (6, 2, 2)])
def test_orthogonal(shape):
    t = init.orthogonal_(cg.empty(*shape), gain=1.5)._array.reshape(shape[0], -1).astype(np.float64)
    if t.shape[0] <= t.shape[1]:
        np.testing.assert_allclose(t @ t.T, 2.25 * np.eye(t.shape[0]), atol=1e-5)
    else:
        np.testing.assert_allclose(t.T @ t, 2.25 * np.eye(t.shape[1]), atol=1e-5)


def test_init_is_reproducible_and_in_place():
    cg.manual_seed(5)
    a = cg.nn.Linear(10, 10)
    cg.manual_seed(5)
    b = cg.nn.Linear(10, 10)
    np.testing.assert_array_equal(a.weight._array, b.weight._array)
    w = a.weight
    assert init.normal_(w) is w and w.requires_grad and w.grad_fn is None


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.Linear(400, 300),
    lambda lib: lib.nn.Conv2d(32, 64, 3),
    lambda lib: lib.nn.Conv2d(32, 64, 3, groups=4),
    lambda lib: lib.nn.ConvTranspose2d(32, 48, 3),
])
def test_default_layer_init_matches_torch_distribution(make):
    # PyTorch's default: weight kaiming_uniform(a=sqrt(5)) and bias both U(-1/sqrt(fan_in), ..)
    cg.manual_seed(0)
    cm, tm = make(cg), make(torch)
    fan_in = cm.weight.shape[1] * int(np.prod(cm.weight.shape[2:]))
    bound = 1 / math.sqrt(fan_in)
    for (name, p), (_, q) in zip(cm.named_parameters(), tm.named_parameters()):
        a, b = p._array, q.detach().numpy()
        assert a.shape == b.shape and a.dtype == b.dtype
        assert np.abs(a).max() <= bound and np.abs(b).max() <= bound, name
        assert np.abs(a).max() > 0.9 * bound, name
        tol = 0.03 if a.size > 1000 else 0.25
        assert abs(a.std() - bound / math.sqrt(3)) < tol * bound / math.sqrt(3), name


def test_norm_layer_defaults():
    bn = cg.nn.BatchNorm2d(4)
    assert np.all(bn.weight._array == 1) and np.all(bn.bias._array == 0)
    assert np.all(bn.running_var._array == 1) and bn.num_batches_tracked.dtype == cg.int64
    assert bn.eps == 1e-5 and bn.momentum == 0.1


def _grads_pair(seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4,), (2, 2, 3)]
    cps, tps = [], []
    for s in shapes:
        v, g = rng.standard_normal(s), rng.standard_normal(s) * 3
        cp = cg.nn.Parameter(cg.tensor(v))
        cp.grad = cg.tensor(g)
        tp = torch.nn.Parameter(torch.tensor(v))
        tp.grad = torch.tensor(g)
        cps.append(cp)
        tps.append(tp)
    return cps, tps


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    cps, tps = _grads_pair()
    a = cg.nn.utils.clip_grad_norm_(cps, max_norm, norm_type)
    b = torch.nn.utils.clip_grad_norm_(tps, max_norm, norm_type)
    assert a.item() == pytest.approx(b.item(), rel=1e-12)
    for c, t in zip(cps, tps):
        np.testing.assert_allclose(c.grad._array, t.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_nonfinite_and_single_tensor():
    cps, _ = _grads_pair()
    cps[0].grad._array[0, 0] = np.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        cg.nn.utils.clip_grad_norm_(cps, 1.0, error_if_nonfinite=True)
    p = cg.nn.Parameter(cg.ones(3))
    p.grad = cg.full((3,), 2.0)
    total = cg.nn.utils.clip_grad_norm_(p, 1.0)
    assert total.item() == pytest.approx(np.sqrt(12), rel=1e-6)
    assert np.linalg.norm(p.grad._array) == pytest.approx(1.0, rel=1e-5)
    assert cg.nn.utils.clip_grad_norm_([cg.nn.Parameter(cg.ones(2))], 1.0).item() == 0.0


def test_clip_grad_value_and_vectors():
    cps, tps = _grads_pair(1)
    cg.nn.utils.clip_grad_value_(cps, 0.7)
    torch.nn.utils.clip_grad_value_(tps, 0.7)
    for c, t in zip(cps, tps):
        np.testing.assert_array_equal(c.grad._array, t.grad.numpy())
    v = cg.nn.utils.parameters_to_vector(cps)
    tv = torch.nn.utils.parameters_to_vector(tps)
    np.testing.assert_array_equal(v._array, tv.detach().numpy())
    cg.nn.utils.vector_to_parameters(v * 2, cps)
    np.testing.assert_array_equal(cps[1]._array, 2 * tps[1].detach().numpy())


def test_sparse_init_zeros_per_column_and_seed():
    for m in (torch, cg):
        with pytest.raises(ValueError):
            m.nn.init.sparse_(m.empty(3, 4, 5), 0.5)
    cg.manual_seed(0)
    w = cg.nn.init.sparse_(cg.empty(10, 6), sparsity=0.25, std=0.5)
    zeros = (w.numpy() == 0).sum(axis=0)
    assert (zeros >= 3).all()          # ceil(0.25 * 10) = 3 rows zeroed per column
    cg.manual_seed(0)
    assert np.array_equal(cg.nn.init.sparse_(cg.empty(10, 6), 0.25, 0.5).numpy(), w.numpy())
