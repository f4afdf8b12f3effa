"""Ready-made models: torchvision's ResNets (same architecture, init and ``state_dict`` keys),
an MLP and the small CNN of the course's training examples.

    model = cg.models.resnet18()                           # random init, 1000 classes
    model = cg.models.resnet18(weights="resnet18.cgt")     # a local file (see convert-torch)
    mlp = cg.models.MLP([784, 256, 10])
    cnn = cg.models.SmallCNN(in_channels=1, height=28, width=28, num_classes=10)
"""
from .resnet import (ResNet, BasicBlock, Bottleneck, resnet18, resnet34, resnet50, resnet101,
                     resnet152, resnext50_32x4d, wide_resnet50_2, load_weights)
from .mlp import MLP
from .cnn import SmallCNN


def list_models(module=None, include=None, exclude=None):
    """Names of the models :func:`get_model` builds (torchvision's ``list_models``), sorted;
    ``include`` / ``exclude`` are fnmatch patterns (a string or a list of them)."""
    import fnmatch
    names = sorted(_BUILDERS)
    if include is not None:
        pats = [include] if isinstance(include, str) else list(include)
        names = [n for n in names if any(fnmatch.fnmatch(n, p) for p in pats)]
    if exclude is not None:
        pats = [exclude] if isinstance(exclude, str) else list(exclude)
        names = [n for n in names if not any(fnmatch.fnmatch(n, p) for p in pats)]
    return names


def get_model_builder(name):
    """The function that builds model ``name`` (torchvision's ``get_model_builder``)."""
    try:
        return _BUILDERS[name.lower()]
    except KeyError:
        raise ValueError(f"Unknown model {name}") from None


def get_model(name, **config):
    """Build a model by name: ``get_model("resnet18", weights=None, num_classes=10)``."""
    return get_model_builder(name)(**config)


_BUILDERS = {f.__name__: f for f in (resnet18, resnet34, resnet50, resnet101, resnet152,
                                     resnext50_32x4d, wide_resnet50_2)}

__all__ = ["get_model", "get_model_builder", "list_models", "ResNet", "BasicBlock", "Bottleneck", "resnet18", "resnet34", "resnet50",
           "resnet101", "resnet152", "resnext50_32x4d", "wide_resnet50_2", "MLP", "SmallCNN",
           "load_weights"]
