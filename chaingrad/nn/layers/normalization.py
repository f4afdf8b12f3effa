"""Normalisation layers: BatchNorm1d/2d/3d, LayerNorm, GroupNorm (PyTorch's defaults)."""
from __future__ import annotations

from ..module import Module
from .. import init
from .._functional.norm import batch_norm, layer_norm, group_norm, rms_norm
from .linear import _empty_param
from ... import backend
from ...backend import xp
from ...tensor import Tensor


def _register_running_stats(module, num_features, track, npd):
    """Register batch norm's buffers on ``module``: ``running_mean`` (zeros), ``running_var``
    (ones) of dtype ``npd`` and an int64 ``num_batches_tracked``; all None unless ``track``.
    Shared by ``BatchNorm*d`` and ``distributed.SyncBatchNorm``."""
    if track:
        module.register_buffer("running_mean", Tensor._wrap(xp.zeros(num_features, npd)))
        module.register_buffer("running_var", Tensor._wrap(xp.ones(num_features, npd)))
        module.register_buffer("num_batches_tracked", Tensor._wrap(xp.zeros((), dtype=xp.int64)))
    else:
        module.register_buffer("running_mean", None)
        module.register_buffer("running_var", None)
        module.register_buffer("num_batches_tracked", None)


class _AffineNorm(Module):
    """Base of the normalisation layers: an optional affine ``weight`` (init 1) and ``bias``
    (init 0) of ``shape``."""

    def _init_affine(self, shape, affine, bias, dtype, device):
        self.weight = _empty_param(shape, dtype, device) if affine else None
        self.bias = _empty_param(shape, dtype, device) if affine and bias else None

    def _init_last_dims(self, normalized_shape, eps, elementwise_affine, bias, dtype, device):
        """LayerNorm and RMSNorm: normalise over the last dims ``normalized_shape``."""
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self._init_affine(self.normalized_shape, elementwise_affine, bias, dtype, device)
        self.reset_parameters()

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)


class _BatchNorm(_AffineNorm):
    """y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta per channel.

    Args: num_features, eps=1e-5, momentum=0.1 (None: cumulative average),
    affine=True (gamma=1, beta=0 learnable), track_running_stats=True, device, dtype.
    Training uses batch statistics and updates running_mean / running_var (unbiased) and
    num_batches_tracked; eval uses the running statistics.
    """

    _version = 2  # the state-dict version that has num_batches_tracked

    _dims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self._init_affine((num_features,), affine, bias, dtype, device)
        _register_running_stats(self, num_features, track_running_stats,
                                backend.np_dtype(dtype) or backend.default_float_dtype())
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean._array[...] = 0
            self.running_var._array[...] = 1
            self.num_batches_tracked._array[...] = 0

    def reset_parameters(self):
        self.reset_running_stats()
        super().reset_parameters()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # a state dict of version < 2 (or one without the version, e.g. converted weights)
        # may lack num_batches_tracked: the current count is kept, as PyTorch does
        key = prefix + "num_batches_tracked"
        version = local_metadata.get("version")
        if (version is None or version < 2) and self.track_running_stats \
                and key not in state_dict:
            state_dict[key] = self.num_batches_tracked
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def _check_input_dim(self, input):  # noqa: A002
        if input.ndim not in self._dims:
            want = " or ".join(f"{d}D" for d in self._dims)
            raise ValueError(f"expected {want} input (got {input.ndim}D input)")

    def forward(self, input):  # noqa: A002
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._array[...] += 1
            self.num_batches_tracked._version_counter.value += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked._array)
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if track else None,
                          self.running_var if track else None, self.weight, self.bias,
                          use_batch, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) input."""
    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) input."""
    _dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch norm over (N, C, D, H, W) input."""
    _dims = (5,)


class LayerNorm(_AffineNorm):
    """Normalise over the last dims: y = (x - mean) / sqrt(var + eps) * w + b.

    Args: normalized_shape (int or tuple), eps=1e-5, elementwise_affine=True, bias=True.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        self._init_last_dims(normalized_shape, eps, elementwise_affine, bias, dtype, device)

    def forward(self, input):  # noqa: A002
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class RMSNorm(_AffineNorm):
    """Root-mean-square norm over the last dims: y = x / sqrt(mean(x^2) + eps) * w.

    Args: normalized_shape (int or tuple), eps=None (the dtype's machine epsilon),
    elementwise_affine=True (a ``weight`` initialised to ones; no bias).

        norm = cg.nn.RMSNorm(512)
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        self._init_last_dims(normalized_shape, eps, elementwise_affine, False, dtype, device)

    def forward(self, x):
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GroupNorm(_AffineNorm):
    """Normalise each sample's channels in groups, then a per-channel affine.

    Args: num_groups, num_channels, eps=1e-5, affine=True."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        self._init_affine((num_channels,), affine, bias, dtype, device)
        self.reset_parameters()

    def forward(self, input):  # noqa: A002
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")
