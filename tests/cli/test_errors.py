"""Bad input: one line on stderr, exit status 2, never a traceback."""
import os

import pytest

import chaingrad as cg

from .conftest import SMALL, run_cli


def _one_line_error(capsys, *argv, expect):
    code = run_cli(*argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert expect in err, err
    return err


@pytest.mark.parametrize("argv,expect", [
    (["--lr", "0"], "--lr must be a positive number"),
    (["--lr", "-0.1"], "--lr must be a positive number"),
    (["--batch-size", "0"], "--batch-size must be a positive integer"),
    (["--batch-size", "-5"], "--batch-size must be a positive integer"),
    (["--epochs", "0"], "--epochs must be a positive integer"),
    (["--model", "vgg"], "invalid choice"),
    (["--optimizer", "lbfgs"], "invalid choice"),
])
def test_bad_hyper_parameters(capsys, tmp_path, argv, expect):
    err = _one_line_error(capsys, "train", *argv, "--out", tmp_path, expect=expect)
    if "choice" not in expect:
        assert len(err.strip().splitlines()) == 1


def test_missing_dataset(capsys, tmp_path):
    err = _one_line_error(capsys, "train", "--data-root", tmp_path / "none", "--out", tmp_path,
                          expect="sudo apt-get install dataset-fashion-mnist")
    assert len(err.strip().splitlines()) == 1


def test_unwritable_out(capsys, tmp_path, mlp_run):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    _one_line_error(capsys, "train", *SMALL, "--out", blocker / "run",
                    expect="cannot write to output folder")


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_missing_and_corrupt_checkpoints(capsys, tmp_path, command, mlp_run):
    extra = [mlp_run / "curves.png"] if command == "predict" else []
    _one_line_error(capsys, command, tmp_path / "nope.ckpt", *extra, expect="checkpoint not found")
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(os.urandom(300))
    _one_line_error(capsys, command, bad, *extra, expect="corrupt")
    good = (mlp_run / "final.ckpt").read_bytes()
    (tmp_path / "cut.ckpt").write_bytes(good[: len(good) // 2])
    _one_line_error(capsys, command, tmp_path / "cut.ckpt", *extra, expect="corrupt")
    cg.save({"w": cg.zeros(3)}, str(tmp_path / "plain.ckpt"))
    _one_line_error(capsys, command, tmp_path / "plain.ckpt", *extra,
                    expect="not a chaingrad training checkpoint")


def test_checkpoint_from_a_different_model(capsys, tmp_path, mlp_run):
    _one_line_error(capsys, "evaluate", mlp_run / "final.ckpt", "--model", "cnn",
                    expect="different model")
    _one_line_error(capsys, "train", "--resume", mlp_run / "final.ckpt", "--model", "cnn",
                    "--out", tmp_path, expect="different run")
    # a checkpoint whose weights do not fit the architecture its config names
    ck = cg.load(str(mlp_run / "final.ckpt"))
    ck["model"] = {k.replace("1.", "9."): v for k, v in ck["model"].items()}
    cg.save(ck, str(tmp_path / "other.ckpt"))
    _one_line_error(capsys, "evaluate", tmp_path / "other.ckpt", expect="different model")
    _one_line_error(capsys, "train", "--resume", tmp_path / "other.ckpt",
                    "--out", tmp_path, expect="different model")
    _one_line_error(capsys, "train", "--resume", mlp_run / "final.ckpt", "--epochs", 3,
                    "--out", tmp_path, expect="--epochs cannot change")
    ck = cg.load(str(mlp_run / "final.ckpt"))
    ck["config"] = {"model": "gpt"}
    cg.save(ck, str(tmp_path / "badcfg.ckpt"))
    _one_line_error(capsys, "evaluate", tmp_path / "badcfg.ckpt", expect="corrupt")


def test_missing_image(capsys, mlp_run, tmp_path):
    _one_line_error(capsys, "predict", mlp_run / "final.ckpt", tmp_path / "x.png",
                    expect="image not found")
    (tmp_path / "junk.png").write_bytes(b"not a png")
    _one_line_error(capsys, "predict", mlp_run / "final.ckpt", tmp_path / "junk.png",
                    expect="cannot read image")
