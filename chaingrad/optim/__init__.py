"""Optimizers (``chaingrad.optim``) and learning-rate schedules (``optim.lr_scheduler``).

Every optimizer follows PyTorch's update equations step for step, supports parameter groups,
``zero_grad(set_to_none=True)``, ``step(closure=None)`` and ``state_dict()`` /
``load_state_dict()`` in PyTorch's layout::

    opt = cg.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
"""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from .adadelta import Adadelta
from .adam_variants import Adamax, NAdam, RAdam, SparseAdam
from .rprop_asgd import Rprop, ASGD
from .lbfgs import LBFGS
from .adafactor import Adafactor
from .muon import Muon
from . import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
           "NAdam", "RAdam", "SparseAdam", "Rprop", "ASGD", "LBFGS", "Adafactor", "Muon",
           "lr_scheduler", "swa_utils"]


def __getattr__(name):
    # swa_utils needs chaingrad.nn: loaded on first use, as the other subpackages are
    if name == "swa_utils":
        import importlib
        return importlib.import_module(f"{__name__}.swa_utils")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
