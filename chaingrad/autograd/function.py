"""Graph nodes.

A *node* is what ``tensor.grad_fn`` points to: it remembers the edges to the nodes of its
inputs (``next_functions``) and what its local derivative needs (saved arrays, with the version
of each saved tensor so that a later in-place change is caught). A node never points back to
its output tensor, so a graph is freed by reference counting as soon as its last tensor goes.

Three kinds of nodes:

* ``Op``: chaingrad's built-in operations. ``forward`` computes on raw arrays; ``backward``
  is written once against a small math namespace ``F`` and runs either on raw arrays (fast,
  ``create_graph=False``) or on Tensors (recorded, so that the backward pass is itself
  differentiable for higher-order derivatives).
* ``AccumulateGrad``: the end of every path, one per leaf tensor, adding into ``leaf.grad``.
* ``Function``: the user-facing custom op (PyTorch's ``torch.autograd.Function``), in
  ``custom_function.py``.
"""
from __future__ import annotations

import itertools
import traceback
import weakref

from ..backend import xp as _xp

from .grad_mode import _state as _grad_state
from . import anomaly as _anomaly
from .anomaly import _state as _anomaly_state
from . import retention as _retention


_next_seq = itertools.count(1).__next__


class _NoEdge(tuple):
    """The edge of an input that needs no gradient: ``(None, 0)`` in ``next_functions``, as
    PyTorch shows it, and false, so ``if edge:`` (and an op's ``need_a, need_b =
    self.next_functions``) skips it."""

    __slots__ = ()

    def __bool__(self):
        return False

    def __repr__(self):
        return "(None, 0)"


NO_EDGE = _NoEdge((None, 0))


def _holds_array(v) -> bool:
    """An array, or an index tuple holding arrays (what release frees; shapes stay)."""
    if isinstance(v, _xp.ndarray):
        return True
    if isinstance(v, (tuple, list)):
        for e in v:
            if isinstance(e, _xp.ndarray):
                return True
    return False


class Node:
    """A node of the backward graph (the object a tensor's ``grad_fn`` points to)."""

    __slots__ = ("next_functions", "_input_meta", "_saved", "_saved_versions", "_saved_out",
                 "_out_counter", "_out_version", "_freed", "_consumed", "recording", "_seq",
                 "_pre_hooks", "_hooks", "__weakref__", "__dict__")
    # _seq: the node's place in creation order. A node is always made after the nodes of
    # its inputs, so running nodes from the highest _seq down is a topological order of the
    # backward graph (the engine relies on it)
    # _consumed: a backward pass ran through this node and freed it, or the node was built
    # on such a graph (graph-retention detection, autograd/retention.py)
    num_outputs = 1
    pointwise = False  # output element i depends only on input element i (after broadcasting)
    _direct = False  # the engine may call backward(grad, F) itself (a single-output Op)
    # what few nodes ever have lives in the instance __dict__, only once set
    _trace = None
    # PyTorch's name for this node where it is not the class name + "Backward0" (a class
    # attribute, or set on one node by the function that made it: ``backward_named``)
    backward_name = None

    def __init__(self):
        self._seq = _next_seq()
        self._pre_hooks = self._hooks = None
        self.next_functions = ()
        self._saved = None
        self._saved_out = None
        self._freed = False
        self._consumed = False

    # -- introspection ---------------------------------------------------------------------
    def name(self) -> str:
        # PyTorch's spelling (MulBackward0), and PyTorch's name where ours differs
        return self.backward_name or type(self).__name__ + "Backward0"

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def metadata(self) -> dict:
        d = self.__dict__
        return d.setdefault("_metadata", {})

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node's backward."""
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return _RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node's backward; may return replacements."""
        return self._add_tensor_hook(None, fn)

    def _add_tensor_hook(self, output_nr, fn):
        if self._pre_hooks is None:
            self._pre_hooks = []
        entry = (output_nr, fn)
        self._pre_hooks.append(entry)
        return _RemovableHandle(self._pre_hooks, entry)

    # -- saved values ----------------------------------------------------------------------
    def _check_version(self, tensor, saved_version, what="tensor"):
        if tensor._version != saved_version:
            from .errors import inplace_error
            raise inplace_error(self, tensor, saved_version, what)

    def _release(self):
        """Drop the arrays saved for backward (done right after the node has run). Small
        non-array context (shapes, axes) stays, so a node that saved no array can run again,
        as in PyTorch."""
        self._consumed = True
        had = self._saved is not None or self._saved_out is not None
        self._saved = None
        self._saved_out = None
        d = self.__dict__
        if d:
            for k in [k for k, v in d.items() if _holds_array(v)]:
                del d[k]
                had = True
        if had:
            self._freed = True

    def _check_not_freed(self):
        if self._freed:
            from .errors import freed_error
            raise freed_error(self)


