"""draw_graph: every node and edge in the DOT text, names, shapes, grads, real `dot` output."""
import re
import shutil

import numpy as np
import pytest

import chaingrad as cg
from chaingrad import nn, viz

NODE = re.compile(r'^\s*(\w+) \[label="((?:[^"\\]|\\.)*)"(.*)\];$')
EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[label=\"x(\d+)\"\])?;$")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz not installed")


def parse(source):
    nodes, edges = {}, []
    for line in source.splitlines():
        m = NODE.match(line)
        if m:
            nodes[m.group(1)] = (m.group(2).split("\\n"), m.group(3))
            continue
        m = EDGE.match(line)
        if m:
            edges.append((m.group(1), m.group(2), int(m.group(3) or 1)))
    return nodes, edges


def small():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    w = cg.tensor([3.0, 4.0], requires_grad=True)
    loss = (x * w + x * x).sum()  # Sum <- Add <- (Mul(x, w), Mul(x, x))
    return x, w, loss


def test_every_node_and_edge_in_dot():
    x, w, loss = small()
    g = viz.draw_graph(loss, params={"x": x, "w": w})
    nodes, edges = parse(g.source)
    names = sorted(lab[0] for lab, _ in nodes.values())
    assert names == ["AddBackward0", "MulBackward0", "MulBackward0", "SumBackward0", "w", "x"]
    by_name = {}
    for nid, (lab, _) in nodes.items():
        by_name.setdefault(lab[0], []).append(nid)
    assert len(edges) == 7  # x -> Mul(x,x) twice: two separate paths
    sx, sw, ssum, sadd = (by_name[k][0] for k in ("x", "w", "SumBackward0", "AddBackward0"))
    into = {}
    for a, b, _ in edges:
        into.setdefault(b, []).append(a)
    assert into[ssum] == [sadd]
    assert sorted(into[sadd]) == sorted(by_name["MulBackward0"])
    muls = sorted(sorted(into[m]) for m in by_name["MulBackward0"])
    assert muls == sorted([sorted([sx, sx]), sorted([sw, sx])])
    assert nodes[sx][0][1] == "(2,) float32"
    assert nodes[ssum][0][1] == "() float32"
    assert "= [1, 2]" in nodes[sx][0]
    assert "= 16" in nodes[ssum][0]  # 1*3 + 2*4 + 1 + 4


def test_grads_appear_after_backward_and_colour():
    x, w, loss = small()
    g = viz.draw_graph(loss, params={"x": x, "w": w})
    assert "|grad|" not in g.source
    loss.backward()
    nodes, _ = parse(g.source)
    lab = {v[0][0]: v for v in nodes.values()}
    # dL/dx = w + 2x = [5, 8], dL/dw = x = [1, 2]
    assert f"|grad| {np.hypot(5, 8):.3g}" in lab["x"][0]
    assert f"|grad| {np.hypot(1, 2):.3g}" in lab["w"][0]
    assert "|grad| 1" in lab["SumBackward0"][0]
    assert all("fillcolor" in v[1] for v in nodes.values())
    # the largest gradient (x) gets the red end, the smallest (the loss, 1) the blue end
    assert '#f06450' in lab["x"][1] and '#78a0eb' in lab["SumBackward0"][1]
    data = {n["name"]: n for n in g.nodes}
    assert data["x"]["grad_norm"] == pytest.approx(np.hypot(5, 8))


def test_module_names_clusters_and_collapse():
    cg.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
    with viz.trace_modules(m):
        loss = m(cg.randn(5, 3)).sum()
    full = viz.draw_graph(loss, params=m)
    nodes, edges = parse(full.source)
    names = sorted(lab[0] for lab, _ in nodes.values())
    assert names.count("AddmmBackward0") == 3 and names.count("ReluBackward0") == 2
    assert {"0.weight", "0.bias", "4.weight", "4.bias"} <= set(names)
    assert len(nodes) == 1 + 3 + 2 + 6 and len(edges) == 11
    assert full.source.count("subgraph cluster_") == 5
    col = viz.draw_graph(loss, params=m, collapse=True)
    nodes, edges = parse(col.source)
    assert sorted(lab[0] for lab, _ in nodes.values()) == ["0", "1", "2", "3", "4",
                                                           "SumBackward0"]
    assert len(edges) == 5
    blk = {lab[0]: lab for lab, _ in nodes.values()}
    assert blk["0"][1] == "1 ops, 2 params" and blk["1"][1] == "1 ops, 0 params"


