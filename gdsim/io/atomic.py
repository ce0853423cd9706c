"""Every file gdsim writes goes through here: all of the new file or none of it, never half a file.

The data go to a temporary file in the target's own folder (``.NAME.gdsim-tmp-XXXXXXXX``, so a leftover is
recognisable and belongs to one target), are flushed and fsynced, and the temporary file is then renamed
over the target with ``os.replace``, which is atomic on the same file system. On any failure the temporary
file is removed, the old file is untouched and one ``WriteError`` (an ``OSError``) says what happened; the
CLI prints it as one line (exit 2) and the app shows it in a dialog.

The temporary file is created with ``os.open(..., 0o666)`` rather than ``tempfile.mkstemp`` (which forces
0600): the kernel applies the user's umask (and a folder's default ACL) itself, so the result has exactly
the mode any new file would get, 0644 under umask 022, without reading the umask (``os.umask`` can only be
read by changing it, which races with other threads creating files).

A save killed half-way (power cut, SIGKILL) can leave its temporary file behind; the next save of the same
target removes it. Two programs saving the same file at the same moment is not supported: the later one
wins, or one of them reports an error; neither leaves a broken file.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

TAG = ".gdsim-tmp-"


class WriteError(OSError):
    """A file could not be written; the message names the file and the reason, and says the old file is kept."""


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    return write_file(path, lambda f: f.write(data))


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` as UTF-8 atomically (encoding problems are found before anything touches the disk)."""
    return write_bytes(path, text.encode("utf-8"))


def write_file(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> Path:
    """Call ``write(f)`` with a binary file that becomes ``path`` only if everything succeeds.

    An ``OSError`` while writing, flushing, syncing or renaming becomes one ``WriteError``; any other exception
    from ``write`` (a bug, a refused value) propagates unchanged. Either way no temporary file is left.
    """
    def fill(name: str) -> None:
        with os.fdopen(os.open(name, os.O_WRONLY | os.O_TRUNC | getattr(os, "O_BINARY", 0)), "wb") as f:
            write(f)
            f.flush()

    return write_by_name(path, fill)


def write_by_name(path: str | os.PathLike, write: Callable[[str], object]) -> Path:
    """Like ``write_file`` for a program that writes the file itself (ffmpeg): ``write(name)`` fills a temporary
    file in the target's folder, which becomes ``path`` only if everything succeeds. A killed run's temporary
    file is a leftover the next save removes, as with ``write_file``."""
    path = Path(path)
    existed = path.exists()
    remove_leftovers(path)
    tmp = None
    try:
        tmp, fd = _create_temp(path)  # created here: it gets the umask's mode, and the name is ours
        os.close(fd)
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        tmp = None
    except OSError as e:
        raise WriteError(_message(path, e, existed)) from e
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.remove(tmp)
    _sync_folder(path.parent)
    return path


def temp_prefix(path: str | os.PathLike) -> str:
    """The name every temporary file for ``path`` starts with (long names are shortened, with a hash)."""
    name = Path(path).name
    if len(name.encode("utf-8", "surrogateescape")) > 100:
        digest = hashlib.sha1(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
        name = f"{name[:40]}~{digest}"
    return f".{name}{TAG}"


def leftovers(path: str | os.PathLike) -> list[Path]:
    """Temporary files of earlier, interrupted saves of ``path``."""
    path = Path(path)
    prefix = temp_prefix(path)
    try:
        with os.scandir(path.parent) as entries:
            return [Path(e.path) for e in entries if e.name.startswith(prefix) and e.is_file(follow_symlinks=False)]
    except OSError:
        return []


def remove_leftovers(path: str | os.PathLike) -> None:
    for old in leftovers(path):
        with contextlib.suppress(OSError):
            old.unlink()


def _create_temp(path: Path) -> tuple[str, int]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    prefix = temp_prefix(path)
    for _ in range(100):
        tmp = os.path.join(path.parent, prefix + secrets.token_hex(4))
        try:
            return tmp, os.open(tmp, flags, 0o666)  # the umask applies: the mode a new file gets
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(path.parent))


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it (POSIX); best effort."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _message(path: Path, e: OSError, existed: bool) -> str:
    reason = {errno.ENOSPC: "the disk is full", getattr(errno, "EDQUOT", -1): "the disk quota is exhausted",
              errno.EACCES: "permission denied", errno.EPERM: "permission denied",
              errno.EROFS: "the file system is read-only"}.get(e.errno or 0) or e.strerror or str(e) or type(e).__name__
    kept = "the previous file is unchanged" if existed else "nothing was written"
    return f"could not write {one_line(str(path))}: {reason}; {kept}"  # a name with a newline: still one line


def one_line(text: str) -> str:
    """``text`` with every unprintable character (line breaks, controls, bidi overrides, lone surrogates)
    written as its Python escape, so it can go into one line of a message or a comment."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
                   for c in text)
