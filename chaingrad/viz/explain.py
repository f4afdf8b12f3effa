"""``explain_backward``: the dynamic-programming table of a backward pass.

The engine visits each node once, after every consumer has sent it its gradient; the
gradient it then holds is the sum over every path from the loss (the memo entry of the DP).
This module runs the real backward pass with an observer and writes one row per op node in
that order, then puts the DP's cost next to the cost of the chain rule expanded path by path
(the cost model is in ``chaingrad.viz.structure``).
"""
from __future__ import annotations

import html
import inspect
import re

import numpy as np

from ..autograd.engine import run_backward
from ..autograd.function import AccumulateGrad
from . import _record
from ._walk import dtype_name, fmt_shape, leaf_name, output_meta, param_names, root_node, topo_order
from .structure import PathCounter

_LOCAL_DEFAULT = {
    "Neg": "d(-x) = -dx", "Reshape": "reshape g back to the input's shape",
    "Index": "scatter-add g into the indexed positions", "Expand": "sum g over broadcast axes",
    "Clone": "identity", "Cast": "cast g back to the input's dtype",
    "Clamp": "d clamp(x) = [lo < x < hi]", "Maximum": "g to the larger input",
    "Minimum": "g to the smaller input", "Where": "g where cond to a, elsewhere to b",
    "AmaxAmin": "g shared among the extreme elements", "Flip": "flip g back",
    "CrossEntropy": "d loss / dz = scale (softmax(z) - onehot(t))",
    "MaxPool2d": "g to the max of each window", "Permute": "undo the permutation",
}
_local_cache = {}


def local_derivative(node) -> str:
    """The local derivative an op applies, read from the ``# d ...`` comment that sits on its
    ``backward`` (see STYLE.md), else a short description."""
    cls = type(node)
    if cls in _local_cache:
        return _local_cache[cls]
    text = None
    fn = getattr(cls, "backward", None)
    if fn is not None and cls.__module__.startswith("chaingrad"):
        try:
            src = inspect.getsource(fn)
            m = re.search(r"#\s*(.+)", src)
            if m and "noqa" not in m.group(1):
                text = m.group(1).strip()
        except (OSError, TypeError):
            pass
    if text is None:
        doc = (getattr(fn, "__doc__", None) or "").strip().splitlines()
        text = _LOCAL_DEFAULT.get(cls.__name__) or (doc[0] if doc else f"{node.name()}")
    _local_cache[cls] = text
    return text


class BackwardExplanation:
    """The DP table of one backward pass.

    Attributes:
        rows: one dict per op node, in the engine's visit order, with ``step``, ``op``,
            ``shape``, ``dtype``, ``paths`` (distinct paths loss -> node, parallel edges
            counted separately), ``contributions`` (gradients summed into its memo entry),
            ``grad_norm`` (norm of the accumulated incoming gradient dL/d(output)), ``grad``
            (that gradient as an array when it has at most ``keep`` elements, else None),
            ``local`` (the local derivative used), ``grads_to_inputs`` (norms of what it sent
            on) and ``macs`` (its share of ``dp_cost``).
        leaves: one dict per leaf reached (``name``, ``shape``, ``paths``, ``grad_norm``).
        total_paths: paths from the loss to all leaves (sum of the leaves' ``paths``).
        scalar_paths: the same counted element by element (see ``structure``).
        dp_cost, naive_cost: multiply-accumulates of the DP pass and of the path-by-path
            expansion; ``exact`` is True when naive_cost is an exact int, False when it is a
            float (rounded past 2**53) or, if ``unknown_ops`` is not empty, a lower bound.
    """

    def __init__(self, rows, leaves, total_paths, scalar_paths, dp_cost, naive_cost, exact,
                 unknown_ops):
        self.rows = rows
        self.leaves = leaves
        self.total_paths = total_paths
        self.scalar_paths = scalar_paths
        self.dp_cost = dp_cost
        self.naive_cost = naive_cost
        self.exact = exact
        self.unknown_ops = sorted(unknown_ops)

    @property
    def speedup(self) -> float:
        """naive_cost / dp_cost."""
        return float(self.naive_cost) / max(self.dp_cost, 1)

    def _table(self):
        head = ["step", "op", "shape", "paths", "sum of", "|grad|", "local derivative",
                "|grad| sent to inputs", "MACs"]
        body = []
        for r in self.rows:
            sent = ", ".join("-" if g is None else f"{g:.3g}" for g in r["grads_to_inputs"])
            body.append([str(r["step"]), r["op"], fmt_shape(r["shape"]) if r["shape"] is not
                         None else "?", str(r["paths"]), str(r["contributions"]),
                         "-" if r["grad_norm"] is None else f"{r['grad_norm']:.4g}",
                         r["local"], sent, str(r["macs"])])
        lhead = ["leaf", "shape", "paths", "|grad|"]
        lbody = [[lf["name"], fmt_shape(lf["shape"]), str(lf["paths"]),
                  "-" if lf["grad_norm"] is None else f"{lf['grad_norm']:.4g}"]
                 for lf in self.leaves]
        return head, body, lhead, lbody

    def summary_lines(self):
        bound = ("" if self.exact else "at least " if self.unknown_ops else "about ")
        lines = [
            f"paths from the loss to the leaves: {self.total_paths} through ops, "
            f"{_big(self.scalar_paths)} element by element",
            f"DP backward pass (each local derivative used once): {_big(self.dp_cost)} "
            f"multiply-adds",
            f"chain rule expanded path by path, nothing stored: {bound}"
            f"{_big(self.naive_cost)} multiply-adds ({bound}{_ratio(self.speedup)} the DP)",
        ]
        if self.unknown_ops:
            lines.append("ops without an exact path rule (counted as a lower bound): "
                         + ", ".join(self.unknown_ops))
        return lines

    def __str__(self):
        head, body, lhead, lbody = self._table()
        out = [_text_table(head, body), "", _text_table(lhead, lbody), ""]
        return "\n".join(out + self.summary_lines())

    def __repr__(self):
        return (f"<BackwardExplanation: {len(self.rows)} op nodes, dp_cost={self.dp_cost}, "
                f"naive_cost={_big(self.naive_cost)}>")

    def _repr_html_(self):
        head, body, lhead, lbody = self._table()
        parts = [_html_table(head, body), _html_table(lhead, lbody), "<p>"]
        parts.append("<br>".join(html.escape(s) for s in self.summary_lines()))
        return "".join(parts) + "</p>"


