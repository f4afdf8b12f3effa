"""Anomaly detection: find the first backward node that produces NaN or Inf."""
from __future__ import annotations


class _AnomalyState:
    """Process-wide, as PyTorch's anomaly mode (grad mode, by contrast, is per thread)."""

    __slots__ = ("on",)  # (a slot: the compiled Op.apply reads it directly)

    def __init__(self):
        self.on = False


_state = _AnomalyState()


def enabled() -> bool:
    return _state.on


class detect_anomaly:
    """Context manager: while active, every op records where in user code it was called, and
    the backward pass raises at the first node whose gradient contains NaN or Inf, naming the
    operation and that source line.

    Example::

        with cg.autograd.detect_anomaly():
            loss.backward()
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = enabled()
        _state.on = self.check_nan
        return self

    def __exit__(self, *exc):
        _state.on = self._prev
        return False


set_detect_anomaly = detect_anomaly


def user_frame(trace):
    """The innermost frame of a recorded stack that is outside chaingrad itself."""
    if not trace:
        return None
    for frame in reversed(trace):
        if "/chaingrad/" not in frame.filename.replace("\\", "/"):
            return frame
    return trace[-1]


def where(node) -> str:
    frame = user_frame(node._trace)
    if frame is None:
        return "(the forward call was not recorded: enable detect_anomaly before the forward pass)"
    return f'File "{frame.filename}", line {frame.lineno}, in {frame.name}\n    {frame.line}'


def check_gradients(node, grads, xp) -> None:
    """Raise if any gradient produced by ``node`` holds NaN or Inf."""
    for i, g in enumerate(grads):
        if g is None:
            continue
        arr = g if isinstance(g, xp.ndarray) else g._array  # raw array or Tensor
        if arr.dtype.kind == "f" and not xp.isfinite(arr).all():
            kind = "nan" if xp.isnan(arr).any() else "inf"
            raise RuntimeError(
                f"Function '{node.name()}' returned {kind} values in its {i}th output "
                f"(the gradient for its input {i}).\nThe forward operation was called at:\n"
                f"{where(node)}")
