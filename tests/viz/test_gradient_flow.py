"""gradient_flow: numbers per parameter, saturation / dead units, warnings, the plot."""
import numpy as np
import pytest

import chaingrad as cg
from chaingrad import nn, viz
from chaingrad.viz import vanishing


def _deep(kind, depth=12, width=16):
    cg.manual_seed(0)
    return vanishing.build(kind, depth=depth, width=width, n_in=8, n_out=3)


def _backward(model, n=32):
    cg.manual_seed(1)
    x = cg.randn(n, 8)
    y = cg.tensor(np.arange(n) % 3)
    loss = vanishing.cross_entropy(model(x), y)
    loss.backward()
    return loss


def test_numbers_per_parameter():
    cg.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    m(cg.randn(5, 4)).sum().backward()
    r = viz.gradient_flow(m, lr=0.1)
    assert [p["name"] for p in r.params] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    w = m[0].weight
    g = w.grad.numpy().astype(np.float64)
    row = r.params[0]
    assert row["depth"] == 1 and row["shape"] == (3, 4)
    assert row["grad_norm"] == pytest.approx(np.linalg.norm(g))
    assert row["grad_mean_abs"] == pytest.approx(np.abs(g).mean())
    assert row["weight_norm"] == pytest.approx(np.linalg.norm(w.detach().numpy()), rel=1e-6)
    assert row["update_ratio"] == pytest.approx(0.1 * np.linalg.norm(g) /
                                                np.linalg.norm(w.detach().numpy()), rel=1e-6)
    assert not r.warnings and not r.vanishing and not r.exploding
    text = str(r)
    assert text.splitlines()[0].split()[:3] == ["#", "parameter", "shape"]


def test_optimizer_lr_and_measured_update():
    cg.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 3))
    opt = cg.optim.SGD(m.parameters(), lr=0.5)
    with viz.GradientFlowMonitor(m) as mon:
        m(cg.randn(5, 4)).sum().backward()
        est = viz.gradient_flow(m, optimizer=opt)
        mon.step(opt)
        meas = viz.gradient_flow(m, monitor=mon)
    for a, b in zip(est.params, meas.params):  # plain SGD: the estimate is the real step
        assert a["update_ratio"] == pytest.approx(b["update_ratio"], rel=1e-4)


def test_sigmoid_vanishes_and_warns():
    model = _deep("sigmoid")
    with viz.GradientFlowMonitor(model) as mon:
        _backward(model)
        r = viz.gradient_flow(model, monitor=mon)
    assert r.vanishing and not r.exploding
    assert r.warnings[0].startswith("vanishing gradients: ")
    assert r.first_last_ratio < 1e-5
    assert len(r.activations) == 11 and all(a["kind"] == "sigmoid" for a in r.activations)
    assert str(r).rstrip().endswith(r.warnings[-1])


def test_relu_he_is_healthy_and_dead_units_counted():
    model = _deep("relu")
    with viz.GradientFlowMonitor(model) as mon:
        _backward(model)
        r = viz.gradient_flow(model, monitor=mon)
    assert not r.vanishing and not r.exploding, r.warnings
    assert 0.1 < r.first_last_ratio < 100
    acts = r.activations
    assert all(a["kind"] == "relu" and 0 <= a["dead"] <= a["zero"] <= 1 for a in acts)
    # hand check on a tiny layer: unit 0 never positive, unit 1 sometimes
    m = nn.Sequential(nn.ReLU())
    with viz.GradientFlowMonitor(m) as mon:
        m(cg.tensor([[-1.0, 2.0], [-3.0, -1.0]]))
    assert mon.stats["0"]["dead"] == 0.5 and mon.stats["0"]["zero"] == 0.75


def test_saturated_tanh_fraction():
    class Tanh(nn.Module):
        def forward(self, x):
            return x.tanh()
    m = nn.Sequential(Tanh())
    with viz.GradientFlowMonitor(m) as mon:
        m(cg.tensor([[0.0, 5.0, -5.0, 0.5]]))
    assert mon.stats["0"]["saturated"] == 0.5


def test_exploding_warnings():
    cg.manual_seed(0)
    m = nn.Sequential(*[nn.Linear(8, 8) for _ in range(6)])
    with cg.no_grad():
        for lin in m:
            lin.weight.mul_(30.0)
    (m(cg.randn(4, 8)) ** 2).sum().backward()
    r = viz.gradient_flow(m)
    assert r.exploding
    assert any(w.startswith("exploding gradients: ") for w in r.warnings)
    w = m[0].weight
    w.grad._array[0, 0] = np.nan
    r = viz.gradient_flow(m)
    assert "non-finite" in r.warnings[0]


def test_plot_png(tmp_path):
    model = _deep("tanh", depth=5)
    _backward(model)
    r = viz.gradient_flow(model, title="tanh")
    path = tmp_path / "flow.png"
    r.plot(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_small_first_layer_is_not_vanishing():
    # a first layer with few weights has a small ||grad|| for that reason alone; the warning
    # compares the RMS gradient per weight
    cg.manual_seed(0)
    m = nn.Sequential(nn.Linear(1, 64), nn.ReLU(), nn.Linear(64, 256), nn.ReLU(),
                      nn.Linear(256, 256))
    (m(cg.randn(16, 1)) ** 2).mean().backward()
    r = viz.gradient_flow(m)
    w = r.weight_rows()
    assert w[0]["grad_norm"] * 10 < w[2]["grad_norm"]
    assert not r.vanishing and not r.warnings
    assert w[0]["grad_rms"] == pytest.approx(w[0]["grad_norm"] / np.sqrt(64))