def _stores_attributes(cls) -> bool:
    """Whether any method an Op subclass defines assigns an attribute (its forward keeping
    context on ``self``, such as a mask): read once from the bytecode, when the class is made."""
    import dis

    def stores(code):
        for ins in dis.get_instructions(code):
            if ins.opname in ("STORE_ATTR", "DELETE_ATTR"):
                return True
        return any(stores(c) for c in code.co_consts if hasattr(c, "co_code"))

    for klass in cls.__mro__:
        if klass is Op:
            return False
        for v in vars(klass).values():
            if isinstance(v, property):
                v = v.fset
            code = getattr(getattr(v, "__func__", v), "__code__", None)
            if code is not None and stores(code):
                return True
    return False


def _version_of(t) -> int:
    """A tensor's version: 0 until something changes it in place (the counter is made then)."""
    vc = t._vc
    return 0 if vc is None else vc.value


class Op(Node):
    """A built-in differentiable operation: ``forward`` on arrays, ``backward`` through ``F``.

    Subclasses declare which inputs their derivative needs (``save_inputs``, increasing
    indices of the positional tensor inputs, or ``"all"``) and whether it needs the output (``save_output``). ``forward``
    gets raw arrays plus keyword parameters and may store small non-tensor context on ``self``
    (shapes, axes, masks); ``self.recording`` says whether a graph is being built, so work only
    the backward needs can be skipped. ``backward(g, F)`` returns one gradient per positional
    input (None where there is none); the engine sums each back to its input's shape.
    """

    save_inputs: tuple = ()
    save_output: bool = False
    differentiable: bool = True
    # an op whose values may be inf or nan by definition (log 0, 1 / 0, sqrt(-1)): its
    # forward runs with NumPy's floating-point warnings off, silent as PyTorch's
    quiet: bool = False
    _direct = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._direct = cls.num_outputs == 1
        cls._keeps_context = _stores_attributes(cls)

    def _release(self):
        # as Node._release, without looking into (so making) the instance __dict__ of an op
        # whose code never stores context there
        if self._keeps_context:
            return Node._release(self)
        self._consumed = True
        if self._saved is not None or self._saved_out is not None:
            self._saved = None
            self._saved_out = None
            self._freed = True

    @classmethod
    def apply(cls, *inputs, **params):
        # The hot path of every op: kept flat (no helper calls) because a chain of tiny ops
        # spends most of its time here, not in NumPy. Node and Tensor objects are filled in
        # slot by slot; what most never need (hooks, a version counter) is made on demand.
        node = _new_node(cls)
        node._pre_hooks = node._hooks = None
        recording = False
        if cls.differentiable and _grad_state.enabled:
            for t in inputs:
                if t._requires_grad:
                    recording = True
                    break
        node.recording = recording
        n = len(inputs)  # (a star-call costs more than the NumPy op on small arrays)
        if cls.quiet:  # (inside a backward pass an invalid operation still raises: the
            # engine's NaN-safe rule, autograd/engine.py, needs to see it)
            invalid = "raise" if _xp.geterr()["invalid"] == "raise" else "ignore"
            with _xp.errstate(divide="ignore", invalid=invalid, over="ignore"):
                out = node.forward(*[t._array for t in inputs], **params)
        elif n == 2:
            out = (node.forward(inputs[0]._array, inputs[1]._array, **params) if params
                   else node.forward(inputs[0]._array, inputs[1]._array))
        elif n == 1:
            out = (node.forward(inputs[0]._array, **params) if params
                   else node.forward(inputs[0]._array))
        else:
            out = node.forward(*[t._array for t in inputs], **params)
        if out.__class__ is not _ndarray:
            out = _as_array(out)  # a NumPy scalar from a full reduction
        result = _new_tensor(_Tensor)
        result._array = out
        result._vc = None
        if not recording:
            result.grad_fn = None
            result._requires_grad = False
            return result
        node._freed = node._consumed = False
        dead = False
        if n <= 2:  # one or two inputs: unrolled, without lists (most ops)
            t = inputs[0]
            a = t._array
            if not t._requires_grad:
                e0 = NO_EDGE
            elif t.grad_fn is not None:
                e0 = (t.grad_fn, t._output_nr)
                if e0[0]._consumed or not a.ndim:  # (0-d: maybe a loss, see retention)
                    dead = True
            else:  # a leaf: its AccumulateGrad edge (made once, renumbered after a backward)
                e0 = t._accumulator
                if e0 is None or e0[0]._ran:
                    e0 = t._edge()
            if n == 1:
                node.next_functions = (e0,)
                node._input_meta = ((a.shape, a.dtype),)
            else:
                t = inputs[1]
                b = t._array
                if not t._requires_grad:
                    e1 = NO_EDGE
                elif t.grad_fn is not None:
                    e1 = (t.grad_fn, t._output_nr)
                    if e1[0]._consumed or not b.ndim:
                        dead = True
                else:
                    e1 = t._accumulator
                    if e1 is None or e1[0]._ran:
                        e1 = t._edge()
                node.next_functions = (e0, e1)
                node._input_meta = ((a.shape, a.dtype), (b.shape, b.dtype))
        else:
            edges = []
            meta = []
            for t in inputs:
                a = t._array
                meta.append((a.shape, a.dtype))
                if not t._requires_grad:
                    edges.append(NO_EDGE)
                elif t.grad_fn is not None:
                    g = t.grad_fn
                    edges.append((g, t._output_nr))
                    if g._consumed or not a.ndim:
                        dead = True
                else:
                    acc = t._accumulator
                    if acc is None or acc[0]._ran:
                        acc = t._edge()
                    edges.append(acc)
            node.next_functions = tuple(edges)
            node._input_meta = tuple(meta)
        node._seq = _next_seq()  # after its inputs' nodes (even a leaf's new AccumulateGrad)
        if dead:  # built on a graph a backward pass already freed? (total_loss += loss)
            _retention.dead_input(node, inputs)
        saves = cls.save_inputs
        if saves:
            if saves == "all" or len(saves) == n:  # every input (einsum; mul's (0, 1))
                node._saved = saved = inputs
            else:
                node._saved = saved = tuple([inputs[i] for i in saves])
            if len(saved) == 2:  # (a comprehension is a function call in Python 3.11)
                vc0 = saved[0]._vc
                vc1 = saved[1]._vc
                node._saved_versions = (0 if vc0 is None else vc0.value,
                                        0 if vc1 is None else vc1.value)
            elif len(saved) == 1:
                vc0 = saved[0]._vc
                node._saved_versions = (0 if vc0 is None else vc0.value,)
            else:
                node._saved_versions = tuple([_version_of(t) for t in saved])
        else:
            node._saved = None
        result.grad_fn = node
        result._requires_grad = True
        if cls.save_output:
            node._saved_out = out
            # the node cannot hold its output tensor (a cycle), so the two share the counter
            node._out_counter = result._vc = counter = _VersionCounter()
            node._out_version = counter.value
        else:
            node._saved_out = None
        if _anomaly_state.on:
            node._trace = traceback.extract_stack()[:-2]
        return result

    def forward(self, *arrays, **params):
        raise NotImplementedError

    def backward(self, grad_out, F):
        raise NotImplementedError

    # backward-side access to saved values, as arrays (raw mode) or Tensors (graph mode)
    def inputs(self, F):
        saved = self._saved
        if saved is None:
            self._check_not_freed()
            raise RuntimeError(f"{self.name()} saved no inputs")
        versions = self._saved_versions
        if len(saved) == 2:  # the common case, unrolled
            a, b = saved
            vc = a._vc
            if vc is not None and vc.value != versions[0]:
                self._check_version(a, versions[0], "input")
            vc = b._vc
            if vc is not None and vc.value != versions[1]:
                self._check_version(b, versions[1], "input")
            return saved if F.graph else (a._array, b._array)
        for t, v in zip(saved, versions):
            vc = t._vc
            if vc is not None and vc.value != v:
                self._check_version(t, v, "input")
        return saved if F.graph else tuple([t._array for t in saved])

    def output(self, F):
        if self._saved_out is None:
            self._check_not_freed()
            raise RuntimeError(f"{self.name()} saved no output")
        if self._out_counter.value != self._out_version:
            from .errors import inplace_output_error
            raise inplace_output_error(self, self._out_version, self._out_counter.value)
        if not F.graph:
            return self._saved_out
        return _Tensor._wrap(self._saved_out, grad_fn=self)

    def _run_backward(self, grads, F):
        if self._freed:
            self._check_not_freed()
        return self.backward(grads[0] if self.num_outputs == 1 else grads, F)


