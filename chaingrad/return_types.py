"""The named tuples ops return (PyTorch's ``torch.return_types``).

``t.max(dim)`` returns ``chaingrad.return_types.max(values=..., indices=...)``: a tuple (index
it, unpack it, compare it with a tuple) whose fields are also attributes::

    values, indices = t.max(0)
    t.max(0).values is t.max(0)[0]          # the same objects

Each class is a ``tuple`` subclass named after its op, with ``n_fields`` /
``n_sequence_fields`` / ``n_unnamed_fields`` as PyTorch's struct sequences, and ``_fields``
as Python's named tuples.
"""
from __future__ import annotations

__all__ = ["max", "min", "sort", "topk", "kthvalue", "median", "nanmedian", "mode", "cummax",
           "cummin", "aminmax", "histogram"]


def _make(name, fields):
    def __new__(cls, sequence):
        seq = tuple(sequence)
        if len(seq) != len(fields):
            raise TypeError(f"chaingrad.return_types.{name}() takes a {len(fields)}-sequence "
                            f"({len(seq)}-sequence given)")
        return tuple.__new__(cls, seq)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"chaingrad.return_types.{name}(\n{body})"

    def __reduce__(self):
        return (type(self), (tuple(self),))

    ns = {"__slots__": (), "__new__": __new__, "__repr__": __repr__, "__str__": __repr__,
          "__reduce__": __reduce__, "_fields": tuple(fields), "n_fields": len(fields),
          "n_sequence_fields": len(fields), "n_unnamed_fields": 0,
          "__module__": __name__, "__qualname__": name,
          "__doc__": f"``({', '.join(fields)})``, as PyTorch's torch.return_types.{name}."}
    for i, f in enumerate(fields):
        ns[f] = property(lambda self, i=i: tuple.__getitem__(self, i))
    return type(name, (tuple,), ns)


_VI = ("values", "indices")
max = _make("max", _VI)  # noqa: A001 - PyTorch's names
min = _make("min", _VI)  # noqa: A001
sort = _make("sort", _VI)
topk = _make("topk", _VI)
kthvalue = _make("kthvalue", _VI)
median = _make("median", _VI)
nanmedian = _make("nanmedian", _VI)
mode = _make("mode", _VI)
cummax = _make("cummax", _VI)
cummin = _make("cummin", _VI)
aminmax = _make("aminmax", ("min", "max"))
histogram = _make("histogram", ("hist", "bin_edges"))
