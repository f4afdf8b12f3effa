"""The backward pass: chain rule + dynamic programming over the graph.

Back-propagation computes dL/d(node) for every node of the graph. Expanding the chain rule path
by path would redo the shared prefix of every path; instead each node's gradient is computed
once, stored in a memo, and reused by every path through it (dynamic programming):

1. Order: every node is made after the nodes of its inputs (the forward pass is itself a
   topological order, numbered by ``Node._seq``), so running nodes from the most recently
   made down guarantees that when a node runs, every consumer has already sent its part. No
   walk over the graph is needed beforehand: a node enters the ready queue (a heap keyed by
   creation order) when its first gradient arrives.
2. ``run_backward``: a node's memo entry, now the complete sum over every path, goes once
   through the node's local derivative, and each resulting gradient is added to the memo
   entry of the input it belongs to. The node's saved arrays and memo entry are released
   right away, so memory falls during the backward pass instead of rising.

Gradient arrays the engine alone refers to (``_unshared``: PyTorch's reference-count rule) are
its own to reuse: a leaf's first ``.grad`` is such an array as is (no copy), a memo sum goes
in place into it, and a backward may overwrite it (``F.owns_grad``, e.g. ReLU's mask).

The visit order and per-node numbers can be observed (``observer``), which is how
``chaingrad.viz.explain_backward`` prints the DP table.

The node loop (``_node_loop``) also exists compiled (``_accel.c``, put in its place by
``accel.py`` where it was built); this Python loop is its definition, and the compiled one
calls back into the helpers below for every uncommon case.
"""
from __future__ import annotations

import heapq
import sys
from heapq import heappop, heappush

from .function import AccumulateGrad
from .grad_mode import set_grad_enabled
from . import anomaly as _anomaly
from ..ops.dual import ARRAY_MATH, OWNED_ARRAY_MATH, TENSOR_MATH
from ..backend import xp as _xp


def _nodes_leading_to(roots, targets):
    """The nodes from which some target node can be reached (iterative post-order)."""
    needed = {}
    stack = [(n, False) for n in roots]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            hit = node in targets
            for edge in node.next_functions:
                if edge and needed.get(edge[0]):
                    hit = True
            needed[node] = hit
            continue
        if node in needed:
            continue
        needed[node] = False
        stack.append((node, True))
        for edge in node.next_functions:
            if edge and edge[0] not in needed:
                stack.append((edge[0], False))
    return {n for n, hit in needed.items() if hit}


_UNSEEN = object()  # memo.get default: no consumer has sent anything to this node yet
_OWN_MIN_SIZE = 4096  # elements; below this, copying is cheaper than tracking ownership


def _extra_refs(a):
    """References to ``a`` beyond the caller's one variable (calibrated below)."""
    return sys.getrefcount(a) - _BASE_REFS


def _calibrate():
    a = _xp.empty(1)  # referenced by this one variable only
    return _extra_refs(a)


_BASE_REFS = 0
_BASE_REFS = _calibrate()


def _unshared(g, held):
    """Whether the engine may keep array ``g`` and later write into it instead of copying it.

    True for a writable array nobody else can see: besides the caller's variable and the
    ``held`` references the caller knows of (the gradient tuple it came in), nothing refers
    to it - so not a saved array, an incoming gradient passed on as is, Add's ``(g, g)``, a
    hook's or the user's array - or it is a whole-buffer view (a reshape) of such an array.
    Read-only and broadcast views, slices and numpy scalars are never owned. PyTorch's
    AccumulateGrad steals a gradient by the same reference-count rule.
    """
    if g.__class__ is not _xp.ndarray or not g.flags.writeable:
        return False
    if _extra_refs(g) > 1 + held:  # 1: the caller's variable (g here is a second one)
        return False
    base = g.base
    return base is None or (
        base.__class__ is _xp.ndarray and base.base is None and base.nbytes == g.nbytes
        and (g.flags.c_contiguous or g.flags.f_contiguous)
        and _extra_refs(base) <= 1)  # 1: the view's own .base


