"""Shape ops, indexing, cat/stack/split/chunk/gather/pad against PyTorch."""
import numpy as np
import pytest
import torch

import chaingrad as cg
from tests.oracle import check_op, LAYOUTS

SHAPE_OPS = {
    "reshape": (lambda t: t.reshape(4, 6), None),
    "reshape_tuple_neg": (lambda t: t.reshape((-1, 3)), None),
    "view": (lambda t: t.view(2, 12), None),
    "flatten": (lambda t: t.flatten(), None),
    "flatten_1_2": (lambda t: t.flatten(1, 2), None),
    "flatten_fn": (lambda t: (cg if isinstance(t, cg.Tensor) else torch).flatten(t, 0, 1), None),
    "squeeze_none": (lambda t: t.reshape(2, 1, 3, 4).squeeze(), None),
    "squeeze_dim": (lambda t: t.reshape(2, 1, 3, 4).squeeze(1), None),
    "squeeze_nonone": (lambda t: t.squeeze(0), None),
    "unsqueeze": (lambda t: t.unsqueeze(1), None),
    "unsqueeze_neg": (lambda t: t.unsqueeze(-1), None),
    "transpose": (lambda t: t.transpose(0, 2), None),
    "transpose_neg": (lambda t: t.transpose(-1, -2), None),
    "permute": (lambda t: t.permute(2, 0, 1), None),
    "permute_tuple": (lambda t: t.permute((1, 2, 0)), None),
    "T2d": (lambda t: t.reshape(6, 4).T, None),
    "expand": (lambda t: t[:, :1].expand(3, 2, 5, 4), None),
    "expand_neg": (lambda t: t[:1].expand(3, -1, -1), None),
    "repeat": (lambda t: t.repeat(2, 1, 3), None),
    "repeat_lead": (lambda t: t.repeat(2, 1, 1, 2), None),
    "contiguous": (lambda t: t.transpose(0, 1).contiguous(), None),
    "clone": (lambda t: t.clone(), None),
    "flip": (lambda t: t.flip(0), None),
    "narrow": (lambda t: t.narrow(2, 1, 2), None),
    "split_int": (lambda t: t.split(2, dim=2), None),
    "split_sizes": (lambda t: t.split([1, 2], dim=1), None),
    "chunk": (lambda t: t.chunk(3, dim=2), None),
    "chunk_uneven": (lambda t: t.chunk(3, dim=1), None),
    "unbind": (lambda t: t.unbind(1), None),
    "index_select": (lambda t: t.index_select(2, (cg if isinstance(t, cg.Tensor) else torch).tensor([3, 0, 3])), None),
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_op_float64(name, rng):
    f = SHAPE_OPS[name][0]
    check_op(f, f, [rng.standard_normal((2, 3, 4))])


@pytest.mark.parametrize("layout", LAYOUTS[1:])
@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_op_float32_noncontiguous(name, layout, rng):
    if name == "view" and layout == "transposed":
        return  # both refuse: test_view_that_needs_a_copy_is_refused_like_pytorch
    f = SHAPE_OPS[name][0]
    check_op(f, f, [rng.standard_normal((2, 3, 4))], dtype=np.float32, layout=layout)


def test_view_that_needs_a_copy_is_refused_like_pytorch():
    for L in (cg, torch):
        x = L.arange(24, dtype=L.float64).reshape(2, 3, 4).transpose(0, 2)
        with pytest.raises(RuntimeError, match="view size is not compatible"):
            x.view(2, 12)
        assert tuple(x.view(4, 3, 2).shape) == (4, 3, 2)  # its own shape: no copy
        assert tuple(x.reshape(2, 12).shape) == (2, 12)  # reshape copies instead
        y = L.arange(6, dtype=L.float64).reshape(2, 3).t()
        assert tuple(y.view(3, 1, 2).shape) == (3, 1, 2)  # splitting a dim needs no copy
        with pytest.raises(RuntimeError):
            y.view(6)


def test_shape_ops_on_0d_and_empty(rng):
    x0 = np.array(2.5)
    for f in [lambda t: t.reshape(1, 1), lambda t: t.flatten(), lambda t: t.unsqueeze(0),
              lambda t: t.squeeze(), lambda t: t.expand(3, 2), lambda t: t.view(-1),
              lambda t: t.repeat(2, 3), lambda t: t.reshape(())]:
        check_op(f, f, [x0], gradgradcheck=False)
    e = np.zeros((0, 3))
    for f in [lambda t: t.reshape(3, 0), lambda t: t.T, lambda t: t.flatten(),
              lambda t: t.unsqueeze(1), lambda t: t.repeat(2, 2), lambda t: t.split(1, 1),
              lambda t: t.expand(2, 0, 3)]:
        check_op(f, f, [e])


INDEXES = {
    "int": lambda lib: 1,
    "neg_int": lambda lib: -1,
    "slice": lambda lib: slice(1, None),
    "step_slice": lambda lib: (slice(None), slice(None, None, 2)),
    "neg_slice": lambda lib: (slice(None, -1), slice(-3, None)),
    "ellipsis": lambda lib: (Ellipsis, 1),
    "none": lambda lib: (None, 0, None, slice(1, 3)),
    "ellipsis_none": lambda lib: (0, Ellipsis, None),
    "int_list": lambda lib: [0, 1, 0],
    "int_array": lambda lib: np.array([[1, 0], [1, 1]]),
    "int_tensor_repeats": lambda lib: lib.tensor([1, 1, 0, 1]),
    "two_int_tensors": lambda lib: (lib.tensor([0, 1, 1]), slice(None), lib.tensor([3, 3, 0])),
    "tensor_then_slice": lambda lib: (slice(None), lib.tensor([2, 0, 2])),
    "bool_mask_full": lambda lib: lib.tensor(np.arange(24).reshape(2, 3, 4) % 3 == 0),
    "bool_mask_rows": lambda lib: lib.tensor([True, False]),
    "bool_mask_mid": lambda lib: (slice(None), lib.tensor([True, False, True])),
    "scalar_int_tensor": lambda lib: lib.tensor(1),
    "mixed": lambda lib: (1, lib.tensor([0, 2, 2]), slice(0, 3)),
}


@pytest.mark.parametrize("name", sorted(INDEXES))
def test_indexing(name, rng):
    x = rng.standard_normal((2, 3, 4))

    def f_cg(t):
        return t[INDEXES[name](cg)]

    def f_th(t):
        return t[INDEXES[name](torch)]
    check_op(f_cg, f_th, [x])
    check_op(f_cg, f_th, [x], dtype=np.float32, layout="transposed")


def test_repeated_index_gradient_accumulates():
    x = cg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[cg.tensor([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_index_errors():
    x = cg.zeros(2, 3)
    with pytest.raises(IndexError):
        x[2]
    with pytest.raises(IndexError):
        x[0, 0, 0]
    with pytest.raises(IndexError):
        x[cg.tensor([0.5])]


def test_cat_stack(rng):
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((4, 3)), rng.standard_normal((1, 3))
    check_op(lambda *t: cg.cat(t), lambda *t: torch.cat(t), [a, b, c])
    check_op(lambda *t: cg.cat(t, dim=-1), lambda *t: torch.cat(t, dim=-1),
             [a, rng.standard_normal((2, 5))], dtype=np.float32, layout="transposed")
    check_op(lambda *t: cg.cat([t[0], t[1]], 0), lambda *t: torch.cat([t[0], t[1]], 0),
             [a, np.zeros((0,))], gradgradcheck=False)
    for d in [0, 1, 2, -1]:
        check_op(lambda *t: cg.stack(t, d), lambda *t: torch.stack(t, d),
                 [a, rng.standard_normal((2, 3))], gradgradcheck=d == 1)
    check_op(lambda *t: cg.stack(t), lambda *t: torch.stack(t), [np.array(1.0), np.array(2.0)])


def test_cat_dtype_promotion_and_errors():
    got = cg.cat([cg.ones(2), cg.ones(2, dtype=cg.float64)])
    assert got.dtype == cg.float64
    assert torch.cat([torch.ones(2), torch.ones(2, dtype=torch.float64)]).dtype == torch.float64
    with pytest.raises(RuntimeError, match="cat"):
        cg.cat([cg.ones(2, 3), cg.ones(3, 2)])
    with pytest.raises(RuntimeError):
        cg.stack([cg.ones(2), cg.ones(3)])


def test_gather(rng):
    x = rng.standard_normal((3, 4))
    idx0 = np.array([[0, 2, 1, 2], [1, 1, 0, 2]])
    idx1 = np.array([[3, 3], [0, 1], [2, 2]])
    check_op(lambda t, i: t.gather(0, i), lambda t, i: t.gather(0, i), [x, idx0])
    check_op(lambda t, i: cg.gather(t, 1, i), lambda t, i: torch.gather(t, 1, i), [x, idx1],
             dtype=np.float32, layout="transposed")
    check_op(lambda t, i: t.gather(-1, i), lambda t, i: t.gather(-1, i), [x, idx1[:2]])


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad(mode, rng):
    F = pytest.importorskip("chaingrad.nn.functional")
    for pad in [(1, 2), (1, 0, 2, 1)]:
        x = rng.standard_normal((1, 2, 5) if len(pad) == 2 else (1, 2, 4, 5))
        check_op(lambda t: F.pad(t, pad, mode=mode), lambda t: torch.nn.functional.pad(t, pad, mode=mode),
                 [x], gradgradcheck=pad == (1, 2))
    if mode == "constant":
        check_op(lambda t: F.pad(t, (1, 1, 0, 2), value=3.5),
                 lambda t: torch.nn.functional.pad(t, (1, 1, 0, 2), value=3.5), [x])
        check_op(lambda t: F.pad(t, (-1, 2)), lambda t: torch.nn.functional.pad(t, (-1, 2)), [x])
        check_op(lambda t: cg.nn.functional.pad(t, (2, 2, 1, 1, 1, 0)),
                 lambda t: torch.nn.functional.pad(t, (2, 2, 1, 1, 1, 0)), [x], dtype=np.float32,
                 layout="sliced")


def test_reshape_errors_and_view_semantics():
    x = cg.arange(6)
    with pytest.raises(RuntimeError, match="invalid"):
        x.reshape(4, 2)
    with pytest.raises(RuntimeError):
        x.expand(3, 2)
    with pytest.raises(RuntimeError):
        x.reshape(2, 3).permute(0, 0)
    assert x.reshape(2, 3).flatten().tolist() == list(range(6))
    assert x.view(-1, 3).shape == (2, 3)


def test_split_chunk_counts():
    for lib in (cg, torch):
        x = lib.arange(10)
        assert [len(p) for p in x.split(3)] == [3, 3, 3, 1]
        assert [len(p) for p in x.chunk(4)] == [3, 3, 3, 1]
        assert [len(p) for p in x.chunk(3)] == [4, 4, 2]
        assert [len(p) for p in lib.arange(6).chunk(4)] == [2, 2, 2]


def test_cat_of_zero_dim_refused():
    with pytest.raises(RuntimeError, match="zero-dimensional"):
        cg.cat([cg.tensor(1.0), cg.tensor(2.0)])
    with pytest.raises(RuntimeError, match="zero-dimensional"):
        torch.cat([torch.tensor(1.0), torch.tensor(2.0)])
