"""``draw_graph``: the computational graph behind a tensor, as Graphviz DOT, SVG, PNG or PDF.

Leaves (parameters by name) are boxes, every op node an ellipse; each shows its output shape
and dtype, its value (when still known) and, after a backward pass, the norm of the gradient
that reached it, coloured from blue (small) to red (large) on a log scale. Arrows point the
way the forward pass went (input -> op); the backward pass runs them in reverse.
"""
from __future__ import annotations

import math
import shutil
import subprocess

from ..autograd.function import AccumulateGrad
from . import _record
from ._walk import (dtype_name, edges, fmt_shape, leaf_name, output_meta, param_names,
                    root_node, topo_order)
from .modules import assign_modules, collapse_key

INSTALL_HINT = ("Graphviz's `dot` program was not found on PATH. Install it with "
                "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
                "(macOS) or `conda install -c conda-forge graphviz`; the DOT text is "
                "available without it as `.source`.")

# blue -> light grey -> red (a diverging scale, log10 |grad|)
_STOPS = [(0.0, (120, 160, 235)), (0.5, (235, 235, 235)), (1.0, (240, 100, 80))]


class GraphvizNotFound(RuntimeError):
    """Raised when rendering needs Graphviz's ``dot`` and it is not installed."""


def _colour(t):
    t = min(max(t, 0.0), 1.0)
    for (t0, c0), (t1, c1) in zip(_STOPS, _STOPS[1:]):
        if t <= t1:
            u = (t - t0) / (t1 - t0)
            r, g, b = (round(a + (b_ - a) * u) for a, b_ in zip(c0, c1))
            return f"#{r:02x}{g:02x}{b:02x}"
    return "#f06450"


def _esc(s):
    return str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _fmt_norm(v):
    return "0" if v == 0 else f"{v:.3g}"


