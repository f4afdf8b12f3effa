"""``chaingrad.nn.functional`` (import as ``F``): layers as plain functions.

    import chaingrad.nn.functional as F
    y = F.relu(F.conv2d(x, w, b, padding=1))
    loss = F.cross_entropy(logits, labels)

Each topic lives in its own file under ``nn/_functional/``; the derivatives live with the ops
(``chaingrad/ops/nn_ops.py``, ``conv.py``, ``pool.py``).
"""
from __future__ import annotations

from ._functional.basic import linear, bilinear
from ._functional.activation import (relu, relu6, leaky_relu, elu, selu, gelu, silu, mish,
                                     hardswish, hardsigmoid, hardtanh, softplus, logsigmoid,
                                     sigmoid, tanh, softsign, tanhshrink, threshold, prelu, glu,
                                     softmax, softmin, log_softmax, relu_, leaky_relu_, elu_,
                                     selu_, hardtanh_, threshold_, rrelu, rrelu_,
                                     gumbel_softmax)
from ._functional.conv import (conv2d, conv_transpose2d, max_pool2d, avg_pool2d,
                               adaptive_avg_pool2d)
from ._functional.fold import unfold, fold
from ._functional.embedding_bag import embedding_bag
from ._functional.pool_extra import (lp_pool1d, lp_pool2d, local_response_norm, channel_shuffle,
                                     native_channel_shuffle, max_unpool1d, max_unpool2d)
from ._functional.interpolate import upsample, upsample_nearest, upsample_bilinear
from ._functional.conv1d import (conv1d, max_pool1d, avg_pool1d, adaptive_avg_pool1d,
                                adaptive_max_pool1d, conv_transpose1d)
from ._functional.loss import (cross_entropy, nll_loss, mse_loss, l1_loss, smooth_l1_loss,
                               huber_loss, binary_cross_entropy,
                               binary_cross_entropy_with_logits, kl_div)
from ._functional.loss_extra import (margin_ranking_loss, hinge_embedding_loss,
                                     soft_margin_loss, multilabel_soft_margin_loss,
                                     cosine_embedding_loss, triplet_margin_loss, poisson_nll_loss,
                                     gaussian_nll_loss, multi_margin_loss,
                                     triplet_margin_with_distance_loss)
from ._functional.norm import batch_norm, layer_norm, group_norm, instance_norm, rms_norm
from ._functional.misc import (dropout, dropout1d, dropout2d, dropout3d, alpha_dropout,
                               feature_alpha_dropout, embedding, one_hot, normalize,
                               cosine_similarity, pairwise_distance, interpolate, pdist)
from .layers.extra import (pixel_shuffle, pixel_unshuffle, adaptive_max_pool2d, softshrink,
                           hardshrink, celu, celu_)
from ..ops.shape import pad as _pad


def pad(input, pad, mode="constant", value=None):  # noqa: A002 - PyTorch's names
    """Pad the last ``len(pad) // 2`` dims of ``input``: ``pad = (left, right, top, bottom,
    ...)``; ``mode`` 'constant' (``value``, default 0), 'reflect', 'replicate' or 'circular'.

        y = F.pad(x, (1, 1, 2, 0), mode="constant", value=0.0)
    """
    return _pad(input, pad, mode, value)


def __getattr__(name):
    # attention lives with its layer (layers/attention.py), loaded on first use
    if name == "scaled_dot_product_attention":
        from .layers.attention import scaled_dot_product_attention
        return scaled_dot_product_attention
    raise AttributeError(f"module 'chaingrad.nn.functional' has no attribute {name!r}")


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
                            ceil_mode=False, return_indices=True):
    """``max_pool1d`` returning ``(output, indices)``."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
                            ceil_mode=False, return_indices=True):
    """``max_pool2d`` returning ``(output, indices)``."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):  # noqa: A002
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):  # noqa: A002
    return adaptive_max_pool2d(input, output_size, True)
