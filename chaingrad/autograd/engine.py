"""The backward pass: chain rule + dynamic programming over the graph.

Back-propagation computes dL/d(node) for every node of the graph. Expanding the chain rule path
by path would redo the shared prefix of every path; instead each node's gradient is computed
once, stored in a memo, and reused by every path through it (dynamic programming):

1. ``_count_dependencies``: walk the graph from the loss (iteratively, no recursion) and count,
   for every node, how many consumers will send it a gradient.
2. ``_execute``: a node is *ready* when all its consumers have sent theirs (Kahn's algorithm on
   the reversed graph). Its memo entry, now the complete sum over every path, goes once through
   the node's local derivative, and each resulting gradient is added to the memo entry of the
   input it belongs to. The node's saved arrays and memo entry are released right away, so
   memory falls during the backward pass instead of rising.

The visit order and per-node numbers can be observed (``observer``), which is how
``chaingrad.viz.explain_backward`` prints the DP table.
"""
from __future__ import annotations

from .function import AccumulateGrad, FunctionCtx
from .grad_mode import set_grad_enabled
from . import anomaly as _anomaly
from ..ops.dual import ARRAY_MATH, TENSOR_MATH


def _count_dependencies(roots):
    """Number of incoming gradient edges for every node reachable from ``roots``."""
    deps = {}
    seen = set()
    stack = [n for n in roots]
    for n in roots:
        seen.add(n)
    while stack:
        node = stack.pop()
        for edge in node.next_functions:
            if edge is None:
                continue
            child = edge[0]
            deps[child] = deps.get(child, 0) + 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return deps, seen


def _nodes_leading_to(roots, targets):
    """The nodes from which some target node can be reached (iterative post-order)."""
    needed = {}
    stack = [(n, False) for n in roots]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            hit = node in targets
            for edge in node.next_functions:
                if edge is not None and needed.get(edge[0]):
                    hit = True
            needed[node] = hit
            continue
        if node in needed:
            continue
        needed[node] = False
        stack.append((node, True))
        for edge in node.next_functions:
            if edge is not None and edge[0] not in needed:
                stack.append((edge[0], False))
    return {n for n, hit in needed.items() if hit}


def _add(memo_slot, i, g):
    prev = memo_slot[i]
    memo_slot[i] = g if prev is None else prev + g


def _apply_tensor_hooks(node, grads, F):
    from ..tensor import Tensor
    grads = list(grads)
    for output_nr, fn in list(node._pre_hooks):
        if output_nr is None:  # a node pre-hook sees all output gradients
            wrapped = tuple(g if (g is None or F.graph) else Tensor._wrap(g) for g in grads)
            res = fn(wrapped)
            if res is not None:
                grads = [r if (r is None or F.graph) else r.data for r in res]
            continue
        g = grads[output_nr]
        if g is None:
            continue
        res = fn(g if F.graph else Tensor._wrap(g))
        if res is not None:
            grads[output_nr] = res if F.graph else res.data
    return grads


def _accumulate_leaf(leaf, g, F, create_graph):
    from ..tensor import Tensor
    if leaf._hooks:
        for fn in list(leaf._hooks):
            res = fn(g if F.graph else Tensor._wrap(g))
            if res is not None:
                g = res if F.graph else res.data
    if F.graph:
        g_t = g if create_graph else g.detach()
        if leaf.grad is None:
            leaf.grad = g_t
        else:
            leaf.grad = leaf.grad + g_t
    else:
        if leaf.grad is None:
            # own a fresh, writable array: g may be shared with other gradients or read-only
            leaf.grad = Tensor._wrap(ARRAY_MATH.owned_copy(g, leaf.data.dtype))
        elif leaf.grad._requires_grad:
            leaf.grad = leaf.grad.detach() + Tensor._wrap(g)
        else:
            leaf.grad.data += g
            leaf.grad._version_counter.value += 1
    if leaf._post_acc_hooks:
        for fn in list(leaf._post_acc_hooks):
            fn(leaf)


