"""``chaingrad train``: train a network on real data (Fashion-MNIST by default), offline.

    chaingrad train                              # small CNN, Fashion-MNIST, the defaults below
    chaingrad train --model mlp --epochs 3
    chaingrad train --limit 512 --epochs 1       # a quick look on 512 training images
    chaingrad train --resume runs/X/interrupted.ckpt

Writes to --out (default runs/<timestamp>): final.ckpt, best.ckpt, metrics.csv, summary.json,
curves.png, confusion.png and gradient_flow.png (when chaingrad.viz has it).
"""
from __future__ import annotations

import argparse
import os
import time

from .main import CLIError

DEFAULTS = {"model": "cnn", "dataset": "fashion-mnist", "epochs": 3, "batch_size": 128,
            "lr": 3e-3, "optimizer": "adam", "scheduler": "onecycle", "weight_decay": 0.0,
            "seed": 0, "limit": None, "test_limit": None, "augment": False, "data_root": None,
            "stop_after_steps": None}


def add_parser(sub, name):
    from ..training.factory import DATASETS, MODELS, OPTIMIZERS, SCHEDULERS
    d = DEFAULTS
    p = sub.add_parser(name, help="train a network on Fashion-MNIST (or MNIST, digits)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=MODELS, help=f"architecture (default {d['model']})")
    p.add_argument("--dataset", choices=DATASETS, help=f"data (default {d['dataset']})")
    p.add_argument("--epochs", type=int, help=f"passes over the training set (default {d['epochs']})")
    p.add_argument("--batch-size", type=int, dest="batch_size",
                   help=f"samples per step (default {d['batch_size']})")
    p.add_argument("--lr", type=float, help=f"learning rate; the peak for onecycle (default {d['lr']})")
    p.add_argument("--optimizer", choices=OPTIMIZERS, help=f"(default {d['optimizer']})")
    p.add_argument("--scheduler", choices=SCHEDULERS, help=f"learning-rate schedule (default {d['scheduler']})")
    p.add_argument("--weight-decay", type=float, dest="weight_decay", help="L2 penalty (default 0)")
    p.add_argument("--seed", type=int, help="random seed: init, data order, augmentation (default 0)")
    p.add_argument("--limit", type=int, help="use only the first N training samples")
    p.add_argument("--test-limit", type=int, dest="test_limit", help="use only the first N test samples")
    p.add_argument("--augment", action="store_true", default=None,
                   help="random crops (padding 2) and horizontal flips")
    p.add_argument("--data-root", dest="data_root", help="folder with the dataset's IDX files")
    p.add_argument("--out", help="output folder (default runs/<timestamp>)")
    p.add_argument("--resume", metavar="PATH", help="continue the run saved in this checkpoint")
    p.add_argument("--threads", type=int, default=1,
                   help="BLAS threads (default 1: the default models' matrices are small, and "
                        "on a busy machine extra BLAS threads spin instead of helping)")
    p.add_argument("--distributed", action="store_true",
                   help="data-parallel over MPI processes (run under mpirun)")
    p.add_argument("--no-plots", dest="plots", action="store_false",
                   help="skip curves.png, confusion.png and gradient_flow.png")
    p.add_argument("--stop-after-steps", type=int, dest="stop_after_steps",
                   help="stop after N optimizer steps and save a resumable checkpoint, as Ctrl-C does")
    p.set_defaults(run=run)


def _check(config):
    for key, flag in (("epochs", "--epochs"), ("batch_size", "--batch-size"), ("limit", "--limit"),
                      ("test_limit", "--test-limit"), ("stop_after_steps", "--stop-after-steps")):
        v = config.get(key)
        if v is not None and v <= 0:
            raise CLIError(f"{flag} must be a positive integer, got {v}")
    lr = config["lr"]
    if not lr > 0 or lr != lr or lr == float("inf"):
        raise CLIError(f"--lr must be a positive number, got {lr}")
    if not config["weight_decay"] >= 0:
        raise CLIError(f"--weight-decay must be >= 0, got {config['weight_decay']}")


def _given(args):
    return {k: getattr(args, k) for k in DEFAULTS if getattr(args, k, None) is not None}


def _prepare_out(path):
    try:
        os.makedirs(path, exist_ok=True)
        probe = os.path.join(path, ".chaingrad-write-test")
        with open(probe, "w") as f:
            f.write("ok")
        os.remove(probe)
    except OSError as exc:
        raise CLIError(f"cannot write to output folder {path}: {exc.strerror or exc}") from None


def _load_resume(path, given):
    from ..training.checkpoint import CheckpointError, load_checkpoint
    try:
        ck = load_checkpoint(path)
    except CheckpointError as exc:
        raise CLIError(str(exc)) from None
    ck["path"] = path
    config = dict(DEFAULTS, **ck["config"])
    for key, value in given.items():
        if key in ("epochs", "stop_after_steps"):
            config[key] = value
        elif key in ("data_root",):
            config[key] = value
        elif config.get(key) != value:
            raise CLIError(f"--{key.replace('_', '-')} {value} does not match the checkpoint "
                           f"{path} (saved with {config.get(key)!r}): a checkpoint from a "
                           "different run cannot be resumed with other settings")
    config["stop_after_steps"] = given.get("stop_after_steps")
    if config["epochs"] != ck["config"]["epochs"] and config["scheduler"] in ("onecycle", "cosine"):
        raise CLIError(f"--epochs cannot change when resuming a {config['scheduler']} run "
                       f"(its schedule spans the {ck['config']['epochs']} epochs it was started with)")
    return ck, config


def _distributed_hooks(args, train_set, seed):
    """``chaingrad.distributed.train_hooks(train_set, seed=)`` returns the Trainer's keyword
    hooks: is_main_process, wrap_model, after_backward, train_sampler, reduce_metrics."""
    if not args.distributed:
        return {}
    try:
        from ..distributed import train_hooks
    except ImportError:
        raise CLIError("--distributed needs chaingrad.distributed.train_hooks (not available)") from None
    try:
        return dict(train_hooks(train_set, seed=seed))
    except (ImportError, RuntimeError) as exc:  # e.g. mpirun without mpi4py
        raise CLIError(f"--distributed could not start: {exc} (install MPI support: "
                       f"pip install 'chaingrad[mpi]')") from None


def run(args):
    from ..data.datasets import DatasetNotFoundError
    from ..data.datasets.idx import IDXError
    from ..training import Trainer
    given = _given(args)
    resume = None
    if args.resume:
        resume, config = _load_resume(args.resume, given)
    else:
        config = dict(DEFAULTS, **given)
    _check(config)
    if args.threads is not None:
        if args.threads <= 0:
            raise CLIError(f"--threads must be a positive integer, got {args.threads}")
        from .. import set_num_threads
        set_num_threads(args.threads)
    try:
        from ..training import factory
        datasets = factory.load_datasets(config)
    except (DatasetNotFoundError, IDXError) as exc:
        raise CLIError(str(exc)) from None
    train, test = datasets
    hooks = _distributed_hooks(args, train, config["seed"])
    main = hooks.get("is_main_process", True)
    out = args.out or (os.path.dirname(os.path.abspath(args.resume)) if args.resume else
                       os.path.join("runs", time.strftime("%Y%m%d-%H%M%S")))
    if main:
        _prepare_out(out)
    trainer = Trainer(config, out, resume=resume, plots=args.plots, **hooks)
    if main:
        sched = config["scheduler"]
        print(f"chaingrad train: {config['model']} on {config['dataset']} ({len(train)} train / "
              f"{len(test)} test), {config['optimizer']} lr {config['lr']:g}"
              f"{'' if sched == 'none' else ' ' + sched}, {config['epochs']} epoch{'s' if config['epochs'] != 1 else ''}, batch "
              f"{config['batch_size']}, seed {config['seed']} -> {out}"
              + (f" (resuming {args.resume})" if resume else ""), flush=True)
    from ..training.checkpoint import CheckpointError
    try:
        trainer.setup(datasets)
    except CheckpointError as exc:
        raise CLIError(str(exc)) from None
    except ImportError as exc:  # an optional part (e.g. chaingrad.models) is not installed
        raise CLIError(f"--model {config['model']} is not available: {exc}") from None
    return trainer.fit()
