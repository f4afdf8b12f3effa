"""``chaingrad.nn.utils``: gradient clipping, parameter/vector conversion, conv/linear +
BatchNorm fusion, weight normalisation, packed sequences (``nn.utils.rnn``)."""
from __future__ import annotations

from .clip_grad import clip_grad_norm_, clip_grad_value_, get_total_norm, clip_grads_with_norm_
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .fusion import (fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval,
                     fuse_linear_bn_weights)
from .weight_norm import weight_norm, remove_weight_norm

clip_grad_norm = clip_grad_norm_  # PyTorch's deprecated alias


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` whose parameters need not be initialised (PyTorch
    leaves them uninitialised; here the constructor's values are kept, which is allowed).
    The class must take a ``device`` argument, as in PyTorch."""
    import inspect
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    return module_cls(*args, **kwargs)


def __getattr__(name):
    if name == "rnn":  # packed sequences, written with the recurrent layers
        import importlib
        return importlib.import_module("chaingrad.nn.utils.rnn")
    raise AttributeError(f"module 'chaingrad.nn.utils' has no attribute {name!r}")
