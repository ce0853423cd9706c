"""Saved sessions (``.gdsim``): a configuration plus the trainer's state, to carry a run on bit for bit later.

A session is a zip holding ``meta.json`` (format tag, schema version, gdsim version, the configuration and the
trainer's scalar state) and one ``.npy`` member per array. Arrays are read with ``allow_pickle=False``, so
opening a file from someone else cannot run code. Loading rebuilds data, network and trainer from the
configuration and then loads the state, which is why the data itself is not stored (a fingerprint of it is,
so a CSV that changed since is reported instead of silently training on other numbers).

Writes go through gdsim.io.atomic (a temporary file in the same folder, then one ``os.replace``): a crash or a
full disk never leaves half a session where a good one was. JSON cannot hold NaN or infinity, so a non-finite
number in the state is written as ``{"__float__": "inf"}``.

Loading trusts nothing: ``session_zip`` reads only ``meta.json`` and the members the state names, each bounded
before it is read, and ``session_check`` checks every entry's type, range and shape against the trainer the
configuration builds. Every problem loading is one ValueError line.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import zipfile
from pathlib import Path

import numpy as np

from gdsim import __version__
from gdsim.io import atomic, session_check, session_zip
from gdsim.lab import config as cfgmod

FORMAT = "gdsim-session"
VERSION = 1
SUFFIX = ".gdsim"
MAX_RECENT = 8
_ARRAY = session_check.ARRAY


# ---------------------------------------------------------------- saving


def save(path: str | Path, built: cfgmod.Built) -> Path:
    """Write ``built``'s configuration and trainer state to ``path`` atomically; returns the path."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    meta = {
        "format": FORMAT, "version": VERSION, "gdsim": __version__,
        "config": built.config.to_dict(),
        "data_sha256": _fingerprint(built.data),
        "summary": built.trainer.summary(),
        "state": _split_arrays(built.trainer.state_dict(), arrays, "state"),
    }
    check_save_path(path)

    def write(f) -> None:
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("meta.json", json.dumps(meta, indent=1))
            for name, a in arrays.items():
                buf = io.BytesIO()
                np.save(buf, a, allow_pickle=False)
                z.writestr(name, buf.getvalue())

    atomic.write_file(path, write)
    return path


