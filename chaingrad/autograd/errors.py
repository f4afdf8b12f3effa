"""Error messages a person can act on, built in one place."""
from __future__ import annotations

from .anomaly import user_frame


def _site(node) -> str:
    frame = user_frame(getattr(node, "_trace", None))
    if frame is None:
        return ""
    return f" The op was called at {frame.filename}:{frame.lineno} ({frame.line})."


def inplace_error(node, tensor, saved_version, what) -> RuntimeError:
    shape = "x".join(str(s) for s in tensor.shape) or "scalar"
    name = getattr(tensor, "name", None)
    label = f"'{name}' " if name else ""
    return RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: the {what} {label}[{tensor.dtype.name} tensor of shape {shape}] saved by "
        f"{node.name()} is at version {tensor._version_counter.value}; expected version "
        f"{saved_version} instead.{_site(node)} Hint: replace the in-place operation "
        f"(x += ..., x.add_(...), x[...] = ...) that changed it after the forward op by an "
        f"out-of-place one (x = x + ...), or .clone() the tensor before changing it.")


def inplace_output_error(node, saved_version, version) -> RuntimeError:
    return RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: the output of {node.name()} is at version {version}; expected version "
        f"{saved_version} instead.{_site(node)} Hint: the op's derivative uses its own output; "
        f"change a .clone() of it instead, or use the out-of-place form.")
