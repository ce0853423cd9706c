"""Tables to files, without Qt: the path check every export shares, plain CSV, and the loss history's rows.

The app's Export… actions, ``gdsim train --export-loss x.csv``, ``gdsim sweep --export x.csv`` and the
surface tables (gdsim.io.surface_csv) all write through here, so a CSV made headless and one made in the
app are the same bytes. Every write goes through gdsim.io.atomic: never a half-written file.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Sequence

import numpy as np

from gdsim.io.atomic import write_bytes

LOSS_HEADER = ["step", "loss", "grad_norm", "lr", "epoch", "train_loss", "test_loss"]


def check_path(path, allowed: Sequence[str]) -> str:
    """The lower-case extension of ``path`` (without the dot) if it is allowed and its folder exists.

    Checked before any work, so a typo in a file name fails in a second rather than after training."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    allowed = tuple(a.lower().lstrip(".") for a in allowed)
    if ext not in allowed:
        names = [f".{a}" for a in allowed]
        choice = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        raise ValueError(f"cannot write '{path}': choose a {choice} file")
    check_folder(path)
    return ext


def check_folder(path: str, doing: str = "write") -> None:
    """``path`` names a file (not a folder) in a folder that exists, or a one-line ValueError."""
    if os.path.isdir(path):
        raise ValueError(f"cannot {doing} '{path}': it is a folder")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ValueError(f"cannot {doing} '{path}': the folder '{parent}' does not exist")


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    v = float(v)
    if math.isnan(v):
        return ""
    if v.is_integer() and abs(v) < 2**53:
        return str(int(v))
    return repr(v)


def write_csv(path, header: list[str], rows: Iterable[Sequence]) -> None:
    """Plain CSV; numbers in round-trip precision, NaN as an empty cell."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([_cell(v) for v in row])
    write_bytes(path, buf.getvalue().encode("utf-8"))


def loss_csv_rows(step_history, epoch_history) -> tuple[list[str], list[list]]:
    """One row per recorded step; the epoch columns are filled on the row of the step that ended the epoch.

    A long run keeps only every k-th step, so an epoch may end on a step that was not recorded: it then gets
    a row of its own (with empty step columns) rather than being lost.
    """
    sh = np.asarray(step_history, dtype=np.float64).reshape(-1, 4)
    eh = np.asarray(epoch_history, dtype=np.float64).reshape(-1, 6)
    rows: dict[int, list] = {}
    for step, loss, grad_norm, lr in sh:
        rows[int(step)] = [int(step), loss, grad_norm, lr, None, None, None]
    for epoch, step, train, test, *_ in eh:
        row = rows.setdefault(int(step), [int(step), None, None, None, None, None, None])
        row[4:] = [int(epoch), train, test]
    return list(LOSS_HEADER), [rows[k] for k in sorted(rows)]


def write_loss_csv(path, step_history=None, epoch_history=None) -> None:
    """The loss history as CSV (no history yet: the header alone). The one writer of the loss table."""
    sh = np.empty((0, 4)) if step_history is None else step_history
    eh = np.empty((0, 6)) if epoch_history is None else epoch_history
    write_csv(path, *loss_csv_rows(sh, eh))


def write_records(path, keys: Sequence[str], records: Iterable[dict]) -> None:
    """Dicts as CSV, one column per key in ``keys`` (a sweep's rows, in the app and from ``gdsim sweep``)."""
    write_csv(path, list(keys), ([r[k] for k in keys] for r in records))
