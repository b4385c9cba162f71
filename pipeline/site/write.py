"""Write the site into a staging folder and swap it in whole; clean up after killed builds."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.memory import libc

_RENAME_EXCHANGE = 2


class Staging:
    """A sibling folder that becomes the output only when complete.

    With `trash` (a folder on the same file system, e.g. in the build cache), folders that must go
    (an unfinished staging folder, the previous site when it is not kept as `spare`) are moved there
    and deleted by a detached low-priority process, so the build does not wait for them: removing a
    site is slow on some disks (10 s for 20,000 pages on this VM's ext4 mounted with `discard`, more
    than rendering them took).
    """

    def __init__(self, out: Path, trash: Path | None = None, spare: Path | None = None):
        self.out = out.resolve()
        self.root = self.out.parent / f".{self.out.name}.staging-{os.getpid()}"
        self.trash = trash
        # With `spare`, the previous site is kept there after the swap instead of deleted, and the
        # next build starts its staging folder from it (`recycled`): its folders exist already, and a
        # page whose file is the very file of the current site (the same inode, hard-linked when it
        # was reused) needs nothing at all. Writers must then replace files, never write into them
        # (see replace_bytes), and keep_only() removes what the new site does not have.
        self.spare = spare
        self.recycled = False
        self.written = 0
        self.paths: set[str] = set()
        self.committed = False

    def __enter__(self) -> Staging:
        recover(self.out, self.trash)
        if self.spare is not None and self.spare.is_dir():
            try:
                os.rename(self.spare, self.root)
            except OSError:
                discard(self.spare, self.trash)
            else:
                self.recycled = True
                return self
        self.root.mkdir(parents=True)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.root.exists():
            # After a commit this is the previous site: kept as the next build's spare, or deleted.
            # Otherwise it is the unfinished new one.
            if self.committed and self.spare is not None:
                try:
                    if self.spare.exists():
                        discard(self.spare, self.trash)
                    self.spare.parent.mkdir(parents=True, exist_ok=True)
                    os.rename(self.root, self.spare)
                    return
                except OSError:
                    pass
            discard(self.root, self.trash)  # neither is the published site: deleted in the background

    def path(self, rel: str) -> Path:
        """The staging path for a site-relative file, refusing anything outside the folder."""
        target = (self.root / rel).resolve()
        if not target.is_relative_to(self.root):
            raise ValueError(f"refusing to write outside the output folder: {rel!r}")
        return target

    @property
    def pages(self) -> PageTree:
        """The folder's page writer for render workers (plain data: it crosses to other processes)."""
        return PageTree(str(self.root))

    def write(self, rel: str, text: str) -> None:
        self.write_lines(rel, (text,))

    def write_lines(self, rel: str, lines: Iterable[str]) -> None:
        """Write a file made of `lines`, encoded and written about a megabyte at a time (a large
        generated file, e.g. the redirect map, is never held whole)."""
        target = self.path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        replace_chunks(str(target), _encoded_chunks(lines))
        self.paths.add(target.relative_to(self.root).as_posix())
        self.written += 1

    def keep_only(self, rels: set[str], listed: list[str]) -> int:
        """In a recycled staging folder, delete every file not in `rels`: of the files the recycled
        site had in folders (`listed`, its page list), and of the files at its top; page folders are
        removed once empty. Only the top folder is listed, not every page's folder walked."""
        if not self.recycled:
            return 0
        removed = 0
        root = str(self.root)
        for rel in listed:
            if rel not in rels:
                try:
                    os.unlink(os.path.join(root, rel))
                except FileNotFoundError:
                    continue
                removed += 1
                folder = os.path.dirname(os.path.join(root, rel))
                while folder != root:  # the page's folder, and its parents once empty
                    try:
                        os.rmdir(folder)
                    except OSError:
                        break
                    folder = os.path.dirname(folder)
        with os.scandir(root) as entries:
            for e in entries:
                if not e.is_dir(follow_symlinks=False) and e.name not in rels:
                    os.unlink(e.path)
                    removed += 1
        return removed

    def commit(self) -> None:
        """Swap the finished staging folder in as the output, atomically where the OS allows."""
        fsync_tree(self.root)
        if self.out.exists():
            if not _exchange(self.root, self.out):
                old = self.out.parent / f".{self.out.name}.old-{os.getpid()}"
                os.rename(self.out, old)
                os.rename(self.root, self.out)
            else:
                pass
        else:
            os.rename(self.root, self.out)
        self.committed = True
        # After an exchange, self.root holds the previous site; __exit__ keeps it as the spare or discards it.
        for leftover in self.out.parent.glob(f".{self.out.name}.old-*"):
            discard(leftover, self.trash)


@dataclass(frozen=True)
class PageTree:
    """Pages written into a staging folder by render workers, in this process or another: each
    site-relative path is refused when it would lead outside the folder (checked on the path's
    text, without a system call: the folder is the build's own), then written with replace_bytes
    or hard-linked from the live site with link_into."""

    root: str

    def path(self, rel: str) -> str:
        if rel.startswith("/") or os.path.normpath(rel) != rel or rel.split("/", 1)[0] == "..":
            raise ValueError(f"refusing to write outside the output folder: {rel!r}")
        return f"{self.root}/{rel}"

    def write_page(self, rel: str, data: bytes, stat: bool = True) -> os.stat_result | None:
        """Write a page's file (its folder made when missing); returns the written file's stat (None
        without `stat`: a draft's, which nothing reads). In a folder just made, the file is new: it is
        created without first looking for an old one (one system call fewer a page on a clean build)."""
        path = self.path(rel)
        try:
            os.mkdir(os.path.dirname(path))
        except FileExistsError:
            return replace_bytes(path, data, stat)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        return _write_chunks(path, (data,), stat)

    def link_page(self, src_root: str, rel: str) -> bool:
        """The page `rel` of the live site under `src_root`, hard-linked in (see link_into)."""
        return link_into(f"{src_root}/{rel}", self.path(rel))


