"""Reading a numeric CSV into one float64 array: fast, in bounded memory, cancellable, and exact about errors.

The file is read a megabyte at a time. Each block of lines goes through ``np.loadtxt`` (C speed, the same
numbers ``float()`` gives, bit for bit); only a block that it refuses, or that holds NaN/inf, is read again
with the ``csv`` module, line by line, to name the line and column of the first problem (or to accept what
that block really holds, such as blank rows). A first pass counts the lines so the values go straight into
one preallocated array: memory is that array (about the file's size for typical numbers) plus one block,
where reading rows into Python lists took thirty times the file's size.

Only regular files are opened: a named pipe would block the reader for good, a device would never end, a
folder cannot be read. The check is made on the open descriptor (opened non-blocking), so nothing can swap
the file between the check and the read.

Big tables are remembered (one at a time, keyed by the file's identity, size and modification time), so the
app can validate a CSV in the import dialog and then build the set-up, reset it or compare runs on it without
parsing the file again. Small files are cheap to read and are never remembered.
"""

from __future__ import annotations

import codecs
import csv
import math
import os
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from gdsim.engine.cancel import Cancel, check

BLOCK_BYTES = 2**20        # bytes parsed at a time: progress and cancel come this often
REMEMBER_BYTES = 2**20     # tables of files at least this big are kept for the next reader of the same file

Progress = Callable[[int, int], None]  # (bytes read, file size)


@dataclass(frozen=True, eq=False)
class CsvTable:
    header: tuple[str, ...]  # column names (a blank name becomes "column i")
    values: np.ndarray       # (rows, columns) float64, finite, read-only


_remembered: dict[tuple, CsvTable] = {}
_lock = threading.Lock()  # the import dialog reads in a thread while the window may build a set-up


