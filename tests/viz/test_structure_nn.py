"""Fused layer ops count exactly like the same computation written with primitive ops."""
import numpy as np
import pytest

import chaingrad as cg
from chaingrad import nn, viz
import chaingrad.nn.functional as F


def counts(loss):
    e = viz.explain_backward(loss)
    assert e.exact and not e.unknown_ops
    return e.dp_cost, e.naive_cost, e.scalar_paths


def test_conv2d_by_hand():
    x = cg.randn(1, 1, 3, 3, requires_grad=True)
    w = cg.randn(1, 1, 2, 2, requires_grad=True)
    e = viz.explain_backward(F.conv2d(x, w).sum())
    # sum: 4; conv: every one of 4 outputs reaches 4 pixels and 4 weights -> 16 + 16
    assert e.dp_cost == 4 + 16 + 16
    # pixels: corners in 1 window, edges in 2, the centre in 4 (16 paths); weights: 4 each
    assert e.scalar_paths == 16 + 16
    assert e.naive_cost == 2 * 32


def test_conv2d_padding_and_bias():
    x = cg.randn(1, 1, 2, 2, requires_grad=True)
    w = cg.randn(1, 1, 3, 3, requires_grad=True)
    b = cg.randn(1, requires_grad=True)
    e = viz.explain_backward(F.conv2d(x, w, b, padding=1).sum())
    # 4 outputs, each window holds all 4 real pixels (padding is no input): 16 for x,
    # 16 for w (only weights over real pixels), 4 for b, plus the sum's 4
    assert e.dp_cost == 4 + 16 + 16 + 4


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_equals_written_out(training):
    cg.manual_seed(0)
    c = cg.randn(5, 3)
    bn = nn.BatchNorm1d(3)
    bn.train(training)
    x = cg.randn(5, 3, requires_grad=True)
    fused = counts((bn(x) * c).sum())
    w, b = bn.weight, bn.bias
    if training:
        mu = x.mean(0, keepdim=True)
        d = x - mu
        v = (d ** 2).mean(0, keepdim=True)
        s = (v + 1e-5).rsqrt()
    else:
        d = x - bn.running_mean  # running statistics: constants
        s = (bn.running_var + 1e-5).rsqrt()
    y = d * s * w + b if training else x * (s * w) + (b - bn.running_mean * s * w)
    manual = counts((y * c).sum())
    if training:
        assert fused == manual
    else:  # eval: x -> y is one elementwise edge; w and b reach y through per-channel maps
        # 15 MACs each: mul by c, sum, y -> b, y -> t, t -> w, t -> u, u -> x
        assert fused[0] == 7 * 15


def test_cross_entropy_equals_written_out():
    cg.manual_seed(0)
    z = cg.randn(4, 5, requires_grad=True)
    t = cg.tensor([0, 3, 1, 4])
    fused = counts(F.cross_entropy(z, t))
    manual = counts((-cg.log_softmax(z, 1)[cg.arange(4), t]).mean())
    assert fused == manual
    assert fused[0] == 4 + 4 + 4 * 5 * 5  # mean, negate the picked entries, row-wise softmax
    # each logit has one path (through its row's picked entry) of 3 arithmetic edges: the
    # naive expansion follows only those, the DP applies the whole dense softmax Jacobian
    assert fused[1:] == (20 * 3, 20)


def test_resnet18_counts_exact_rules():
    from chaingrad.models import resnet18
    cg.manual_seed(0)
    m = resnet18(num_classes=10)
    loss = m(cg.rand(1, 3, 64, 64)).sum()
    e = viz.explain_backward(loss, params=m)
    assert not e.unknown_ops
    assert e.total_paths == sum(lf["paths"] for lf in e.leaves) > 62
    assert e.naive_cost > 1e50 * e.dp_cost
    assert np.isfinite(e.naive_cost)
