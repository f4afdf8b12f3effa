"""The library's one random generator: ``cg.manual_seed(n)`` makes every draw reproducible
(parameter init, dropout, data shuffling, ``cg.rand``)."""
from __future__ import annotations

import numpy as np

from . import backend

_initial_seed = int(np.random.SeedSequence().entropy) % (2 ** 63)
_generator = np.random.default_rng(_initial_seed)


def manual_seed(seed: int):
    """Seed every random draw of chaingrad; returns ``cg.default_generator`` (as PyTorch
    returns ``torch.default_generator``)."""
    global _generator, _initial_seed
    _initial_seed = int(seed)
    _generator = np.random.default_rng(_initial_seed)
    return default_generator_object


def seed(value=None) -> int:
    """Seed with a fresh non-deterministic seed and return it (``cg.seed()``, as PyTorch);
    ``seed(n)`` is ``manual_seed(n)``."""
    if value is None:
        value = int(np.random.SeedSequence().entropy) % (2 ** 63)
    manual_seed(value)
    return int(value)


def initial_seed() -> int:
    """The seed the global generator was last seeded with."""
    return _initial_seed


def default_generator() -> np.random.Generator:
    return _generator


def get_rng_state() -> dict:
    """The generator's full state (JSON-serialisable), for exact resume."""
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    _generator.bit_generator.state = state


class Generator:
    """An independent random stream (``cg.Generator().manual_seed(n)``)."""

    def __init__(self, device="cpu"):
        self._seed = int(np.random.SeedSequence().entropy) % (2 ** 63)
        self.rng = np.random.default_rng(self._seed)
        self.device = device

    def manual_seed(self, seed):
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def seed(self):
        """Reseed non-deterministically; returns the new seed."""
        return self.manual_seed(int(np.random.SeedSequence().entropy) % (2 ** 63))._seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return self.rng.bit_generator.state

    def set_state(self, state):
        self.rng.bit_generator.state = state


class _DefaultGenerator(Generator):
    """``cg.default_generator``: the global stream as a Generator object (torch's
    ``torch.default_generator``); seeding it is ``cg.manual_seed``."""

    def __init__(self):  # no stream of its own: it reads the module's, whatever reseeds it
        self.device = "cpu"

    @property
    def rng(self):
        return _generator

    @property
    def _seed(self):
        return _initial_seed

    def manual_seed(self, seed):
        manual_seed(seed)
        return self

    def get_state(self):
        return get_rng_state()

    def set_state(self, state):
        set_rng_state(state)


default_generator_object = _DefaultGenerator()


def _rng(generator=None) -> np.random.Generator:
    if generator is None:
        return _generator
    return generator.rng if isinstance(generator, Generator) else generator


def uniform_array(shape, low=0.0, high=1.0, dtype=None, generator=None):
    dtype = backend.np_dtype(dtype) or backend.default_float_dtype()
    out = _rng(generator).random(shape, dtype=np.float64 if dtype != np.float32 else np.float32)
    if low != 0.0 or high != 1.0:
        out = out * (high - low) + low
    return backend.xp.asarray(out.astype(dtype, copy=False))


def normal_array(shape, mean=0.0, std=1.0, dtype=None, generator=None):
    dtype = backend.np_dtype(dtype) or backend.default_float_dtype()
    out = _rng(generator).standard_normal(shape, dtype=np.float64 if dtype != np.float32 else np.float32)
    if std != 1.0 or mean != 0.0:
        out = out * std + mean
    return backend.xp.asarray(out.astype(dtype, copy=False))


def integers_array(low, high, shape, dtype=np.int64, generator=None):
    return backend.xp.asarray(_rng(generator).integers(low, high, size=shape).astype(dtype))


def permutation_array(n, generator=None):
    return backend.xp.asarray(_rng(generator).permutation(n).astype(np.int64))
