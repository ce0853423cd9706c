"""Reading a session's zip without trusting it: bounded sizes, bounded nesting, no pickles, one line per problem.

A ``.gdsim`` file may come from anyone. Before a member is read its declared (uncompressed) size is compared
with the most its place can legitimately hold, so a 1 GiB member is refused without reading it; the read
itself goes in bounded chunks and stops at that bound, so a member that lies about its size (a compression
bomb) cannot take more memory either. Encrypted members, unknown compression methods, too many members, and
JSON nested too deeply are each one clear line. Arrays are parsed from the ``.npy`` header ourselves: the
shape is checked before anything is allocated, and object arrays (pickles) are refused.
"""

from __future__ import annotations

import io
import json
import lzma
import os
import stat
import struct
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from gdsim.io.session_check import ArraySpec, check_array
from gdsim.lab import limits

META = "meta.json"
MAX_META_BYTES = 16 << 20      # a set-up, scalars and references; explicit θ of the largest network is ~3 MB
MAX_FILE_BYTES = limits.MEMORY_LIMIT  # no legitimate session is bigger than what its trainer may hold
MAX_MEMBERS = 1000             # a session has about 20
MAX_DIRECTORY_BYTES = 1 << 20  # the zip's central directory
MAX_DEPTH = 32                 # meta.json nests about 5 deep
NPY_HEADER_BYTES = 4096        # the .npy header in front of an array's bytes
CHUNK = 1 << 20
METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate", zipfile.ZIP_BZIP2: "bzip2",
           zipfile.ZIP_LZMA: "lzma"}
# what a damaged or hostile zip makes the standard library raise (beyond our own ValueError lines)
READ_ERRORS = (ValueError, zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, zlib.error,
               lzma.LZMAError, struct.error, NotImplementedError, RuntimeError, OverflowError, RecursionError,
               UnicodeDecodeError, MemoryError)


def one_line(path: Path, e: BaseException) -> ValueError:
    """The exception as one line starting with the file's name."""
    msg = " ".join(str(e).split())
    if isinstance(e, ValueError) and msg.startswith(str(path)):
        return ValueError(msg)
    if isinstance(e, zipfile.BadZipFile) and not _looks_like_zip(path):
        return ValueError(f"{path}: not a gdsim session, or a truncated one (not a readable zip file)")
    if isinstance(e, RecursionError):
        return ValueError(f"{path}: the session is corrupt (meta.json is nested too deeply)")
    if isinstance(e, MemoryError):
        return ValueError(f"{path}: the session is too big to read")
    if isinstance(e, OSError) and not isinstance(e, zipfile.BadZipFile):
        return ValueError(f"{path}: the session cannot be read ({msg or type(e).__name__})")
    return ValueError(f"{path}: the session is corrupt ({msg or type(e).__name__})")


def _looks_like_zip(path: Path) -> bool:
    try:
        return zipfile.is_zipfile(path)
    except OSError:
        return False