def run_backward(root_edges, root_grads, retain_graph=False, create_graph=False,
                 capture=None, accumulate=True, observer=None):
    """Propagate ``root_grads`` from ``root_edges`` through the graph.

    ``capture``: a dict ``{(node, output_nr): None}`` whose entries receive the total gradient
    flowing into those edges (``autograd.grad``); only the part of the graph leading there runs.
    ``accumulate``: whether leaves' ``.grad`` is updated (False for ``autograd.grad``).
    ``observer(node, grads_in, grads_out, paths)``: called for every executed node, in order.
    """
    F = TENSOR_MATH if create_graph else ARRAY_MATH
    roots = []
    memo = {}
    for (node, nr), g in zip(root_edges, root_grads):
        if node not in memo:
            memo[node] = [None] * node.num_outputs
            roots.append(node)
        _add(memo[node], nr, g)
    deps, reachable = _count_dependencies(roots)
    needed = None
    if capture is not None:
        targets = {node for node, _ in capture}
        needed = _nodes_leading_to(roots, targets)
        deps = {}
        for node in needed:
            for edge in node.next_functions:
                if edge is not None and edge[0] in needed:
                    deps[edge[0]] = deps.get(edge[0], 0) + 1
    ready = [n for n in roots if deps.get(n, 0) == 0 and (needed is None or n in needed)]
    check_anomaly = _anomaly.enabled()
    with set_grad_enabled(create_graph):
        while ready:
            node = ready.pop()
            grads = memo.pop(node)
            if node._pre_hooks:
                grads = _apply_tensor_hooks(node, grads, F)
            if capture is not None:
                for nr in range(len(grads)):
                    if (node, nr) in capture and grads[nr] is not None:
                        capture[(node, nr)] = grads[nr]
            if isinstance(node, AccumulateGrad):
                if accumulate and grads[0] is not None and (
                        capture is None or (node, 0) in capture):
                    _accumulate_leaf(node.variable, grads[0], F, create_graph)
                if observer is not None:
                    observer(node, grads, ())
                continue
            if needed is not None and not any(
                    e is not None and e[0] in needed for e in node.next_functions):
                continue  # a captured edge with nothing needed below it
            if all(g is None for g in grads):
                grads_in = (None,) * len(node.next_functions)
            else:
                if isinstance(node, FunctionCtx):
                    grads_in = node._run_backward(grads, F)
                else:  # multi-output ops handle a None gradient themselves
                    grads_in = node._run_backward(grads, F)
                    if not isinstance(grads_in, tuple):
                        grads_in = (grads_in,)
                grads_in = _fit_gradients(node, grads_in, F)
            if check_anomaly:
                _anomaly.check_gradients(node, grads_in, F.xp)
            if node._hooks:
                for hook in node._hooks:
                    hook(grads_in, grads)
            if observer is not None:
                observer(node, grads, grads_in)
            if not retain_graph:
                node._release()
            for edge, g in zip(node.next_functions, grads_in):
                if edge is None:
                    continue
                child, nr = edge
                if needed is not None and child not in needed:
                    continue
                slot = memo.get(child)
                if slot is None:
                    slot = memo[child] = [None] * child.num_outputs
                if g is not None:
                    _add(slot, nr, g)
                left = deps[child] - 1
                deps[child] = left
                if left == 0:
                    ready.append(child)
    return capture


def _fit_gradients(node, grads_in, F):
    """Sum each gradient back to its input's shape (undoing broadcasting) and dtype."""
    meta = node._input_meta
    if len(grads_in) != len(node.next_functions):
        raise RuntimeError(f"{node.name()} returned {len(grads_in)} gradients, expected "
                           f"{len(node.next_functions)}")
    out = []
    for i, g in enumerate(grads_in):
        if g is None or node.next_functions[i] is None:
            out.append(None)
            continue
        shape, dtype = meta[i]
        if g.shape != shape:
            g = F.sum_to(g, shape)
            if g.shape != shape:
                raise RuntimeError(
                    f"Function {node.name()} returned an invalid gradient at index {i}: got "
                    f"shape {tuple(g.shape)}, expected {tuple(shape)} (a bug in that op's "
                    f"backward)")
        if g.dtype != dtype:
            g = F.cast(g, dtype)
        out.append(g)
    return out