def open_regular(path: str) -> BinaryIO:
    """``path`` opened for binary reading if it is a regular file; anything else is one ValueError line."""
    try:
        _check_kind(path, os.stat(path).st_mode)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO swapped in cannot block open()
    except FileNotFoundError:
        raise ValueError(f"{path}: file not found") from None
    except OSError as e:
        raise ValueError(f"{path}: cannot read the file ({e.strerror or e})") from None
    try:
        _check_kind(path, os.fstat(fd).st_mode)  # the file actually opened
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _check_kind(path: str, mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    kind = ("a folder" if stat.S_ISDIR(mode) else "a named pipe (FIFO)" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "a special file")
    raise ValueError(f"{path}: is {kind}, not a file; choose a CSV file")


def read_table(path: str, max_bytes: int, progress: Progress | None = None,
               cancel: Cancel | None = None) -> CsvTable:
    """The header and every data row of a numeric CSV of at most ``max_bytes``; ``progress(read, size)`` after
    each block, and ``cancel()`` checked before each (``cancel.Cancelled``). Problems are one-line ValueErrors
    naming the file."""
    with open_regular(path) as f:
        info = os.fstat(f.fileno())
        if info.st_size > max_bytes:
            raise ValueError(f"{path}: file is {info.st_size / 2**20:.0f} MB; files over "
                             f"{max_bytes // 2**20} MB are refused")
        key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        with _lock:
            table = _remembered.get(key)
        if table is not None:
            if progress is not None:
                progress(info.st_size, info.st_size)
            return table
        table = _parse(path, f, info.st_size, progress, cancel)
    if info.st_size >= REMEMBER_BYTES:
        with _lock:
            _remembered.clear()
            _remembered[key] = table
    return table


def forget() -> None:
    """Drop the remembered table (tests; or to give its memory back)."""
    with _lock:
        _remembered.clear()


# ------------------------------------------------------------------------------------------ parsing


def _parse(path: str, f: BinaryIO, size: int, progress: Progress | None, cancel: Cancel | None) -> CsvTable:
    rows_at_most = _count_lines(f, cancel)
    f.seek(0)
    blocks = _blocks(path, f, size, progress, cancel)
    first = next(blocks, None)
    if first is None:
        raise ValueError(f"{path}: file is empty")
    line, lines = first
    try:
        names = next(csv.reader(lines[:1]), [])
    except csv.Error as e:
        raise ValueError(f"{path}: unreadable CSV ({e})") from None
    header = tuple(h.strip() or f"column {i}" for i, h in enumerate(names))
    values = np.empty((rows_at_most, len(header)))
    n = 0
    for start, chunk in _chain((line + 1, lines[1:]), blocks):
        block = _block_values(path, header, chunk, start)
        if n + len(block) > len(values):  # mixed line endings can beat the count: grow, rarely
            values = np.concatenate([values[:n], np.empty((max(len(values), len(block)), len(header)))])
        values[n:n + len(block)] = block
        n += len(block)
    if n == 0:
        raise ValueError(f"{path}: no data rows after the header")
    values = values[:n]
    values.setflags(write=False)
    return CsvTable(header, values)


def _chain(first, rest) -> Iterator:
    yield first
    yield from rest


def _count_lines(f: BinaryIO, cancel: Cancel | None) -> int:
    """An upper bound on the number of lines (every line but the last ends in \\n, \\r\\n or \\r)."""
    lf = cr = 0
    while block := f.read(BLOCK_BYTES):
        check(cancel)
        lf += block.count(b"\n")
        cr += block.count(b"\r")
    return max(lf, cr) + 1


def _blocks(path: str, f: BinaryIO, size: int, progress: Progress | None,
            cancel: Cancel | None) -> Iterator[tuple[int, list[str]]]:
    """(number of the first line, lines) for each block of whole lines; csv's line endings: \\n, \\r\\n, \\r."""
    carry, line, done, start = b"", 1, 0, True
    while True:
        check(cancel)
        chunk = f.read(BLOCK_BYTES)
        done += len(chunk)
        buf = carry + chunk
        if chunk:
            # cut after the last line ending; a final \r may be the first half of \r\n: keep it for later
            cut = max(buf.rfind(b"\n"), buf.rfind(b"\r", 0, len(buf) - 1))
            if cut < 0:
                carry = buf
                continue
            buf, carry = buf[:cut + 1], buf[cut + 1:]
        if start:
            buf, start = buf.removeprefix(codecs.BOM_UTF8), False
        if buf:
            try:
                text = buf.decode("utf-8")
            except UnicodeDecodeError as e:
                bad = line + buf[:e.start].count(b"\n") + buf[:e.start].count(b"\r") - buf[:e.start].count(b"\r\n")
                raise ValueError(f"{path}: line {bad} is not UTF-8 text") from None
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            lines = text.split("\n")
            if text.endswith("\n"):
                lines.pop()
            yield line, lines
            line += len(lines)
        if progress is not None:
            progress(done, size)
        if not chunk:
            return


def _block_values(path: str, header: tuple[str, ...], lines: list[str], first_line: int) -> np.ndarray:
    """The rows of one block as (k, columns): np.loadtxt when the block is clean, else line by line."""
    if not any(lines):
        return np.empty((0, len(header)))
    try:
        block = np.loadtxt(lines, delimiter=",", comments=None, quotechar='"', dtype=np.float64, ndmin=2)
        if block.shape[1] == len(header) and np.isfinite(block).all():
            return block
    except ValueError:
        pass
    return _rows_slowly(path, header, lines, first_line)


def _rows_slowly(path: str, header: tuple[str, ...], lines: list[str], first_line: int) -> np.ndarray:
    """The csv module's reading of a block: raises at the first bad cell, naming its line and column."""
    reader = csv.reader(lines)
    rows = []
    try:
        for row in reader:
            if not row or all(not c.strip() for c in row):
                continue  # blank lines (a trailing newline, a spacer) carry no data
            line = first_line + reader.line_num - 1
            if len(row) != len(header):
                raise ValueError(f"{path}: line {line} has {len(row)} cells, the header has {len(header)}")
            values = []
            for name, cell in zip(header, row, strict=True):
                try:
                    v = float(cell)
                except ValueError:
                    raise ValueError(f"{path}: line {line}, column {name!r}: {cell.strip()!r} is not a number") \
                        from None
                if not math.isfinite(v):
                    raise ValueError(f"{path}: line {line}, column {name!r}: {cell.strip()!r} is not finite")
                values.append(v)
            rows.append(values)
    except csv.Error as e:
        raise ValueError(f"{path}: unreadable CSV ({e})") from None
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(header))
