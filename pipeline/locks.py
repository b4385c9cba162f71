"""Two people, one machine: one writer at a time for the site and for the data files.

A lock is an flock(2) on a small file beside the folder it guards (`.output.lock` beside
`output/`, `.data.lock` beside `data/`), so it never travels with the site or the data and the
kernel releases it when its holder dies, however it dies. The file says who holds it, for the
message the next writer prints while it waits, and exists only while it is held (one that a
killed process leaves is harmless, ignored by git and removed by the next holder). A process may take a lock it already holds (the
CLI takes the site's lock before its no-change check, the build takes it again).
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_HELD: dict[str, int] = {}  # lock file and thread → how many times that thread holds it


class Busy(Exception):
    """The lock is held by another process and the caller asked not to wait."""


def lock_path(folder: Path) -> Path:
    """The lock file of a folder: a hidden sibling, `.output.lock` for `output/`."""
    folder = Path(folder).resolve()
    return folder.parent / f".{folder.name}.lock"


@contextmanager
def hold(folder: Path, what: str, wait: bool = True, say: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the lock of `folder` for `what` (a short description: "build", "rename") while the block runs.

    If another process holds it: with `wait`, `say` the message once and wait; without, raise Busy.
    """
    path = lock_path(folder)
    key = f"{path} {threading.get_ident()}"  # another thread (the review app's) takes it as another holder
    if _HELD.get(key):
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    fd = _acquire(path, folder, wait, say)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{what} by process {os.getpid()} since {time.strftime('%H:%M:%S')}\n".encode(), 0)
        _HELD[key] = 1
        try:
            yield
        finally:
            _HELD.pop(key, None)
            # Removed while still held: a waiter that opened this file finds it gone and opens anew.
            try:
                os.unlink(path)
            except OSError:
                pass
    finally:
        os.close(fd)  # releases the lock


def _acquire(path: Path, folder: Path, wait: bool, say: Callable[[str], None] | None) -> int:
    """An open, locked descriptor of the lock file that is still at `path` (not one a holder removed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    said = False
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            message = f"{Path(folder)}/ is being written by another process ({_holder(fd)})"
            if not wait:
                os.close(fd)
                raise Busy(message) from None
            if not said:
                (say or _stderr)(f"Waiting: {message}; this continues when it has finished (Ctrl-C stops).")
                said = True
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "a process that did not say which"


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
