"""Tensor creation, dtypes, attributes and conversion (API.md "Tensors") against PyTorch."""
import numpy as np
import pytest
import torch

import chaingrad as cg


def _same(c, t):
    assert tuple(c.shape) == tuple(t.shape)
    assert c._array.dtype == t.numpy().dtype, (c._array.dtype, t.dtype)
    np.testing.assert_array_equal(c.numpy(), t.numpy())


@pytest.mark.parametrize("data", [1.5, 3, True, [1.0, 2.0], [1, 2], [[True, False]], [1, 2.5],
                                  np.float64(2.0), np.array([1.0, 2.0]), np.array([1, 2], np.int32),
                                  np.array(3.0, np.float32), [], [[1.0], [2.0]]], ids=repr)
def test_tensor_dtype_inference(data):
    _same(cg.tensor(data), torch.tensor(data))


def test_tensor_explicit_dtype_and_copy():
    a = np.array([1.0, 2.0])
    t = cg.tensor(a, dtype=cg.float32)
    assert t.dtype == cg.float32
    c = cg.tensor(a)
    a[0] = 9.0
    assert c.numpy()[0] == 1.0  # tensor() copies
    f = cg.from_numpy(a)
    a[1] = 7.0
    assert f.numpy()[1] == 7.0  # from_numpy shares memory
    f._array[0] = -1.0
    assert a[0] == -1.0
    assert np.asarray(f) is a or np.shares_memory(np.asarray(f), a)
    with pytest.raises(TypeError):
        cg.from_numpy([1.0])


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty"])
def test_constant_creation(fn):
    for args in [(2, 3), ((2, 3),), ([4],), ((),)]:
        c = getattr(cg, fn)(*args)
        t = getattr(torch, fn)(*args)
        assert tuple(c.shape) == tuple(t.shape) and c.dtype == cg.float32
        if fn != "empty":
            _same(c, t)
    c = getattr(cg, fn)(2, dtype=cg.float64, requires_grad=True)
    assert c.dtype == cg.float64 and c.requires_grad and c.is_leaf
    assert getattr(cg, fn)(2, dtype=cg.int64).dtype == cg.int64


def test_full_arange_linspace_eye():
    _same(cg.full((2, 3), 1.5), torch.full((2, 3), 1.5))
    _same(cg.full((2,), 7), torch.full((2,), 7))
    _same(cg.full((2,), True), torch.full((2,), True))
    for args in [(5,), (1, 7), (1, 7, 2), (0.0, 1.0, 0.25), (2.5,), (-3, 3)]:
        _same(cg.arange(*args), torch.arange(*args))
    _same(cg.arange(5, dtype=cg.float64), torch.arange(5, dtype=torch.float64))
    np.testing.assert_allclose(cg.linspace(0, 1, 5).numpy(), torch.linspace(0, 1, 5).numpy())
    assert cg.linspace(0, 1, 5).dtype == cg.float32
    _same(cg.eye(3), torch.eye(3))
    _same(cg.eye(2, 3), torch.eye(2, 3))


def test_like_functions():
    base = cg.ones(2, 3, dtype=cg.float64)
    for fn in ["zeros_like", "ones_like"]:
        c = getattr(cg, fn)(base)
        assert c.dtype == cg.float64 and tuple(c.shape) == (2, 3)
    assert cg.full_like(base, 2.5).numpy().tolist() == [[2.5] * 3] * 2
    r = cg.rand_like(base)
    assert r.dtype == cg.float64 and ((r.numpy() >= 0) & (r.numpy() < 1)).all()
    assert cg.randn_like(base).shape == (2, 3)
    assert cg.zeros_like(base, dtype=cg.int64).dtype == cg.int64


def test_random_reproducible_from_manual_seed():
    cg.manual_seed(123)
    a = (cg.rand(3), cg.randn(2, 2), cg.randint(0, 10, (4,)), cg.randn(2, dtype=cg.float64))
    cg.manual_seed(123)
    b = (cg.rand(3), cg.randn(2, 2), cg.randint(0, 10, (4,)), cg.randn(2, dtype=cg.float64))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    assert a[0].dtype == cg.float32 and a[2].dtype == cg.int64 and a[3].dtype == cg.float64
    r = cg.randint(3, 5, (1000,))
    assert r.numpy().min() == 3 and r.numpy().max() == 4
    assert cg.randint(5, (2, 2)).shape == (2, 2)
    assert cg.rand(2, 3, requires_grad=True).requires_grad


def test_dtypes_and_numpy_float64_kept():
    assert cg.tensor(np.zeros(2)).dtype == cg.float64
    assert cg.tensor([1.0]).dtype == cg.float32
    for name in ["float32", "float64", "float16", "int32", "int64", "bool"]:
        d = getattr(cg, name)
        assert cg.zeros(1, dtype=d).dtype == d
    assert cg.float32 != cg.float64 and cg.float32 == cg.float32
    assert str(cg.float32) == "chaingrad.float32"


def test_attributes():
    t = cg.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and isinstance(t.shape, tuple)
    assert t.ndim == 3 and t.dim() == 3
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4
    assert t.numel() == 24
    assert t.T.shape == (4, 3, 2)
    assert str(t.device) == "cpu" and t.device == "cpu"
    assert t.grad is None and t.grad_fn is None and t.is_leaf and not t.requires_grad
    t.requires_grad = True
    assert t.requires_grad