def _big(v):
    if isinstance(v, int) or (isinstance(v, float) and v < 1e15 and v == int(v)):
        return f"{int(v):,}"
    return f"{v:.3e}"


def _ratio(r):
    return f"{r:.3g}x" if r < 1e6 else f"{r:.2e}x"


def _text_table(head, body):
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h)
              for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*head), "  ".join("-" * w for w in widths)]
    lines += [fmt.format(*r) for r in body]
    return "\n".join(lines)


def _html_table(head, body):
    h = "".join(f"<th>{html.escape(c)}</th>" for c in head)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                   for r in body)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{rows}</tbody></table>"


def explain_backward(loss, retain_graph=False, gradient=None, params=None, keep=10_000,
                     costs=True):
    """Run ``loss.backward()`` and return its dynamic-programming table.

    Each op node is one row, in the order the engine visits it: a node runs only after all
    its consumers, so the gradient it holds is already summed over every path from the loss
    (``paths`` counts those paths; ``contributions`` how many gradients were added). Below
    the table: ``dp_cost`` (multiply-accumulates of this pass) against ``naive_cost`` (the
    chain rule expanded path by path with no stored sub-results). Cost model, exactly:

        dp_cost    = sum over arithmetic ops of the structurally non-zero entries of their
                     Jacobians (one MAC each: g_in[i] += J[j, i] g_out[j]); data movement
                     (reshape, indexing, cat, casts) costs 0
        naive_cost = sum over every scalar path loss -> leaf element of its number of
                     arithmetic edges (a product of l partials added to a sum: l MACs)

    computed by DP over per-element path counts (``chaingrad.viz.structure``); exact for
    graphs of known ops (``.exact``), a lower bound otherwise.

    Args:
        loss: the tensor to differentiate (a scalar, or pass ``gradient``).
        retain_graph (False): keep the graph for another backward, as in ``backward``.
        gradient (None): dL/d(loss) for a non-scalar ``loss``.
        params (None): names for leaves (a Module or dict name -> tensor).
        keep (10000): rows keep the gradient array itself when it is at most this big.
        costs (True): compute the path and cost counts (False: only the table).

    Leaves' ``.grad`` are filled exactly as ``loss.backward()`` would.

    Example::

        x = cg.tensor(2.0, requires_grad=True)
        e = viz.explain_backward(x * x + x)
        e.total_paths, e.dp_cost, e.naive_cost      # 3, 4, 5
        print(e)
    """
    root = root_node(loss)
    if gradient is None:
        if loss.numel() != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        g0 = np.ones(loss.shape, dtype=loss._array.dtype)
    else:
        g0 = np.asarray(getattr(gradient, "_array", gradient), dtype=loss._array.dtype)
    order = topo_order(root)
    shapes = output_meta(order, loss)
    _record.snapshot_values(order, loss)
    names = param_names(params)
    counter = PathCounter(loss.shape) if costs else None
    if counter is not None:
        counter.start(root)
    paths = {root: 1}
    contributions = {}
    for node in order:
        for e in node.next_functions:
            if e:
                contributions[e[0]] = contributions.get(e[0], 0) + 1
    rows, leaves = [], []

    def observer(node, grads_out, grads_in):
        p = paths.get(node, 0)
        for e in node.next_functions:
            if e:
                paths[e[0]] = paths.get(e[0], 0) + p
        if isinstance(node, AccumulateGrad):
            if counter is not None:
                counter.leaf(node)
            v = node.variable
            leaves.append({"name": leaf_name(node, names) or "leaf", "shape": tuple(v.shape),
                           "paths": p, "grad_norm": None if v.grad is None
                           else _record.norm(v.grad), "tensor": v})
            return
        gnorm = _record.grads_norm(grads_out)
        node.metadata["grad_norm"] = gnorm
        out = shapes.get(node, {})
        shape, dtype = out.get(0, (None, None))
        g = grads_out[0] if len(grads_out) == 1 else None
        arr = _record.array_of(g)
        macs, _ = counter.visit(node, {k: tuple(s) for k, (s, _) in out.items()}) \
            if counter is not None else (None, True)
        rows.append({
            "step": len(rows) + 1, "op": node.name(),
            "shape": None if shape is None else tuple(shape),
            "dtype": None if dtype is None else dtype_name(dtype),
            "paths": p, "contributions": contributions.get(node, 1),
            "grad_norm": gnorm,
            "grad": None if arr is None or arr.size > keep else np.array(arr, copy=True),
            "local": local_derivative(node),
            "grads_to_inputs": [None if gi is None else _record.norm(gi) for gi in grads_in],
            "macs": macs,
        })

    run_backward([loss._edge()], [g0], retain_graph=retain_graph, observer=observer)
    total = sum(lf["paths"] for lf in leaves)
    if counter is not None:
        naive, scalar_paths = counter.finish()
        return BackwardExplanation(rows, leaves, total, scalar_paths, counter.dp_cost, naive,
                                   counter.exact, counter.unknown_ops)
    return BackwardExplanation(rows, leaves, total, None, None, None, False, ())
