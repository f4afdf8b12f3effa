"""``chaingrad.nn.functional`` (import as ``F``): layers as plain functions.

    import chaingrad.nn.functional as F
    y = F.relu(F.linear(x, w, b))
"""
from __future__ import annotations

from ._functional.basic import linear
from ._functional.activation import relu
from ..ops.shape import pad


def __getattr__(name):
    # attention lives with its layer (layers/attention.py), loaded on first use
    if name == "scaled_dot_product_attention":
        from .layers.attention import scaled_dot_product_attention
        return scaled_dot_product_attention
    raise AttributeError(f"module 'chaingrad.nn.functional' has no attribute {name!r}")
