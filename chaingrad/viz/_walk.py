"""Walking a backward graph: its nodes in the engine's order, output shapes, path counts, names.

A node never points to its output tensor, so what the views show about a node's output comes
from its consumers: consumer ``C`` with ``C.next_functions[i] == (node, nr)`` recorded the shape
and dtype of that output in ``C._input_meta[i]``.
"""
from __future__ import annotations

from ..autograd.function import AccumulateGrad


def root_node(tensor):
    """The node a backward pass from ``tensor`` starts at (its grad_fn, or a leaf's accumulator)."""
    if not getattr(tensor, "requires_grad", False):
        raise RuntimeError("the tensor does not require grad and has no grad_fn: there is no "
                           "graph to show (create leaves with requires_grad=True)")
    return tensor._edge()[0]


def edges(node):
    """The (child, output_nr) edges of ``node`` that lead somewhere (inputs without a gradient dropped), with
    the index of the input they belong to."""
    return [(i, e[0], e[1]) for i, e in enumerate(node.next_functions) if e]


def topo_order(root):
    """Nodes reachable from ``root`` in the order the engine visits them: most recently made
    first (``Node._seq``; every node is made after the nodes of its inputs, so a node comes
    only after every consumer)."""
    seen = {root}
    stack = [root]
    while stack:
        node = stack.pop()
        for _, child, _ in edges(node):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return sorted(seen, key=lambda n: -n._seq)


def path_counts(order):
    """Number of distinct paths from the root (``order[0]``) to every node; parallel edges
    (``x * x``) count separately."""
    paths = {order[0]: 1}
    for node in order:
        p = paths[node]
        for _, child, _ in edges(node):
            paths[child] = paths.get(child, 0) + p
    return paths


def output_meta(order, root_tensor=None):
    """``{node: {output_nr: (shape, dtype)}}`` read from the consumers' input records."""
    meta = {}
    for node in order:
        for i, child, nr in edges(node):
            try:
                meta.setdefault(child, {})[nr] = node._input_meta[i]
            except (AttributeError, IndexError, TypeError):
                pass
    if root_tensor is not None and order:
        meta.setdefault(order[0], {})[getattr(root_tensor, "_output_nr", 0)] = (
            tuple(root_tensor.shape), root_tensor._array.dtype)
    for node in order:
        if isinstance(node, AccumulateGrad) and node.variable is not None:
            v = node.variable
            meta[node] = {0: (tuple(v.shape), v._array.dtype)}
    return meta


def param_names(params):
    """``{id(tensor): name}`` from a Module (named_parameters), a dict or a list of pairs."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        items = list(params.named_parameters())
    elif isinstance(params, dict):
        items = list(params.items())
    else:
        items = list(params)
    return {id(t): name for name, t in items}


def leaf_name(node, names):
    v = node.variable
    if id(v) in names:
        return names[id(v)]
    return getattr(v, "name", None)


def fmt_shape(shape):
    return "(" + ", ".join(str(s) for s in shape) + ")" if len(shape) != 1 else f"({shape[0]},)"


def dtype_name(dt):
    import numpy as np
    return str(np.dtype(dt)) if dt is not None else "?"
