"""Fold an eval-mode BatchNorm into the convolution / linear layer before it (PyTorch's
``nn.utils.fuse_conv_bn_eval`` ...): BN(conv(x)) = conv'(x) with

    s = gamma / sqrt(running_var + eps)
    W' = W * s (per output channel),   b' = (b - running_mean) * s + beta

    fused = cg.nn.utils.fuse_conv_bn_eval(conv.eval(), bn.eval())
"""
from __future__ import annotations

import copy

from ...tensor import Parameter
from ...autograd.grad_mode import no_grad


def _defaults(rm, b, w, beta):
    zeros = rm.detach() * 0
    return (zeros if b is None else b, zeros + 1 if w is None else w,
            zeros if beta is None else beta)


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """(fused weight, fused bias) as Parameters; ``transpose`` for a ConvTranspose weight
    (in, out/groups, ...), whose output channels are dim 1."""
    w_dtype = conv_w.dtype
    b_dtype = conv_b.dtype if conv_b is not None else w_dtype
    b_grad = conv_b.requires_grad if conv_b is not None else False
    with no_grad():
        conv_b, bn_w, bn_b = _defaults(bn_rm, conv_b, bn_w, bn_b)
        rsqrt = (bn_rv + bn_eps).rsqrt()
        shape = ([1, -1] if transpose else [-1, 1]) + [1] * (conv_w.ndim - 2)
        w = (conv_w * (bn_w * rsqrt).reshape(shape)).to(w_dtype)
        b = ((conv_b - bn_rm) * rsqrt * bn_w + bn_b).to(b_dtype)
    return Parameter(w, conv_w.requires_grad), Parameter(b, b_grad)


def fuse_conv_bn_eval(conv, bn, transpose=False):
    """A copy of ``conv`` computing ``bn(conv(x))`` (both must be in eval mode)."""
    assert not (conv.training or bn.training), "Fusion only for eval!"
    fused = copy.deepcopy(conv)
    assert bn.running_mean is not None and bn.running_var is not None
    fused.weight, fused.bias = fuse_conv_bn_weights(fused.weight, fused.bias, bn.running_mean,
                                                    bn.running_var, bn.eps, bn.weight, bn.bias,
                                                    transpose)
    return fused


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """(fused weight, fused bias) of a Linear followed by a BatchNorm1d."""
    b_grad = linear_b.requires_grad if linear_b is not None else False
    with no_grad():
        linear_b, bn_w, bn_b = _defaults(bn_rm, linear_b, bn_w, bn_b)
        scale = bn_w * (bn_rv + bn_eps).rsqrt()
        w = linear_w * scale.unsqueeze(-1)
        b = (linear_b - bn_rm) * scale + bn_b
    return Parameter(w, linear_w.requires_grad), Parameter(b, b_grad)


def fuse_linear_bn_eval(linear, bn):
    """A copy of ``linear`` computing ``bn(linear(x))`` (both in eval mode)."""
    assert not (linear.training or bn.training), "Fusion only for eval!"
    assert linear.out_features == bn.num_features or bn.num_features == 1, \
        "To fuse, linear.out_features == bn.num_features or bn.num_features == 1"
    assert bn.running_mean is not None and bn.running_var is not None
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(fused.weight, fused.bias,
                                                      bn.running_mean, bn.running_var, bn.eps,
                                                      bn.weight, bn.bias)
    return fused
