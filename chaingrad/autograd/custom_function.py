"""Custom differentiable operations: ``Function`` (PyTorch's ``torch.autograd.Function``)
and its ``ctx``, which is also that call's node in the graph."""
from __future__ import annotations

import functools
import traceback

from ..backend import xp as _xp

from .grad_mode import is_grad_enabled, no_grad, set_grad_enabled
from . import anomaly as _anomaly
from .function import NO_EDGE, Node, _next_seq


class FunctionCtx(Node):
    """The ``ctx`` of a custom ``Function``; it is also that call's graph node."""

    __slots__ = ()

    def save_for_backward(self, *tensors):
        self._saved = tensors
        self._saved_versions = tuple(None if t is None else t._version_counter.value
                                     for t in tensors)

    @property
    def saved_tensors(self):
        if self._saved is None:
            self._check_not_freed()
            return ()
        for t, v in zip(self._saved, self._saved_versions):
            if t is not None and t._version_counter.value != v:
                self._check_version(t, v, "saved tensor")
        return self._saved

    def mark_non_differentiable(self, *tensors):
        self.__dict__.setdefault("_non_diff", set()).update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        self.__dict__["_dirty"] = tensors

    def set_materialize_grads(self, value: bool):
        self.__dict__["_materialize"] = bool(value)

    def name(self):
        return self.__dict__.get("_fn_cls", type(self)).__name__ + "Backward"

    def _run_backward(self, grads, F):
        from ..tensor import Tensor
        self._check_not_freed()
        fn_cls = self.__dict__["_fn_cls"]
        shapes = self.__dict__["_out_meta"]
        materialize = self.__dict__.get("_materialize", True)
        tgrads = []
        for g, (shape, dtype) in zip(grads, shapes):
            if g is None and materialize:
                g = F.zeros(shape, dtype)
            tgrads.append(g if (g is None or F.graph) else Tensor._wrap(g))
        with set_grad_enabled(F.graph), _xp.errstate(invalid="ignore"):  # user code: quiet
            result = fn_cls.backward(self, *tgrads)
        if not isinstance(result, tuple):
            result = (result,)
        n_in = len(self.next_functions)
        if len(result) < n_in:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of "
                               f"gradients (expected {n_in}, got {len(result)})")
        result = result[:n_in] if all(r is None for r in result[n_in:]) else result
        if len(result) != n_in:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of "
                               f"gradients (expected {n_in}, got {len(result)})")
        metas = getattr(self, "_input_meta", None) or ()
        for i, (g, meta) in enumerate(zip(result, metas)):
            gs = getattr(g, "shape", None)
            if meta is None or gs is None or tuple(gs) == tuple(meta[0]):
                continue
            try:  # PyTorch sums a broadcast gradient back; any other shape is an error
                ok = _xp.broadcast_shapes(tuple(gs), tuple(meta[0])) == tuple(gs)
            except ValueError:
                ok = False
            if not ok:
                raise RuntimeError(f"Function {self.name()} returned an invalid gradient at "
                                   f"index {i} - got {list(gs)} but expected shape compatible "
                                   f"with {list(meta[0])}")
        out = []
        for g, edge in zip(result, self.next_functions):
            if g is None or not edge:
                out.append(None)
            elif F.graph:
                out.append(g if isinstance(g, Tensor) else Tensor._wrap(F.asarray(g)))
            else:
                out.append(g._array if isinstance(g, Tensor) else g)
        return tuple(out)


class Function:
    """Base class for custom differentiable operations (as ``torch.autograd.Function``).

    Subclass with two static methods::

        class Cube(cg.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, grad_out):       # d x^3 / dx = 3 x^2
                (x,) = ctx.saved_tensors
                return grad_out * 3 * x ** 2

        y = Cube.apply(x)

    ``forward`` runs without recording and may take any arguments; ``backward`` receives one
    gradient per output and returns one gradient per ``forward`` argument (None for
    non-tensors or inputs that need none). ``ctx.needs_input_grad`` says which inputs need one.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a custom Function must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a custom Function must define backward(ctx, ...)")

    @staticmethod
    def setup_context(ctx, inputs, output):
        """Override (with a ``forward(*args)`` that takes no ctx) to fill ``ctx`` from the
        inputs and the output, PyTorch's second style."""
        raise NotImplementedError

    @classmethod
    def _has_setup_context(cls) -> bool:
        return cls.setup_context is not Function.setup_context

    @classmethod
    def apply(cls, *args, **kwargs):
        from ..tensor import Tensor

        ctx = FunctionCtx()
        ctx.__dict__["_fn_cls"] = cls
        needs = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        ctx.needs_input_grad = needs
        recording = is_grad_enabled() and any(needs)
        with no_grad():
            if cls._has_setup_context():  # forward(*args) + setup_context(ctx, inputs, output)
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        if not recording:
            return outputs
        non_diff = ctx.__dict__.get("_non_diff", ())
        dirty = {id(t) for t in ctx.__dict__.get("_dirty", ())}
        ctx.next_functions = tuple(a._edge() if n else NO_EDGE for a, n in zip(args, needs))
        ctx._seq = _next_seq()  # after its inputs' nodes
        ctx._input_meta = tuple((a._array.shape, a._array.dtype) if isinstance(a, Tensor) else None
                                for a in args)
        wrapped, meta = [], []
        for i, o in enumerate(outs):
            if isinstance(o, Tensor):
                meta.append((o._array.shape, o._array.dtype))
                if id(o) in dirty and id(o) not in non_diff:
                    # changed in place (mark_dirty): the same tensor, now made by this node
                    o.grad_fn, o._requires_grad = ctx, True
                    if i:
                        o._output_nr = i
                    wrapped.append(o)
                elif id(o) in non_diff or o._array.dtype.kind != "f":
                    wrapped.append(Tensor._wrap(o._array))
                else:
                    wrapped.append(Tensor._wrap(o._array, grad_fn=ctx, output_nr=i))
            else:
                meta.append(None)
                wrapped.append(o)
        ctx.__dict__["_out_meta"] = meta
        ctx.num_outputs = len(outs)
        if _anomaly.enabled():
            ctx._trace = traceback.extract_stack()[:-1]
        return wrapped[0] if single else tuple(wrapped)


def once_differentiable(backward):
    """Decorator for a custom ``Function.backward`` that is not itself differentiable: it runs
    without recording, so a create_graph pass gets constant gradients from it."""
    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with no_grad():
            return backward(ctx, *grads)
    return wrapper
