"""Errors that help (issue 2, item 5): each message names what went wrong and the way out."""
import numpy as np
import pytest
import torch

import chaingrad as cg


@pytest.mark.parametrize("op,name", [(lambda a, b: a + b, "add"), (lambda a, b: a * b, "mul"),
                                     (lambda a, b: a - b, "sub"), (lambda a, b: a / b, "div"),
                                     (cg.maximum, "maximum"), (lambda a, b: a ** b, "pow")])
def test_broadcast_error_names_op_and_both_shapes(op, name):
    a, b = cg.ones(2, 3), cg.ones(4, 3)
    with pytest.raises(RuntimeError) as info:
        op(a, b)
    msg = str(info.value)
    assert name in msg and "(2, 3)" in msg and "(4, 3)" in msg
    if name != "maximum":
        with pytest.raises(RuntimeError):
            op(torch.ones(2, 3), torch.ones(4, 3))


def test_broadcast_error_1d_and_where():
    with pytest.raises(RuntimeError, match=r"add.*\(3,\).*\(4,\)"):
        cg.ones(3) + cg.ones(4)
    with pytest.raises(RuntimeError, match=r"where.*\(2, 3\).*\(4, 3\)"):
        cg.where(cg.ones(2, 3) > 0, cg.ones(2, 3), cg.ones(4, 3))


@pytest.mark.parametrize("sa,sb", [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3, 4), (5, 6)),
                                   ((2, 3, 4), (3, 4, 5))])
def test_matmul_error_names_op_and_both_shapes(sa, sb):
    with pytest.raises(RuntimeError) as info:
        cg.ones(*sa) @ cg.ones(*sb)
    msg = str(info.value)
    assert "matmul" in msg
    assert "x".join(map(str, sa)) in msg and "x".join(map(str, sb)) in msg
    with pytest.raises(RuntimeError):
        torch.ones(*sa) @ torch.ones(*sb)


def test_mm_and_einsum_errors():
    with pytest.raises(RuntimeError, match="2x3.*4x5"):
        cg.ones(2, 3).mm(cg.ones(4, 5))
    with pytest.raises(RuntimeError, match="einsum"):
        cg.einsum("ij,jk->ik", cg.ones(2, 3), cg.ones(4, 5))


def test_freed_graph_says_retain_graph():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    z = x.exp().sum()
    cg.autograd.grad(z, x)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        cg.autograd.grad(z, x)


def test_inplace_on_saved_tensor_names_op_before_wrong_grad():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = h.sin()  # SinBackward0 saves h
    h.mul_(2)
    with pytest.raises(RuntimeError) as info:
        y.sum().backward()
    msg = str(info.value)
    assert "SinBackward0" in msg and "inplace" in msg and "version" in msg
    assert x.grad is None  # no wrong gradient was produced


def test_inplace_on_saved_output_detected():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()  # ExpBackward0 saves its output
    y.add_(1)
    with pytest.raises(RuntimeError, match="ExpBackward0"):
        y.sum().backward()
    assert x.grad is None


def test_inplace_on_view_base_detected():
    x = cg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 1
    y = h.sin()
    h[0] = 5.0
    with pytest.raises(RuntimeError, match="SinBackward0"):
        y.sum().backward()


def test_inplace_allowed_when_not_saved_and_grad_correct():
    for lib in (cg, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x * 3
        h.add_(1)  # AddBackward0 saves nothing: fine, as PyTorch
        h.mul_(2)
        h.sum().backward()
        assert np.allclose(np.asarray(x.grad.tolist()), [6.0, 6.0])


@pytest.mark.parametrize("op", [lambda t: t.add_(1), lambda t: t.mul_(2), lambda t: t.zero_(),
                                lambda t: t.fill_(3.0), lambda t: t.copy_(cg.ones(2)),
                                lambda t: t.__setitem__(0, 1.0), lambda t: t.div_(2),
                                lambda t: t.sub_(1)])
def test_inplace_on_leaf_requiring_grad_refused_outside_no_grad(op):
    w = cg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        op(w)
    with cg.no_grad():
        op(w)  # what optimizers do
    assert w.requires_grad and w.is_leaf and w.grad_fn is None


def test_inplace_augmented_assignment_on_leaf_refused():
    w = cg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w += 1
    with cg.no_grad():
        w -= 0.5
    assert float(w) == 0.5


@pytest.mark.parametrize("dtype", [cg.int64, cg.int32, cg.bool])
def test_requires_grad_on_integer_tensor_refused(dtype):
    t = cg.zeros(3, dtype=dtype)
    with pytest.raises(RuntimeError, match="floating point"):
        t.requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        cg.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        cg.zeros(2, dtype=dtype, requires_grad=True)
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2], requires_grad=True)


def test_backward_on_tensor_without_grad_explains_causes():
    with cg.no_grad():
        y = cg.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="does not require grad") as info:
        y.sum().backward()
    assert "no_grad" in str(info.value)


def test_numpy_of_tensor_requiring_grad():
    x = cg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    assert np.asarray(x.detach()).tolist() == [1.0]


def test_bad_dims_and_items():
    with pytest.raises(IndexError, match="Dimension out of range"):
        cg.ones(2, 3).sum(3)
    with pytest.raises(IndexError):
        cg.ones(2, 3).transpose(0, 2)
    with pytest.raises(RuntimeError, match="elements"):
        cg.ones(2).item()