class GraphView:
    """The drawable graph of a tensor (see ``draw_graph``). ``source`` is rebuilt on each
    access, so a view made before ``backward()`` shows the gradients afterwards."""

    def __init__(self, tensor, params=None, show_values=True, show_grads=True,
                 collapse=False, max_values=6):
        self._tensor = tensor
        self._root = root_node(tensor)
        self._names = param_names(params)
        self.show_values = show_values
        self.show_grads = show_grads
        self.collapse = collapse
        self._order = topo_order(self._root)
        self._meta = output_meta(self._order, tensor)
        if show_values:
            _record.snapshot_values(self._order, tensor, max_values)
        if show_grads:
            _record.watch(self._order)
        self._max_values = max_values
        # leaves' values as they were when the graph ran (an optimizer step may change them)
        self._leaf_values = {n: _record.summarize(n.variable._array, max_values)
                             for n in self._order if isinstance(n, AccumulateGrad)} \
            if show_values else {}

    # -- the graph as data ---------------------------------------------------------------------
    def _grad_norm(self, node):
        if isinstance(node, AccumulateGrad):
            g = node.variable.grad
            return None if g is None else _record.norm(g)
        return node.__dict__.get("_metadata", {}).get("grad_norm")

    def _units(self):
        """Nodes and edges as drawn: {uid: info}, [(src uid, dst uid, count)]."""
        leaf_names = {n: leaf_name(n, self._names) for n in self._order
                      if isinstance(n, AccumulateGrad)}
        modules = assign_modules(self._order, {n: v for n, v in leaf_names.items() if v})
        ids = {n: f"n{i}" for i, n in enumerate(self._order)}
        units, owner = {}, {}
        for node in self._order:
            key = collapse_key(modules.get(node), self.collapse)
            if key is not None:
                uid = "g_" + "".join(c if c.isalnum() else "_" for c in key)
                u = units.setdefault(uid, {"kind": "block", "name": key, "module": key,
                                           "ops": 0, "params": 0, "sq": 0.0, "has_grad": False,
                                           "members": []})
                u["members"].append(node)
                if isinstance(node, AccumulateGrad):
                    u["params"] += 1
                else:
                    u["ops"] += 1
                gn = self._grad_norm(node)
                if gn is not None and isinstance(node, AccumulateGrad):
                    u["sq"] += gn * gn
                    u["has_grad"] = True
                owner[node] = uid
                continue
            uid = ids[node]
            owner[node] = uid
            shapes = self._meta.get(node, {})
            shape, dtype = shapes.get(0, (None, None)) if shapes else (None, None)
            info = {"kind": "leaf" if isinstance(node, AccumulateGrad) else "op",
                    "name": leaf_names.get(node) or ("leaf" if isinstance(node, AccumulateGrad)
                                                     else node.name()),
                    "shape": shape, "dtype": dtype_name(dtype) if dtype is not None else None,
                    "module": modules.get(node), "grad_norm": self._grad_norm(node),
                    "node": node, "root": node is self._root}
            meta = node.__dict__.get("_metadata", {})
            if isinstance(node, AccumulateGrad):
                info["value"] = self._leaf_values.get(node)
            else:
                info["value"] = meta.get("value")
            units[uid] = info
        for u in units.values():
            if u["kind"] == "block":
                u["grad_norm"] = math.sqrt(u["sq"]) if u["has_grad"] else None
        counts = {}
        for node in self._order:
            for _, child, _ in edges(node):
                a, b = owner[child], owner[node]
                if a == b:
                    continue
                counts[(a, b)] = counts.get((a, b), 0) + 1
        if self.collapse:
            edge_list = [(a, b, c) for (a, b), c in counts.items()]
        else:  # parallel edges (x * x) are drawn once each: they are separate paths
            edge_list = [(a, b, 1) for (a, b), c in counts.items() for _ in range(c)]
        return units, edge_list, modules

    @property
    def nodes(self):
        """The drawn nodes as dicts (id, kind, name, shape, dtype, module, grad_norm, value)."""
        units, _, _ = self._units()
        return [{k: v for k, v in dict(u, id=uid).items() if k not in ("node", "members", "sq",
                                                                         "has_grad")}
                for uid, u in units.items()]

    @property
    def edges(self):
        """The drawn edges as (from id, to id, count), in the forward direction."""
        return self._units()[1]

    # -- DOT -----------------------------------------------------------------------------------
    @property
    def source(self) -> str:
        units, edge_list, modules = self._units()
        norms = [u["grad_norm"] for u in units.values() if u.get("grad_norm")]
        lo = math.log10(min(norms)) if norms else 0.0
        hi = math.log10(max(norms)) if norms else 0.0
        lines = ["digraph chaingrad {",
                 '  graph [rankdir=BT, fontname="Helvetica", fontsize=10, nodesep=0.15, '
                 'ranksep=0.25];',
                 '  node [fontname="Helvetica", fontsize=9, style=filled, fillcolor=white, '
                 'height=0.3];',
                 '  edge [arrowsize=0.6, color="#555555", fontname="Helvetica", fontsize=8];']
        if norms and self.show_grads:
            lines.append(f'  label="colour: |grad| on a log scale, blue {10 ** lo:.2g} -> red '
                         f'{10 ** hi:.2g}"; labelloc=t;')
        clusters = {}
        for uid, u in units.items():
            label = self._label(u)
            attrs = [f'label="{_esc(label)}"']
            kind = u["kind"]
            attrs.append("shape=box" if kind == "leaf" else
                         "shape=box3d" if kind == "block" else "shape=ellipse")
            if self.show_grads and u.get("grad_norm"):
                t = 0.5 if hi == lo else (math.log10(u["grad_norm"]) - lo) / (hi - lo)
                attrs.append(f'fillcolor="{_colour(t)}"')
            elif self.show_grads and u.get("grad_norm") == 0:
                attrs.append('fillcolor="#bbbbbb"')
            if u.get("root"):
                attrs.append("penwidth=2")
            line = f'{uid} [{", ".join(attrs)}];'
            clusters.setdefault(u.get("module") if kind != "block" else None,
                                []).append(line)
        lines += self._cluster_lines(clusters)
        for a, b, c in edge_list:
            lines.append(f"  {a} -> {b}" + (f' [label="x{c}"]' if c > 1 else "") + ";")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def _label(self, u):
        if u["kind"] == "block":
            parts = [u["name"], f"{u['ops']} ops, {u['params']} params"]
        else:
            parts = [u["name"]]
            if u["shape"] is not None:
                parts.append(f"{fmt_shape(u['shape'])} {u['dtype']}")
            if self.show_values and u.get("value"):
                parts.append("= " + u["value"])
        if self.show_grads and u.get("grad_norm") is not None:
            parts.append(f"|grad| {_fmt_norm(u['grad_norm'])}")
        return "\n".join(parts)

    @staticmethod
    def _cluster_lines(clusters):
        """Nested ``subgraph cluster_`` blocks, one per module name, prefixes enclosing."""
        out = ["  " + ln for ln in clusters.pop(None, [])]
        tree = {}
        for mod in sorted(clusters):
            node = tree
            for comp in mod.split("."):
                node = node.setdefault(comp, {})
        counter = [0]

        def emit(subtree, prefix, depth):
            for comp, children in subtree.items():
                name = f"{prefix}.{comp}" if prefix else comp
                counter[0] += 1
                pad = "  " * depth
                out.append(f"{pad}subgraph cluster_{counter[0]} {{")
                out.append(f'{pad}  label="{_esc(name)}"; style=rounded; color="#999999";')
                out.extend(f"{pad}  {ln}" for ln in clusters.get(name, []))
                emit(children, name, depth + 1)
                out.append(f"{pad}}}")
        emit(tree, "", 1)
        return out

    # -- rendering -------------------------------------------------------------------------------
    def pipe(self, format="svg") -> bytes:  # noqa: A002
        """Run ``dot -T<format>`` on the source and return its output."""
        dot = shutil.which("dot")
        if dot is None:
            raise GraphvizNotFound(INSTALL_HINT)
        res = subprocess.run([dot, f"-T{format}"], input=self.source.encode(),
                             capture_output=True, timeout=600)
        if res.returncode != 0:
            raise RuntimeError(f"dot failed: {res.stderr.decode(errors='replace').strip()}")
        return res.stdout

    def svg(self) -> str:
        return self.pipe("svg").decode()

    def _repr_svg_(self):
        return self.svg()

    def render(self, path, format=None) -> str:  # noqa: A002
        """Write the drawing to ``path`` as png, svg, pdf (from the suffix unless given) or
        dot (the source itself); returns the path."""
        path = str(path)
        fmt = format or (path.rsplit(".", 1)[-1].lower() if "." in path else "png")
        if fmt not in ("png", "svg", "pdf", "dot", "gv"):
            raise ValueError(f"unsupported format {fmt!r}: use 'png', 'svg', 'pdf' or 'dot'")
        data = self.source.encode() if fmt in ("dot", "gv") else self.pipe(fmt)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def __str__(self):
        return self.source

    def __repr__(self):
        units, edge_list, _ = self._units()
        return f"<GraphView: {len(units)} nodes, {len(edge_list)} edges>"