def check_save_path(path: str | Path) -> Path:
    """The folder a session will be written to; one clear line if it cannot be (checked before training)."""
    path = Path(path)
    folder = path.parent
    if path.is_dir():
        raise ValueError(f"{path}: is a folder; give a file name such as run{SUFFIX}")
    if not folder.is_dir():
        raise ValueError(f"{path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise ValueError(f"{path}: folder {folder} is not writable")
    return folder


def _split_arrays(value, arrays: dict[str, np.ndarray], where: str):
    """Replace every array in a nested state by a reference to a ``.npy`` member named after its place
    (``state/optimizer/exp_avg.npy``); everything else stays JSON."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "fiub":
            raise ValueError(f"cannot save an array of dtype {value.dtype} in a session")
        name = f"{where}.npy"
        arrays[name] = np.ascontiguousarray(value)
        return {_ARRAY: name}
    if isinstance(value, dict):
        return {str(k): _split_arrays(v, arrays, f"{where}/{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_split_arrays(v, arrays, f"{where}/{i}") for i, v in enumerate(value)]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return {session_check.FLOAT: str(value)}  # JSON has no NaN or inf: "nan", "inf", "-inf"
    return value


def _fingerprint(data) -> str | None:
    """SHA-256 of the arrays the network sees and what maps them back to the file (None in function mode)."""
    if data is None:
        return None
    h = hashlib.sha256()
    extra = np.asarray(data.class_values, dtype=np.float64)
    for a in (data.X_train, data.y_train, data.X_test, data.y_test, data.mean, data.std, extra):
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


# ---------------------------------------------------------------- loading


def load(path: str | Path) -> cfgmod.Built:
    """Rebuild data, network and trainer from a session's configuration, then restore the saved state.

    Only ``meta.json`` and the members its state names are read, each only after its declared size was found
    to fit what this set-up can hold (``session_check``); anything else in the zip is ignored."""
    path = Path(path)
    try:
        with session_zip.open_zip(path) as z:
            meta = session_zip.read_meta(path, z)
            _check_header(path, meta)
            built = _rebuild(path, meta)
            try:
                state = session_check.state(meta["state"], built.trainer,
                                            lambda name, spec: session_zip.read_array(path, z, name, spec))
            except ValueError as e:
                msg = str(e)
                if msg.startswith(str(path)):
                    raise
                raise ValueError(f"{path}: the saved state does not fit its configuration: {msg}") from None
    except session_zip.READ_ERRORS as e:
        raise session_zip.one_line(path, e) from None
    try:
        built.trainer.load_state_dict(state)
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        what = f"missing entry {e}" if isinstance(e, KeyError) else str(e)
        raise ValueError(f"{path}: the saved state does not fit its configuration: {what}") from None
    return built


def _rebuild(path: Path, meta: dict) -> cfgmod.Built:
    try:
        cfg = cfgmod.from_dict(meta["config"])
        built = cfgmod.build(cfg)
    except (ValueError, OSError) as e:
        raise ValueError(f"{path}: the saved configuration cannot be rebuilt: {e}") from None
    saved, now = meta.get("data_sha256"), _fingerprint(built.data)
    if saved != now:
        raise ValueError(f"{path}: the data differ from when the session was saved "
                         f"(was the file behind dataset {cfg.problem.dataset!r} changed?)")
    return built


def _check_header(path: Path, meta: dict) -> None:
    fmt = meta.get("format")
    if fmt != FORMAT:
        raise ValueError(f"{path}: not a gdsim session (format {session_check.short(fmt)}, expected {FORMAT!r})")
    version = meta.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError(f"{path}: the session is corrupt (schema version {session_check.short(version)} "
                         "is not a number)")
    if version != VERSION:
        by = f" by gdsim {meta['gdsim'][:40]}" if isinstance(meta.get("gdsim"), str) else ""
        age = "newer" if version > VERSION else "older"
        raise ValueError(f"{path}: session schema version {version} (saved{by}) is {age} than this gdsim "
                         f"{__version__} reads (schema version {VERSION}); open it with a matching gdsim")
    if not isinstance(meta.get("config"), dict) or not isinstance(meta.get("state"), dict):
        raise ValueError(f"{path}: the session is corrupt (no configuration or state in meta.json)")


# ---------------------------------------------------------------- carrying on


def extend(built: cfgmod.Built, epochs: int) -> None:
    """Let a loaded run train ``epochs`` more epochs, exactly as an uninterrupted longer run would.

    A run that stopped only because it reached its epoch budget is simply given a larger budget (its
    convergence counter is kept, as an uninterrupted run's would be); a converged one is resumed as the
    app's Run button does. The configuration's epoch count becomes the new total, so saving again and
    loading without ``--epochs`` means "finish this run"; the schedule's arguments are written out in full
    so the longer budget does not stretch a schedule whose span came from the first one.
    """
    t = built.trainer
    epochs = int(epochs)
    if epochs < 0:
        raise ValueError(f"epochs must be ≥ 0, got {epochs}")
    if epochs == 0 or t.status == "diverged":
        return
    if t.status in ("converged", "stalled"):
        t.resume()
    elif t.status == "max_epochs":
        t.status, t.message = "running", ""
    t.max_epochs = t.epoch + epochs
    # the schedule keeps the span it was given for the first budget (cosine's t_max = the first run's epochs)
    built.config = built.config.with_changes(training={"epochs": t.max_epochs,
                                                       "schedule_kwargs": dict(t.schedule_kwargs)})


def remaining_epochs(built: cfgmod.Built) -> int:
    """Epochs left of the configured run (0 when it has reached them, converged or diverged)."""
    t = built.trainer
    if t.status != "running":
        return 0
    return max(0, int(built.config.training.epochs) - t.epoch)


# ---------------------------------------------------------------- recent files (pure, for the app's menu)


def recent_files(files: list[str], path: str | None = None, limit: int = MAX_RECENT) -> list[str]:
    """A new list with ``path`` first, duplicates (same normalised path) dropped, at most ``limit`` long."""
    out: list[str] = []
    seen: set[str] = set()
    for p in ([path] if path else []) + list(files):
        key = os.path.normcase(os.path.normpath(str(p)))
        if p and key not in seen:
            seen.add(key)
            out.append(str(p))
    return out[:limit]
