"""``chaingrad train`` on small slices of real Fashion-MNIST (--limit)."""
import csv
import json
import os
import signal

import numpy as np
import pytest

import chaingrad as cg
from chaingrad.cli.train import DEFAULTS
from chaingrad.training import Trainer, load_checkpoint
from chaingrad.training import factory

from .conftest import SMALL, needs_fashion, run_cli

pytestmark = needs_fashion


def _weights(path):
    return {k: v.numpy() for k, v in cg.load(str(path))["model"].items()}


def _same(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_outputs_exist_parse_and_loss_goes_down(mlp_run):
    for name in ("final.ckpt", "best.ckpt", "metrics.csv", "summary.json", "curves.png",
                 "confusion.png"):
        assert (mlp_run / name).is_file(), name
    rows = list(csv.DictReader(open(mlp_run / "metrics.csv")))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert float(rows[1]["train_loss"]) < float(rows[0]["train_loss"])
    assert float(rows[1]["train_loss"]) < np.log(10)           # better than chance
    summary = json.load(open(mlp_run / "summary.json"))
    assert summary["epochs"] == 2 and summary["steps"] == 16
    assert summary["final_test_acc"] == pytest.approx(float(rows[1]["test_acc"]))
    assert summary["final_test_acc"] > 0.5
    assert len(summary["per_class_test_acc"]) == 10
    import matplotlib.image as mpimg
    for name in ("curves.png", "confusion.png"):
        assert mpimg.imread(str(mlp_run / name)).ndim == 3
    ck = load_checkpoint(mlp_run / "final.ckpt")
    assert ck["epoch"] == 2 and ck["config"]["model"] == "mlp" and ck["classes"][9] == "Ankle boot"
    assert set(ck) >= {"model", "optimizer", "scheduler", "rng", "loader", "step"}


def test_same_seed_identical_other_seed_differs(tmp_path, mlp_run):
    assert run_cli("train", *SMALL, "--epochs", "2", "--no-plots", "--out", tmp_path / "a") == 0
    assert _same(_weights(tmp_path / "a" / "final.ckpt"), _weights(mlp_run / "final.ckpt"))
    a = list(csv.DictReader(open(tmp_path / "a" / "metrics.csv")))
    b = list(csv.DictReader(open(mlp_run / "metrics.csv")))
    assert [r["train_loss"] for r in a] == [r["train_loss"] for r in b]
    assert run_cli("train", *SMALL, "--epochs", "1", "--seed", "1", "--no-plots",
                   "--out", tmp_path / "b") == 0
    assert not (tmp_path / "b" / "curves.png").exists()
    assert not _same(_weights(tmp_path / "b" / "final.ckpt"), _weights(mlp_run / "final.ckpt"))


@pytest.mark.parametrize("stop", [5, 8, 11])   # mid-epoch 1, end of epoch 1, mid-epoch 2
def test_resume_is_bit_identical(tmp_path, stop):
    args = ["--model", "mlp", "--limit", "512", "--test-limit", "128", "--batch-size", "64",
            "--epochs", "2", "--augment", "--optimizer", "adamw", "--scheduler", "cosine",
            "--no-plots"]
    assert run_cli("train", *args, "--out", tmp_path / "full") == 0
    assert run_cli("train", *args, "--stop-after-steps", stop, "--out", tmp_path / "cut") == 0
    ck = tmp_path / "cut" / "interrupted.ckpt"
    assert ck.is_file() and not (tmp_path / "cut" / "final.ckpt").exists()
    assert load_checkpoint(ck)["step"] == stop
    assert run_cli("train", "--resume", ck, "--no-plots") == 0
    assert _same(_weights(tmp_path / "full" / "final.ckpt"), _weights(tmp_path / "cut" / "final.ckpt"))
    full = list(csv.DictReader(open(tmp_path / "full" / "metrics.csv")))
    cut = list(csv.DictReader(open(tmp_path / "cut" / "metrics.csv")))
    for key in ("train_loss", "train_acc", "test_loss", "test_acc", "lr"):
        assert [r[key] for r in full] == [r[key] for r in cut]


def test_ctrl_c_saves_a_resumable_checkpoint(tmp_path):
    config = dict(DEFAULTS, model="mlp", limit=256, test_limit=64, batch_size=32, epochs=1)
    data = factory.load_datasets(config)
    steps = []

    def interrupt_at_third_step(model):
        steps.append(1)
        if len(steps) == 3:
            os.kill(os.getpid(), signal.SIGINT)

    out = tmp_path / "run"
    out.mkdir()
    trainer = Trainer(config, str(out), after_backward=interrupt_at_third_step).setup(data)
    assert trainer.fit() == 130
    ck = load_checkpoint(out / "interrupted.ckpt")
    assert ck["step"] == 3 and ck["loader"]["batches_done"] == 3
    assert run_cli("train", "--resume", out / "interrupted.ckpt", "--no-plots") == 0
    assert load_checkpoint(out / "final.ckpt")["step"] == 8
    ref = tmp_path / "ref"
    assert run_cli("train", "--model", "mlp", "--limit", 256, "--test-limit", 64,
                   "--batch-size", 32, "--epochs", 1, "--no-plots", "--out", ref) == 0
    assert _same(_weights(ref / "final.ckpt"), _weights(out / "final.ckpt"))


def test_progress_and_table_are_printed(mlp_run, tmp_path, capsys):
    assert run_cli("train", *SMALL, "--epochs", "1", "--no-plots", "--out", tmp_path) == 0
    out = capsys.readouterr().out
    assert "train loss" in out and "test acc" in out and "samples/s" in out
    assert "epoch 1/1 [" in out and "\r" not in out          # plain lines when not a TTY


def test_digits_dataset(tmp_path):
    assert run_cli("train", "--dataset", "digits", "--model", "mlp", "--epochs", "2",
                   "--lr", "0.01", "--no-plots", "--out", tmp_path) == 0
    summary = json.load(open(tmp_path / "summary.json"))
    assert summary["final_test_acc"] > 0.8


@pytest.mark.parametrize("model", ["cnn", "resnet18"])
def test_conv_models_train(tmp_path, model):
    if model == "resnet18" and not hasattr(cg.models, "resnet18"):
        pytest.skip("chaingrad.models.resnet18 not written yet")
    assert run_cli("train", "--model", model, "--limit", "32", "--test-limit", "16",
                   "--batch-size", "16", "--epochs", "1", "--no-plots", "--out", tmp_path) == 0
    ck = load_checkpoint(tmp_path / "final.ckpt")
    assert ck["config"]["model"] == model and ck["step"] == 2


def test_real_sigint_in_a_subprocess(tmp_path):
    import subprocess
    import sys
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "chaingrad", "train", "--model", "mlp", "--limit", "4096",
         "--test-limit", "64", "--batch-size", "32", "--epochs", "3", "--no-plots", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:          # the first progress line: training is under way
        if line.startswith("epoch 1/3 ["):
            proc.send_signal(signal.SIGINT)
            break
    rest, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "resumable checkpoint saved" in rest
    ck = load_checkpoint(out / "interrupted.ckpt")
    assert 0 < ck["step"] < 3 * 128
