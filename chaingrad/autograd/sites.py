"""Where in the user's code a tensor was changed in place, for error messages.

In-place operations are rare (a handful per step, against thousands of out-of-place ops),
so each one records the first frame outside chaingrad: ``(filename, lineno, line)``, about
1 microsecond (measured in docs/reliability.md). The record (the version the change produced and
the site) is keyed by the id of the tensor's version counter, one entry per tensor (its last
change), in a bounded table (the counter object has no room for it, and an entry must not
keep tensors alive).

The line that *saved* a tensor is not recorded for every op (a frame walk would cost about
15% of the per-op time): it is shown when the forward pass ran under
``cg.autograd.detect_anomaly()``, and the error message says so otherwise.
"""
from __future__ import annotations

import linecache
import sys
from collections import OrderedDict

_MAX = 4096
# id(counter) -> (version, (filename, lineno)): one entry per tensor (its last change), so
# repeated updates of the same tensor do not grow the table
_table: "OrderedDict[int, tuple[int, tuple[str, int]]]" = OrderedDict()


def user_site(skip: int = 1):
    """``(filename, lineno)`` of the innermost frame outside chaingrad, or None."""
    f = sys._getframe(skip)
    while f is not None and "/chaingrad/" in f.f_code.co_filename.replace("\\", "/"):
        f = f.f_back
    return None if f is None else (f.f_code.co_filename, f.f_lineno)


def modified(counter) -> None:
    """Record where ``counter`` (a tensor's version counter) reached its current version."""
    site = user_site(2)
    if site is None:
        return
    key = id(counter)
    if key in _table:
        _table.move_to_end(key)
    _table[key] = (counter.value, site)
    if len(_table) > _MAX:
        _table.popitem(last=False)


def modification_site(counter, version=None):
    """``"file:line (source)"`` of the last in-place change of the tensor owning ``counter``
    if it produced ``version`` (default: its current version), else None."""
    entry = _table.get(id(counter))
    if entry is None or entry[0] != (counter.value if version is None else version):
        return None
    filename, lineno = entry[1]
    line = linecache.getline(filename, lineno).strip()
    return f"{filename}:{lineno}" + (f" ({line})" if line else "")
