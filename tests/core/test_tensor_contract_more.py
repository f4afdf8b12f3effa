"""Tensor behaviours matched to PyTorch 2.13 (found by the API audit): methods, operators,
dtypes and error types."""
import numpy as np
import pytest
import torch

import chaingrad as cg


def _same(fn):
    """fn(lib) in both libraries: equal values and dtypes, or the same exception type."""
    out = []
    for lib in (cg, torch):
        try:
            r = fn(lib)
            out.append(("ok", np.asarray(r.detach().numpy() if hasattr(r, "detach") else r)))
        except Exception as exc:  # noqa: BLE001 - the type is what is compared
            out.append((type(exc).__name__, None))
    assert out[0][0] == out[1][0], out
    if out[0][0] == "ok":
        np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-6)
        assert out[0][1].dtype == out[1][1].dtype, (out[0][1].dtype, out[1][1].dtype)


CASES = {
    "softmax dtype": lambda L: L.tensor([1.0, 2.0]).softmax(0, dtype=L.float64),
    "log_softmax dtype": lambda L: L.tensor([1.0, 2.0]).log_softmax(0, dtype=L.float64),
    "cumsum dtype": lambda L: L.tensor([1, 2, 3]).cumsum(0, dtype=L.float32),
    "clamp_min": lambda L: L.tensor([1.0, -2.0]).clamp_min(0.5),
    "clamp_max": lambda L: L.tensor([1.0, -2.0]).clamp_max(0.5),
    "type_as": lambda L: L.tensor([1, 2]).type_as(L.tensor([1.0])),
    "masked_fill_": lambda L: L.zeros(3).masked_fill_(L.tensor([True, False, True]), 2.0),
    "cg.masked_fill": lambda L: L.masked_fill(L.zeros(2), L.tensor([True, False]), 1.0),
    "view dtype": lambda L: L.tensor([1.0, 2.0]).view(L.int32),
    "view same dtype": lambda L: L.tensor([1.0, 2.0]).view(L.float32),
    "dot 2-D": lambda L: L.ones(2, 2).dot(L.ones(2, 2)),
    "cg.dot": lambda L: L.dot(L.tensor([1.0, 2.0]), L.tensor([3.0, 4.0])),
    "negative step": lambda L: L.arange(4)[::-1],
    "negative step in tuple": lambda L: L.ones(2, 3)[:, ::-2],
    "int or": lambda L: L.tensor([1, 2]) | L.tensor([4, 4]),
    "int and": lambda L: L.tensor([3, 6]) & L.tensor([1, 4]),
    "int xor": lambda L: L.tensor([3, 6]) ^ 5,
    "int invert": lambda L: ~L.tensor([0, 5]),
    "bool or": lambda L: L.tensor([True, False]) | L.tensor([False, False]),
    "bool invert": lambda L: ~L.tensor([True, False]),
    "float and": lambda L: L.tensor([1.0]) & L.tensor([1.0]),
    "clamp int with float bounds": lambda L: L.tensor([1, 5]).clamp(2.5, 3),
    "int to negative int power": lambda L: L.tensor([1, 2]) ** -1,
    "negate bool": lambda L: -L.tensor([True]),
    "sign of nan": lambda L: L.tensor([float("nan"), -2.0, 0.0, 3.0]).sign(),
    "float16 sigmoid": lambda L: L.tensor([0.1, 2.0, -3.0], dtype=L.float16).sigmoid(),
    "initial_seed is an int": lambda L: np.int64(isinstance(L.initial_seed(), int)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch(name):
    _same(CASES[name])


def test_pow_gradient_at_zero_base_and_zero_exponent():
    grads = []
    for L in (cg, torch):
        x = L.tensor([0.0, 1.0, 2.0], requires_grad=True)
        y = L.tensor([0.0, 2.0, 0.0], requires_grad=True)
        (x ** y).sum().backward()
        grads.append((x.grad.numpy(), y.grad.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0])
    np.testing.assert_allclose(grads[0][1], grads[1][1])


@pytest.mark.parametrize("value", [1.5, [1.5, 2.0], [1.0, 2.0], [1e-8, 2.0], [1e9, 2.0],
                                   [[1.5, -2.25], [3.0, float("nan")]], [0.0, 0.0],
                                   [float("inf"), 1.5], [[0.1234567, 100.5]]])
def test_repr_prints_floats_as_pytorch(value):
    assert repr(cg.tensor(value)) == repr(torch.tensor(value))


def test_view_dtype_shares_memory():
    t = cg.tensor([1.0, 2.0])
    v = t.view(cg.int32)
    t.mul_(2)
    assert v.tolist() == cg.tensor([2.0, 4.0]).view(cg.int32).tolist()


@pytest.mark.parametrize("expr", [
    "L.log(L.tensor([0.0, -1.0]))", "L.log2(L.tensor([0.0]))", "L.log10(L.tensor([0.0]))",
    "L.log1p(L.tensor([-1.0, -2.0]))", "L.sqrt(L.tensor([-1.0]))", "L.rsqrt(L.tensor([0.0, -1.0]))",
    "L.reciprocal(L.tensor([0.0]))", "L.exp(L.tensor([1000.0]))", "L.tensor([1.0, 0.0]) / 0",
    "L.tensor([0.0]) ** -1.0", "L.tensor([-1.0]) ** 0.5", "L.tensor([0.0]) ** L.tensor([-1.0])",
    "L.asin(L.tensor([2.0]))", "L.atanh(L.tensor([1.0]))"])
def test_values_that_are_inf_or_nan_by_definition_come_without_warnings(expr):
    import warnings
    values = []
    for L in (cg, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a NumPy RuntimeWarning would fail here
            values.append(np.asarray(eval(expr).numpy(), dtype=np.float64))
    np.testing.assert_array_equal(values[0], values[1])
