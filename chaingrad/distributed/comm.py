"""The process group: who am I, how many are we, and the collectives on tensors, over MPI.

Ranks and world size come from the MPI launcher (``mpirun -n 4 python train.py``); the
transport and the collective algorithms are MPI's (through mpi4py), not home-made. Run without
a launcher, ``init()`` gives a world of size 1 whose collectives are identities, so the same
script works on one process with no MPI installed.

Every collective works in place on the tensor's array, like ``torch.distributed``:

    all_reduce(t, SUM):   t_r <- sum_k t_k          (for every rank r)
    all_reduce(t, AVG):   t_r <- (1/W) sum_k t_k
    broadcast(t, src):    t_r <- t_src
    all_gather(ts, t):    ts[k] <- t_k
"""
from __future__ import annotations

import enum
import os

from ..backend import xp

# environment variables an MPI launcher sets in every rank (Open MPI, PMIx, MPICH/Hydra, MVAPICH)
_LAUNCHER_VARS = ("OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK", "MV2_COMM_WORLD_SIZE")

_group = None  # the default (world) group once init() ran


class ReduceOp(enum.Enum):
    """How ``all_reduce`` combines the ranks' tensors (as ``torch.distributed.ReduceOp``)."""
    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


def is_available() -> bool:
    """True when mpi4py can be imported (the MPI transport exists)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


is_mpi_available = is_available


def launched_by_mpi() -> bool:
    """True when this process was started by an MPI launcher (mpirun, mpiexec, srun)."""
    return any(v in os.environ for v in _LAUNCHER_VARS)


# -- the two transports -----------------------------------------------------------------------
class _Done:
    """A request that completed at once (the world-of-one transport)."""

    def Test(self):
        return True

    def Wait(self):
        return None


class _LocalGroup:
    """A world of one process: every collective is the identity."""

    backend = "local"
    rank = 0
    size = 1

    def allreduce(self, arr, op):
        return None

    def iallreduce(self, arr, op):
        return _Done()

    def bcast(self, arr, src):
        return None

    def allgather(self, arr, out):
        out[0] = arr

    def barrier(self):
        return None

    def abort(self, code):
        os._exit(code)

    def dup(self):
        return _LocalGroup()


class _MPIGroup:
    """A communicator of mpi4py (MPI_COMM_WORLD or a duplicate of it)."""

    backend = "mpi"

    def __init__(self, comm):
        from mpi4py import MPI
        self.MPI = MPI
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self._ops = {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
                     ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX}

    def _op(self, op, arr):
        if arr.dtype == bool:  # MPI has only logical reductions on booleans
            return self.MPI.LAND if op in (ReduceOp.MIN, ReduceOp.PRODUCT) else self.MPI.LOR
        return self._ops[op]

    def allreduce(self, arr, op):
        self.comm.Allreduce(self.MPI.IN_PLACE, arr, op=self._op(op, arr))

    def iallreduce(self, arr, op):
        return self.comm.Iallreduce(self.MPI.IN_PLACE, arr, op=self._op(op, arr))

    def bcast(self, arr, src):
        self.comm.Bcast(arr, root=src)

    def allgather(self, arr, out):
        self.comm.Allgather(arr, out)

    def barrier(self):
        self.comm.Barrier()

    def abort(self, code):
        self.comm.Abort(code)

    def dup(self):
        return _MPIGroup(self.comm.Dup())


# -- initialisation ---------------------------------------------------------------------------
def init(backend=None, abort_on_exception=True):
    """Join the job: read this process's rank and the world size from the MPI launcher.

    Args:
        backend: ``"mpi"`` (use mpi4py; under no launcher MPI starts a world of one),
            ``"local"`` (a world of one, no MPI), or None (default): ``"mpi"`` when started by
            an MPI launcher, else ``"local"``.
        abort_on_exception: when the world has more than one rank, an uncaught exception (or
            a non-zero ``sys.exit``) in any rank prints ``rank R/W failed`` with its traceback
            and calls ``MPI_Abort``, so the whole job stops with a non-zero status instead of
            the other ranks waiting forever in their next collective (see ``failure.py``).

    Calling it again is a no-op. Example::

        import chaingrad.distributed as dist
        dist.init()
        print(dist.get_rank(), dist.get_world_size())
    """
    global _group
    if _group is not None:
        return
    if backend is None:
        backend = "mpi" if launched_by_mpi() else "local"
    if backend == "local":
        _group = _LocalGroup()
        return
    if backend != "mpi":
        raise ValueError(f"unknown backend {backend!r}: use 'mpi' or 'local'")
    try:
        from mpi4py import MPI
    except ImportError:
        raise RuntimeError(
            "chaingrad.distributed needs mpi4py and an MPI runtime: "
            "sudo apt-get install -y openmpi-bin libopenmpi-dev && pip install 'chaingrad[mpi]'"
        ) from None
    _group = _MPIGroup(MPI.COMM_WORLD)
    if abort_on_exception and _group.size > 1:
        from . import failure
        failure.install(_group)


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       **kwargs):
    """``torch.distributed``'s name for ``init()``. Rank and world size always come from the
    MPI launcher; ``backend`` "mpi" or "gloo" (or None) all mean MPI under a launcher."""
    if backend is not None and str(backend).lower() not in ("mpi", "gloo", "local"):
        raise ValueError(f"backend {backend!r} is not available: chaingrad runs on MPI ('mpi')")
    init(None if backend in (None, "gloo") else str(backend).lower())
    g = _default_group()
    if world_size not in (-1, None) and world_size != g.size:
        raise ValueError(f"init_process_group: world_size={world_size} but the launcher "
                         f"started {g.size} processes")
    if rank not in (-1, None) and rank != g.rank:
        raise ValueError(f"init_process_group: rank={rank} but the launcher says {g.rank}")


def is_initialized() -> bool:
    return _group is not None


def destroy_process_group() -> None:
    """Leave the group (MPI itself is finalised by mpi4py at exit)."""
    global _group
    _group = None
    from . import failure
    failure.uninstall()


def _default_group():
    if _group is None:
        raise ValueError("Default process group has not been initialized, please make sure to "
                         "call chaingrad.distributed.init()")
    return _group


def get_rank(group=None) -> int:
    return (group or _default_group()).rank


def get_world_size(group=None) -> int:
    return (group or _default_group()).size


def get_backend(group=None) -> str:
    return (group or _default_group()).backend


def new_group():
    """A new group with the same ranks and its own communicator (its collectives never
    match those of another group)."""
    return _default_group().dup()


# -- collectives on tensors -------------------------------------------------------------------
class Work:
    """The handle of an asynchronous collective (``async_op=True``): ``wait()`` blocks until
    the result is in the tensor."""

    def __init__(self, request, finish):
        self._request = request
        self._finish = finish

    def is_completed(self) -> bool:
        if self._finish is None:
            return True
        if self._request.Test():
            self.wait()
            return True
        return False

    def wait(self):
        if self._finish is not None:
            self._request.Wait()
            finish, self._finish = self._finish, None
            finish()
        return True


def _buffer(tensor):
    """A contiguous array MPI can read and write, and a function putting it back in the
    tensor. float16 travels as float32: MPI has no half-precision type."""
    arr = tensor._array
    if arr.dtype == xp.float16:
        buf = arr.astype(xp.float32)
    elif arr.flags.c_contiguous and arr.flags.writeable:
        buf = arr
    else:
        buf = xp.ascontiguousarray(arr)

    def store(scale=None):
        if scale is not None:
            xp.multiply(buf, scale, out=buf, casting="unsafe")
        if buf is not arr:
            arr[...] = buf
        tensor._version_counter.value += 1  # an in-place change, as t.add_() would be

    return buf, store


def _check_tensor(tensor, what):
    from ..tensor import Tensor
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{what} expects a chaingrad Tensor, got {type(tensor).__name__}")


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``tensor`` over all ranks, in place: every rank ends with the same result.

    ``op``: ``ReduceOp.SUM`` (default), ``AVG`` (the sum divided by the world size, floating
    tensors only), ``PRODUCT``, ``MIN``, ``MAX``. With ``async_op=True`` it returns a ``Work``
    whose ``wait()`` must be called before the tensor is read (MPI_Iallreduce); else None.

        t = cg.tensor([float(dist.get_rank())])
        dist.all_reduce(t)            # t == 0 + 1 + ... + (W-1) on every rank
    """
    _check_tensor(tensor, "all_reduce")
    if not isinstance(op, ReduceOp):
        raise ValueError(f"all_reduce: op must be a ReduceOp, got {op!r}")
    g = group or _default_group()
    if op is ReduceOp.AVG and tensor._array.dtype.kind not in "fc":
        raise TypeError("all_reduce with ReduceOp.AVG needs a floating tensor, got "
                        f"{tensor.dtype.name}")
    buf, store = _buffer(tensor)
    scale = 1.0 / g.size if op is ReduceOp.AVG else None
    if async_op:
        return Work(g.iallreduce(buf, op), lambda: store(scale))
    g.allreduce(buf, op)
    store(scale)
    return None


