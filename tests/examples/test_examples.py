"""The course's examples: each runs as a script (subprocess smoke) and gives its key numbers."""
import importlib.util
import math
import os
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")


def load(name):
    spec = importlib.util.spec_from_file_location(name.replace(".py", ""),
                                                  os.path.join(EXAMPLES, name))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_script(name, tmp_path, *extra):
    res = subprocess.run([sys.executable, os.path.join(EXAMPLES, name), "--out", str(tmp_path),
                          *extra], capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, MPLBACKEND="Agg"))
    assert res.returncode == 0, res.stderr
    return res.stdout


def is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", ["03_derivative_definition.py", "04_partial_derivatives.py",
                                  "05_gradient_descent.py", "06_chain_rule.py",
                                  "07_matrix_derivatives.py", "08_backprop_network.py"])
def test_script_runs(name, tmp_path):
    out = run_script(name, tmp_path)
    assert out.strip()
    for png in os.listdir(tmp_path):
        assert is_png(tmp_path / png)


def test_03_derivative_definition(tmp_path):
    r = load("03_derivative_definition.py").main(["--out", str(tmp_path)])
    assert r["engine"] == 3.0
    assert r["err_forward_1e-1"] == pytest.approx(0.31, rel=1e-6)   # 3h + h^2
    assert r["err_central_1e-1"] == pytest.approx(0.01, rel=1e-6)   # h^2
    assert 1e-9 <= r["best_h_forward"] <= 1e-7 and r["min_err_forward"] < 1e-7
    assert 1e-7 <= r["best_h_central"] <= 1e-4 and r["min_err_central"] < 1e-9
    assert is_png(r["plot"])


def test_04_partial_derivatives(tmp_path):
    r = load("04_partial_derivatives.py").main(["--out", str(tmp_path)])
    assert r["engine"][0] == pytest.approx(4.0, abs=1e-15)
    assert r["engine"][1] == pytest.approx(1 + math.cos(2.0), abs=1e-15)
    assert np.allclose(r["by_definition"], r["by_hand"], atol=1e-8)
    assert r["field_error"] < 1e-5
    assert is_png(r["plot"])


def test_05_gradient_descent(tmp_path):
    r = load("05_gradient_descent.py").main(["--out", str(tmp_path)])
    f = r["final"]
    assert f[("bowl", "SGD")]["f"][-1] < 1e-6
    assert all(not v["diverged"] for v in f.values())
    for opt in ("momentum", "Nesterov", "Adam"):
        assert np.allclose(f[("rosenbrock", opt)]["path"][-1], [1, 1], atol=0.05), opt
    assert f[("rosenbrock", "SGD")]["f"][-1] > 0.1           # plain SGD is still in the valley
    for opt in ("RMSprop", "Adam"):                          # adaptive steps leave the saddle
        assert f[("saddle", opt)]["f"][-1] == pytest.approx(-0.25, abs=1e-3)
    lr = {x["lr"]: x for x in r["lr_runs"]}
    assert lr[0.21]["diverged"] and not lr[0.19]["diverged"] and not lr[0.05]["diverged"]
    assert is_png(r["plot"])


def test_06_chain_rule(tmp_path):
    r = load("06_chain_rule.py").main(["--out", str(tmp_path)])
    assert r["engine"] == pytest.approx(r["hand"], rel=1e-14)
    assert r["fd"] == pytest.approx(r["hand"], rel=1e-8)
    assert (r["engine_x"], r["engine_y"]) == (r["hand_x"], r["hand_y"]) == (1.5, 9.0)
    assert r["paths_y"] == 2
    assert r["rows"] == ["ExpBackward0", "SinBackward0", "MulBackward0"]


def test_07_matrix_derivatives():
    r = load("07_matrix_derivatives.py").main([])
    for name, (e_engine, e_fd) in r["errors"].items():
        assert e_engine < 1e-12, name
        assert e_fd < 1e-6, name
    assert r["outer_error"] < 1e-12


def test_08_backprop_network(tmp_path):
    r = load("08_backprop_network.py").main(["--out", str(tmp_path)])
    assert r["E"] == pytest.approx(0.298371109, abs=1e-9)
    assert r["dW2"][0, 0] == pytest.approx(0.082167041, abs=1e-9)
    assert r["dW1"][0, 0] == pytest.approx(0.000438568, abs=1e-9)
    assert r["w5"] == pytest.approx(0.35891648, abs=1e-8)
    assert r["w1"] == pytest.approx(0.149780716, abs=1e-9)
    assert r["err_W1"] < 1e-15 and r["err_W2"] < 1e-15
    assert r["E_after"] < r["E"]
    assert len(r["rows"]) == 10 and r["naive_cost"] > r["dp_cost"]
    assert is_png(r["plot"])
    res = r["resnet"]
    assert res["rows"] == 71 and res["naive_cost"] > 1e100 * res["dp_cost"]
    assert 1e8 < res["dp_cost"] < 1e9
    assert is_png(res["plot"])


ROW = re.compile(r"^(.+?)\s+([\d.e+-]+)\s+([\d.e+-]+)\s+([\d.e+-]+)\s+([\d.]+)%$")


def parse_vanishing(stdout):
    rows = {}
    for line in stdout.splitlines():
        m = ROW.match(line.strip())
        if m:
            rows[m.group(1).strip()] = tuple(float(m.group(i)) for i in range(2, 6))
    return rows


def test_09_gradient_vanishing_quick(tmp_path):
    out = run_script("09_gradient_vanishing.py", tmp_path, "--quick")
    rows = parse_vanishing(out)
    assert len(rows) == 5, out
    sig = rows["sigmoid + naive init"]
    others = [v for k, v in rows.items() if not k.startswith("sigmoid")]
    # at initialisation: sigmoid's first layer gets < 1e-8 of the last layer's gradient,
    # every counter-measure keeps the two within 100x or so
    assert sig[2] < 1e-8
    assert all(0.1 < v[2] < 1e3 for v in others)
    assert all(v[0] > 1e6 * sig[0] for v in others)
    assert max(v[3] for v in others) > sig[3] + 15
    assert "vanishing gradients:" in out
    names = sorted(os.listdir(tmp_path))
    assert "gradient_flow_all.png" in names and "gradient_flow_sigmoid.png" in names
    assert all(is_png(tmp_path / n) for n in names)


@pytest.mark.slow
def test_09_gradient_vanishing_full(tmp_path):
    res = load("09_gradient_vanishing.py").main(["--out", str(tmp_path)])
    sig = res.pop("sigmoid")
    assert sig["ratio"] < 1e-10 and sig["accuracy"] < 0.2
    for r in res.values():
        assert r["ratio"] > 0.1 and r["accuracy"] > sig["accuracy"] + 0.4, r["label"]