@contextmanager
def open_zip(path: Path):
    """The zip, once the file is known to be a regular file of sane size with a sane directory."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ValueError(f"{path}: file not found") from None
    if not stat.S_ISREG(info.st_mode):  # a folder, a pipe or a device: opening a pipe would hang
        raise ValueError(f"{path}: not a file")
    if info.st_size > MAX_FILE_BYTES:
        raise ValueError(f"{path}: {limits.human_bytes(info.st_size)} is too big for a session "
                         f"(the limit is {limits.human_bytes(MAX_FILE_BYTES)})")
    _check_directory(path, info.st_size)
    with zipfile.ZipFile(path) as z:
        yield z


def _check_directory(path: Path, size: int) -> None:
    """Refuse a directory of millions of entries before zipfile builds an object for each."""
    with open(path, "rb") as f:
        f.seek(max(0, size - (22 + 65535)))
        tail = f.read()
    i = tail.rfind(b"PK\x05\x06")
    if i < 0 or len(tail) < i + 22:
        return  # not a zip: zipfile says so in its own words
    entries, directory = struct.unpack("<HI", tail[i + 10:i + 16])
    if entries > MAX_MEMBERS or directory > MAX_DIRECTORY_BYTES:
        raise ValueError(f"{path}: not a gdsim session (its zip directory lists {entries:,} members in "
                         f"{limits.human_bytes(directory)}; a session has a few dozen)")


def member(path: Path, z: zipfile.ZipFile, name: str, limit: int, what: str) -> bytes:
    """The bytes of member ``name``, refused before reading when it declares more than ``limit``."""
    try:
        info = z.getinfo(name)
    except KeyError:
        raise ValueError(f"{path}: the session is corrupt (member {name} is missing)") from None
    if info.flag_bits & 0x1:
        raise ValueError(f"{path}: member {name} is encrypted; gdsim sessions are never encrypted")
    if info.compress_type not in METHODS:
        raise ValueError(f"{path}: member {name} uses compression method {info.compress_type}, which gdsim "
                         f"does not read (only {', '.join(METHODS.values())})")
    if info.file_size > limit:
        raise ValueError(f"{path}: member {name} declares {limits.human_bytes(info.file_size)}, but {what} "
                         f"holds at most {limits.human_bytes(limit)}")
    out = bytearray()
    with z.open(info) as f:
        while chunk := f.read(CHUNK):  # zipfile stops at the declared size; the bound is a second guard
            out += chunk
            if len(out) > limit:
                raise ValueError(f"{path}: member {name} holds more than its declared size")
    return bytes(out)


def read_meta(path: Path, z: zipfile.ZipFile) -> dict:
    """``meta.json`` as a dict, bounded in size and nesting."""
    if META not in z.namelist():
        raise ValueError(f"{path}: not a gdsim session (no meta.json inside)")
    raw = member(path, z, META, MAX_META_BYTES, "a session's meta.json")
    try:
        meta = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: the session is corrupt (meta.json unreadable: {e})") from None
    except ValueError:  # Python refuses integers of more than 4300 digits
        raise ValueError(f"{path}: the session is corrupt (meta.json holds a number too long to read)") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: not a gdsim session (meta.json is not an object)")
    if _depth(meta) > MAX_DEPTH:
        raise ValueError(f"{path}: the session is corrupt (meta.json is nested more than {MAX_DEPTH} deep)")
    return meta


def _depth(value) -> int:
    """How deeply lists and objects nest, without recursion (the value may be a thousand levels deep)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        v, d = todo.pop()
        if isinstance(v, dict | list):
            deepest = max(deepest, d)
            if d <= MAX_DEPTH:
                todo.extend((x, d + 1) for x in (v.values() if isinstance(v, dict) else v))
    return deepest


def read_array(path: Path, z: zipfile.ZipFile, name: str, spec: ArraySpec) -> np.ndarray:
    """Member ``name`` as an array fitting ``spec``: size, header, dtype and shape checked before allocating."""
    if not name.endswith(".npy"):
        raise ValueError(f"member {name} is not an array (.npy) member")
    raw = member(path, z, name, spec.max_bytes() + NPY_HEADER_BYTES, "this place in a session of this set-up")
    f = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(f)
        header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = header(f, max_header_size=NPY_HEADER_BYTES)
    except (ValueError, TypeError, SyntaxError) as e:
        raise ValueError(f"{path}: the session is corrupt (member {name} is not a valid .npy array: {e})") from None
    if dtype.hasobject or dtype.kind not in "biuf":
        raise ValueError(f"{path}: the session is corrupt (member {name} holds {dtype}, not numbers)")
    count = int(np.prod(shape, dtype=np.int64))
    data = raw[f.tell():]
    if len(data) != count * dtype.itemsize:
        raise ValueError(f"{path}: the session is corrupt (member {name} holds {len(data)} bytes for shape {shape})")
    a = np.frombuffer(data, dtype=dtype, count=count).reshape(shape, order="F" if fortran else "C")
    return check_array(name, a, spec)
