"""Real datasets that work offline: ``FashionMNIST``, ``MNIST`` (IDX files) and ``Digits``
(scikit-learn's bundled 8x8 digits)."""
from .mnist import FashionMNIST, MNIST, DatasetNotFoundError
from .digits import Digits
from .idx import read_idx, IDXError

__all__ = ["FashionMNIST", "MNIST", "Digits", "DatasetNotFoundError", "read_idx", "IDXError"]
