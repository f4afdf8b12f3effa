"""Training checkpoints: everything needed to continue a run exactly, in ``cg.save`` format.

A checkpoint is a dict::

    kind        "chaingrad-train-checkpoint"
    config      the run's configuration (model, dataset, optimizer, lr, ... , seed)
    model       model.state_dict()            optimizer   optimizer.state_dict()
    scheduler   scheduler.state_dict() or {}  epoch       epochs completed
    step        optimizer steps taken         rng         chaingrad's generator state (JSON)
    loader      the training DataLoader's position (shuffle seed of the pass, batches done)
    progress    running sums of the epoch in progress
    history     the per-epoch metrics so far; best_acc / best_epoch
    classes     the class names
"""
from __future__ import annotations

import os

KIND = "chaingrad-train-checkpoint"


class CheckpointError(Exception):
    """A checkpoint that cannot be used; the message says why, in one line."""


def save_checkpoint(path, state: dict) -> None:
    """Write ``state`` (see module doc) to ``path`` atomically with ``cg.save``."""
    from ..serialization import save
    save(dict(state, kind=KIND), os.fspath(path))


def load_checkpoint(path) -> dict:
    """Read a checkpoint written by ``save_checkpoint``; ``CheckpointError`` if it is missing,
    corrupt or not a training checkpoint."""
    from ..serialization import load
    path = os.fspath(path)
    if not os.path.exists(path):
        raise CheckpointError(f"checkpoint not found: {path}")
    if os.path.isdir(path):
        raise CheckpointError(f"checkpoint is a folder, not a file: {path}")
    try:
        state = load(path)
    except Exception as exc:  # any failure to parse means a corrupt file
        raise CheckpointError(f"cannot read checkpoint {path}: corrupt or not a chaingrad file "
                              f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})") from None
    if not isinstance(state, dict) or state.get("kind") != KIND:
        raise CheckpointError(f"{path} is not a chaingrad training checkpoint "
                              "(written by chaingrad train)")
    missing = [k for k in ("config", "model", "optimizer", "rng", "loader") if k not in state]
    if missing:
        raise CheckpointError(f"{path}: incomplete training checkpoint (no {missing[0]!r})")
    from .factory import DATASETS, MODELS
    config = state["config"]
    if (not isinstance(config, dict) or config.get("model") not in MODELS
            or config.get("dataset") not in DATASETS):
        raise CheckpointError(f"{path}: corrupt training checkpoint (bad config)")
    return state


def load_model_state(model, state_dict, model_name, path) -> None:
    """``model.load_state_dict`` with a one-line ``CheckpointError`` when the checkpoint holds
    another architecture (different keys or shapes)."""
    own = model.state_dict()
    theirs = dict(state_dict)
    missing = [k for k in own if k not in theirs]
    unexpected = [k for k in theirs if k not in own]
    wrong = [k for k in own if k in theirs and tuple(own[k].shape) != tuple(theirs[k].shape)]
    if missing or unexpected or wrong:
        what = (f"missing {missing[:2]}" if missing else
                f"unexpected {unexpected[:2]}" if unexpected else f"shape of {wrong[:2]}")
        raise CheckpointError(f"{path} does not fit model {model_name!r} ({what}): "
                              "it was saved from a different model")
    try:
        model.load_state_dict(theirs)
    except Exception as exc:
        raise CheckpointError(f"{path} does not fit model {model_name!r}: {exc}") from None
