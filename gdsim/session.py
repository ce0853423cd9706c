"""Saved sessions (``.gdsim``): a configuration plus the trainer's state, to carry a run on bit for bit later.

A session is a zip holding ``meta.json`` (format tag, schema version, gdsim version, the configuration and the
trainer's scalar state) and one ``.npy`` member per array. Arrays are read with ``allow_pickle=False``, so
opening a file from someone else cannot run code. Loading rebuilds data, network and trainer from the
configuration and then loads the state, which is why the data itself is not stored (a fingerprint of it is,
so a CSV that changed since is reported instead of silently training on other numbers).

Writes go to a temporary file in the same folder and replace the target in one ``os.replace``: a crash or a
full disk never leaves half a session where a good one was. Every problem loading is one ValueError line.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from gdsim import __version__
from gdsim import config as cfgmod

FORMAT = "gdsim-session"
VERSION = 1
SUFFIX = ".gdsim"
MAX_RECENT = 8
_ARRAY = "__array__"  # {"__array__": "state/params.npy"} in meta.json stands for that member


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
    folder = check_save_path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as z:
                z.writestr("meta.json", json.dumps(meta, indent=1))
                for name, a in arrays.items():
                    buf = io.BytesIO()
                    np.save(buf, a, allow_pickle=False)
                    z.writestr(name, buf.getvalue())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
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
        return value.item()
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
    """Rebuild data, network and trainer from a session's configuration, then restore the saved state."""
    path = Path(path)
    meta, arrays = read(path)
    try:
        cfg = cfgmod.from_dict(meta["config"])
        built = cfgmod.build(cfg)
    except (ValueError, TypeError, KeyError) as e:
        raise ValueError(f"{path}: the saved configuration cannot be rebuilt: {e}") from None
    saved, now = meta.get("data_sha256"), _fingerprint(built.data)
    if saved != now:
        raise ValueError(f"{path}: the data differ from when the session was saved "
                         f"(was the file behind dataset {cfg.problem.dataset!r} changed?)")
    try:
        state = _join_arrays(meta["state"], arrays)
        built.trainer.load_state_dict(state)
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        what = f"missing entry {e}" if isinstance(e, KeyError) else str(e)
        raise ValueError(f"{path}: the saved state does not fit its configuration: {what}") from None
    return built


def read(path: str | Path) -> tuple[dict, dict[str, np.ndarray]]:
    """``meta.json`` and every array member, checked for format and version; nothing is built yet."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: file not found")
    if not path.is_file():
        raise ValueError(f"{path}: not a file")
    try:
        with zipfile.ZipFile(path) as z:
            try:
                meta = json.loads(z.read("meta.json").decode("utf-8"))
            except KeyError:
                raise ValueError(f"{path}: not a gdsim session (no meta.json inside)") from None
            if not isinstance(meta, dict):
                raise ValueError(f"{path}: not a gdsim session (meta.json is not an object)")
            _check_header(path, meta)
            arrays = {}
            for name in z.namelist():
                if name.endswith(".npy"):
                    with z.open(name) as f:
                        arrays[name] = np.load(io.BytesIO(f.read()), allow_pickle=False)
    except zipfile.BadZipFile as e:
        if zipfile.is_zipfile(path):
            raise ValueError(f"{path}: the session is corrupt ({e})") from None
        raise ValueError(f"{path}: not a gdsim session, or a truncated one (not a readable zip file)") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: the session is corrupt (meta.json unreadable: {e})") from None
    except zlib.error as e:
        raise ValueError(f"{path}: the session is corrupt ({e})") from None
    except (OSError, EOFError, zipfile.LargeZipFile) as e:
        raise ValueError(f"{path}: the session cannot be read ({e})") from None
    except ValueError as e:  # np.load on a damaged or pickled member, or our own one-liners above
        msg = str(e)
        raise ValueError(msg if msg.startswith(str(path)) else f"{path}: the session is corrupt ({msg})") from None
    return meta, arrays


def _check_header(path: Path, meta: dict) -> None:
    fmt = meta.get("format")
    if fmt != FORMAT:
        raise ValueError(f"{path}: not a gdsim session (format {fmt!r}, expected {FORMAT!r})")
    version = meta.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError(f"{path}: the session is corrupt (schema version {version!r} is not a number)")
    if version != VERSION:
        by = f" by gdsim {meta['gdsim']}" if isinstance(meta.get("gdsim"), str) else ""
        age = "newer" if version > VERSION else "older"
        raise ValueError(f"{path}: session schema version {version} (saved{by}) is {age} than this gdsim "
                         f"{__version__} reads (schema version {VERSION}); open it with a matching gdsim")
    if not isinstance(meta.get("config"), dict) or not isinstance(meta.get("state"), dict):
        raise ValueError(f"{path}: the session is corrupt (no configuration or state in meta.json)")


def _join_arrays(value, arrays: dict[str, np.ndarray]):
    if isinstance(value, dict):
        if set(value) == {_ARRAY}:
            name = value[_ARRAY]
            if name not in arrays:
                raise ValueError(f"array member {name} is missing")
            return arrays[name]
        return {k: _join_arrays(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_join_arrays(v, arrays) for v in value]
    return value


# ---------------------------------------------------------------- carrying on


def extend(built: cfgmod.Built, epochs: int) -> None:
    """Let a loaded run train ``epochs`` more epochs, exactly as an uninterrupted longer run would.

    A run that stopped only because it reached its epoch budget is simply given a larger budget (its
    convergence counter is kept, as an uninterrupted run's would be); a converged one is resumed as the
    app's Run button does. The configuration's epoch count becomes the new total, so saving again and
    loading without ``--epochs`` means "finish this run".
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
    built.config = built.config.with_changes(training={"epochs": t.max_epochs})


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
