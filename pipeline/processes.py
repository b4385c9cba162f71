"""Worker processes that never outlive the build that started them."""

from __future__ import annotations

import os
import signal

from pipeline.memory import libc

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent: int) -> None:
    """A pool worker's initializer: ask the kernel to SIGKILL this process when its parent dies
    (prctl PR_SET_PDEATHSIG), so a build killed with `kill -9` leaves no worker stuck writing to a
    pipe nobody reads; and exit at once if the parent is already gone. A no-op where there is no prctl."""
    c = libc()
    prctl = getattr(c, "prctl", None) if c is not None else None
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)
