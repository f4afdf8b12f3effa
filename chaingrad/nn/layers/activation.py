"""Activation layers: thin modules around ``chaingrad.nn.functional``."""
from __future__ import annotations

from ..module import Module
from .. import functional as F


class ReLU(Module):
    """relu(x) = max(x, 0).  ``inplace=False``."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""
