"""scikit-learn's bundled 8x8 handwritten digits (1,797 images), for quick offline tests."""
from __future__ import annotations

import numpy as np

from ...tensor import Tensor
from .mnist import DatasetNotFoundError, _LabelledImages


class Digits(_LabelledImages):
    """The UCI 8x8 digits shipped inside scikit-learn (no download).

    The 1,797 images are split deterministically: the first ``test_size`` (default 297) samples
    of a fixed permutation are the test split, the rest the training split.

    Args:
        train (bool, default True): the split.
        transform, target_transform (callable, optional): as ``FashionMNIST``.

    ``ds[i]`` is ``((1, 8, 8) float32 Tensor in [0, 1], int label)``.
    """

    classes = [str(d) for d in range(10)]
    mean, std = 0.2044, 0.3773

    def __init__(self, root=None, train=True, transform=None, target_transform=None,
                 download=False, test_size=297):
        try:
            from sklearn.datasets import load_digits
        except ImportError:
            raise DatasetNotFoundError(
                "Digits needs scikit-learn: install it with: pip install scikit-learn") from None
        bunch = load_digits()
        order = np.random.default_rng(0).permutation(len(bunch.target))
        keep = order[test_size:] if train else order[:test_size]
        self.train = bool(train)
        self.transform = transform
        self.target_transform = target_transform
        # pixel values are 0..16
        self._images = (bunch.images[keep] / 16.0).astype(np.float32)
        self._labels = bunch.target[keep].astype(np.int64)

    @property
    def data(self):
        return Tensor._wrap(self._images)

    @property
    def targets(self):
        return Tensor._wrap(self._labels)

    def _image(self, index):
        return self._images[index][None].copy()

    def _batch_images(self, idx):
        return self._images[idx][:, None]
