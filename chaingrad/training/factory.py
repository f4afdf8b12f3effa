"""What a training run is made of, built from its configuration (a plain dict, so that it
can be stored in the checkpoint and rebuilt by ``evaluate`` / ``predict`` / ``--resume``).

    model     mlp | cnn | resnet18
    dataset   fashion-mnist | mnist | digits
    optimizer sgd | momentum | adam | adamw
    scheduler none | step | cosine | onecycle
"""
from __future__ import annotations

MODELS = ("mlp", "cnn", "resnet18")
DATASETS = ("fashion-mnist", "mnist", "digits")
OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
SCHEDULERS = ("none", "step", "cosine", "onecycle")


def dataset_class(name):
    from ..data import datasets
    return {"fashion-mnist": datasets.FashionMNIST, "mnist": datasets.MNIST,
            "digits": datasets.Digits}[name]


def load_datasets(config):
    """(train, test) datasets of the run, normalised, ``--limit`` / ``--test-limit`` applied.

    Raises ``DatasetNotFoundError`` (its message says how to install the data)."""
    from ..data import Subset
    from ..data import transforms as T
    cls = dataset_class(config["dataset"])
    norm = T.Normalize((cls.mean,), (cls.std,))
    root = config.get("data_root")
    train_tf = norm
    if config.get("augment"):
        size = 8 if config["dataset"] == "digits" else 28
        train_tf = T.Compose([T.RandomCrop(size, padding=2), T.RandomHorizontalFlip(), norm])
    train = cls(root=root, train=True, transform=train_tf)
    test = cls(root=root, train=False, transform=norm)
    if config.get("limit"):
        train = Subset(train, range(min(int(config["limit"]), len(train))))
    if config.get("test_limit"):
        test = Subset(test, range(min(int(config["test_limit"]), len(test))))
    return train, test


def _base(ds):
    return ds.dataset if hasattr(ds, "indices") else ds


def class_names(dataset):
    return list(_base(dataset).classes)


def image_shape(config):
    return (1, 8, 8) if config["dataset"] == "digits" else (1, 28, 28)


def build_model(config, num_classes=10):
    """A fresh (seeded) model for ``config['model']`` on the run's image shape."""
    from . import nets
    c, h, w = image_shape(config)
    name = config["model"]
    if name == "mlp":
        return nets.mlp(c * h * w, num_classes)
    if name == "cnn":
        return nets.StridedCNN(c, h, w, num_classes)
    if name == "resnet18":
        return nets.resnet18_gray(c, num_classes)
    raise ValueError(f"unknown model {name!r}")


def build_optimizer(config, params):
    from .. import optim
    name, lr, wd = config["optimizer"], config["lr"], config.get("weight_decay", 0.0)
    if name == "sgd":
        return optim.SGD(params, lr=lr, weight_decay=wd)
    if name == "momentum":
        return optim.SGD(params, lr=lr, momentum=0.9, nesterov=True, weight_decay=wd)
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=wd)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=wd if wd else 0.01)
    raise ValueError(f"unknown optimizer {name!r}")


def build_scheduler(config, optimizer, steps_per_epoch):
    """(scheduler or None, 'step' | 'epoch'): when the trainer calls ``scheduler.step()``."""
    from ..optim import lr_scheduler as sched
    name, epochs = config.get("scheduler", "none"), config["epochs"]
    total = max(1, epochs * steps_per_epoch)
    if name == "none":
        return None, None
    if name == "step":
        return sched.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1), "epoch"
    if name == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=total), "step"
    if name == "onecycle":
        return sched.OneCycleLR(optimizer, max_lr=config["lr"], total_steps=total), "step"
    raise ValueError(f"unknown scheduler {name!r}")
