"""``Tensor.data`` and graph node names as in PyTorch. ``.data``: a tensor sharing the memory,
cut from the graph, whose changes autograd does not track; assigning a tensor replaces the
values. Node names: ``grad_fn.name()`` as PyTorch spells it for the function called."""
import numpy as np
import pytest
import torch

import chaingrad as cg


def both(values, requires_grad=True):
    return (cg.tensor(values, requires_grad=requires_grad),
            torch.tensor(values, requires_grad=requires_grad))


def test_data_is_a_detached_tensor_sharing_memory():
    for x in both([1.0, 2.0, 3.0]):
        d = x.data
        assert type(d).__name__ == "Tensor" and not d.requires_grad and d.is_leaf
        assert d.grad_fn is None
        d.add_(1)  # changes x too
        assert x.tolist() == [2.0, 3.0, 4.0]
        assert x.requires_grad


def test_changes_through_data_are_not_tracked():
    results = []
    for x in both([1.0, 2.0]):
        y = x * x  # saves x
        x.data.mul_(10)  # not seen by autograd: no version bump, no error at backward
        assert x._version == 0
        y.sum().backward()
        results.append(x.grad.tolist())
    assert results[0] == results[1] == [20.0, 40.0]  # 2 x, with the new values


def test_data_of_a_non_leaf_and_of_a_parameter():
    lin = cg.nn.Linear(3, 2)
    lin.weight.data.zero_()
    lin.bias.data.fill_(0.5)
    assert np.all(lin.weight.data.numpy() == 0) and np.all(lin.bias.data.numpy() == 0.5)
    assert type(lin.weight.data) is cg.Tensor  # a Tensor, not a Parameter (as PyTorch)
    y = lin(cg.ones(1, 3))
    assert y.data.grad_fn is None and y.grad_fn is not None
    assert np.shares_memory(y.data.numpy(), y.detach().numpy())
    lin.weight.data.copy_(cg.ones(2, 3))
    assert lin(cg.ones(1, 3)).tolist() == [[3.5, 3.5]]


def test_assigning_data():
    for lib, x in zip((cg, torch), both([1.0, 2.0])):
        x.data = lib.zeros(5)  # another shape is fine
        assert tuple(x.shape) == (5,) and x.requires_grad
        with pytest.raises(TypeError, match="has to be a tensor"):
            x.data = [1.0, 2.0]
        with pytest.raises(RuntimeError, match="floating point"):
            x.data = lib.tensor([1, 2])
    n = cg.tensor([1, 2])
    n.data = cg.tensor([3, 4, 5])  # integers: fine where no gradient is wanted
    assert n.tolist() == [3, 4, 5]


def test_numpy_of_data_and_dtype():
    x = cg.tensor([1.5, 2.5], dtype=cg.float64)
    assert x.data.dtype == cg.float64
    np.testing.assert_array_equal(np.asarray(x.data), [1.5, 2.5])
    assert x.data.numpy().base is x.numpy().base or np.shares_memory(x.data.numpy(), x.numpy())


# -- graph node names, as PyTorch spells them ------------------------------------------------
NAME_CASES = {
    "linear with bias": lambda L, F, x, w, b: F.linear(x, w, b),
    "linear without bias": lambda L, F, x, w, b: F.linear(x, w),
    "x ** 2": lambda L, F, x, w, b: x ** 2,
    "x ** x": lambda L, F, x, w, b: x ** x,
    "matmul 2-D": lambda L, F, x, w, b: x @ w.T,
    "view": lambda L, F, x, w, b: x.view(16),
    "unsqueeze": lambda L, F, x, w, b: x.unsqueeze(0),
    "squeeze dim": lambda L, F, x, w, b: x.unsqueeze(0).squeeze(0),
    "x[0]": lambda L, F, x, w, b: x[0],
    "x[1:3]": lambda L, F, x, w, b: x[1:3],
    "x[:, 1]": lambda L, F, x, w, b: x[:, 1],
    "x[idx]": lambda L, F, x, w, b: x[L.tensor([0, 2])],
    "sum": lambda L, F, x, w, b: x.sum(),
    "sum(dim)": lambda L, F, x, w, b: x.sum(1),
    "mean(dim)": lambda L, F, x, w, b: x.mean(1),
    "max()": lambda L, F, x, w, b: x.max(),
    "max(dim)": lambda L, F, x, w, b: x.max(1)[0],
    "t()": lambda L, F, x, w, b: x.t(),
    "transpose": lambda L, F, x, w, b: x.transpose(0, 1),
    "stack": lambda L, F, x, w, b: L.stack([x, x]),
    "chunk": lambda L, F, x, w, b: x.chunk(2)[0],
    "cross_entropy": lambda L, F, x, w, b: F.cross_entropy(x, L.tensor([0, 1, 2, 3])),
    "mse_loss": lambda L, F, x, w, b: F.mse_loss(x, x.detach() * 2),
    "bce_with_logits": lambda L, F, x, w, b: F.binary_cross_entropy_with_logits(
        x, (x > 0).float()),
    "layer_norm": lambda L, F, x, w, b: F.layer_norm(x, (4,)),
    "double": lambda L, F, x, w, b: x.double(),
    "clamp": lambda L, F, x, w, b: x.clamp(-0.5, 0.5),
}


@pytest.mark.parametrize("case", list(NAME_CASES))
def test_node_names_are_pytorchs(case):
    import torch.nn.functional as TF
    import chaingrad.nn.functional as CF
    names = []
    for L, F in ((cg, CF), (torch, TF)):
        rng = np.random.default_rng(0)
        x, w, b = (L.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
                   for s in ((4, 4), (3, 4), (3,)))
        y = NAME_CASES[case](L, F, x, w, b)
        names.append(y.grad_fn.name())
    assert names[0] == names[1]