class AccumulateGrad(Node):
    """The last node on every path to a leaf: adds the arriving gradient into ``leaf.grad``.

    The leaf holds its AccumulateGrad (so every op finds it at once) and the node refers back
    to the leaf only weakly: no reference cycle, the pair is freed by reference counting.
    """

    __slots__ = ("_variable", "_ran")
    # The leaf's one AccumulateGrad serves graph after graph. Its _seq must stay below that of
    # every op using the leaf in the graph being run, and as close below as possible (so that
    # .grad is complete, and post-accumulate hooks fire, right after the last use is
    # differentiated: DDP overlaps communication with that). So it is numbered anew at the
    # first use after each backward pass that ran it (Tensor._edge). An op from an older,
    # retained graph may still send it a gradient after it ran: it then runs again, adding
    # that part (.grad is right; the leaf's hooks see each part, where PyTorch, which counts
    # dependencies, calls them once with the sum - e.g. a backward through both a
    # create_graph=True gradient and a later use of the same leaf).

    def __init__(self, variable):
        super().__init__()
        self._ran = False
        self._variable = weakref.ref(variable)
        self._input_meta = ()

    @property
    def variable(self):
        """The leaf tensor (None once it has been deleted)."""
        return self._variable()

    def name(self):
        return "AccumulateGrad"


class _RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook off again."""

    def __init__(self, container, item):
        self._container = container
        self._item = item

    def remove(self):
        try:
            self._container.remove(self._item)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


_new_node = object.__new__
_new_tensor = object.__new__
_ndarray = _xp.ndarray
_as_array = _xp.asarray
_Tensor = _VersionCounter = None  # bound by tensor.py once Tensor exists (it imports us)


def backward_named(out, name):
    """Give the node that made tensor ``out`` PyTorch's name for the function the user called
    (``x.view`` and ``x.unsqueeze`` share one op here; PyTorch names them ViewBackward0 and
    UnsqueezeBackward0). Returns ``out``."""
    fn = out.grad_fn
    if fn is not None:
        fn.backward_name = name
    return out


def _bind_tensor(tensor_cls, counter_cls):
    global _Tensor, _VersionCounter
    _Tensor, _VersionCounter = tensor_cls, counter_cls


from .custom_function import Function, FunctionCtx, once_differentiable  # noqa: E402,F401  (they build on Node)