def broadcast(tensor, src=0, group=None, async_op=False):
    """Copy rank ``src``'s tensor into the tensor of every rank, in place (MPI_Bcast)."""
    _check_tensor(tensor, "broadcast")
    g = group or _default_group()
    if not 0 <= src < g.size:
        raise ValueError(f"broadcast: src={src} is not a rank of a world of size {g.size}")
    buf, store = _buffer(tensor)
    g.bcast(buf, src)
    store()
    return Work(_Done(), None) if async_op else None


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list[k]`` with rank k's ``tensor`` on every rank (MPI_Allgather).

    ``tensor_list`` holds world-size tensors of ``tensor``'s shape and dtype."""
    _check_tensor(tensor, "all_gather")
    g = group or _default_group()
    if len(tensor_list) != g.size:
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors, the world "
                         f"has {g.size} ranks")
    src = xp.ascontiguousarray(tensor._array)
    wire = src.astype(xp.float32) if src.dtype == xp.float16 else src
    out = xp.empty((g.size,) + wire.shape, dtype=wire.dtype)
    g.allgather(wire, out)
    for k, t in enumerate(tensor_list):
        if tuple(t.shape) != tuple(tensor.shape):
            raise ValueError(f"all_gather: tensor_list[{k}] has shape {tuple(t.shape)}, "
                             f"expected {tuple(tensor.shape)}")
        t._array[...] = out[k]
        t._version_counter.value += 1
    return Work(_Done(), None) if async_op else None


def barrier(group=None) -> None:
    """Wait until every rank has reached this call."""
    (group or _default_group()).barrier()
