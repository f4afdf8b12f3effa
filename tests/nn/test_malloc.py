"""The glibc allocator settings applied when chaingrad.nn is imported (nn/_malloc.py)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

glibc = sys.platform.startswith("linux") and os.confstr("CS_GNU_LIBC_VERSION") is not None


def _applied(**env):
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("MALLOC_") and k != "CHAINGRAD_MALLOC"}
    clean.update(env)
    out = subprocess.run([sys.executable, "-c", "import chaingrad.nn, chaingrad.nn._malloc as m;"
                          " print(m.applied)"], capture_output=True, text=True, env=clean,
                         check=True)
    return out.stdout.strip() == "True"


@pytest.mark.skipif(not glibc, reason="glibc only")
def test_applied_on_import():
    assert _applied()


def test_opt_out_and_user_settings_win():
    assert not _applied(CHAINGRAD_MALLOC="default")
    assert not _applied(MALLOC_ARENA_MAX="2")


def test_idempotent():
    from chaingrad.nn import _malloc
    first = _malloc.tune_allocator()
    assert _malloc.tune_allocator() == first
