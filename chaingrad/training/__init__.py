"""``chaingrad.training``: what ``chaingrad train / evaluate / predict`` are made of - the
training loop (``Trainer``), checkpoints, metrics, the progress display and the plots."""
from .trainer import Trainer, cross_entropy
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint

__all__ = ["Trainer", "cross_entropy", "CheckpointError", "load_checkpoint", "save_checkpoint"]
