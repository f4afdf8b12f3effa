"""Second-order derivatives: ``gradgradcheck`` (finite differences of the first derivative) for
every op of the fuzz catalogue and every differentiable ``nn.functional`` op, the
double-backward value itself against PyTorch, and a Hessian-vector product of a small MLP loss
against ``torch.autograd.functional.hvp``.

Smooth points only: inputs are random normal (ties and kinks of relu/max/abs have probability
0), and the losses with a kink (l1, smooth_l1, huber) are evaluated away from it.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import HealthCheck, given, settings, strategies as st

import chaingrad as cg
import chaingrad.nn.functional as CF

from .graphs import OPS, Replay


def _second_order_vs_torch(cg_fn, th_fn, arrays, diff, seed=0):
    """d/dx <d<out, v>/dx, u> in both libraries (v, u random), compared."""
    rng = np.random.default_rng(seed)
    res = []
    for L, fn in ((cg, cg_fn), (torch, th_fn)):
        ins = [L.tensor(a, requires_grad=d) if d else L.tensor(a) for a, d in zip(arrays, diff)]
        leaves = [t for t, d in zip(ins, diff) if d]
        out = fn(*ins)
        outs = out if isinstance(out, tuple) else (out,)
        r = np.random.default_rng(seed + 1)
        vs = [L.tensor(r.standard_normal(tuple(o.shape))) for o in outs]
        gs = L.autograd.grad(outs, leaves, vs, create_graph=True, allow_unused=True)
        us = [L.tensor(r.standard_normal(tuple(t.shape))) for t in leaves]
        s = sum((g * u).sum() for g, u in zip(gs, us) if g is not None and g.requires_grad)
        if not isinstance(s, (cg.Tensor, torch.Tensor)):
            res.append([np.zeros(t.shape) for t in leaves])
            continue
        hh = L.autograd.grad(s, leaves, allow_unused=True)
        # (PyTorch may return a ZeroTensor, which has no storage: add it to real zeros)
        res.append([np.zeros(tuple(t.shape)) if h is None else
                    np.zeros(tuple(t.shape)) + np.asarray((h.detach() if L is cg else
                                                          torch.zeros_like(t) + h.detach()).tolist())
                    for h, t in zip(hh, leaves)])
    for i, (a, b) in enumerate(zip(*res)):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9, err_msg=f"leaf {i}")
    del rng


def _ggc(fn, arrays, diff):
    ins = tuple(cg.tensor(a, requires_grad=d) if d else cg.tensor(a) for a, d in zip(arrays, diff))
    assert cg.autograd.gradgradcheck(fn, ins, eps=1e-6, atol=1e-5, rtol=1e-3)


# -- every op of the fuzz catalogue ------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(n for n in OPS if n != "mask_index"))
@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_gradgradcheck_catalogue_op(name, data):
    arity, pre, fn = OPS[name]
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    shapes = data.draw(st.sampled_from([[(3, 2), (3, 2)], [(2, 3), (3, 2)], [(3,), (3,)],
                                        [(2, 2, 3), (3,)], [(3, 1), (1, 3)]]))
    arrays = [rng.standard_normal(s) for s in shapes[:arity]]
    if not pre(*shapes[:arity]):
        return
    draw = Replay(data)

    def cg_fn(*ts):
        draw.replay() if draw.log else None
        return fn(cg, draw, *ts)

    cg_fn(*[cg.tensor(a) for a in arrays])  # draws the op's parameters once
    _ggc(cg_fn, arrays, [True] * arity)

    def th_fn(*ts):
        draw.replay()
        return fn(torch, draw, *ts)

    _second_order_vs_torch(cg_fn, th_fn, arrays, [True] * arity)


# -- nn.functional -----------------------------------------------------------------------------
def _r(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape) * scale


def _labels(n, c, seed=0):
    return np.random.default_rng(seed).integers(0, c, size=n)


def _both(f_name, *args, **kw):
    """(cg fn, torch fn) calling nn.functional.<f_name>(*tensors, *args, **kw)."""
    return (lambda *t: getattr(CF, f_name)(*t, *args, **kw),
            lambda *t: getattr(TF, f_name)(*t, *args, **kw))


def _with_target(f_name, target, **kw):
    return (lambda x: getattr(CF, f_name)(x, cg.tensor(target), **kw),
            lambda x: getattr(TF, f_name)(x, torch.tensor(target), **kw))


_W = np.array([0.5, 1.0, 2.0, 1.5])
_P = np.random.default_rng(5).uniform(0.1, 0.9, (3, 4))
NN = {
    "conv2d": (_both("conv2d", stride=1, padding=1), [_r(1, 2, 4, 4), _r(3, 2, 3, 3), _r(3)]),
    "conv2d_stride_dil": (_both("conv2d", stride=2, padding=1, dilation=2),
                          [_r(2, 2, 5, 5), _r(2, 2, 2, 2)]),
    "conv2d_groups": (_both("conv2d", groups=2), [_r(1, 4, 3, 3), _r(2, 2, 2, 2)]),
    "conv1d": (_both("conv1d", padding=1), [_r(2, 2, 5), _r(3, 2, 3)]),
    "conv_transpose2d": (_both("conv_transpose2d", stride=2), [_r(1, 2, 3, 3), _r(2, 1, 2, 2)]),
    "max_pool2d": (_both("max_pool2d", 2), [_r(1, 2, 4, 4)]),
    "max_pool2d_overlap": (_both("max_pool2d", 3, 2, 1), [_r(1, 1, 5, 5)]),
    "max_pool1d": (_both("max_pool1d", 2), [_r(2, 2, 6)]),
    "avg_pool2d": (_both("avg_pool2d", 2, 1, 1), [_r(1, 2, 4, 4)]),
    "avg_pool1d": (_both("avg_pool1d", 3, 2), [_r(2, 2, 7)]),
    "adaptive_avg_pool2d": (_both("adaptive_avg_pool2d", (2, 3)), [_r(1, 2, 5, 4)]),
    "adaptive_avg_pool1d": (_both("adaptive_avg_pool1d", 3), [_r(2, 2, 7)]),
    "batch_norm_train": ((lambda x, w, b: CF.batch_norm(x, None, None, w, b, training=True),
                          lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True)),
                         [_r(4, 3, 2, 2), _r(3), _r(3)]),
    "batch_norm_1d": ((lambda x: CF.batch_norm(x, None, None, training=True),
                       lambda x: TF.batch_norm(x, None, None, training=True)), [_r(5, 3)]),
    "layer_norm": ((lambda x, w, b: CF.layer_norm(x, (4,), w, b),
                    lambda x, w, b: TF.layer_norm(x, (4,), w, b)), [_r(3, 4), _r(4), _r(4)]),
    "layer_norm_2d": (_both("layer_norm", (2, 3)), [_r(2, 2, 3)]),
    "group_norm": ((lambda x, w, b: CF.group_norm(x, 2, w, b),
                    lambda x, w, b: TF.group_norm(x, 2, w, b)), [_r(2, 4, 3), _r(4), _r(4)]),
    "instance_norm": (_both("instance_norm"), [_r(2, 3, 4)]),
    "cross_entropy": (_with_target("cross_entropy", _labels(5, 4)), [_r(5, 4)]),
    # (class weights are constants: PyTorch refuses requires_grad on them)
    "cross_entropy_smooth_w": ((lambda x: CF.cross_entropy(
        x, cg.tensor(_labels(5, 4)), weight=cg.tensor(_W), label_smoothing=0.2),
        lambda x: TF.cross_entropy(x, torch.tensor(_labels(5, 4)), weight=torch.tensor(_W),
                                   label_smoothing=0.2)), [_r(5, 4)]),
    "cross_entropy_probs": ((lambda x, p: CF.cross_entropy(x, p), lambda x, p: TF.cross_entropy(x, p)),
                            [_r(3, 4), _P]),
    "cross_entropy_2d": (_with_target("cross_entropy", _labels(12, 3).reshape(2, 2, 3)),
                         [_r(2, 3, 2, 3)]),
    "nll_loss": (_with_target("nll_loss", _labels(5, 4), reduction="sum"), [_r(5, 4)]),
    "mse_loss": (_both("mse_loss"), [_r(3, 4), _r(3, 4, seed=1)]),
    "l1_loss": (_both("l1_loss"), [_r(3, 4), _r(3, 4, seed=1)]),
    "smooth_l1_loss": (_both("smooth_l1_loss", beta=0.5), [_r(3, 4), _r(3, 4, seed=1)]),
    "huber_loss": (_both("huber_loss", delta=0.5), [_r(3, 4), _r(3, 4, seed=1)]),
    "bce": (_both("binary_cross_entropy"), [_P, _P[::-1].copy()]),
    "bce_logits": (_both("binary_cross_entropy_with_logits"), [_r(3, 4), _P]),
    "kl_div": (_both("kl_div", reduction="batchmean"), [np.log(_P), _P[::-1].copy()]),
    "linear": (_both("linear"), [_r(3, 4), _r(2, 4), _r(2)]),
    "embedding_w": ((lambda w: CF.embedding(cg.tensor([[0, 2], [2, 1]]), w),
                     lambda w: TF.embedding(torch.tensor([[0, 2], [2, 1]]), w)), [_r(3, 2)]),
    "interpolate_nearest": (_both("interpolate", scale_factor=2, mode="nearest"), [_r(1, 1, 2, 3)]),
    "normalize": (_both("normalize", dim=1), [_r(3, 4)]),
    "cosine_similarity": (_both("cosine_similarity"), [_r(3, 4), _r(3, 4, seed=1)]),
    "pairwise_distance": (_both("pairwise_distance"), [_r(3, 4), _r(3, 4, seed=1)]),
    "pad_constant": (_both("pad", (1, 2)), [_r(2, 3)]),
    "pad_reflect": (_both("pad", (1, 1), mode="reflect"), [_r(1, 2, 4)]),
    "glu": (_both("glu"), [_r(3, 4)]),
    "prelu": (_both("prelu"), [_r(3, 4), np.array([0.2])]),
    "dropout_eval": (_both("dropout", 0.5, training=False), [_r(3, 4)]),
    "softmin": (_both("softmin", dim=1), [_r(3, 4)]),
}
for _a in ["relu", "gelu", "silu", "elu", "selu", "softplus", "leaky_relu", "hardtanh",
           "logsigmoid", "sigmoid", "tanh", "mish", "softsign", "tanhshrink", "relu6",
           "hardswish", "hardsigmoid"]:
    NN[_a] = (_both(_a), [_r(3, 4, scale=2)])
NN["gelu_tanh"] = (_both("gelu", approximate="tanh"), [_r(3, 4)])
NN["softmax"] = (_both("softmax", dim=-1), [_r(3, 4)])
NN["log_softmax"] = (_both("log_softmax", dim=0), [_r(3, 4)])
NN["threshold"] = (_both("threshold", 0.1, 2.0), [_r(3, 4)])


@pytest.mark.parametrize("name", sorted(NN))
def test_gradgradcheck_nn_functional(name):
    (cg_fn, th_fn), arrays = NN[name]
    diff = [True] * len(arrays)
    _ggc(cg_fn, arrays, diff)
    if name not in NO_TORCH_DOUBLE_BACKWARD:
        _second_order_vs_torch(cg_fn, th_fn, arrays, diff)


NO_TORCH_DOUBLE_BACKWARD = {"hardsigmoid"}  # "derivative for aten::hardsigmoid_backward is not
# implemented" in PyTorch 2.13: chaingrad's is checked by finite differences only


# -- Hessian-vector product of an MLP loss -----------------------------------------------------
def test_mlp_loss_hvp_matches_pytorch():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 5)), rng.integers(0, 3, 8)
    params = [rng.standard_normal((6, 5)) * 0.5, rng.standard_normal(6) * 0.1,
              rng.standard_normal((3, 6)) * 0.5, rng.standard_normal(3) * 0.1]
    vs = [rng.standard_normal(p.shape) for p in params]

    def loss(L, F):
        X, Y = L.tensor(x), L.tensor(y)

        def f(w1, b1, w2, b2):
            h = F.gelu(F.linear(X, w1, b1)).tanh()
            return F.cross_entropy(F.linear(h, w2, b2), Y) + 1e-2 * (w1 * w1).sum()
        return f

    t_val, t_hvp = torch.autograd.functional.hvp(
        loss(torch, TF), tuple(torch.tensor(p) for p in params), tuple(torch.tensor(v) for v in vs))
    c_val, c_hvp = cg.autograd.functional.hvp(
        loss(cg, CF), tuple(cg.tensor(p) for p in params), tuple(cg.tensor(v) for v in vs))
    np.testing.assert_allclose(float(c_val), float(t_val), rtol=1e-12)
    for a, b in zip(c_hvp, t_hvp):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-12)
    # and by hand: double backward through a gradient-vector dot product
    ps = [cg.tensor(p, requires_grad=True) for p in params]
    gs = cg.autograd.grad(loss(cg, CF)(*ps), ps, create_graph=True)
    hv = cg.autograd.grad(sum((g * cg.tensor(v)).sum() for g, v in zip(gs, vs)), ps)
    for a, b in zip(hv, t_hvp):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-12)
