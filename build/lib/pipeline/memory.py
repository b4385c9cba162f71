"""Give freed memory back to the operating system between the build's phases."""

from __future__ import annotations

import ctypes
import gc
from functools import lru_cache


@lru_cache(maxsize=1)
def libc():
    """The C library's functions, from the symbols already loaded into this process (dlopen(NULL)).
    Not ctypes.util.find_library("c"): on Linux that runs `ldconfig -p` in a child process, and a
    child forked (or vforked) from a parent holding hundreds of MB counts that much again in the
    process tree's memory while it starts."""
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def give_back() -> None:
    """Collect garbage and return free heap pages to the OS (glibc's malloc_trim), so that a phase
    that frees a lot (rendering, the audit's text pass) does not leave the next one starting from
    its high-water mark. Python's small-object arenas are returned by the collector; what glibc
    keeps for large blocks is returned by malloc_trim. A no-op where there is no glibc."""
    gc.collect()
    c = libc()
    trim = getattr(c, "malloc_trim", None) if c is not None else None
    if trim is not None:
        trim(0)
