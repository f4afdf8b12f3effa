"""`chaingrad vanishing` and `chaingrad descent`."""
import re

from chaingrad.cli.main import main


def test_descent_cli(tmp_path, capsys):
    out = tmp_path / "gd.png"
    assert main(["descent", "--function", "bowl", "saddle", "--steps", "40", "--out",
                 str(out), "--show-steps", "2"]) == 0
    text = capsys.readouterr().out
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert "bowl, SGD (lr 0.17): the first steps" in text
    assert re.search(r"bowl\s+SGD\s+0\.21\s+\d+ .* diverged", text)
    assert "rosenbrock" not in text


def test_descent_cli_errors(capsys):
    assert main(["descent", "--steps", "0"]) == 2
    assert "--steps must be positive" in capsys.readouterr().err
    assert main(["descent", "--out", "x.jpg"]) == 2


def test_vanishing_cli(tmp_path, capsys):
    assert main(["vanishing", "--configs", "sigmoid", "relu", "--depth", "12", "--epochs", "1",
                 "--train", "300", "--test", "200", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    num = r"\s+(\d\.\d+e[+-]\d+)"
    sig = re.search(r"sigmoid \+ naive init" + num * 3, text)
    relu = re.search(r"ReLU \+ He init" + num * 3, text)
    assert float(sig.group(3)) < 1e-5 < float(relu.group(3))
    assert "[sigmoid + naive init] vanishing gradients:" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "gradient_flow_all.png", "gradient_flow_relu.png", "gradient_flow_sigmoid.png"]


def test_vanishing_cli_errors(capsys):
    assert main(["vanishing", "--depth", "2"]) == 2
    assert main(["vanishing", "--train", "10", "--batch-size", "100"]) == 2
