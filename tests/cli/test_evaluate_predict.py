"""``chaingrad evaluate`` and ``chaingrad predict`` on a trained checkpoint."""
import re

import numpy as np

from chaingrad.data.datasets import FashionMNIST

from .conftest import needs_fashion, run_cli

pytestmark = needs_fashion


def test_evaluate_prints_accuracy_and_class_table(mlp_run, capsys):
    assert run_cli("evaluate", mlp_run / "final.ckpt", "--limit", 500) == 0
    out = capsys.readouterr().out
    acc = float(re.search(r"accuracy ([\d.]+)%", out).group(1))
    assert 50 < acc <= 100
    for name in FashionMNIST.classes:
        assert name in out
    counts = [int(m) for m in re.findall(r"\|\s+(\d+) \|\s+\d+ \|", out)]
    assert sum(counts) == 500


def test_predict_top3(mlp_run, tmp_path, capsys):
    import matplotlib.image as mpimg
    ds = FashionMNIST(train=False)
    img = ds._images[0]                         # an ankle boot, label 9
    big = 255 - np.kron(img, np.ones((3, 3), dtype=np.uint8))    # 84x84, dark on light
    mpimg.imsave(tmp_path / "boot.png", big, cmap="gray", vmin=0, vmax=255)
    assert run_cli("predict", mlp_run / "final.ckpt", tmp_path / "boot.png") == 0
    out = capsys.readouterr().out
    lines = re.findall(r"^\s+(\d)\. (.+?)\s+([\d.]+)%$", out, flags=re.M)
    assert [l[0] for l in lines] == ["1", "2", "3"]
    probs = [float(l[2]) for l in lines]
    assert probs == sorted(probs, reverse=True) and sum(probs) <= 100.01
    assert "inverted" in out
    assert lines[0][1] in FashionMNIST.classes
