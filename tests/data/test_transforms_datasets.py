"""Batch transforms and the offline datasets."""
import gzip
import os

import numpy as np
import pytest

import chaingrad as cg
from chaingrad.data import DataLoader
from chaingrad.data import transforms as T
from chaingrad.data.datasets import Digits, FashionMNIST, MNIST, DatasetNotFoundError, read_idx

torch = pytest.importorskip("torch")
FASHION = "/usr/share/datasets/fashion-mnist"
has_fashion = pytest.mark.skipif(not os.path.isdir(FASHION),
                                 reason="sudo apt-get install dataset-fashion-mnist")


def test_normalize_matches_torch_formula():
    x = np.random.default_rng(0).random((4, 3, 5, 5), dtype=np.float32)
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.6, 0.7)
    out = T.Normalize(mean, std)(cg.tensor(x))
    ref = (torch.tensor(x) - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)
    single = T.Normalize(mean, std)(x[0])
    np.testing.assert_allclose(single, ref.numpy()[0], rtol=1e-6)


def test_to_tensor_scales_uint8():
    img = np.array([[0, 255], [51, 102]], dtype=np.uint8)
    out = T.ToTensor()(img)
    assert out.shape == (1, 2, 2) and out.dtype == cg.float32
    np.testing.assert_allclose(out.numpy()[0], img / 255.0, rtol=1e-6)


def test_random_crop_and_flip_are_windows_and_mirrors():
    x = np.arange(2 * 1 * 4 * 4, dtype=np.float32).reshape(2, 1, 4, 4) + 1
    cg.manual_seed(0)
    out = T.RandomCrop(4, padding=1)(x)
    for b in range(2):
        padded = np.pad(x[b, 0], 1)
        hits = [(i, j) for i in range(3) for j in range(3)
                if np.array_equal(padded[i:i + 4, j:j + 4], out[b, 0])]
        assert hits
    flipped = T.RandomHorizontalFlip(p=1.0)(x)
    np.testing.assert_array_equal(flipped, x[..., ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(x), x)


def test_random_transforms_follow_manual_seed():
    x = np.random.default_rng(1).random((16, 1, 8, 8)).astype(np.float32)
    t = T.Compose([T.RandomCrop(8, padding=2), T.RandomHorizontalFlip()])
    cg.manual_seed(7)
    a = t(x)
    cg.manual_seed(7)
    b = t(x)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, x)


def _write_idx(path, arr, compress):
    header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    data = header + arr.astype(np.uint8).tobytes()
    with (gzip.open if compress else open)(path, "wb") as f:
        f.write(data)


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_reads_idx_files(tmp_path, compress):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (5, 28, 28))
    labels = np.array([3, 1, 4, 1, 5])
    ext = ".gz" if compress else ""
    _write_idx(tmp_path / f"t10k-images-idx3-ubyte{ext}", imgs, compress)
    _write_idx(tmp_path / f"t10k-labels-idx1-ubyte{ext}", labels, compress)
    ds = MNIST(root=tmp_path, train=False)
    assert len(ds) == 5
    img, label = ds[2]
    assert label == 4 and img.shape == (1, 28, 28)
    np.testing.assert_allclose(img.numpy()[0], imgs[2] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(read_idx(tmp_path / f"t10k-labels-idx1-ubyte{ext}"), labels)
    xb, yb = next(iter(DataLoader(ds, batch_size=5)))
    np.testing.assert_allclose(xb.numpy()[:, 0], imgs / 255.0, rtol=1e-6)
    assert yb.tolist() == labels.tolist()


def test_missing_dataset_message(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="sudo apt-get install dataset-fashion-mnist"):
        FashionMNIST(root=tmp_path / "nowhere")


@has_fashion
def test_fashion_mnist_from_debian_package():
    ds = FashionMNIST(train=False)
    assert len(ds) == 10000 and len(ds.classes) == 10
    img, label = ds[0]
    assert img.shape == (1, 28, 28) and img.dtype == cg.float32 and label == 9
    assert ds.classes[label] == "Ankle boot"
    assert 0.0 <= float(img.numpy().min()) and float(img.numpy().max()) <= 1.0
    assert np.bincount(ds.targets.numpy()).tolist() == [1000] * 10


def test_digits():
    train, test = Digits(), Digits(train=False)
    assert len(train) + len(test) == 1797
    x, y = next(iter(DataLoader(train, batch_size=32)))
    assert x.shape == (32, 1, 8, 8) and y.dtype == cg.int64
    assert float(x.numpy().max()) <= 1.0
