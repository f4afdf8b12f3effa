"""When one rank fails, the whole MPI job ends, with a message saying which rank and why.

Without this, a rank that dies of an exception leaves the others blocked forever in their next
collective (they wait for its contribution), and a rank that exits cleanly with an error status
blocks in ``MPI_Finalize``. ``init()`` installs, when the world has more than one rank:

1. ``sys.excepthook``: an uncaught exception prints ``chaingrad.distributed: rank R/W failed
   with an uncaught E`` and the traceback, then calls ``MPI_Abort(1)``; mpirun kills every rank
   and exits non-zero.
2. ``sys.exit`` with a non-zero status (``chaingrad train`` returns 2 on a user error), and
   every normal exit, go through an *exit barrier* (``MPI_Ibarrier`` on a private
   communicator): if all ranks reach the end, the job finishes normally (the status is kept);
   if a rank leaving with an error waits ``CHAINGRAD_DIST_EXIT_GRACE`` seconds (default 10)
   and its peers have not come, it prints ``rank R/W exited with status S while other ranks
   were still running`` and calls ``MPI_Abort(S)``.

A rank killed by a signal or by ``os._exit`` never calls ``MPI_Finalize``; mpirun notices and
ends the job itself. ``destroy_process_group()`` removes the hooks.
"""
from __future__ import annotations

import atexit
import os
import sys
import time
import traceback

_state = {"group": None, "exit_group": None, "status": 0, "excepthook": None, "exit": None}


def _say(text):
    try:
        sys.stdout.flush()
    except Exception:  # noqa: BLE001 - a closed stdout must not stop the abort
        pass
    sys.stderr.write(text)
    sys.stderr.flush()


def _excepthook(exc_type, exc, tb):
    g = _state["group"]
    if g is None:
        return _state["excepthook"](exc_type, exc, tb)
    msg = "".join(traceback.format_exception(exc_type, exc, tb))
    _say(f"chaingrad.distributed: rank {g.rank}/{g.size} failed with an uncaught "
         f"{exc_type.__name__}; aborting the whole MPI job (MPI_Abort) so that the other ranks "
         f"do not wait forever.\n{msg}")
    g.abort(1)


def _exit(status=None):
    if status is None:
        code = 0
    elif isinstance(status, int):
        code = status
    else:
        code = 1  # sys.exit("message") prints the message and exits with status 1
    _state["status"] = code
    _state["exit"](status)


def _exit_barrier():
    """atexit: wait for every rank; a rank leaving with an error waits only so long."""
    g, eg = _state["group"], _state["exit_group"]
    if g is None or eg is None:
        return
    if eg.MPI.Is_finalized():
        return
    code = _state["status"]
    req = eg.comm.Ibarrier()
    grace = float(os.environ.get("CHAINGRAD_DIST_EXIT_GRACE", "10"))
    deadline = time.monotonic() + grace
    while not req.Test():
        if code != 0 and time.monotonic() > deadline:
            _say(f"chaingrad.distributed: rank {g.rank}/{g.size} exited with status {code} while "
                 f"other ranks were still running; aborting the whole MPI job (MPI_Abort).\n")
            g.abort(code)
        time.sleep(0.005)


def install(group):
    """Install the hooks for ``group`` (the world, more than one rank)."""
    if _state["group"] is not None:
        _state["group"] = group
        return
    _state.update(group=group, exit_group=group.dup(), status=0,
                  excepthook=sys.excepthook, exit=sys.exit)
    sys.excepthook = _excepthook
    sys.exit = _exit
    atexit.register(_exit_barrier)


def uninstall():
    if _state["group"] is None:
        return
    if sys.excepthook is _excepthook:
        sys.excepthook = _state["excepthook"]
    if sys.exit is _exit:
        sys.exit = _state["exit"]
    atexit.unregister(_exit_barrier)
    _state.update(group=None, exit_group=None, status=0)
