"""Round-3 API audit of the Tensor API against PyTorch: dtype promotion of //, %, ** and
shifts, step functions' zero gradient, remainder's gradient, named-tuple return types."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import chaingrad as cg

torch = pytest.importorskip("torch")


def _pair(expr, **arrays):
    """Evaluate ``expr`` with ``m`` = torch and chaingrad on the same data."""
    out = []
    for m in (torch, cg):
        env = {k: m.tensor(v) for k, v in arrays.items()}
        out.append(eval(expr, {"m": m, "np": np, **env}))  # noqa: S307 - test expressions
    return out


def _same(t, c):
    assert str(c.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(c.shape) == tuple(t.shape)
    np.testing.assert_allclose(c.detach().numpy().astype(np.float64),
                               t.detach().numpy().astype(np.float64), rtol=1e-6)


I = [1, 2, 3]
F = [1.0, 2.0, 3.0]


@pytest.mark.parametrize("expr", [
    "i // 2.5", "2.5 // i", "i % 2.5", "2.5 % i", "i // sf", "i % sf", "sf % i",
    "i32 // si", "i32 % np.int64(2)", "np.int64(2) % i32", "i32 ** np.int64(2)",
    "f // np.float64(2.5)", "f % np.float64(2.5)", "f ** np.float64(2.5)", "f ** np.int64(2)",
    "i ** np.float64(2.5)", "i ** np.float32(2)", "h ** np.float64(2.5)", "2.5 % h",
    "h // sf", "h % sd", "b ** 2", "m.pow(b, 2)", "b // 2.5",
    "i << 1", "i >> 1", "i32 << 1", "u8 >> 1", "b << 1", "1 << i", "m.reciprocal(i)",
    "m.atan2(i, f)", "m.atan2(i32, i)", "m.floor_divide(i, -2)", "m.remainder(-i, 2)",
    "m.floor(i)", "m.round(f * 1.5)", "m.trunc(-f / 2)"])
def test_binary_dtype_promotion_matches_torch(expr):
    env = dict(i=I, f=F, b=[True, False, True], si=2, sf=2.0)
    t_c = []
    for m in (torch, cg):
        e = {k: m.tensor(v) for k, v in env.items()}
        e.update(i32=m.tensor(I, dtype=m.int32), h=m.tensor(F, dtype=m.float16),
                 u8=m.tensor(I, dtype=m.uint8), sd=m.tensor(2.0, dtype=m.float64))
        t_c.append(eval(expr, {"m": m, "np": np, **e}))  # noqa: S307
    _same(*t_c)


@pytest.mark.parametrize("expr,exc", [
    ("~f", TypeError), ("f << 1", NotImplementedError), ("2 // b", RuntimeError),
    ("i % (i - i)", RuntimeError), ("b // b", NotImplementedError),
    ("m.floor(b)", NotImplementedError)])
def test_operator_errors_match_torch(expr, exc):
    for m in (torch, cg):
        env = {"f": m.tensor(F), "i": m.tensor(I), "b": m.tensor([True, False])}
        with pytest.raises(exc):
            eval(expr, {"m": m, **env})  # noqa: S307


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc"])
def test_step_functions_record_a_zero_gradient(name):
    grads = []
    for m in (torch, cg):
        x = m.tensor([1.5, -2.5, 0.2], requires_grad=True)
        y = getattr(x, name)()
        assert y.requires_grad and y.grad_fn.name() == name.capitalize() + "Backward0"
        y.sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[1], grads[0])


def test_remainder_gradient_matches_torch():
    out = []
    for m in (torch, cg):
        a = m.tensor([1.5, -2.5, 7.0, -0.3], dtype=m.float64, requires_grad=True)
        b = m.tensor([2.0, 2.0, -3.0, 0.7], dtype=m.float64, requires_grad=True)
        y = a % b
        assert y.requires_grad
        y.sum().backward()
        out.append((y.detach().numpy(), a.grad.numpy(), b.grad.numpy()))
    for c, t in zip(out[1], out[0]):
        np.testing.assert_allclose(c, t, rtol=1e-12)


def test_remainder_passes_gradcheck():
    a = cg.tensor([1.5, -2.5, 7.0], dtype=cg.float64, requires_grad=True)
    b = cg.tensor([2.0, 2.1, -3.0], dtype=cg.float64, requires_grad=True)
    assert cg.autograd.gradcheck(lambda x, y: cg.remainder(x, y), (a, b))


@pytest.mark.parametrize("expr,name", [
    ("x.max(0)", "max"), ("x.min(dim=1)", "min"), ("m.max(x, 1)", "max"),
    ("x.sort(1)", "sort"), ("m.sort(x, descending=True)", "sort"), ("x.topk(2)", "topk"),
    ("x.kthvalue(2, 1)", "kthvalue"), ("x.median(1)", "median"), ("x.mode(1)", "mode"),
    ("x.cummax(1)", "cummax"), ("m.cummin(x, 0)", "cummin"), ("m.aminmax(x, dim=0)", "aminmax"),
    ("m.tensor(3.).max(0)", "max"), ("m.tensor(3.).sort()", "sort")])
def test_return_types_are_named_like_torch(expr, name):
    t, c = _pair(expr, x=[[3, 1, 2], [0, 5, 4]])
    assert isinstance(c, tuple) and type(c).__name__ == type(t).__name__ == name
    assert c.n_fields == t.n_fields == 2 and c.n_sequence_fields == 2
    fields = ("min", "max") if name == "aminmax" else ("values", "indices")
    assert c._fields == fields
    for k, f in enumerate(fields):
        assert getattr(c, f) is c[k]
        _same(getattr(t, f), getattr(c, f))
    a, b = c  # unpacking
    assert a is c[0] and b is c[1] and len(c) == 2
    assert repr(c).startswith(f"chaingrad.return_types.{name}(\n{fields[0]}=tensor(")
    assert repr(t).startswith(f"torch.return_types.{name}(\n{fields[0]}=tensor(")


def test_return_type_is_a_plain_tuple_too():
    r = cg.tensor([[3.0, 1.0], [0.0, 5.0]]).max(1)
    assert r == (r[0], r[1]) and r + (1,) == (r[0], r[1], 1)
    assert type(r) is cg.return_types.max
    again = cg.return_types.max((r.values, r.indices))
    assert again.values is r.values
    with pytest.raises(TypeError):
        cg.return_types.max((r.values,))
    assert pickle.loads(pickle.dumps(cg.return_types.sort((1, 2)))) == (1, 2)


@pytest.mark.parametrize("dtype", ["int64", "int32", "float32", "bool"])
def test_cummax_cummin_of_every_dtype(dtype):
    data = [[3, 1, 2, 5], [0, 5, 4, 4]] if dtype != "bool" else [[True, False, True, False]]
    for op in ("cummax", "cummin"):
        t, c = _pair(f"x.to(m.{dtype}).{op}(1)", x=data)
        _same(t.values, c.values)
        _same(t.indices, c.indices)


# -- in-place dtype rules and setitem ---------------------------------------------------------
def _run(stmt, m):
    env = {"m": m, "i": m.tensor(I), "f": m.tensor(F), "b": m.tensor([True, False, True]),
           "x": m.arange(24.0).reshape(2, 3, 4)}
    exec(stmt, env)  # noqa: S102 - test statements
    return env["_r"]


@pytest.mark.parametrize("stmt", [
    "v = i[1:]; i **= 2; _r = v", "v = i[:]; i //= 2; _r = v", "v = f[:]; f %= 2; _r = v",
    "i %= 2; _r = i", "b &= b; _r = b", "b |= m.tensor([False, True, False]); _r = b",
    "b ^= True; _r = b", "i <<= 1; _r = i", "i >>= 1; _r = i", "f **= 2; _r = f",
    "i.masked_fill_(i > 1, 0.5); _r = i", "b.masked_fill_(b, 0); _r = b",
    "f[0] = m.tensor([9.]); _r = f", "x[0, 1] = m.ones(1, 1, 4); _r = x",
    "x[:, 0] = m.tensor([[1.], [2.]]); _r = x", "f[m.tensor([True, False, True])] = 0; _r = f",
    "x[x > 5] = -1; _r = x", "i[0] = 5.5; _r = i"])
def test_inplace_keeps_dtype_and_memory_as_torch(stmt):
    _same(_run(stmt, torch), _run(stmt, cg))


@pytest.mark.parametrize("stmt,exc", [
    ("i **= 0.5", RuntimeError), ("b += 1", RuntimeError), ("i += 1.5", RuntimeError),
    ("f[0] = m.tensor([1., 2.])", RuntimeError), ("x[0, 0] = m.ones(2, 4)", RuntimeError),
    ("f[m.tensor([True, False])] = 0", IndexError), ("_r = f[m.tensor([True, False])]", IndexError),
    ("_r = x[m.ones(2, 2, dtype=m.bool)]", IndexError)])
def test_inplace_and_index_errors_as_torch(stmt, exc):
    for m in (torch, cg):
        with pytest.raises(exc):
            _run(stmt + "; _r = 0", m)


# -- indexing, shape helpers --------------------------------------------------------------------
@pytest.mark.parametrize("expr", [
    "x[0, :, m.tensor([0, 1])]", "x[1, :, [3, 0, 3]]", "x[:, 0, m.tensor([0, 1])]",
    "x[m.tensor([1, 0]), :, 0]", "x[0, m.tensor([[0, 1]]), 1:]", "x[None, 1, :, m.tensor([2])]",
    "x[..., 0, m.tensor([1, 2])]", "x[[]]", "x[0, [], 1]",
    "m.hstack([y, y])", "m.vstack([y, y[0]])", "m.row_stack([y[0], y[1]])", "m.dstack([y, y])",
    "m.column_stack([y[0], y[1]])", "m.hstack([y[0], y[1]])", "m.concatenate([y, y], axis=1)",
    "m.unflatten(x, 1, (3, 1))", "y.fliplr()", "y.flipud()", "x.swapdims(0, 2)"])
def test_index_and_stack_shapes_match_torch(expr):
    t, c = _pair(expr, x=np.arange(24.0).reshape(2, 3, 4).tolist(),
                 y=np.arange(6).reshape(2, 3).tolist())
    _same(t, c)


def test_mixed_int_and_array_index_gradient_and_assignment_match_torch():
    out = []
    for m in (torch, cg):
        w = m.arange(24.0, dtype=m.float64).reshape(2, 3, 4).requires_grad_()
        h = w * 2
        h[0, :, m.tensor([0, 1])] = -m.ones(3, 2, dtype=m.float64)
        z = h[1, :, m.tensor([[0, 3]])]
        (h.sum() + (z * z).sum()).backward()
        out.append((h.detach().numpy(), z.detach().numpy(), w.grad.numpy()))
    for c, t in zip(out[1], out[0]):
        np.testing.assert_array_equal(c, t)


# -- creation, linear algebra dtypes, small functions -----------------------------------------
@pytest.mark.parametrize("expr", [
    "m.arange(end=4)", "m.arange(start=1, end=4)", "m.linspace(-1, 1, 4, dtype=m.float64)",
    "m.linspace(0, 1, 7, dtype=m.float64)", "m.linspace(3, -2, 6)", "m.linspace(0, 1, 1)",
    "m.logspace(-1, 1, 5, dtype=m.float64)", "m.logspace(0, 3, 4, base=2)",
    "m.scalar_tensor(3)", "m.scalar_tensor(3, dtype=m.int64)",
    "m.randint_like(m.zeros(2, 3), 1, 2)", "m.randint_like(m.zeros(4, dtype=m.int32), 1)",
    "m.zeros(2, 3, out=None, layout=m.strided)", "m.ones_like(m.zeros(2), device='cpu')",
    "m.zeros_like(m.zeros(2), memory_format=m.preserve_format)",
    "m.multinomial(m.tensor([0., 1., 0.]), 2)", "m.multinomial(m.tensor([[0., 0., 5.]]), 1)",
    "m.poisson(m.zeros(3))", "m.outer(m.arange(3.), m.arange(2., dtype=m.float64))",
    "m.fmax(m.tensor([1., float('nan'), 3.]), m.tensor([2., 2., float('nan')]))",
    "m.fmin(m.tensor([1., float('nan'), 3.]), m.tensor([2., 2., float('nan')]))",
    "m.inner(m.arange(6.).reshape(2, 3), m.arange(3.))", "m.kron(m.eye(2), m.arange(3.))",
    "m.tensordot(m.arange(24.).reshape(2, 3, 4), m.arange(12.).reshape(3, 4))",
    "m.tensordot(m.arange(6.).reshape(2, 3), m.arange(6.).reshape(3, 2), dims=([1], [0]))",
    "m.mv(m.eye(2), m.ones(2))", "m.vdot(m.ones(3), m.arange(3.))", "m.rsub(m.ones(2), 5)",
    "m.nanmedian(m.tensor([[1., float('nan'), 0., 2.], [2., 3., float('nan'), float('nan')]]), 1)",
    "m.nanmedian(m.tensor([1., float('nan'), 0., 2.]))", "m.msort(m.tensor([[3, 1], [0, 5]]))",
    "m.take_along_dim(m.tensor([[3, 1, 2], [0, 5, 4]]), m.tensor([[0], [2]]), 1)",
    "m.isposinf(m.tensor([float('inf'), -float('inf')]))", "m.ones(2).greater_equal(1)",
    "m.ones(2).less(2)", "m.ones(2).not_equal(1)", "m.absolute(-m.ones(2))"])
def test_creation_and_helpers_match_torch(expr):
    for m in (torch, cg):
        m.manual_seed(0)
    t = eval(expr, {"m": torch})  # noqa: S307
    c = eval(expr, {"m": cg, "np": np})  # noqa: S307
    if isinstance(t, tuple):
        for a, b in zip(t, c):
            _same(a, b)
    else:
        _same(t, c)


@pytest.mark.parametrize("expr,exc", [
    ("m.ones(2, 2) @ m.ones(2, 2, dtype=m.int64)", RuntimeError),
    ("m.ones(2, 2, dtype=m.int64).mm(m.ones(2, 2))", RuntimeError),
    ("m.ones(2, 2) @ m.ones(2, 2, dtype=m.float64)", RuntimeError),
    ("m.multinomial(m.tensor([1, 1]), 1)", RuntimeError),
    ("m.multinomial(m.tensor([1., 1.]), 3)", RuntimeError),
    ("m.multinomial(m.tensor([-1., 1.]), 1)", RuntimeError),
    ("m.multinomial(m.tensor([0., 0.]), 1)", RuntimeError),
    ("m.tensor(2 ** 63)", ValueError), ("m.isclose(m.ones(3), m.ones(2))", RuntimeError),
    ("m.is_nonzero(m.ones(2))", RuntimeError)])
def test_creation_and_linalg_errors_match_torch(expr, exc):
    for m in (torch, cg):
        with pytest.raises(exc):
            eval(expr, {"m": m})  # noqa: S307


def test_matmul_dtype_error_names_the_c_types():
    with pytest.raises(RuntimeError, match="float != long int"):
        cg.ones(2, 2) @ cg.ones(2, 2, dtype=cg.int64)


def test_multinomial_without_replacement_follows_the_sequential_law():
    cg.manual_seed(0)
    x = cg.multinomial(cg.tensor([[1.0, 2.0, 3.0, 4.0]] * 4000), 2)
    first = np.bincount(x[:, 0].numpy(), minlength=4) / 4000
    np.testing.assert_allclose(first, [0.1, 0.2, 0.3, 0.4], atol=0.03)
    assert (x[:, 0] != x[:, 1]).all()


def test_comparison_with_a_string_is_false():
    f = cg.ones(2)
    assert (f == "a") is False and (f != "a") is True


# -- NumPy keyword spellings, format, quantile and friends --------------------------------------
@pytest.mark.parametrize("expr", [
    "x.sum(axis=0)", "x.mean(axis=1, keepdims=True)", "x.max(axis=0).values", "x.argmax(axis=1)",
    "x.cumsum(axis=0)", "m.sum(x, axis=(0, 2))", "m.cat([x, x], axis=1)", "m.amax(x, axis=-1)",
    "x.std(axis=0)", "m.stack([x, x], axis=1)",
    "m.round(x / 7, decimals=2)", "(x / 7).round(decimals=1)", "m.repeat_interleave(m.tensor([1, 2]))",
    "m.isin(m.tensor([1, 2, 3]), m.tensor([2]))", "m.isin(m.tensor([1, 2]), m.tensor([2]), invert=True)",
    "m.block_diag(m.tensor(2.), m.tensor([1., 2.]), m.ones(2, 1))",
    "m.quantile(v, 0.3)", "m.quantile(x, q)", "m.quantile(x, q, dim=1)",
    "m.quantile(x, 0.5, dim=-1, keepdim=True)", "m.quantile(x, q, 0, True)",
    "m.quantile(x, q, keepdim=True)", "x.quantile(q, dim=2, interpolation='lower')",
    "m.quantile(x, q, 1, interpolation='higher')", "m.quantile(x, q, 1, interpolation='midpoint')",
    "m.quantile(v, m.tensor([0.5, 0.25], dtype=m.float64), interpolation='nearest')",
    "m.nanquantile(m.tensor([1., float('nan'), 3.]), 0.5)"])
def test_numpy_keywords_and_statistics_match_torch(expr):
    out = []
    for m in (torch, cg):
        env = {"m": m, "x": (m.arange(24.0, dtype=m.float64).reshape(2, 3, 4) ** 1.5),
               "v": m.tensor([3.0, 1.0, 2.0, 7.0], dtype=m.float64),
               "q": m.tensor([0.1, 0.5, 0.9], dtype=m.float64)}
        out.append(eval(expr, env))  # noqa: S307
    _same(*out)


def test_quantile_gradient_matches_torch():
    grads = []
    for m in (torch, cg):
        x = (m.arange(12.0, dtype=m.float64).reshape(3, 4) ** 1.5).requires_grad_()
        m.quantile(x, m.tensor([0.2, 0.7], dtype=m.float64), dim=1).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


@pytest.mark.parametrize("spec", [".4f", ".2e", "", "8.3f", "d"])
def test_format_of_a_0d_tensor_is_its_number(spec):
    v = 3 if spec == "d" else 2.5
    assert format(cg.tensor(v), spec) == format(torch.tensor(v), spec)
    assert f"{cg.tensor([1.0, 2.0])}" == str(cg.tensor([1.0, 2.0]))


@pytest.mark.parametrize("expr", [
    "s.gather(0, m.tensor(0))", "s.movedim(0, 0)", "s.movedim(-1, 0)", "s.cummax(0)",
    "y.flip(0, 1)", "y.flip(1)", "y.flip((0,))", "y.adjoint()", "y.unique()",
    "m.tensor([3, 1, 3]).unique(return_counts=True)",
    "m.tensor([1, 1, 2, 1]).unique_consecutive()"])
def test_small_methods_match_torch(expr):
    out = []
    for m in (torch, cg):
        out.append(eval(expr, {"m": m, "s": m.tensor(2.0), "y": m.arange(6).reshape(2, 3)}))  # noqa: S307
    t, c = out
    for a, b in (zip(t, c) if isinstance(t, tuple) else [(t, c)]):
        _same(a, b)


@pytest.mark.parametrize("expr", [
    "y.repeat(-1, 1)", "y.tile(-1, 1)", "s.narrow(0, 0, 1)", "s.split(1)", "s.chunk(1)",
    "y.flip(0, 0)", "s.gather(0, m.tensor(1))"])
def test_shape_errors_are_runtime_errors(expr):
    for m in (torch, cg):
        with pytest.raises(RuntimeError):
            eval(expr, {"m": m, "s": m.tensor(2.0), "y": m.arange(6).reshape(2, 3)})  # noqa: S307


@pytest.mark.parametrize("expr", [
    "2 ** x", "x.prod(0)", "x.prod()", "x.cumprod(1)", "x.index_select(1, m.tensor([0, 2]))",
    "x.roll(1, 0)", "x.masked_fill(x > 2, 0.)", "m.outer(x[0], x[1])", "x.sort(1)[0]",
    "m.sort(x)[0]", "x.topk(2)[0]", "x.kthvalue(2, 1)[0]", "x.median()", "x.median(1)[0]",
    "x.cummax(1)[0]", "m.cummin(x, 0)[0]", "x.lerp(x.flip(0), 0.3)",
    "x.lerp(x.flip(0), m.full_like(x, 0.3))", "x.unfold(1, 2, 1)", "x.diagonal()", "x.trace()",
    "x.tril()", "x.triu(1)", "x.fmax(x.flip(0))", "m.atan2(x, x + 1)", "x.addcmul(x, x)",
    "m.addcdiv(x, x, x + 1, value=2)", "x.nan_to_num()", "x.xlogy(x)", "x.hypot(x)",
    "x % 2", "x.floor()", "x.round()"])
def test_node_names_and_gradients_match_torch(expr):
    res = []
    for m in (torch, cg):
        x = m.tensor([[1.0, 2.0, 3.0], [4.0, 0.5, 6.0]], dtype=m.float64, requires_grad=True)
        y = eval(expr, {"m": m, "x": x})  # noqa: S307
        (y * 0.7).sum().backward()
        res.append((y.grad_fn.name(), y.detach().numpy(), x.grad.numpy()))
    assert res[1][0] == res[0][0]
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-12)
    np.testing.assert_allclose(res[1][2], res[0][2], rtol=1e-12)


@pytest.mark.parametrize("expr", [
    "n.median(1)", "n.median()", "n.median(0, keepdim=True)", "m.median(n, 1)",
    "i.bincount()", "i.bincount(minlength=10)", "i.bincount(weights=m.ones(4, dtype=m.float64))",
    "i.float().histc(4, 0, 8)", "e.median()"])
def test_median_nan_and_counting_methods_match_torch(expr):
    out = []
    for m in (torch, cg):
        env = {"m": m, "n": m.tensor([[1.0, float("nan"), 3.0], [2.0, 2.0, 0.0]]),
               "i": m.tensor([5, 2, 7, 2]), "e": m.zeros(2, 0)}
        out.append(eval(expr, env))  # noqa: S307
    t, c = out
    for a, b in (zip(t, c) if isinstance(t, tuple) else [(t, c)]):
        assert str(b.dtype).split(".")[-1] == str(a.dtype).split(".")[-1]
        np.testing.assert_array_equal(b.numpy(), a.numpy())


@pytest.mark.parametrize("expr", ["e.kthvalue(1, 1)", "e.mode(1)", "e.median(1)"])
def test_reducing_an_empty_dim_raises_index_error(expr):
    for m in (torch, cg):
        with pytest.raises(IndexError):
            eval(expr, {"e": m.zeros(2, 0)})  # noqa: S307


@pytest.mark.parametrize("expr", [
    "x.subtract(1)", "x.aminmax()", "x.aminmax(dim=1)", "x.argwhere()", "x.broadcast_to((2, 2, 3))",
    "v.dist(w)", "x.rot90()", "x.nanquantile(0.5)", "p.multinomial(1)", "p.bernoulli()",
    "v.vdot(w)", "v.ger(w)", "x.diagflat()", "v.cross(w, dim=0)", "m.cross(v[None], w[None], dim=1)",
    "x.split_with_sizes([1, 2], 1)", "x.narrow_copy(1, 0, 2)", "x.new(2, 3).zero_()", "x.new([1, 2])",
    "x.new()"])
def test_alias_methods_match_torch(expr):
    out = []
    for m in (torch, cg):
        env = {"m": m, "x": m.arange(6.0).reshape(2, 3), "v": m.tensor([1.0, 2.0, 3.0]),
               "w": m.tensor([0.0, 1.0, -1.0]), "p": m.tensor([0.0, 1.0, 0.0])}
        out.append(eval(expr, env))  # noqa: S307
    t, c = out
    for a, b in (zip(t, c) if isinstance(t, tuple) else [(t, c)]):
        _same(a, b)


@pytest.mark.parametrize("stmt", [
    "v.subtract_(1)", "v.eq_(2)", "v.gt_(1.5)", "v.le_(m.tensor(2.))", "v.clip_(0, 2)",
    "v.true_divide_(2)", "v.multiply_(3)", "v.fix_()"])
def test_inplace_aliases_match_torch(stmt):
    out = []
    for m in (torch, cg):
        v = m.tensor([1.0, 2.0, 3.0])
        r = eval(stmt, {"m": m, "v": v})  # noqa: S307
        assert r is v
        out.append(v)
    _same(*out)


@pytest.mark.parametrize("expr", [
    "m.cov(x)", "m.cov(x, correction=0)", "m.cov(x[0])", "m.cov(x, fweights=m.tensor([1, 2, 1]))",
    "m.cov(x, fweights=m.tensor([1, 2, 1]), aweights=m.tensor([0.5, 1., 2.], dtype=m.float64))",
    "m.corrcoef(x)", "m.histogram(v, 3)", "m.histogram(v, 4, range=(0., 4.))",
    "m.histogram(v, m.tensor([0., 1.5, 4.]))", "m.unravel_index(i, (2, 4))", "m.diag_embed(v)",
    "m.diag_embed(x)", "m.diag_embed(v, -1)", "m.diag_embed(x, 0, 0, 2)", "m.vander(v)",
    "m.vander(v, N=2, increasing=True)", "m.trapezoid(x, dim=0)",
    "m.trapezoid(v, m.tensor([0., 1., 3.]))", "m.trapezoid(v, dx=2.)",
    "m.addr(m.ones(3, 3), v, v, beta=2, alpha=0.5)", "m.asarray(np.arange(3.))",
    "m.relu_(m.tensor([-1., 2.]))", "m.clamp_(m.tensor([-1., 2.]), 0, 1)",
    "m.fill_(m.tensor([-1., 2.]), 3)"])
def test_round3_functions_match_torch(expr):
    out = []
    for m in (torch, cg):
        env = {"m": m, "np": np, "v": m.tensor([1.0, 2.0, 3.0]), "i": m.tensor([0, 5, 7]),
               "x": m.tensor([[0.0, 1.0, 2.5], [2.0, 1.0, 0.3], [1.0, 5.0, 2.0]],
                             dtype=m.float64)}
        out.append(eval(expr, env))  # noqa: S307
    t, c = out
    if isinstance(t, tuple):
        assert type(c).__name__ == type(t).__name__
    for a, b in (zip(t, c) if isinstance(t, tuple) else [(t, c)]):
        _same(a, b)


def test_cov_gradient_matches_torch():
    grads = []
    for m in (torch, cg):
        x = m.tensor([[0.0, 1.0, 2.5], [2.0, 1.0, 0.3]], dtype=m.float64, requires_grad=True)
        (m.cov(x) ** 2).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


@pytest.mark.parametrize("expr", [
    "m.clamp(i, min=i)", "m.clamp(i, min=f)", "m.clamp(i, si)", "m.clamp(i, sd)",
    "m.clamp(i32, max=si)", "m.clamp(f, min=d)", "m.clamp(h, min=f)", "m.clamp(b, min=i)",
    "m.clamp(i32, min=i)", "i.clamp(max=m.tensor(2))", "i.masked_fill(b, 2.5)",
    "i32.masked_fill(b, m.tensor(2.5, dtype=m.float64))", "b.masked_fill(b, 2.5)",
    "f.masked_fill(b, m.tensor(7))"])
def test_clamp_with_tensor_bounds_and_masked_fill_dtypes_match_torch(expr):
    out = []
    for m in (torch, cg):
        env = {"m": m, "i": m.tensor([1, 2, 3]), "f": m.tensor([1.0, 2.0, 3.0]),
               "d": m.tensor([1.5, 2.0, 3.5], dtype=m.float64), "b": m.tensor([True, False, True]),
               "h": m.tensor([1.0, 2.0, 3.0], dtype=m.float16), "si": m.tensor(2),
               "sd": m.tensor(2.0, dtype=m.float64), "i32": m.tensor([1, 2, 3], dtype=m.int32)}
        out.append(eval(expr, env))  # noqa: S307
    _same(*out)


def test_clamp_tensor_bound_gradient_and_name_match_torch():
    res = []
    for m in (torch, cg):
        x = m.tensor([1.0, 2.0, 3.0, 4.0], dtype=m.float64, requires_grad=True)
        lo = m.tensor([2.0, 2.0, 0.0, 5.0], dtype=m.float64, requires_grad=True)
        y = m.clamp(x, min=lo, max=m.tensor(3.5, dtype=m.float64))
        y.sum().backward()
        res.append((y.grad_fn.name(), x.grad.numpy(), lo.grad.numpy()))
    assert res[1][0] == res[0][0]
    np.testing.assert_array_equal(res[1][1], res[0][1])
    np.testing.assert_array_equal(res[1][2], res[0][2])


@pytest.mark.parametrize("expr", [
    "m.tensor([m.tensor([1.]), m.tensor([2.])])", "m.tensor([[m.tensor(1.), 2], [3, 4]])",
    "m.tensor([m.tensor(1, dtype=m.int32), m.tensor(2, dtype=m.int32)])",
    "m.tensor([m.tensor(1.5, dtype=m.float64)])", "m.full((2,), np.float64(1.5))",
    "m.full((2,), np.int32(3))", "m.eye(2, m=3)", "m.randperm(0)"])
def test_creation_from_tensors_and_numpy_scalars_matches_torch(expr):
    _same(*(eval(expr, {"m": m, "np": np}) for m in (torch, cg)))  # noqa: S307


@pytest.mark.parametrize("expr,exc", [
    ("m.tensor([m.tensor([1., 2.]), m.tensor([3., 4.])])", ValueError),
    ("m.tensor([1, None])", RuntimeError), ("m.tensor(object())", RuntimeError),
    ("m.randint(3, (2,), requires_grad=True)", RuntimeError), ("m.randperm(-1)", RuntimeError),
    ("m.eye(-1)", RuntimeError), ("m.eye(2, -1)", RuntimeError)])
def test_creation_errors_match_torch(expr, exc):
    for m in (torch, cg):
        with pytest.raises(exc):
            eval(expr, {"m": m})  # noqa: S307


@pytest.mark.parametrize("expr,exc", [
    ("m.cat(x)", TypeError), ("m.stack(x)", TypeError), ("m.cat([x, 1])", TypeError),
    ("x.reshape(-2)", RuntimeError), ("x.view(2, -3)", RuntimeError)])
def test_cat_stack_reshape_argument_errors_match_torch(expr, exc):
    for m in (torch, cg):
        with pytest.raises(exc):
            eval(expr, {"m": m, "x": m.arange(6.0).reshape(2, 3)})  # noqa: S307


@pytest.mark.parametrize("expr", [
    "m.tensor([1], dtype=m.uint8) + 300", "m.tensor([1], dtype=m.int8) * 1000",
    "m.tensor([5], dtype=m.uint8) - 300", "m.tensor([1, 2], dtype=m.int8) + m.tensor([1], dtype=m.uint8)"])
def test_small_integer_overflow_wraps_as_torch(expr):
    _same(*(eval(expr, {"m": m}) for m in (torch, cg)))  # noqa: S307


@pytest.mark.parametrize("dt", ["float16", "float32", "float64"])
def test_finfo_resolution_is_a_power_of_ten(dt):
    assert cg.finfo(getattr(cg, dt)).resolution == torch.finfo(getattr(torch, dt)).resolution


@pytest.mark.parametrize("expr", [
    "m.add(x, other=2, alpha=2)", "m.mul(input=x, other=3)", "m.where(x > 1, input=x, other=0.)",
    "m.maximum(x, other=m.tensor(1.))", "m.pow(x, exponent=2)", "m.clamp(input=x, min=1)",
    "m.div(x, other=2, rounding_mode='floor')", "m.sub(x, other=1)",
    "m.remainder(x, other=2)", "m.floor_divide(input=x, other=2)", "m.sum(input=x)",
    "m.mean(input=x, dim=0)", "m.argmax(input=x)", "m.cumsum(input=x, dim=0)",
    "x.outer(vec2=x)", "x.tile(dims=(2,))", "x.flip(dims=(0,))", "x.flip(dims=[0])",
    "x.reshape(3, 1).permute(dims=(1, 0))", "x.view(size=(3, 1))", "x.reshape(shape=(1, 3))",
    "x.expand(size=(2, 3))", "x.repeat(repeats=(2,))", "x.view(dtype=m.int32)"])
def test_functions_take_torch_keyword_names(expr):
    _same(*(eval(expr, {"m": m, "x": m.arange(3.0)}) for m in (torch, cg)))  # noqa: S307
