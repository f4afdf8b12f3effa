"""``chaingrad evaluate CHECKPOINT``: test accuracy of a trained model and a per-class table.

    chaingrad evaluate runs/20260101-120000/best.ckpt
    chaingrad evaluate final.ckpt --limit 1000
"""
from __future__ import annotations

import argparse
import time

from .main import CLIError


def add_parser(sub, name):
    from ..training.loading import add_model_args
    p = sub.add_parser(name, help="test accuracy and per-class table of a trained checkpoint",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_args(p)
    p.add_argument("--limit", type=int, help="use only the first N test samples")
    p.add_argument("--batch-size", type=int, default=500, dest="batch_size")
    p.add_argument("--data-root", dest="data_root", help="folder with the dataset's IDX files")
    p.add_argument("--confusion", metavar="PNG", help="also save the confusion matrix picture")
    p.set_defaults(run=run)


def run(args):
    import numpy as np
    from ..autograd.grad_mode import no_grad
    from ..data import DataLoader, Subset
    from ..data import transforms as T
    from ..data.datasets import DatasetNotFoundError
    from ..data.datasets.idx import IDXError
    from ..training import factory, metrics, plots
    from ..training.loading import load_model
    for flag, v in (("--limit", args.limit), ("--batch-size", args.batch_size)):
        if v is not None and v <= 0:
            raise CLIError(f"{flag} must be a positive integer, got {v}")
    model, config, classes = load_model(args.checkpoint, args.model)
    cls = factory.dataset_class(config["dataset"])
    try:
        test = cls(root=args.data_root or config.get("data_root"), train=False,
                   transform=T.Normalize((cls.mean,), (cls.std,)))
    except (DatasetNotFoundError, IDXError) as exc:
        raise CLIError(str(exc)) from None
    if args.limit:
        test = Subset(test, range(min(args.limit, len(test))))
    start = time.perf_counter()
    preds, targets = [], []
    with no_grad():
        for xb, yb in DataLoader(test, batch_size=args.batch_size):
            preds.append(model(xb)._array.argmax(1))
            targets.append(yb._array)
    preds, targets = np.concatenate(preds), np.concatenate(targets)
    conf = metrics.confusion_matrix(targets, preds, len(classes))
    acc = float((preds == targets).mean())
    print(f"{config['model']} on {config['dataset']} test set: accuracy {100 * acc:.2f}% "
          f"({int((preds == targets).sum())}/{len(targets)}) in {time.perf_counter() - start:.1f}s")
    print(metrics.class_table(classes, conf))
    if args.confusion:
        plots.plot_confusion(conf, classes, args.confusion)
        print(f"wrote {args.confusion}")
    return 0
