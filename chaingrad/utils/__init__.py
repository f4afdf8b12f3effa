"""``chaingrad.utils``: PyTorch's ``torch.utils`` spellings (``cg.utils.data`` is
``chaingrad.data``, so that ``from chaingrad.utils.data import DataLoader`` works;
``cg.utils.checkpoint`` is gradient checkpointing)."""
from __future__ import annotations

from . import data  # noqa: F401
from . import checkpoint  # noqa: F401