def test_collapse_guessed_from_parameter_names_without_trace():
    cg.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    loss = m(cg.randn(2, 3)).sum()
    mods = {n["name"]: n["module"] for n in viz.draw_graph(loss, params=m).nodes}
    assert mods["0.weight"] == "0" and mods["2.bias"] == "2"
    col = viz.draw_graph(loss, params=m, collapse=True)
    assert sorted(n["name"] for n in col.nodes) == ["0", "2", "ReluBackward0", "SumBackward0"]


def test_no_graph_is_an_error():
    with pytest.raises(RuntimeError, match="requires_grad"):
        viz.draw_graph(cg.tensor([1.0]))


@needs_dot
def test_svg_png_pdf_through_dot(tmp_path):
    x, w, loss = small()
    g = viz.draw_graph(loss, params={"x": x, "w": w})
    loss.backward()
    svg = g.svg()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "MulBackward0" in svg
    assert g._repr_svg_() == svg
    png = g.render(tmp_path / "g.png")
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    pdf = g.render(tmp_path / "g.out", format="pdf")
    assert open(pdf, "rb").read(5) == b"%PDF-"
    assert open(g.render(tmp_path / "g.dot"), encoding="utf-8").read() == g.source
    with pytest.raises(ValueError, match="format"):
        g.render(tmp_path / "g.jpg2")


def test_missing_dot_gives_install_hint(monkeypatch):
    x, w, loss = small()
    g = viz.draw_graph(loss)
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(viz.GraphvizNotFound, match="apt-get install graphviz"):
        g.svg()


@needs_dot
def test_thousand_node_graph_renders_svg():
    h = cg.randn(2, 4, requires_grad=True)
    for _ in range(250):
        w = cg.randn(4, 4, requires_grad=True)
        h = (h @ w).tanh() * 0.5 + h
    g = viz.draw_graph(h.sum(), show_values=False)
    assert len(g.nodes) > 1000
    assert "</svg>" in g.svg()


def test_record_values_shows_every_node():
    x = cg.tensor(2.0, requires_grad=True)
    y = cg.tensor(0.5, requires_grad=True)
    plain = viz.draw_graph((x * y + y) ** 2)
    op = cg.autograd.function.Op
    before = op.__dict__["apply"]
    with viz.record_values():
        loss = (x * y + y) ** 2
    assert op.__dict__["apply"] is before  # the recorder is gone after the block
    vals = {n["name"]: n["value"] for n in viz.draw_graph(loss).nodes}
    assert vals == {"PowBackward0": "2.25", "AddBackward0": "1.5", "MulBackward0": "1",
                    "leaf": vals["leaf"]}
    assert "MulBackward0" in [n["name"] for n in plain.nodes if n["value"] is None]


@needs_dot
def test_resnet18_full_and_collapsed():
    from chaingrad.models import resnet18
    cg.manual_seed(0)
    m = resnet18()
    with viz.trace_modules(m):
        loss = m(cg.rand(1, 3, 64, 64)).sum()
    full = viz.draw_graph(loss, params=m, show_values=False)
    col = viz.draw_graph(loss, params=m, collapse=True, show_values=False)
    nodes, edges = parse(full.source)
    assert len(nodes) == len(full.nodes) > 120 and len(edges) == len(full.edges)
    names = {n["name"] for n in col.nodes}
    blocks = {f"layer{i}.{j}" for i in range(1, 5) for j in range(2)}
    assert blocks <= names and len(col.nodes) < 30
    assert not any((n.get("module") or "").startswith("layer") for n in col.nodes
                   if n["kind"] != "block")
    # each block is fed by the previous one twice: the residual path and the main path
    ids = {n["name"]: n["id"] for n in col.nodes}
    assert (ids["layer1.0"], ids["layer1.1"], 2) in col.edges
    assert "</svg>" in col.svg() and "</svg>" in full.svg()