def replace_bytes(path: str, data: bytes, stat: bool = True) -> os.stat_result | None:
    """Write a file of a (possibly recycled) staging folder. A file with other links may be the
    published site's own file: it is unlinked first, never written into; one with no other link is
    rewritten in place (no inode freed and allocated again). Returns the written file's stat (with
    `stat`)."""
    _unlink_if_shared(path)
    return _write_chunks(path, (data,), stat, os.O_TRUNC)


def replace_chunks(path: str, chunks: Iterable[bytes]) -> os.stat_result:
    """replace_bytes() of the concatenated chunks, written as they come."""
    _unlink_if_shared(path)
    return _write_chunks(path, chunks, True, os.O_TRUNC)


def _unlink_if_shared(path: str) -> None:
    """Remove the file at `path` when another link shares its inode (see replace_bytes)."""
    try:
        if os.stat(path).st_nlink > 1:
            os.unlink(path)
    except FileNotFoundError:
        pass


def _write_chunks(path: str, chunks: Iterable[bytes], stat: bool, flags: int = 0) -> os.stat_result | None:
    """Write the chunks as the file `path` (created, or with O_TRUNC truncated), its stat with `stat`."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | flags, 0o644)
    try:
        for data in chunks:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        return os.fstat(fd) if stat else None
    finally:
        os.close(fd)


def replace_file(path: Path, lines: Iterable[str]) -> None:
    """Write a file of `lines` beside its place and rename it there: readers see the old file or the new."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    replace_chunks(str(tmp), _encoded_chunks(lines))
    os.replace(tmp, path)


def _encoded_chunks(lines: Iterable[str], size: int = 1 << 20) -> Iterator[bytes]:
    """UTF-8 of `lines`, joined into chunks of about `size` characters."""
    chunk: list[str] = []
    held = 0
    for line in lines:
        chunk.append(line)
        held += len(line)
        if held >= size:
            yield "".join(chunk).encode("utf-8")
            chunk, held = [], 0
    if chunk:
        yield "".join(chunk).encode("utf-8")


def link_into(src: str, target: str) -> bool:
    """Make `target` (in a staging folder) the file `src` (in the published site): nothing to do when it
    is already that file, else replaced by a hard link. False when `src` cannot be linked."""
    try:
        s = os.stat(src)
    except OSError:
        return False
    try:
        t = os.stat(target)
    except FileNotFoundError:
        t = None
    if t is not None:
        if t.st_ino == s.st_ino and t.st_dev == s.st_dev:
            return True
        os.unlink(target)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
    try:
        os.link(src, target)
    except OSError:
        return False
    return True


def discard(folder: Path, trash: Path | None = None) -> None:
    """Remove a folder. With `trash`, rename it into that folder and delete it in the background."""
    if trash is not None:
        try:
            trash.mkdir(parents=True, exist_ok=True)
            os.rename(folder, trash / f"{folder.name.lstrip('.')}-{time.time_ns()}")
        except OSError:
            pass  # another file system, or no permission: delete it here
        else:
            empty_trash(trash)
            return
    shutil.rmtree(folder, ignore_errors=True)


def empty_trash(trash: Path) -> None:
    """Delete everything in `trash` from a detached, low-priority process (also what a killed one left)."""
    items = [str(p) for p in trash.iterdir()] if trash.is_dir() else []
    if not items:
        return
    command = ["rm", "-rf", "--", *items] if shutil.which("rm") else None
    if command is None:
        import sys

        command = [sys.executable, "-c", "import shutil, sys\nfor p in sys.argv[1:]: shutil.rmtree(p, True)", *items]
    if shutil.which("nice"):
        command = ["nice", "-n", "19", *command]
    try:
        subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives the build; a Ctrl-C of the build does not stop it
            close_fds=True,
        )
    except OSError:
        for item in items:
            shutil.rmtree(item, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step with renameat2(RENAME_EXCHANGE), if available."""
    c = libc()  # the process's own C library (no `ldconfig` child process: see memory.libc)
    fn = getattr(c, "renameat2", None) if c is not None else None
    if fn is None:
        return False
    at_fdcwd = -100
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def fsync_tree(root: Path) -> None:
    """Make sure the folder's entries are on disk before it is swapped in."""
    try:
        fd = os.open(root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def recover(out: Path, trash: Path | None = None) -> list[Path]:
    """Undo what a killed build left: restore a half-swapped output, remove stale staging folders
    (with `trash`, in the background: see discard)."""
    out = out.resolve()
    olds = sorted(out.parent.glob(f".{out.name}.old-*"))
    if not out.exists() and olds:
        os.rename(olds[-1], out)
        olds = olds[:-1]
    removed = []
    for stale in [*olds, *out.parent.glob(f".{out.name}.staging-*")]:
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)) and "staging" in stale.name:
            continue
        discard(stale, trash)
        removed.append(stale)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
