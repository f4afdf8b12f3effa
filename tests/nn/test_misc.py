"""Dropout, Embedding, one_hot, normalize, cosine_similarity, interpolate, Linear."""
import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn.functional as F
from tests.oracle import check_op

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def r(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
def test_linear_function(shape):
    check_op(lambda x, w, b: F.linear(x, w, b), lambda x, w, b: TF.linear(x, w, b),
             [r(shape), r((6, shape[-1]), 1), r(6, 2)])
    check_op(lambda x, w: F.linear(x, w), lambda x, w: TF.linear(x, w),
             [r(shape), r((6, shape[-1]), 1)], gradgradcheck=False)


def test_linear_module_and_errors():
    cm, tm = cg.nn.Linear(4, 3).double(), torch.nn.Linear(4, 3).double()
    tm.load_state_dict({k: torch.tensor(v._array) for k, v in cm.state_dict().items()})
    x = r((2, 4))
    np.testing.assert_allclose(cm(cg.tensor(x))._array, tm(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12)
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        cm(cg.randn(2, 5).double())
    assert cg.nn.Linear(4, 3, bias=False).bias is None


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_keep_rate_and_scale(p):
    cg.manual_seed(0)
    x = cg.ones(200, 500)
    y = F.dropout(x, p)
    kept = y._array != 0
    # keep rate within 5 standard deviations of 1 - p
    n = kept.size
    assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(y._array[kept], 1 / (1 - p), rtol=1e-6)
    assert y.dtype == cg.float32


def test_dropout_gradient_uses_mask_and_seed_reproduces():
    cg.manual_seed(3)
    x = cg.randn(10, 10, requires_grad=True)
    y = F.dropout(x, 0.4)
    y.sum().backward()
    mask = y._array != 0
    np.testing.assert_allclose(x.grad._array, mask / 0.6, rtol=1e-6)
    cg.manual_seed(7)
    a = F.dropout(cg.ones(50), 0.5)._array
    cg.manual_seed(7)
    b = F.dropout(cg.ones(50), 0.5)._array
    np.testing.assert_array_equal(a, b)


def test_dropout_module_eval_identity_and_edges():
    m = cg.nn.Dropout(0.5)
    x = cg.randn(4, 4)
    m.eval()
    assert m(x) is x
    m.train()
    assert np.all(F.dropout(x, 1.0)._array == 0)
    np.testing.assert_array_equal(F.dropout(x, 0.0)._array, x._array)
    with pytest.raises(ValueError, match="between 0 and 1"):
        cg.nn.Dropout(1.5)
    assert repr(m) == repr(torch.nn.Dropout(0.5))


def test_dropout2d_zeroes_whole_channels():
    cg.manual_seed(1)
    y = F.dropout2d(cg.ones(8, 16, 3, 3), 0.5)._array
    per_channel = y.reshape(8, 16, -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0 < (per_channel == 0).all(-1).mean() < 1


@pytest.mark.parametrize("padding_idx", [None, 0, -1])
@pytest.mark.parametrize("freq", [False, True])
def test_embedding_matches_torch(padding_idx, freq):
    w = r((6, 3))
    idx = np.array([[1, 0, 5], [5, 5, 2]])
    check_op(lambda w: F.embedding(cg.tensor(idx), w, padding_idx, scale_grad_by_freq=freq),
             lambda w: TF.embedding(torch.tensor(idx), w, padding_idx, scale_grad_by_freq=freq),
             [w], gradcheck=padding_idx is None and not freq, gradgradcheck=False)


def test_embedding_module():
    cg.manual_seed(0)
    e = cg.nn.Embedding(10, 4, padding_idx=2)
    assert np.all(e.weight._array[2] == 0)
    assert repr(e) == repr(torch.nn.Embedding(10, 4, padding_idx=2))
    assert e(cg.tensor([[1, 2, 3]])).shape == (1, 3, 4)
    with pytest.raises(IndexError):
        e(cg.tensor([10]))
    pre = cg.nn.Embedding.from_pretrained(cg.tensor(r((3, 2))))
    assert not pre.weight.requires_grad
    m = cg.nn.Embedding(5, 3, max_norm=1.0)
    m(cg.tensor([0, 1]))
    norms = np.linalg.norm(m.weight._array[:2], axis=1)
    assert np.all(norms <= 1.0 + 1e-5)
    # weights ~ N(0, 1)
    big = cg.nn.Embedding(1000, 100).weight._array
    assert abs(big.mean()) < 0.01 and abs(big.std() - 1) < 0.01


def test_one_hot():
    t = cg.tensor([[0, 2], [1, 3]])
    np.testing.assert_array_equal(F.one_hot(t)._array, TF.one_hot(torch.tensor(t._array)).numpy())
    assert F.one_hot(t, 6).shape == (2, 2, 6) and F.one_hot(t).dtype == cg.int64
    with pytest.raises(RuntimeError):
        F.one_hot(t, 3)
    with pytest.raises(RuntimeError):
        F.one_hot(cg.tensor([-1]))


def test_normalize_cosine_pairwise():
    check_op(lambda x: F.normalize(x), lambda x: TF.normalize(x), [r((3, 4))])
    check_op(lambda x: F.normalize(x, p=1.0, dim=0), lambda x: TF.normalize(x, p=1.0, dim=0),
             [r((3, 4))], gradgradcheck=False)
    check_op(lambda a, b: F.cosine_similarity(a, b), lambda a, b: TF.cosine_similarity(a, b),
             [r((3, 4)), r((3, 4), 1)])
    check_op(lambda a, b: F.cosine_similarity(a, b, dim=-1),
             lambda a, b: TF.cosine_similarity(a, b, dim=-1), [r((2, 3, 4)), r((1, 4), 1)],
             gradgradcheck=False)
    check_op(lambda a, b: F.pairwise_distance(a, b), lambda a, b: TF.pairwise_distance(a, b),
             [r((3, 4)), r((3, 4), 1)], gradgradcheck=False)


@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(size=(5, 7)), dict(size=3),
                                dict(scale_factor=(0.5, 1.5)),
                                dict(size=(5, 7), mode="nearest-exact")])
def test_interpolate_nearest(kw):
    check_op(lambda x: F.interpolate(x, **kw), lambda x: TF.interpolate(x, **kw),
             [r((1, 2, 4, 6))], gradgradcheck=False)


def test_upsample_module():
    assert repr(cg.nn.Upsample(scale_factor=2)) == repr(torch.nn.Upsample(scale_factor=2))
    assert cg.nn.Upsample(scale_factor=2)(cg.randn(1, 1, 3, 3)).shape == (1, 1, 6, 6)


def test_linear_with_one_dim_weight():
    check_op(lambda x, w: F.linear(x, w), lambda x, w: TF.linear(x, w), [r((4, 3)), r(3, 1)])
    for m in (torch, cg):
        with pytest.raises(RuntimeError):
            m.nn.functional.linear(m.ones(2, 3), m.ones(3), m.ones(()))


def test_cosine_similarity_below_eps_has_the_plain_norm_gradient():
    # PyTorch clamps the norms in place under no_grad: value clamped, gradient not masked
    a = np.array([[1e-9, 0.0, 0.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    b = np.array([[2e-9, 1e-9, 0.0], [1e-5, 0.0, 0.0], [1.0, 1.0, 1.0]])
    for kw in (dict(dim=1), dict(dim=0, eps=1e-3)):
        check_op(lambda x, y: F.cosine_similarity(x, y, **kw),
                 lambda x, y: TF.cosine_similarity(x, y, **kw), [a, b], gradcheck=False,
                 gradgradcheck=False, rtol=1e-6)


def test_bilinear_function_and_module():
    check_op(lambda a, b, w, c: F.bilinear(a, b, w, c), lambda a, b, w, c: TF.bilinear(a, b, w, c),
             [r((5, 3)), r((5, 4), 1), r((2, 3, 4), 2), r(2, 3)])
    check_op(lambda a, b, w: F.bilinear(a, b, w), lambda a, b, w: TF.bilinear(a, b, w),
             [r((2, 5, 3)), r((2, 5, 4), 1), r((2, 3, 4), 2)], gradgradcheck=False)
    m, tm = cg.nn.Bilinear(3, 4, 5), torch.nn.Bilinear(3, 4, 5)
    assert repr(m) == repr(tm) and list(m.state_dict()) == list(tm.state_dict())
    m.load_state_dict({k: cg.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    check_op(m, tm, [r((5, 3)), r((5, 4), 1)], dtype=np.float32, gradcheck=False)


def test_softmax2d():
    check_op(cg.nn.Softmax2d(), torch.nn.Softmax2d(), [r((2, 3, 4, 5))], gradgradcheck=False)
    check_op(cg.nn.Softmax2d(), torch.nn.Softmax2d(), [r((3, 4, 5))], gradgradcheck=False)
    for m in (torch, cg):
        with pytest.raises(ValueError):
            m.nn.Softmax2d()(m.ones(3, 4))


W_BAG = np.random.default_rng(5).standard_normal((10, 3))
I1_BAG, OFF_BAG = np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 4, 4, 6])  # bag 1 is empty


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("kw", [dict(), dict(padding_idx=4), dict(include_last_offset=True)])
def test_embedding_bag(mode, kw):
    off = np.append(OFF_BAG, 8) if kw.get("include_last_offset") else OFF_BAG
    check_op(lambda w: F.embedding_bag(cg.tensor(I1_BAG), w, cg.tensor(off), mode=mode, **kw),
             lambda w: TF.embedding_bag(torch.tensor(I1_BAG), w, torch.tensor(off), mode=mode, **kw),
             [W_BAG], gradgradcheck=False)
    i2 = np.array([[1, 2, 4], [4, 3, 9]])
    check_op(lambda w: F.embedding_bag(cg.tensor(i2), w, mode=mode),
             lambda w: TF.embedding_bag(torch.tensor(i2), w, mode=mode), [W_BAG],
             gradgradcheck=False)


def test_embedding_bag_per_sample_weights_and_module():
    p = np.random.default_rng(6).standard_normal(8)
    check_op(lambda w, s: F.embedding_bag(cg.tensor(I1_BAG), w, cg.tensor(OFF_BAG), mode="sum",
                                          per_sample_weights=s),
             lambda w, s: TF.embedding_bag(torch.tensor(I1_BAG), w, torch.tensor(OFF_BAG),
                                           mode="sum", per_sample_weights=s), [W_BAG, p],
             gradgradcheck=False)
    for kw in ({}, dict(mode="sum", padding_idx=2)):
        assert repr(cg.nn.EmbeddingBag(10, 3, **kw)) == repr(torch.nn.EmbeddingBag(10, 3, **kw))
    for m in (torch, cg):
        with pytest.raises(NotImplementedError):
            m.nn.functional.embedding_bag(m.tensor(I1_BAG), m.tensor(W_BAG), m.tensor(OFF_BAG),
                                          mode="mean", per_sample_weights=m.tensor(p))