def draw_graph(tensor, params=None, show_values=True, show_grads=True, collapse=False,
               max_values=6):
    """The computational graph that produced ``tensor``, ready to draw.

    Walks ``tensor.grad_fn.next_functions`` down to the leaves. Each op node shows its name,
    output shape and dtype; each leaf its name (from ``params``), shape, dtype and values.
    After ``backward()`` every node also shows ``|grad|``, the norm of dL/d(its output), and is
    coloured by it on a log scale (blue small, red large). Op outputs' values are shown
    when the graph still holds them (draw before ``backward()``; the view keeps them).

    Args:
        tensor: the output (usually the loss).
        params: names for leaves: a Module (``named_parameters``), a dict name -> tensor, or
            None (leaves named by ``tensor.name`` or "leaf").
        show_values (True), show_grads (True): what the labels show.
        collapse (False): True draws one box per repeated block (a module whose qualified
            name ends in an index: ``layer1.0``, ``features.3``); an int d groups by the first
            d name components; a list of module-name prefixes collapses those. Modules come
            from ``trace_modules(model)`` around the forward, else are guessed from names.
        max_values (6): arrays up to this size print their values, larger ones mean and std.

    Returns a ``GraphView`` with ``.source`` (DOT), ``.svg()``, ``_repr_svg_()`` (Jupyter),
    ``.render(path, format='png'|'svg'|'pdf')``, and ``.nodes`` / ``.edges`` as data.

    Example::

        x = cg.tensor([1.0, 2.0], requires_grad=True)
        loss = (x * x).sum()
        g = viz.draw_graph(loss, params={"x": x})
        loss.backward()
        g.render("graph.png")      # now with |grad| on every node
    """
    return GraphView(tensor, params, show_values, show_grads, collapse, max_values)
