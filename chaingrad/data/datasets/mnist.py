"""Fashion-MNIST and MNIST from their IDX files, offline.

Fashion-MNIST's default folder is where Debian's ``dataset-fashion-mnist`` package puts it
(``/usr/share/datasets/fashion-mnist``); the ``CHAINGRAD_DATA`` environment variable, if set,
names a folder holding ``fashion-mnist/`` and ``mnist/`` instead. Nothing is ever downloaded.
"""
from __future__ import annotations

import os

import numpy as np

from ...tensor import Tensor
from ..dataset import Dataset
from .idx import IDXError, find_idx, read_idx

_FILES = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
          False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are missing; the message says how to install them."""


_CACHE: dict = {}


def _read_pair(image_path, label_path):
    """(uint8 images, int64 labels), decoded once per process per unchanged file pair."""
    key = tuple((os.path.abspath(p), os.stat(p).st_mtime_ns, os.stat(p).st_size)
                for p in (image_path, label_path))
    if key not in _CACHE:
        images, labels = read_idx(image_path), read_idx(label_path)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise IDXError(f"{os.path.dirname(image_path)}: image and label files do not match "
                           f"({images.shape} vs {labels.shape})")
        images = np.ascontiguousarray(images, dtype=np.uint8)
        images.flags.writeable = False   # shared by every instance: never modified in place
        labels = labels.astype(np.int64)
        labels.flags.writeable = False
        if len(_CACHE) >= 4:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = (images, labels)
    return _CACHE[key]


class _LabelledImages(Dataset):
    """An in-memory image dataset: ``self._images`` and int64 ``self._labels`` arrays;
    subclasses turn stored images into float32 ``(1, H, W)`` arrays (``_image``) and batches
    ``(B, 1, H, W)`` (``_batch_images``). ``ds[i]`` is ``(image Tensor, int label)``, each
    through its transform; ``_get_batch`` gathers and transforms whole batches."""

    def __len__(self):
        return len(self._labels)

    def __getitem__(self, index):
        img = Tensor._wrap(self._image(index))
        target = int(self._labels[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def _get_batch(self, indices):
        idx = np.asarray(indices, dtype=np.int64)
        x = Tensor._wrap(self._batch_images(idx))
        if self.transform is not None:
            x = self.transform(x)
        y = self._labels[idx]
        if self.target_transform is not None:
            return x, Tensor._wrap(np.asarray([self.target_transform(int(t)) for t in y]))
        return x, Tensor._wrap(y)


class _IDXImages(_LabelledImages):
    """28x28 grayscale images with integer labels, held in memory as uint8.

    ``ds[i]`` is ``(image, label)``: a float32 ``(1, 28, 28)`` Tensor in [0, 1] (then
    ``transform``, if any) and an int (then ``target_transform``). Batches from a
    ``DataLoader`` are gathered and transformed as whole arrays.
    """

    classes: list = []
    folder = ""
    mean, std = 0.5, 0.5
    install_hint = ""

    def __init__(self, root=None, train=True, transform=None, target_transform=None,
                 download=False):
        if root is None:
            base = os.environ.get("CHAINGRAD_DATA")
            root = os.path.join(base, self.folder) if base else self.default_root
        self.root = os.fspath(root)
        self.train = bool(train)
        self.transform = transform
        self.target_transform = target_transform
        paths = [find_idx(self.root, stem) for stem in _FILES[self.train]]
        if None in paths:
            missing = _FILES[self.train][paths.index(None)]
            raise DatasetNotFoundError(
                f"{type(self).__name__} not found: no {missing}[.gz] in {self.root}; "
                f"{self.install_hint}")
        self._images, self._labels = _read_pair(*paths)

    @property
    def data(self):
        """All images, a uint8 ``(N, 28, 28)`` Tensor (read-only: the decoded files are shared
        by every instance; assign ``ds.data = ...`` to replace them)."""
        return Tensor._wrap(self._images)

    @data.setter
    def data(self, value):
        self._images = np.asarray(value._array if isinstance(value, Tensor) else value, dtype=np.uint8)

    @property
    def targets(self):
        """All labels, an int64 ``(N,)`` Tensor."""
        return Tensor._wrap(self._labels)

    @targets.setter
    def targets(self, value):
        self._labels = np.asarray(value._array if isinstance(value, Tensor) else value, dtype=np.int64)

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def _image(self, index):
        return self._images[index][None].astype(np.float32) / np.float32(255)

    def _batch_images(self, idx):
        return self._images[idx][:, None].astype(np.float32) * np.float32(1 / 255)

    def __repr__(self):
        split = "Train" if self.train else "Test"
        return (f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
                f"    Root location: {self.root}\n    Split: {split}")


class FashionMNIST(_IDXImages):
    """Zalando's Fashion-MNIST: 60,000 train / 10,000 test 28x28 images of 10 clothing classes.

    Args:
        root (str, optional): folder with the four IDX files (gzip or not); default
            ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``).
        train (bool, default True): the training split, else the test split.
        transform, target_transform (callable, optional): applied to images / labels
            (to whole batches of images when read through a ``DataLoader``).

    Example::

        ds = FashionMNIST(train=False)
        img, label = ds[0]            # (1, 28, 28) float32 in [0, 1], 9 (Ankle boot)
    """

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
    folder = "fashion-mnist"
    default_root = "/usr/share/datasets/fashion-mnist"
    mean, std = 0.2860, 0.3530
    install_hint = "install it with: sudo apt-get install dataset-fashion-mnist"


class MNIST(_IDXImages):
    """LeCun's handwritten digits: 60,000 train / 10,000 test 28x28 images.

    Args as ``FashionMNIST``; default root ``/usr/share/datasets/mnist`` (no Debian package
    ships it: copy the four IDX files there or pass ``root=``).
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    folder = "mnist"
    default_root = "/usr/share/datasets/mnist"
    mean, std = 0.1307, 0.3081
    install_hint = ("no Debian package ships MNIST: copy its four IDX files "
                    "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
                    "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) there, or point "
                    "root= (chaingrad train --data-root) at them")
