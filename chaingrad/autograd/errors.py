"""Error messages a person can act on, built in one place."""
from __future__ import annotations

from .anomaly import user_frame


def _site(node) -> str:
    frame = user_frame(getattr(node, "_trace", None))
    if frame is None:
        return ""
    return f" The op was called at {frame.filename}:{frame.lineno} ({frame.line})."


def _save_site(node) -> str:
    """Where the saving op ran: recorded only under detect_anomaly (a frame walk on every op
    would cost ~15% of the per-op time; see chaingrad/autograd/sites.py)."""
    frame = user_frame(getattr(node, "_trace", None))
    if frame is None:
        return (f" (to see the line of your code that called {node.name()[:-8] or 'it'}, run "
                f"the forward pass under `with cg.autograd.detect_anomaly():`)")
    return f" at {frame.filename}:{frame.lineno} ({frame.line})"


def _mod_site(counter, saved_version) -> str:
    from .sites import modification_site
    site = modification_site(counter)
    return f" It was last modified in place at {site}." if site else ""


def _describe(shape, dtype) -> str:
    return f"{getattr(dtype, 'name', dtype)} [{', '.join(str(s) for s in shape)}]"


def freed_error(node) -> RuntimeError:
    """The second-backward error: what was freed and how to keep it."""
    what = "the values it saved for backward"
    saves = getattr(type(node), "save_inputs", ())
    meta = getattr(node, "_input_meta", ())
    parts = []
    if saves:
        idx = range(len(meta)) if saves == "all" else saves
        parts = [f"input {i} ({_describe(*meta[i])})" for i in idx if i < len(meta) and meta[i]]
    if getattr(type(node), "save_output", False):
        parts.append("output")
    if parts:
        what = "its saved " + ", ".join(parts)
    return RuntimeError(
        f"Trying to backward through the graph a second time (or to read saved tensors after "
        f"they were freed): {node.name()} needs {what}, which the first backward() or "
        f"autograd.grad() freed (saved values are released as soon as a backward pass has "
        f"used them, to save memory). To keep them, specify retain_graph=True in the first "
        f"call: loss.backward(retain_graph=True). If you did not mean to go through this "
        f"graph again (a tensor from an earlier training step, a loss accumulated across "
        f"steps, a hidden state carried over), recompute the forward pass or .detach() the "
        f"old tensor.")


def inplace_error(node, tensor, saved_version, what) -> RuntimeError:
    shape = "x".join(str(s) for s in tensor.shape) or "scalar"
    name = getattr(tensor, "name", None)
    label = f"'{name}' " if name else ""
    return RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: the {what} {label}[{tensor.dtype.name} tensor of shape {shape}] saved by "
        f"{node.name()}{_save_site(node)} is at version {tensor._version_counter.value}; "
        f"expected version {saved_version} instead."
        f"{_mod_site(tensor._version_counter, saved_version)} Hint: replace the in-place operation "
        f"(x += ..., x.add_(...), x[...] = ...) that changed it after the forward op by an "
        f"out-of-place one (x = x + ...), or .clone() the tensor before changing it.")


def inplace_output_error(node, saved_version, version) -> RuntimeError:
    return RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: the output of {node.name()}{_save_site(node)} is at version {version}; "
        f"expected version {saved_version} instead.{_mod_site(node._out_counter, saved_version)}"
        f" Hint: the op's derivative uses its own output; "
        f"change a .clone() of it instead, or use the out-of-place form.")


def no_grad_error(t, which) -> RuntimeError:
    """"does not require grad": which tensor, and the usual cause."""
    name = getattr(t, "name", None)
    label = f"'{name}', " if name else ""
    desc = f"{label}{_describe(t.shape, t.dtype)}"
    if t._array.dtype.kind != "f" and t._array.dtype.kind != "c":
        cause = (f"it is an integer/bool tensor ({t.dtype.name}): only floating-point tensors "
                 f"carry gradients; compute in floating point (t.float()) if you need one")
    else:
        cause = ("it was computed under `with cg.no_grad():` (or in a function decorated "
                 "with it, e.g. evaluation code), from a .detach()ed tensor or .data, or only "
                 "from tensors created without requires_grad=True (parameters have it; plain "
                 "tensors need cg.tensor(..., requires_grad=True) or x.requires_grad_())")
    return RuntimeError(
        f"{which} does not require grad and does not have a grad_fn: the tensor ({desc}) is "
        f"not connected to any tensor with requires_grad=True, so there is nothing to "
        f"differentiate. Usual cause: {cause}.")