def _add_into(buf, g):
    """buf += g, in an array the engine owns (an inf - inf NaN is a value, kept quietly)."""
    try:
        _xp.add(buf, g, out=buf)
    except FloatingPointError:  # NumPy raises after writing the result
        pass


def _add_root(memo, node, nr, g):
    """Put a root gradient into the memo (see ``run_backward`` for the memo's layout)."""
    if node.num_outputs == 1:
        prev = memo.get(node)
        memo[node] = g if prev is None else prev + g
    else:
        slot = memo.get(node)
        if slot is None:
            slot = memo[node] = [None] * node.num_outputs
        slot[nr] = g if slot[nr] is None else slot[nr] + g


def _apply_tensor_hooks(node, grads, F):
    from ..tensor import Tensor
    grads = list(grads)
    for output_nr, fn in list(node._pre_hooks):
        if output_nr is None:  # a node pre-hook sees all output gradients
            wrapped = tuple(g if (g is None or F.graph) else Tensor._wrap(g) for g in grads)
            res = fn(wrapped)
            if res is not None:
                grads = [r if (r is None or F.graph) else r._array for r in res]
            continue
        g = grads[output_nr]
        if g is None:
            continue
        res = fn(g if F.graph else Tensor._wrap(g))
        if res is not None:
            grads[output_nr] = res if F.graph else res._array
    return grads