def test_conversions():
    t = cg.tensor([[1.5, 2.5]])
    assert t.tolist() == [[1.5, 2.5]]
    assert t.numpy().dtype == np.float32
    assert np.asarray(t).shape == (1, 2)
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    s = cg.tensor(3.5)
    assert s.item() == 3.5 and float(s) == 3.5 and int(cg.tensor(7)) == 7
    assert len(cg.zeros(4, 2)) == 4
    with pytest.raises(TypeError):
        len(s)
    for meth, dt in [("float", cg.float32), ("double", cg.float64), ("half", cg.float16),
                     ("long", cg.int64), ("int", cg.int32), ("bool", cg.bool)]:
        assert getattr(t, meth)().dtype == dt
    assert t.to(cg.float64).dtype == cg.float64 and t.to("cpu") is t
    assert t.to(dtype=cg.int64).dtype == cg.int64
    c = t.clone()
    c._array[0, 0] = 0.0
    assert t.numpy()[0, 0] == 1.5


def test_conversion_ops_keep_gradient():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    y = x.double() * 2
    assert y.dtype == cg.float64 and y.requires_grad
    y.sum().backward()
    assert x.grad.dtype == cg.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    x.grad = None
    x.clone().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    assert not x.long().requires_grad


def test_numpy_scalars_and_arrays_on_either_side():
    t = cg.tensor([1.0, 2.0])
    for r in [np.float32(2) * t, t * np.float32(2), np.array([2.0, 2.0], np.float32) * t,
              t * np.array([2.0, 2.0], np.float32), 2 * t, t * 2]:
        assert isinstance(r, cg.Tensor) and r.dtype == cg.float32
        np.testing.assert_array_equal(r.numpy(), [2.0, 4.0])
    r = np.array([2.0, 2.0]) * t  # a float64 array is a tensor operand: promotes like PyTorch
    assert r.dtype == (torch.from_numpy(np.array([2.0, 2.0])) * torch.tensor([1.0, 2.0])).numpy().dtype


def test_inplace_methods_and_version_counter():
    t = cg.zeros(3)
    v = t._version
    t.add_(1).mul_(3)
    t += 1
    t -= 0.5
    t *= 2
    t /= 4
    assert t._version == v + 6
    np.testing.assert_allclose(t.numpy(), [1.75] * 3)
    t.zero_()
    assert t.numpy().tolist() == [0.0] * 3
    t.fill_(2.0)
    t.copy_(cg.tensor([1.0, 2.0, 3.0]))
    assert t.numpy().tolist() == [1.0, 2.0, 3.0]
    view = t[1:]
    view.add_(10)  # a view writes through to its base, as PyTorch
    assert t.numpy().tolist() == [1.0, 12.0, 13.0]


def test_inplace_tracked_in_graph_matches_torch():
    def f(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        h = x * 2
        h.add_(x)
        h[0] = x[1] * 5
        h.mul_(x)
        h.sum().backward()
        return x.grad.numpy()
    np.testing.assert_allclose(f(cg), f(torch))


def test_repr():
    assert repr(cg.tensor([1.0, 2.0])).startswith("tensor(")
    assert "requires_grad=True" in repr(cg.tensor([1.0], requires_grad=True))
    assert "grad_fn=<MulBackward0>" in repr(cg.tensor([1.0], requires_grad=True) * 2)


def test_inplace_square_of_itself():
    # PyTorch refuses h.mul_(h) at backward (it saved h, then changed it); chaingrad keeps
    # the old value for both operands and gets d(h^2) = 2h
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.mul_(h)
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * 3 * 3 * x.detach().numpy())


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "float16"])
def test_non_float32_inputs_match_torch_dtypes(dtype):
    a = np.array([[1, 0, 3], [2, 5, 1]]).astype(dtype)
    fns = [lambda t: t.sum(), lambda t: t.sum(0), lambda t: t.prod(), lambda t: t.cumsum(1),
           lambda t: t.amax(1), lambda t: t.max(), lambda t: t.argmax(), lambda t: t.abs(),
           lambda t: t * 2, lambda t: t + t, lambda t: t * 2.5, lambda t: t.reshape(-1),
           lambda t: t.T, lambda t: t[0], lambda t: t.exp(), lambda t: t.sqrt(), lambda t: t.sigmoid(),
           lambda t: t / 2, lambda t: t.float(), lambda t: t.double().mean(), lambda t: t.clamp(0, 2),
           lambda t: t.flip(0), lambda t: t.repeat(2, 1), lambda t: t == 1, lambda t: t.max(1)[0]]
    for i, f in enumerate(fns):
        try:
            want = f(torch.tensor(a))
        except (RuntimeError, TypeError):
            continue
        got = f(cg.tensor(a))
        assert got._array.dtype == want.numpy().dtype, (i, dtype, got._array.dtype, want.dtype)
        np.testing.assert_allclose(got.numpy().astype(float), want.numpy().astype(float), rtol=1e-3)


def test_grad_assignment_is_checked_as_in_pytorch():
    import torch
    for lib in (cg, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(TypeError):
            x.grad = 3
        with pytest.raises(RuntimeError):
            x.grad = lib.zeros(1, 2)
        with pytest.raises(RuntimeError):
            x.grad = lib.zeros(2, dtype=lib.float64)
        x.grad = lib.ones(2)
        assert x.grad.tolist() == [1.0, 1.0]
        x.grad = None
        assert x.grad is None
