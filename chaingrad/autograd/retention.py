"""Detects the most common graph-retention mistake and says how to fix it, once.

::

    total_loss = 0
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        total_loss += loss          # keeps every step's graph alive: memory grows
                                    # fix: total_loss += loss.item()

The engine marks every node a backward pass has run through (and freed) as *consumed*
(``Node._consumed``, set by ``Node._release``). ``Op.apply`` looks at the ``grad_fn`` of each
input it records an edge to: a consumed one, or, for a 0-d input (a loss), one whose own
inputs were consumed, is *dead*, and the new node is marked consumed too (it is built on a
dead graph). When an op combines a dead input with another input that also carries a graph,
it is the accumulation pattern above (or a hidden state carried across steps without
``detach``): ``RetentionWarning`` is issued, once per process.

Cost: one attribute read and one ``ndim`` test per recorded input that has a ``grad_fn``
(measured in docs/reliability.md); this module's code runs only for 0-d inputs and dead ones.
"""
from __future__ import annotations

import warnings

__all__ = ["RetentionWarning", "is_dead", "dead_input", "reset"]


class RetentionWarning(UserWarning):
    """A graph freed by ``backward()`` is still being built on (issued once per process)."""


_warned = False

MESSAGE = (
    "{op} combines a tensor whose graph was already used and freed by backward() with "
    "another tensor that carries a graph: this keeps every step's graph alive, so memory "
    "grows step after step (and a later backward() through it fails). Typical cause: "
    "`total_loss += loss` across training steps - write `total_loss += loss.item()` (or "
    "`loss.detach()`) instead; for a hidden state carried across steps use `h = h.detach()`; "
    "for metrics, compute them under `with cg.no_grad():`. (This warning is shown once.)")


def is_dead(node) -> bool:
    """Whether ``node`` belongs to a graph that a backward pass has already freed."""
    return node._consumed


def _child_consumed(node) -> bool:
    for e in node.next_functions:
        if e and e[0]._consumed:
            return True
    return False


def dead_input(node, inputs) -> None:
    """Called by ``Op.apply`` when an input's ``grad_fn`` is dead (or may be, for 0-d
    inputs): marks ``node`` stale and warns (once) if the op mixes graphs."""
    global _warned
    dead = graphs = 0
    for t in inputs:
        g = t.grad_fn
        if g is None or not t._requires_grad:
            continue
        graphs += 1
        if g._consumed or (not t._array.ndim and _child_consumed(g)):
            dead += 1
    if not dead:
        return
    node._consumed = True  # built on a dead graph: dead as well
    if graphs >= 2 and not _warned:
        _warned = True
        warnings.warn(MESSAGE.format(op=node.name()), RetentionWarning, stacklevel=_user_level())


def _user_level() -> int:
    """stacklevel of the first frame outside chaingrad (so the warning names the user line)."""
    import sys
    f, level = sys._getframe(1), 1
    while f is not None and "/chaingrad/" in f.f_code.co_filename.replace("\\", "/"):
        f, level = f.f_back, level + 1
    return level


def reset() -> None:
    """Allow the warning to be shown again (for tests)."""
    global _warned
    _warned = False
