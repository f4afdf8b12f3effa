"""``chaingrad.autograd.graph``: names for the parts of the backward graph, as PyTorch's
``torch.autograd.graph``.

``Node`` is the class of every ``grad_fn``; a ``GradientEdge`` is the (node, output_nr) pair
that a gradient for a tensor flows into: for a leaf, its AccumulateGrad node.
"""
from __future__ import annotations

from typing import NamedTuple

from .function import Node


class GradientEdge(NamedTuple):
    """Where the gradient of a tensor goes: ``node`` (its grad_fn, or a leaf's
    AccumulateGrad) and which of that node's outputs the tensor is."""

    node: Node
    output_nr: int


def get_gradient_edge(tensor) -> GradientEdge:
    """The ``GradientEdge`` of ``tensor`` (it must require grad)."""
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does "
                           "not require gradients")
    node, nr = tensor._edge()
    return GradientEdge(node, nr)


def increment_version(tensor) -> None:
    """Bump ``tensor``'s version counter, as an in-place change would (so saved-tensor checks
    notice a change made behind autograd's back)."""
    tensor._version_counter.value += 1


__all__ = ["Node", "GradientEdge", "get_gradient_edge", "increment_version"]
