"""``SyncBatchNorm``: batch normalisation whose statistics span the global batch of all ranks.

Plain ``BatchNorm`` under ``DistributedDataParallel`` normalises each rank's batch with that
rank's own mean and variance (and rank 0's running statistics are broadcast at each forward,
``broadcast_buffers=True``), exactly as PyTorch DDP does: cheap, and fine when the per-rank
batch is large. ``SyncBatchNorm`` computes the statistics of the global batch instead, so W ranks
with batch b behave exactly like one process with batch W*b, at the price of two all-reduces in
the forward pass and two in the backward:

    n     = sum_r n_r                            (elements per channel, all ranks)
    mean  = allreduce(sum_i x_i) / n
    var   = allreduce(sum_i (x_i - mean)^2) / n  (biased, for normalising)
    y     = (x - mean) / sqrt(var + eps) * weight + bias

It is built from ``functional.all_reduce``, whose derivative is itself an all-reduce (the sum
over ranks of the incoming gradients), so the backward pass all-reduces sum(dL/dmean) and
sum(dL/dvar) by the chain rule, with no hand-written backward.
"""
from __future__ import annotations

from ..autograd.grad_mode import no_grad
from ..backend import xp
from ..nn.module import Module
from ..nn.layers.normalization import _register_running_stats
from ..tensor import Parameter
from . import comm
from .functional import all_reduce


class SyncBatchNorm(Module):
    """Batch normalisation over the batch of every rank (as ``torch.nn.SyncBatchNorm``).

    Args: ``num_features`` (C of inputs (N, C, ...)), ``eps=1e-5``, ``momentum=0.1`` (None: a
    cumulative average), ``affine=True``, ``track_running_stats=True``,
    ``process_group=None`` (default: the world), ``device=None``, ``dtype=None``.
    Running variance is updated with the unbiased global variance, var * n / (n - 1).

        model = SyncBatchNorm.convert_sync_batchnorm(model)   # every BatchNorm*d replaced
        model = DistributedDataParallel(model)
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None):
        super().__init__()
        from .. import backend
        npd = backend.np_dtype(dtype) or backend.default_float_dtype()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.process_group = process_group
        if affine:
            self.weight = Parameter(xp.ones(num_features, dtype=npd))
            self.bias = Parameter(xp.zeros(num_features, dtype=npd))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        _register_running_stats(self, num_features, track_running_stats, npd)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean._array[...] = 0
            self.running_var._array[...] = 1
            self.num_batches_tracked._array[...] = 0

    def _check_input_dim(self, x):
        if x.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {x.ndim}D input)")

    def forward(self, input):  # noqa: A002
        x = input
        self._check_input_dim(x)
        C = x.shape[1]
        if C != self.num_features:
            raise RuntimeError(f"running_mean should contain {x.shape[1]} elements not "
                               f"{self.num_features}")
        shape = (1, C) + (1,) * (x.ndim - 2)
        dims = (0,) + tuple(range(2, x.ndim))
        use_batch = self.training or self.running_mean is None
        if use_batch:
            # synchronised only while training (as PyTorch); else this rank's batch alone
            group = ((self.process_group or comm._default_group()) if self.training
                     else comm._LocalGroup())
            count = xp.asarray([x._array.size // C], dtype=xp.int64)
            group.allreduce(count, comm.ReduceOp.SUM)  # a constant: no gradient through n
            n = int(count[0])
            if n <= 1 and self.training:
                raise ValueError(f"Expected more than 1 value per channel when training, got "
                                 f"input size {tuple(x.shape)}")
            mean = all_reduce(x.sum(dims), group) / n
            xc = x - mean.reshape(shape)
            var = all_reduce((xc * xc).sum(dims), group) / n
            if self.training and self.track_running_stats:
                self._update_running(mean, var, n)
            y = xc * (var.reshape(shape) + self.eps).rsqrt()
        else:
            inv = (self.running_var + self.eps).rsqrt()
            y = (x - self.running_mean.reshape(shape)) * inv.reshape(shape)
        if self.affine:
            y = y * self.weight.reshape(shape) + self.bias.reshape(shape)
        return y

    def _update_running(self, mean, var, n):
        with no_grad():
            self.num_batches_tracked._array += 1
            m = (1.0 / float(self.num_batches_tracked._array) if self.momentum is None
                 else self.momentum)
            rm, rv = self.running_mean._array, self.running_var._array
            rm[...] = (1 - m) * rm + m * mean._array.astype(rm.dtype)
            rv[...] = (1 - m) * rv + m * (var._array * (n / (n - 1))).astype(rv.dtype)
            for b in (self.running_mean, self.running_var, self.num_batches_tracked):
                b._version_counter.value += 1

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """Return ``module`` with every ``BatchNorm1d/2d/3d`` replaced by a ``SyncBatchNorm``
        holding the same parameters and running statistics (in place for children)."""
        out = module
        if type(module).__name__ in ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d"):
            out = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats, process_group)
            if module.affine:
                with no_grad():
                    out.weight = module.weight
                    out.bias = module.bias
            if module.track_running_stats:
                out.running_mean = module.running_mean
                out.running_var = module.running_var
                out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out

