"""``state_dict`` / ``load_state_dict`` for ``Module`` (a mixin, so module.py stays small).

A state dict maps dotted names (``layer1.0.conv1.weight``) to tensors: every parameter and
every persistent buffer, depth first in registration order, the names PyTorch would use.
"""
from __future__ import annotations

from collections import OrderedDict, namedtuple

from .. import backend
from ..tensor import Tensor
from ..autograd.grad_mode import no_grad


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it could not match."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _shape_str(shape):
    return f"torch.Size({list(shape)})"


class StateDictMixin:
    """The state-dict half of ``Module``."""

    # -- state dict -------------------------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """An ordered dict ``dotted_name -> tensor`` of parameters and persistent buffers.

        The tensors share memory with the module (detached unless ``keep_vars``)."""
        if args:  # PyTorch's deprecated positional form (destination, prefix, keep_vars)
            destination = args[0]
            prefix = args[1] if len(args) > 1 else prefix
            keep_vars = args[2] if len(args) > 2 else keep_vars
        if destination is None:
            destination = OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".",
                             keep_vars=keep_vars)
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        persistent = {k: v for k, v in self._buffers.items()
                      if k not in self._non_persistent_buffers_set}
        local = {**{k: v for k, v in self._parameters.items() if v is not None},
                 **{k: v for k, v in persistent.items() if v is not None}}
        for name, target in local.items():
            key = prefix + name
            if key not in state_dict:
                missing_keys.append(key)
                continue
            src = state_dict[key]
            arr = src._array if isinstance(src, Tensor) else backend.as_array(src)
            if tuple(arr.shape) != tuple(target.shape):
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape {_shape_str(arr.shape)} "
                    f"from checkpoint, the shape in current model is {_shape_str(target.shape)}.")
                continue
            with no_grad():
                if local_metadata.get("assign_to_params_buffers"):
                    target._array = arr  # assign=True: take the checkpoint's array itself
                else:
                    target._array[...] = arr.astype(target._array.dtype, copy=False)
                target._version_counter.value += 1
        if strict:
            children = set(self._modules)
            for key in state_dict:
                if not key.startswith(prefix):
                    continue
                rest = key[len(prefix):]
                head = rest.split(".", 1)[0]
                if head not in local and head not in children:
                    unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy ``state_dict``'s tensors into this module's parameters and buffers.

        With ``strict=True`` (default) missing or unexpected keys raise ``RuntimeError``
        listing them; a shape mismatch always raises, naming the key and both shapes.
        Returns ``(missing_keys, unexpected_keys)``."""
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors = [], [], []

        def load(module, prefix):
            module._load_from_state_dict(state_dict, prefix,
                                         {"assign_to_params_buffers": bool(assign)}, True,
                                         missing, unexpected, errors)
            for name, child in module._modules.items():
                if child is not None:
                    load(child, prefix + name + ".")

        load(self, "")
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        return _IncompatibleKeys(missing, unexpected)
