"""Small Tensor details against PyTorch: Size slices and sums stay sizes, type() names,
mT on vectors, new_* with size=."""
import pytest
import torch

import chaingrad as cg


@pytest.mark.parametrize("lib", [cg, torch], ids=["chaingrad", "torch"])
def test_size_operations_stay_sizes(lib):
    s = lib.ones(2, 3, 4).shape
    size_type = type(s)
    for value in (s[1:], s + (5,), (1,) + s, s * 2, s[::2]):
        assert type(value) is size_type
    assert s[1:] == (3, 4) and s[0] == 2 and type(s[0]) is int


def test_type_names_as_pytorch():
    for name, dtype in [("FloatTensor", "float32"), ("DoubleTensor", "float64"),
                        ("LongTensor", "int64"), ("IntTensor", "int32"), ("BoolTensor", "bool"),
                        ("HalfTensor", "float16"), ("ByteTensor", "uint8"), ("CharTensor", "int8")]:
        assert cg.ones(2, dtype=getattr(cg, dtype)).type() == f"chaingrad.{name}"
        assert torch.ones(2, dtype=getattr(torch, dtype)).type() == f"torch.{name}"
    x = cg.ones(2)
    assert x.type("chaingrad.DoubleTensor").dtype == cg.float64
    assert x.type("torch.LongTensor").dtype == cg.int64
    assert x.type(cg.float64).dtype == cg.float64
    with pytest.raises(ValueError):
        x.type("chaingrad.NoSuchTensor")


@pytest.mark.parametrize("lib", [cg, torch], ids=["chaingrad", "torch"])
def test_mT_needs_a_matrix_and_new_with_size(lib):
    with pytest.raises(RuntimeError, match="only supported on matrices"):
        lib.ones(3).mT
    assert tuple(lib.ones(2, 3).mT.shape) == (3, 2)
    x = lib.ones(2)
    for fn in (x.new_zeros, x.new_ones, x.new_empty):
        assert tuple(fn(size=(2, 3)).shape) == (2, 3)
        assert tuple(fn(2, 3).shape) == (2, 3) and tuple(fn((2, 3)).shape) == (2, 3)


@pytest.mark.parametrize("make", [
    lambda L: L.zeros(0, 3), lambda L: L.zeros(2, 0), lambda L: L.tensor([0.0, -float("inf")]),
    lambda L: L.tensor([1.5, float("nan")]), lambda L: L.tensor([1.0, 1e9]),
    lambda L: L.tensor([[1.0, 2.0], [float("nan"), 4.0]]), lambda L: L.arange(30.0) * 100,
    lambda L: L.tensor([1e-5, 1.0]), lambda L: L.ones(2, 5, dtype=L.float64),
    lambda L: L.ones(3, 40), lambda L: L.arange(2000.0), lambda L: L.arange(3000).reshape(30, 100),
    lambda L: (L.arange(60.0).reshape(3, 4, 5) - 30) / 7, lambda L: L.tensor([True] * 30),
    lambda L: L.arange(8000.0).reshape(20, 20, 20) / 4 - 999.5, lambda L: L.tensor(7),
    lambda L: L.tensor([[True, False], [False, False]]), lambda L: L.arange(1200.0) / 7])
def test_repr_as_pytorch(make):
    assert repr(make(cg)) == repr(make(torch)).replace("torch", "chaingrad")


@pytest.mark.parametrize("name", ["square", "sign", "abs", "relu", "reciprocal"])
def test_one_input_ops_on_bools_as_pytorch(name):
    outcomes = []
    for lib in (cg, torch):
        b = lib.tensor([True, False])
        try:
            r = getattr(b, name)()
            outcomes.append((r.tolist(), str(r.dtype).split(".")[-1]))
        except (RuntimeError, NotImplementedError) as exc:
            outcomes.append((type(exc).__name__, str(exc)))
        try:
            r2 = getattr(lib, name)(b)  # the function and the method agree
            assert (r2.tolist(), str(r2.dtype).split(".")[-1]) == outcomes[-1]
        except (RuntimeError, NotImplementedError) as exc:
            assert (type(exc).__name__, str(exc)) == outcomes[-1]
    assert outcomes[0] == outcomes[1]
