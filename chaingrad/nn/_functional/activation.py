"""Functional activations (``F.relu`` ...), each with its derivative next to its forward."""
from __future__ import annotations

from ...ops import elementwise as ew


def relu(input, inplace=False):  # noqa: A002
    """relu(x) = max(x, 0); d/dx = [x > 0]."""
    if inplace:
        return input.relu_()
    return ew.relu(input)
