"""explain_backward: visit order, path counts and DP / naive costs counted by hand."""
import math

import numpy as np
import pytest

import chaingrad as cg
from chaingrad import nn, viz


def test_x_times_x_plus_x():
    x = cg.tensor(2.0, requires_grad=True)
    e = viz.explain_backward(x * x + x, params={"x": x})
    assert [r["op"] for r in e.rows] == ["AddBackward0", "MulBackward0"]
    assert [r["paths"] for r in e.rows] == [1, 1]
    # x: one path through Add, two through Mul (x * x uses x twice)
    assert e.leaves[0]["name"] == "x" and e.leaves[0]["paths"] == 3
    assert e.total_paths == 3
    assert e.dp_cost == 4          # Add: 2 edges, Mul: 2 edges, one MAC each
    assert e.naive_cost == 5       # path lengths 1 + 2 + 2
    assert e.exact
    assert x.grad.item() == pytest.approx(5.0)  # 2x + 1


def test_shared_subexpression_counts_paths_and_visits_after_consumers():
    x = cg.tensor(0.5, dtype=cg.float64, requires_grad=True)
    a = x.exp()
    e = viz.explain_backward(a * a + a)
    assert [r["op"] for r in e.rows] == ["AddBackward0", "MulBackward0", "ExpBackward0"]
    assert [r["paths"] for r in e.rows] == [1, 1, 3]
    assert [r["contributions"] for r in e.rows] == [1, 1, 3]
    ea = math.exp(0.5)
    assert e.rows[2]["grad_norm"] == pytest.approx(2 * ea + 1)  # dL/da summed over 3 paths
    assert e.rows[2]["grad"] == pytest.approx(2 * ea + 1)
    assert e.rows[1]["grads_to_inputs"] == [pytest.approx(ea), pytest.approx(ea)]
    assert e.total_paths == 3
    assert e.dp_cost == 5          # Add 2 + Mul 2 + Exp 1
    assert e.naive_cost == 8       # via Add->Exp: 2, via Add->Mul->Exp (twice): 3 + 3
    assert x.grad.item() == pytest.approx((2 * ea + 1) * ea)
    assert e.rows[2]["local"] == "d e^x = e^x"


def test_vector_dot_product():
    x = cg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = cg.tensor([4.0, 5.0, 6.0], requires_grad=True)
    e = viz.explain_backward((x * w).sum())
    assert [(r["op"], r["shape"]) for r in e.rows] == [("SumBackward0", ()),
                                                        ("MulBackward0", (3,))]
    assert e.total_paths == 2
    assert e.scalar_paths == 6            # each of the 6 leaf elements: one scalar path
    assert e.dp_cost == 3 + 3 + 3         # sum: 3, mul: 3 per input
    assert e.naive_cost == 6 * 2          # every path has 2 edges
    assert [r["macs"] for r in e.rows] == [3, 6]


def test_two_matmuls_by_hand():
    x = cg.tensor([[1.0, -1.0]])
    w1 = cg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    w2 = cg.tensor([[0.5, 1.0], [1.5, 2.0]], requires_grad=True)
    e = viz.explain_backward(((x @ w1) @ w2).sum(), params={"w1": w1, "w2": w2})
    assert [r["op"] for r in e.rows] == ["SumBackward0", "MmBackward0", "MmBackward0"]
    # Sum 2; second matmul: 4 for h and 4 for w2; first: 4 for w1 (x needs no grad)
    assert e.dp_cost == 2 + 8 + 4
    assert [r["macs"] for r in e.rows] == [2, 8, 4]
    # w2[i, j]: L <- y_j <- w2[i, j], 1 path of 2 edges, 4 elements -> 8
    # w1[a, b]: L <- y_j <- h_b <- w1[a, b] for both j, 2 paths of 3 edges, 4 elements -> 24
    assert e.naive_cost == 8 + 24
    assert e.scalar_paths == 4 + 8
    assert e.total_paths == 2
    assert {lf["name"]: lf["paths"] for lf in e.leaves} == {"w1": 1, "w2": 1}
    np.testing.assert_allclose(w1.grad.numpy(), [[1.5, 3.5], [-1.5, -3.5]])  # x^T (1 W2^T)


def test_data_movement_is_free():
    x = cg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    e = viz.explain_backward(x.reshape(4).sum())
    assert e.dp_cost == 4 and e.naive_cost == 4 and e.rows[1]["macs"] == 0


def test_ten_layer_mlp_naive_is_astronomical():
    cg.manual_seed(0)
    layers = []
    for _ in range(10):
        layers += [nn.Linear(32, 32), nn.Tanh() if hasattr(nn, "Tanh") else nn.ReLU()]
    model = nn.Sequential(*layers)
    e = viz.explain_backward(model(cg.randn(4, 32)).sum(), params=model)
    assert e.total_paths == 20          # every weight and bias: one path through the ops
    assert len(e.rows) == 21
    assert e.dp_cost < 1e6
    assert e.naive_cost > 1e12 * e.dp_cost
    assert "multiply-adds" in str(e) and "about" in str(e)


def test_unknown_op_gives_lower_bound():
    class Twice(cg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = cg.tensor([1.0, 2.0], requires_grad=True)
    e = viz.explain_backward(Twice.apply(x).sum())
    assert not e.exact and e.unknown_ops == ["TwiceBackward"]
    assert e.naive_cost >= 2 * 2 - 1e-9
    assert "at least" in str(e)


def test_retain_graph_and_grads_match_backward():
    def build():
        cg.manual_seed(1)
        w = cg.randn(3, 3, requires_grad=True)
        return w, (w @ w).tanh().sum()
    w, loss = build()
    viz.explain_backward(loss, retain_graph=True)
    g1 = w.grad.numpy().copy()
    viz.explain_backward(loss)
    np.testing.assert_allclose(w.grad.numpy(), 2 * g1, rtol=1e-6)
    with pytest.raises(RuntimeError, match="second time"):
        viz.explain_backward(loss)
    w2, loss2 = build()
    loss2.backward()
    np.testing.assert_allclose(w2.grad.numpy(), g1, rtol=1e-6)


def test_text_and_html_and_draw_after():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    g = viz.draw_graph(loss)
    e = viz.explain_backward(loss)
    text = str(e)
    assert text.splitlines()[0].split()[:4] == ["step", "op", "shape", "paths"]
    assert "MulBackward0" in text and "DP backward pass" in text
    assert "<table>" in e._repr_html_() and "MulBackward0" in e._repr_html_()
    assert "|grad| 1.41" in g.source  # the view picks up the norms explain_backward recorded


def test_non_scalar_needs_gradient():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar"):
        viz.explain_backward(x * 2)
    e = viz.explain_backward(x * 2, gradient=cg.tensor([1.0, 1.0]))
    assert e.dp_cost == 2