def _accumulate_leaf(leaf, g, F, create_graph, owned=False):
    """Add ``g`` into ``leaf.grad``; ``owned``: nobody else refers to array ``g``, so the
    first gradient can become ``.grad`` as is (no copy)."""
    from ..tensor import Tensor
    if leaf._hooks:
        owned = False  # the hook saw g and may keep it
        for fn in list(leaf._hooks):
            res = fn(g if F.graph else Tensor._wrap(g))
            if res is not None:
                g = res if F.graph else res._array
    if F.graph:
        g_t = g if create_graph else g.detach()
        if leaf.grad is None:
            leaf.grad = g_t
        else:
            leaf.grad = leaf.grad + g_t
    else:
        if leaf.grad is None:
            if owned and g.dtype == leaf._array.dtype:
                leaf.grad = Tensor._wrap(g)
            else:  # g may be shared with other gradients or read-only: copy it
                leaf.grad = Tensor._wrap(ARRAY_MATH.owned_copy(g, leaf._array.dtype))
        elif leaf.grad._requires_grad:
            leaf.grad = leaf.grad.detach() + Tensor._wrap(g)
        else:
            leaf.grad._array += g
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
    ``observer(node, grads_out_of_node, grads_to_inputs)``: called for every executed node, in
    visit order (``grads_to_inputs`` is ``()`` for an AccumulateGrad node).
    """
    F = TENSOR_MATH if create_graph else ARRAY_MATH
    # ids of the memo's arrays that only the engine refers to (see _unshared): the first
    # gradient of a leaf becomes its .grad without a copy, sums accumulate in place
    owned = set()
    track = not create_graph and observer is None  # an observer may keep the arrays
    # the DP memo: node -> dL/d(its output), summed over every path so far (for a node with
    # several outputs, a list with one entry per output); absent while nothing has arrived
    memo = {}
    roots = []
    for (node, nr), g in zip(root_edges, root_grads):
        if node not in roots:
            roots.append(node)
        _add_root(memo, node, nr, g)
    needed = None
    if capture is not None:
        needed = _nodes_leading_to(roots, {node for node, _ in capture})
    # nodes run from the most recently made down (reverse creation order is a topological
    # order: see Node._seq), so when a node runs, every consumer has sent its part
    ready = [(-n._seq, n) for n in roots if needed is None or n in needed]
    heapq.heapify(ready)
    check_anomaly = _anomaly.enabled()
    # a node takes the short way (its backward called directly, nothing observed) unless one
    # of these asks for more
    watched = capture is not None or observer is not None or check_anomaly

    def run_node(node, entry):  # a node the long way (see _run_node)
        return _run_node(node, entry, F, owned, capture, needed, accumulate, create_graph,
                         observer, check_anomaly, retain_graph)

    with set_grad_enabled(create_graph), _FloatingPointGuard():
        _node_loop(ready, memo, F, OWNED_ARRAY_MATH, owned, retain_graph, track, watched,
                   needed, run_node)
    return capture


def _node_loop(ready, memo, F, owned_F, owned, retain_graph, track, watched, needed, run_node):
    """Run the nodes in ``ready`` and every node they lead to, each once, from the most
    recently made down (the loop of ``run_backward``; ``_accel.backward_loop`` is the same
    loop compiled, used where it was built: see autograd/accel.py)."""
    while ready:
        node = heappop(ready)[1]
        entry = memo.pop(node)  # complete: every consumer has sent its part
        edges = node.next_functions
        if (node._direct and not watched and node._pre_hooks is None
                and node._hooks is None and not node._freed):
            # the common case: one output gradient in, the local derivative (chain
            # rule), one gradient per input out
            if entry is None:  # nothing arrived: nothing to propagate
                grads_in = (None,) * len(edges)
            else:
                Fn = F
                if owned and id(entry) in owned:  # it may write into its incoming one
                    owned.discard(id(entry))
                    Fn = owned_F
                try:
                    grads_in = node.backward(entry, Fn)
                except FloatingPointError:  # 0 * inf or 0 / 0 in the local derivative
                    grads_in = _structural_zeros(node, [entry], Fn)
                if grads_in.__class__ is not tuple:
                    grads_in = (grads_in,)
                if len(grads_in) != len(edges):
                    _wrong_count(node, grads_in)
            if not retain_graph:  # free what it saved (Op._release, inlined)
                if node._keeps_context:
                    node._release()
                else:
                    node._consumed = True
                    if node._saved is not None or node._saved_out is not None:
                        node._saved = node._saved_out = None
                        node._freed = True
        else:
            grads_in = run_node(node, entry)  # the long way: hooks, captures, leaves ...
            if grads_in is None:  # a leaf's AccumulateGrad, or nothing needed below
                continue
        # send each input its gradient (summed back to the input's shape and dtype); a
        # child is ready once all its consumers have sent theirs
        keep = track and not node._hooks  # a node hook may keep grads_in
        meta = node._input_meta
        i = -1
        for edge in edges:
            i += 1
            if not edge:  # an input that needs no gradient (NO_EDGE)
                continue
            child = edge[0]
            if needed is not None and child not in needed:
                continue
            g = grads_in[i]
            if g is not None:
                m = meta[i]
                if g.shape != m[0] or g.dtype is not m[1]:
                    g = _fit(node, i, g, m, F)
                if child.num_outputs == 1:
                    prev = memo.get(child, _UNSEEN)
                    if prev is None or prev is _UNSEEN:
                        if prev is _UNSEEN:
                            heappush(ready, (-child._seq, child))
                        if keep and g.size >= _OWN_MIN_SIZE and _unshared(
                                g, g is grads_in[i]):
                            owned.add(id(g))
                        memo[child] = g
                    elif owned or (keep and g.size >= _OWN_MIN_SIZE):
                        memo[child] = _sum_into_memo(prev, g, owned, keep, grads_in[i])
                    else:  # where paths meet: the sum (small arrays, nothing to reuse)
                        try:
                            memo[child] = prev + g
                        except FloatingPointError:
                            memo[child] = _sum(prev, g)
                    continue
                slot = memo.get(child)
                if slot is None:
                    slot = memo[child] = [None] * child.num_outputs
                    heappush(ready, (-child._seq, child))
                nr = edge[1]
                prev = slot[nr]
                slot[nr] = g if prev is None else _sum_into_memo(
                    prev, g, owned, keep, grads_in[i])
            elif child not in memo:  # nothing sent, but the child still runs (its hooks
                # and observers see it, as in PyTorch)
                memo[child] = None if child.num_outputs == 1 else [None] * child.num_outputs
                heappush(ready, (-child._seq, child))


def _sum_into_memo(prev, g, owned, keep, sent):
    """prev + g for a memo entry, in place into an array only the engine holds if there is
    one (``sent``: the array as the node returned it, for the reference count)."""
    if owned and id(prev) in owned and prev.shape == g.shape and prev.dtype == g.dtype:
        _add_into(prev, g)  # the engine's own buffer: sum in place
        return prev
    if keep and g.size >= _OWN_MIN_SIZE and prev.shape == g.shape and (
            prev.dtype == g.dtype and _unshared(g, 1 + 2 * (g is sent))):  # (2: sent and the tuple)
        _add_into(g, prev)  # g is the engine's: sum into it (a+b == b+a)
        owned.add(id(g))
        return g
    total = _sum(prev, g)
    if owned:
        owned.discard(id(prev))
    if keep and total.size >= _OWN_MIN_SIZE and total.__class__ is _xp.ndarray:
        owned.add(id(total))  # a fresh sum: the engine's
    return total


def _run_node(node, entry, F, owned, capture, needed, accumulate, create_graph, observer,
              check_anomaly, retain_graph):
    """One node the long way: hooks, ``autograd.grad`` captures, an observer, anomaly
    checks, several outputs, leaves. Returns the gradients for its inputs, or None when
    there is nothing to send on."""
    if node.num_outputs == 1:
        grads = [entry]
    else:
        grads = [None] * node.num_outputs if entry is None else list(entry)
    mine = False  # whether the engine owns grads[0]
    if owned:
        mine = id(grads[0]) in owned
        for g in grads:
            owned.discard(id(g))
    if node._pre_hooks:
        mine = False  # the hooks saw the gradients and may keep them
        with _xp.errstate(invalid="ignore"):
            grads = _apply_tensor_hooks(node, grads, F)
    if capture is not None:
        for nr in range(len(grads)):
            if (node, nr) in capture and grads[nr] is not None:
                prev = capture[(node, nr)]  # (a leaf's node may run twice, see AccumulateGrad)
                capture[(node, nr)] = grads[nr] if prev is None else prev + grads[nr]
                mine = False
    if node.__class__ is AccumulateGrad:
        node._ran = True
        leaf = node.variable  # None if the leaf tensor itself is gone
        if accumulate and grads[0] is not None and leaf is not None and (
                capture is None or (node, 0) in capture):
            with _xp.errstate(invalid="ignore"):
                _accumulate_leaf(leaf, grads[0], F, create_graph, mine)
        if observer is not None:
            observer(node, grads, ())
        return None
    edges = node.next_functions
    if needed is not None and not any(e and e[0] in needed for e in edges):
        return None  # a captured edge with nothing needed below it
    # the local derivative (chain rule): one gradient per input; it may write into
    # an incoming gradient that only the engine refers to (no node hook sees it after)
    Fn = OWNED_ARRAY_MATH if mine and not node._hooks and node.num_outputs == 1 else F
    for g in grads:
        if g is not None:
            try:
                grads_in = node._run_backward(grads, Fn)
            except FloatingPointError:  # 0 * inf or 0 / 0 in the local derivative
                grads_in = _structural_zeros(node, grads, Fn)
            if grads_in.__class__ is not tuple:
                grads_in = (grads_in,)
            if len(grads_in) != len(edges):
                _wrong_count(node, grads_in)
            break
    else:  # nothing arrived: nothing to propagate, but the children still count it
        grads_in = (None,) * len(edges)
    if node._hooks or observer is not None or check_anomaly:
        with _xp.errstate(invalid="ignore"):
            grads_in = _fit_gradients(node, grads_in, F)
        if check_anomaly:
            _anomaly.check_gradients(node, grads_in, F.xp)
        with _xp.errstate(invalid="ignore"):  # user code runs quietly
            if node._hooks:
                for hook in node._hooks:
                    hook(grads_in, grads)
            if observer is not None:
                observer(node, grads, grads_in)
    if not retain_graph:
        node._release()
    return grads_in


class _FloatingPointGuard:
    """NumPy floating-point state for the backward pass.

    Division by zero and overflow are values (inf), as in PyTorch: silenced, and reported by
    ``detect_anomaly`` instead of stray RuntimeWarnings. An *invalid* operation (0 * inf,
    0 / 0, inf - inf) raises, so that the NaN-safe rule below runs exactly where a NaN would be
    born and costs nothing anywhere else.
    """

    __slots__ = ("_old",)

    def __enter__(self):
        self._old = _xp.seterr(divide="ignore", over="ignore", under="ignore", invalid="raise")

    def __exit__(self, *exc):
        _xp.seterr(**self._old)


def _structural_zeros(node, grads, F):
    """The NaN-safe rule: a gradient that is structurally zero stays zero.

    A local derivative met 0 * inf or 0 / 0, e.g. ``where(x > 0, x.sqrt(), 0)`` at x = 0,
    where ``where`` sends sqrt an exact 0 and sqrt's derivative 1 / (2 sqrt x) is inf.
    The chain rule's product 0 * inf is a NaN only by floating-point accident: that input
    did not influence the loss at all. So the node's backward runs again quietly and, for a
    pointwise op, every position whose incoming gradient is exactly zero gets an exactly
    zero gradient. An unmasked sqrt(0) (incoming gradient 1) still gives inf.
    """
    with _xp.errstate(invalid="ignore"):
        grads_in = node._run_backward(grads, F)
    single = grads_in.__class__ is not tuple
    if single:
        grads_in = (grads_in,)
    g = grads[0]
    if node.pointwise and g is not None:
        g_arr = g._array if F.graph else g
        zero = g_arr == 0
        if zero.any():
            grads_in = tuple(
                gi if gi is None or tuple(gi.shape) != g_arr.shape
                else F.where(zero, _xp.zeros((), gi.dtype), gi) for gi in grads_in)
    return grads_in[0] if single else grads_in


def _sum(a, b):
    """a + b, quietly if it is inf - inf (a NaN that is a value, not an accident)."""
    try:
        return a + b
    except FloatingPointError:
        with _xp.errstate(invalid="ignore"):
            return a + b


def _fit_gradients(node, grads_in, F):
    """Every gradient of ``node`` summed back to its input's shape and cast to its dtype."""
    if len(grads_in) != len(node.next_functions):
        _wrong_count(node, grads_in)
    return [None if g is None or not edge else _fit(node, i, g, meta, F)
            for i, (g, edge, meta) in enumerate(zip(grads_in, node.next_functions,
                                                     node._input_meta))]


def _fit(node, i, g, meta, F):
    """Sum gradient ``g`` of input ``i`` back to that input's shape (undoing broadcasting,
    the one place this is done) and cast it to the input's dtype."""
    shape, dtype = meta
    if g.shape != shape:
        try:
            g = F.sum_to(g, shape)
        except FloatingPointError:  # inf - inf while summing: a NaN that is a value
            with _xp.errstate(invalid="ignore"):
                g = F.sum_to(g, shape)
        if g.shape != shape:
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {i}: got shape "
                f"{tuple(g.shape)}, expected {tuple(shape)} (a bug in that op's backward)")
    if g.dtype != dtype:
        g = F.cast(g, dtype)
    return g


def _wrong_count(node, grads_in):
    raise RuntimeError(f"{node.name()} returned {len(grads_in)} gradients, expected "
                       f"{len(node.next_functions)}")
