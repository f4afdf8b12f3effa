"""nn.functional misuse and edge cases against PyTorch: the exception type raised, and
the empty / zero-size results PyTorch gives."""
import numpy as np
import pytest

import chaingrad as cg
from tests.oracle import check_op

torch = pytest.importorskip("torch")

X = np.random.default_rng(0).standard_normal((1, 2, 5, 5))


@pytest.mark.parametrize("fn,exc", [
    (lambda m: m.nn.functional.pad(m.tensor(X), (1, 1), mode="reflect", value=2.0), RuntimeError),
    (lambda m: m.nn.functional.pad(m.ones(3), (1, 1), mode="reflect"), NotImplementedError),
    (lambda m: m.nn.functional.pad(m.ones(3), (1, 1), mode="replicate"), NotImplementedError),
    (lambda m: m.nn.functional.pad(m.ones(2, 3), (1, 1, 1, 1), mode="reflect"), NotImplementedError),
    (lambda m: m.nn.functional.pad(m.ones(2, 3, 3, 3, 3), (1, 1, 1, 1), mode="circular"),
     NotImplementedError),
    (lambda m: m.nn.functional.pad(m.ones(1, 2, 4, 5), (1, 2), mode="reflect"), NotImplementedError),
    (lambda m: m.nn.functional.conv2d(m.tensor(X), m.ones(2, 2, 3, 3, dtype=m.float64),
                                      m.ones(3, dtype=m.float64)), RuntimeError),
    (lambda m: m.nn.functional.embedding(m.tensor([[0, 1]]), m.ones(3)), RuntimeError),
    (lambda m: m.nn.functional.one_hot(m.zeros(0, dtype=m.int64)), RuntimeError),
    (lambda m: m.nn.BatchNorm1d(3)(m.ones(3)), ValueError),
])
def test_error_types(fn, exc):
    for m in (torch, cg):
        with pytest.raises(exc):
            fn(m)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_non_constant_pad_shapes_that_are_supported(mode):
    for shape, pad in [((2, 5), (1, 2)), ((2, 4, 5), (1, 2, 2, 1)), ((1, 2, 5), (1, 2)), ((1, 2, 4, 5), (2, 1, 1, 2)),
                       ((1, 2, 3, 4, 5), (1, 1, 2, 1, 1, 2))]:
        x = np.random.default_rng(1).standard_normal(shape)
        check_op(lambda a: cg.nn.functional.pad(a, pad, mode=mode),
                 lambda a: torch.nn.functional.pad(a, pad, mode=mode), [x],
                 gradgradcheck=False)


def test_zero_size_results():
    for out_size in [0, (0, 2)]:
        t = torch.nn.functional.adaptive_avg_pool2d(torch.tensor(X), out_size)
        c = cg.nn.functional.adaptive_avg_pool2d(cg.tensor(X), out_size)
        assert tuple(c.shape) == tuple(t.shape)
    assert tuple(cg.nn.functional.one_hot(cg.zeros(0, dtype=cg.int64), 3).shape) == (0, 3)


def test_channel_dropout_masks_follow_torch_layouts():
    cg.manual_seed(0)
    with pytest.warns(UserWarning):
        y = cg.nn.functional.dropout2d(cg.ones(4, 5, 6), 0.5)   # 3-D: (N, C, L), as PyTorch
    per_channel = y.numpy().reshape(4, 5, 6)
    assert ((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all()
    assert len(set(map(tuple, (per_channel[:, :, 0] == 0).astype(int)))) > 1  # rows differ
    y = cg.nn.functional.dropout1d(cg.ones(4, 5), 0.5)             # 2-D: unbatched (C, L)
    assert ((y.numpy() == 0).all(1) | (y.numpy() == 2).all(1)).all()
    for m in (torch, cg):
        with pytest.raises(RuntimeError):
            m.nn.functional.dropout1d(m.ones(2, 3, 4, 5), 0.5)


@pytest.mark.parametrize("fn,shape", [("alpha_dropout", (1000,)), ("feature_alpha_dropout", (40, 6, 3))])
def test_alpha_dropout_takes_torchs_two_values(fn, shape):
    outs = []
    for m in (torch, cg):
        y = getattr(m.nn.functional, fn)(m.ones(*shape) * 2, 0.3, training=True)
        outs.append(np.unique(y.numpy().round(6)))
        assert getattr(m.nn.functional, fn)(m.ones(3), 0.3) is not None  # training=False
    np.testing.assert_allclose(outs[1], outs[0])


def test_dropout3d_and_alpha_dropout_modules():
    assert repr(cg.nn.AlphaDropout(0.2)) == repr(torch.nn.AlphaDropout(0.2))
    z = cg.nn.Dropout3d(0.5)(cg.ones(2, 3, 2, 2, 2)).numpy()
    assert ((z == 0).all((2, 3, 4)) | (z == 2).all((2, 3, 4))).all()
    assert np.array_equal(cg.nn.AlphaDropout(0.5).eval()(cg.ones(3)).numpy(), np.ones(3))
