"""Dropout layers (masks drawn from chaingrad.random, so cg.manual_seed reproduces them)."""
from __future__ import annotations

from ..module import Module
from .._functional.misc import (dropout, dropout1d, dropout2d, dropout3d, alpha_dropout,
                               feature_alpha_dropout, _check_p)


class _DropoutNd(Module):
    _fn = None

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        _check_p(p)
        self.p = p
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return type(self)._fn(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """In training, zero each element with probability p and scale the others by 1/(1-p);
    identity in eval. Args: p=0.5, inplace=False."""
    _fn = staticmethod(dropout)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) input."""
    _fn = staticmethod(dropout1d)


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) input."""
    _fn = staticmethod(dropout2d)


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) input."""
    _fn = staticmethod(dropout3d)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps SELU activations' mean 0 and variance 1 (``F.alpha_dropout``)."""
    _fn = staticmethod(alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    """``AlphaDropout`` of whole channels."""
    _fn = staticmethod(feature_alpha_dropout)
