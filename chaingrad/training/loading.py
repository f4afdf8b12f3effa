"""Shared by ``chaingrad evaluate`` and ``chaingrad predict``: a checkpoint back to a model."""
from __future__ import annotations

from ..cli.main import CLIError


def add_model_args(p):
    from ..training.factory import MODELS
    p.add_argument("checkpoint", help="a .ckpt file written by chaingrad train")
    p.add_argument("--model", choices=MODELS,
                   help="expected architecture (an error if the checkpoint holds another)")


def load_model(path, expected=None):
    """(model in eval mode, config, class names) from a training checkpoint; CLIError if it
    is missing, corrupt, or holds another model than ``expected``."""
    from . import factory
    from .checkpoint import CheckpointError, load_checkpoint, load_model_state
    try:
        ck = load_checkpoint(path)
        config = ck["config"]
        if expected is not None and config.get("model") != expected:
            raise CheckpointError(f"{path} holds a {config.get('model')!r} model, not "
                                  f"{expected!r}: it was saved from a different model")
        classes = ck.get("classes") or [str(i) for i in range(10)]
        model = factory.build_model(config, num_classes=len(classes))
        load_model_state(model, ck["model"], config["model"], path)
    except CheckpointError as exc:
        raise CLIError(str(exc)) from None
    except (KeyError, TypeError, ValueError) as exc:
        raise CLIError(f"cannot use checkpoint {path}: incomplete or corrupt ({exc})") from None
    model.eval()
    return model, config, classes
