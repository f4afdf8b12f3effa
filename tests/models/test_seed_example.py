"""examples/seed_resnet18.py: the course's closing snippet runs and reports sensible numbers."""
from __future__ import annotations

import pathlib
import runpy

import pytest

from chaingrad import nn

if not all(hasattr(nn, n) for n in ("Conv2d", "BatchNorm2d", "MaxPool2d", "AdaptiveAvgPool2d")):
    pytest.skip("nn.Conv2d / BatchNorm2d / pooling not available yet", allow_module_level=True)

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "seed_resnet18.py"


def test_seed_example_runs(capsys):
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "11,689,512 parameters" in out
    assert "prediction: shape (1, 1000)" in out
    assert "parameters without a gradient: 0; every one was updated by SGD: True" in out
    assert "OK" in out
