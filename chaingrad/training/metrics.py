"""Metrics of a run: accuracy, the confusion matrix, ``metrics.csv`` and ``summary.json``."""
from __future__ import annotations

import csv
import json
import os

import numpy as np

FIELDS = ("epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr", "time_s",
          "samples_per_s")


def confusion_matrix(targets, predictions, num_classes) -> np.ndarray:
    """``C[i, j]`` = how many samples of true class i were predicted as class j."""
    idx = np.asarray(targets, dtype=np.int64) * num_classes + np.asarray(predictions, dtype=np.int64)
    return np.bincount(idx, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def per_class_accuracy(confusion: np.ndarray) -> np.ndarray:
    totals = confusion.sum(axis=1)
    return np.divide(np.diag(confusion), totals, out=np.zeros(len(totals)), where=totals > 0)


def write_csv(path, history) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        for row in history:
            w.writerow({k: row[k] for k in FIELDS})


def write_json(path, obj) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def class_table(classes, confusion) -> str:
    """A per-class table: name, count, correct, accuracy."""
    acc = per_class_accuracy(confusion)
    width = max(12, max(len(c) for c in classes))
    lines = [f"{'class':<{width}} | {'count':>6} | {'correct':>7} | {'accuracy':>8}",
             "-" * (width + 32)]
    for i, name in enumerate(classes):
        lines.append(f"{name:<{width}} | {int(confusion[i].sum()):>6} | "
                     f"{int(confusion[i, i]):>7} | {100 * acc[i]:>7.2f}%")
    return "\n".join(lines)
