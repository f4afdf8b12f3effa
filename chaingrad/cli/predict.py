"""``chaingrad predict CHECKPOINT IMAGE.png``: the top-3 classes of one image.

The picture is made to look like the training data: converted to grayscale, resized to the
model's input size (28x28), and inverted when its background is light (Fashion-MNIST and MNIST
show light objects on a black background; --invert / --no-invert decide instead).

    chaingrad predict runs/X/best.ckpt shoe.png
"""
from __future__ import annotations

import argparse
import os

from .main import CLIError


def add_parser(sub, name):
    from ..training.loading import add_model_args
    p = sub.add_parser(name, help="classify an image with a trained checkpoint (top-3)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_args(p)
    p.add_argument("image", help="a PNG (or any format Pillow reads)")
    p.add_argument("--top", type=int, default=3, help="how many classes to show (default 3)")
    inv = p.add_mutually_exclusive_group()
    inv.add_argument("--invert", action="store_true", default=None, help="always invert")
    inv.add_argument("--no-invert", dest="invert", action="store_false", help="never invert")
    p.set_defaults(run=run)


def read_gray(path):
    """An image file as a float array in [0, 1], shape (H, W), grayscale."""
    import numpy as np
    if not os.path.isfile(path):
        raise CLIError(f"image not found: {path}")
    try:
        from PIL import Image
        with Image.open(path) as im:
            return np.asarray(im.convert("L"), dtype=np.float32) / 255.0
    except ImportError:
        pass
    except Exception as exc:
        raise CLIError(f"cannot read image {path}: {exc}") from None
    try:
        import matplotlib.image as mpimg
        arr = np.asarray(mpimg.imread(path), dtype=np.float32)
    except Exception as exc:
        raise CLIError(f"cannot read image {path}: {exc}") from None
    if arr.max() > 1.0:
        arr = arr / 255.0
    if arr.ndim == 3:   # RGB(A): luminance, ITU-R 601-2 (what Pillow's "L" uses)
        arr = arr[..., :3] @ np.asarray([0.299, 0.587, 0.114], dtype=np.float32)
    return arr


def resize(img, h, w):
    """Area-average resize (bilinear when enlarging) of a (H, W) array to (h, w)."""
    import numpy as np
    H, W = img.shape
    ys = (np.arange(h) + 0.5) * H / h - 0.5
    xs = (np.arange(w) + 0.5) * W / w - 0.5
    if H > h or W > w:  # shrink: average the source pixels that fall in each target pixel
        ry = np.minimum((np.arange(H) * h) // H, h - 1)
        rx = np.minimum((np.arange(W) * w) // W, w - 1)
        out = np.zeros((h, w), dtype=np.float64)
        np.add.at(out, (ry[:, None], rx[None, :]), img)
        counts = np.zeros((h, w))
        np.add.at(counts, (ry[:, None], rx[None, :]), 1)
        return (out / np.maximum(counts, 1)).astype(np.float32)
    y0 = np.clip(np.floor(ys).astype(int), 0, H - 1)
    x0 = np.clip(np.floor(xs).astype(int), 0, W - 1)
    y1, x1 = np.minimum(y0 + 1, H - 1), np.minimum(x0 + 1, W - 1)
    fy, fx = np.clip(ys - y0, 0, 1)[:, None], np.clip(xs - x0, 0, 1)[None, :]
    top = img[y0][:, x0] * (1 - fx) + img[y0][:, x1] * fx
    bot = img[y1][:, x0] * (1 - fx) + img[y1][:, x1] * fx
    return (top * (1 - fy) + bot * fy).astype(np.float32)


def run(args):
    import numpy as np
    from .. import Tensor
    from ..autograd.grad_mode import no_grad
    from ..training import factory
    from ..training.loading import load_model
    if args.top <= 0:
        raise CLIError(f"--top must be a positive integer, got {args.top}")
    model, config, classes = load_model(args.checkpoint, args.model)
    img = read_gray(args.image)
    if img.ndim != 2 or img.size == 0:
        raise CLIError(f"cannot read image {args.image}: unexpected shape {img.shape}")
    c, h, w = factory.image_shape(config)
    img = resize(img, h, w) if img.shape != (h, w) else img
    invert = args.invert if args.invert is not None else float(np.median(img)) > 0.5
    if invert:
        img = 1.0 - img
    cls = factory.dataset_class(config["dataset"])
    x = ((img - cls.mean) / cls.std).astype(np.float32)[None, None]
    with no_grad():
        logits = model(Tensor._wrap(x))._array[0].astype(np.float64)
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    order = np.argsort(-probs, kind="stable")[:min(args.top, len(classes))]
    print(f"{args.image}: {config['model']} trained on {config['dataset']}"
          f"{' (image inverted)' if invert else ''}")
    for rank, k in enumerate(order, 1):
        print(f"  {rank}. {classes[k]:<14} {100 * probs[k]:6.2f}%")
    return 0
