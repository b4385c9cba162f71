"""Give freed memory back to the operating system between the build's phases."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import lru_cache


@lru_cache(maxsize=1)
def _libc():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


def give_back() -> None:
    """Collect garbage and return free heap pages to the OS (glibc's malloc_trim), so that a phase
    that frees a lot (rendering, the audit's text pass) does not leave the next one starting from
    its high-water mark. Python's small-object arenas are returned by the collector; what glibc
    keeps for large blocks is returned by malloc_trim. A no-op where there is no glibc."""
    gc.collect()
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None) if libc is not None else None
    if trim is not None:
        trim(0)
