"""The trainer state inside a session, checked entry by entry against the trainer its configuration built.

A session from someone else is hostile until proven otherwise. ``state`` walks the saved state along the
schema a trainer writes (``Trainer.state_dict``), so every scalar has its type and range checked and every
array its dtype and shape, and it asks for an array member only at a place where one belongs, with the
largest shape that place can legitimately hold: the reader refuses a bigger member before reading a byte.
Entries the schema does not know are ignored, and so are the members they name.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gdsim.engine.trainer import STATUSES, Trainer

ARRAY = "__array__"   # {"__array__": "state/params.npy"} stands for that member
FLOAT = "__float__"   # {"__float__": "inf"}: a non-finite number, which JSON cannot hold
MAX_CAP = 1_000_000   # rows a saved history may claim to hold (the trainer's own caps are far lower)
MAX_RECENT = 10_000
MAX_TEXT = 10_000


@dataclass(frozen=True)
class ArraySpec:
    """What one place may hold: ``rows`` rows (exactly, or at most) of shape ``tail``, float or integer."""

    rows: int
    tail: tuple[int, ...] = ()
    exact: bool = True
    kind: str = "f"

    def max_bytes(self) -> int:
        return 8 * self.rows * int(np.prod(self.tail, dtype=np.int64))

    def describe(self) -> str:
        return "×".join(str(n) for n in ((self.rows if self.exact else f"≤{self.rows}"), *self.tail))


Reader = Callable[[str, ArraySpec], np.ndarray]  # (member name, spec) -> the checked array


def state(saved, trainer: Trainer, read: Reader) -> dict:
    """The state to give ``trainer.load_state_dict``, arrays read through ``read``; one ValueError line."""
    s = _table(saved, "state")
    n_params, n_rows = trainer.net.n_params, trainer.X.shape[0]
    vector = ArraySpec(n_params)
    out: dict[str, Any] = {key: _array(s, key, vector, read) for key in ("params", "last_grad", "last_update")}
    out["optimizer"] = _optimizer(_get(s, "optimizer"), trainer, read)
    out["rng"] = _rng(_get(s, "rng"))
    order = _array(s, "order", ArraySpec(n_rows, kind="i"), read)
    if order.size and (order.min() < 0 or order.max() >= n_rows):
        raise ValueError(f"the saved shuffle order has indices outside 0..{n_rows - 1}")
    out["order"] = order
    out["pos"] = _int(s, "pos", 0, n_rows)
    for key in ("step_count", "epoch", "quiet_epochs"):
        out[key] = _int(s, key)
    out["status"] = _get(s, "status")
    if out["status"] not in STATUSES:
        raise ValueError(f"unknown saved status {short(out['status'])}; expected one of {', '.join(STATUSES)}")
    out["message"] = _text(s, "message")
    out["diverged_at"] = _int(s, "diverged_at", none=True)
    out["max_epochs"] = _int(s, "max_epochs", none=True)
    out["first_loss"] = _float(s, "first_loss", none=True)
    out["last_grad_norm"] = _float(s, "last_grad_norm")
    out["lr"] = _float(s, "lr", positive=True)
    out["lr_changes"] = _lr_changes(_get(s, "lr_changes"))
    out["setting_changes"] = _setting_changes(s.get("setting_changes", []))
    out["step_history"] = _series(_get(s, "step_history"), "step_history", 4, read)
    out["epoch_history"] = _series(_get(s, "epoch_history"), "epoch_history", 6, read)
    out["trajectory"] = _trajectory(_get(s, "trajectory"), n_params, read)
    out["layer_history"] = _layers(s.get("layer_history"), trainer, read)
    return out


# ---------------------------------------------------------------- parts


def _optimizer(saved, trainer: Trainer, read: Reader) -> dict:
    o, opt = _table(saved, "optimizer"), trainer.optimizer
    if o.get("name") != opt.name:
        raise ValueError(f"the saved optimizer state is for {short(o.get('name'))}, the set-up uses {opt.name!r}")
    out = {"name": opt.name, "step": _int(o, "step", where="optimizer")}
    for key in opt.buffers:
        out[key] = _array(o, key, ArraySpec(opt.n_params), read, where="optimizer")
    return out


def _rng(saved) -> dict:
    r = _table(saved, "rng")
    if r.get("bit_generator") != "PCG64":
        raise ValueError(f"the saved random generator is {short(r.get('bit_generator'))}, not 'PCG64'")
    try:
        np.random.default_rng().bit_generator.state = r  # raises on a malformed state
    except (ValueError, TypeError, KeyError, OverflowError) as e:
        raise ValueError(f"the saved random generator state is malformed ({e})") from None
    return r


def _lr_changes(saved) -> list:
    return _step_pairs(saved, "lr_changes", "η",
                       lambda t, where: _float(t, "η", positive=True, where=where))


def _setting_changes(saved) -> list:
    """The live setting changes marked on the loss curve: [step, what changed] pairs (absent in older sessions)."""
    return _step_pairs(saved, "setting_changes", "text", lambda t, where: _text(t, "text"), most=MAX_RECENT)


def _step_pairs(saved, name: str, second: str, check: Callable[[dict, str], object], most: int | None = None) -> list:
    """A list of [step, value] pairs, each value checked by ``check(table, where)``; at most ``most`` of them."""
    if not isinstance(saved, list) or (most is not None and len(saved) > most):
        limit = "" if most is None else f" of at most {most}"
        raise ValueError(f"the saved {name} must be a list{limit}, got {short(saved)}")
    out = []
    for i, pair in enumerate(saved):
        where = f"{name}[{i}]"
        if not (isinstance(pair, list) and len(pair) == 2):
            raise ValueError(f"the saved {where} must be a [step, {second}] pair, got {short(pair)}")
        table = {"step": pair[0], second: pair[1]}
        out.append([_int(table, "step", where=where), check(table, where)])
    return out


def _series(saved, where: str, width: int, read: Reader) -> dict:
    s = _table(saved, where)
    cap = _int(s, "cap", 1, MAX_CAP, where=where)
    return {"data": _array(s, "data", ArraySpec(cap, (width,), exact=False), read, where=where),
            "stride": _int(s, "stride", 1, where=where), "seen": _int(s, "seen", where=where), "cap": cap}


def _trajectory(saved, n_params: int, read: Reader) -> dict:
    t = _table(saved, "trajectory")
    recent = _int(t, "recent", 1, MAX_RECENT, where="trajectory")
    count = _int(t, "count", where="trajectory")
    rows = min(count, recent)
    return {"steps": _series(_get(t, "steps", "trajectory"), "trajectory.steps", 1, read),
            "points": _series(_get(t, "points", "trajectory"), "trajectory.points", n_params, read),
            "recent": recent, "count": count,
            "ring": _array(t, "ring", ArraySpec(rows, (n_params,)), read, where="trajectory"),
            "ring_steps": _array(t, "ring_steps", ArraySpec(rows), read, where="trajectory")}


def _layers(saved, trainer: Trainer, read: Reader) -> dict | None:
    if saved is None:  # sessions saved before layer norms were recorded: the trainer starts them afresh
        return None
    mine = trainer.layer_history
    if mine is None:
        raise ValueError("the session records layer norms, but its set-up has no layers")
    return _series(saved, "layer_history", mine._data.shape[1], read)


# ---------------------------------------------------------------- single entries


def _table(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"the saved {where} must be a table, got {short(value)}")
    return value


def _get(d: dict, key: str, where: str = ""):
    if key not in d:
        raise ValueError(f"the saved state has no {where + '.' if where else ''}{key}")
    return d[key]


def _int(d: dict, key: str, low: int = 0, high: int | None = None, none: bool = False, where: str = ""):
    v = _get(d, key, where)
    name = f"{where + '.' if where else ''}{key}"
    if v is None and none:
        return None
    if isinstance(v, bool) or not isinstance(v, int):
        raise ValueError(f"the saved {name} must be a whole number, got {short(v)}")
    if v < low or (high is not None and v > high):
        raise ValueError(f"the saved {name} = {v} is out of range ({low}..{'' if high is None else high})")
    return v


def _float(d: dict, key: str, positive: bool = False, none: bool = False, where: str = ""):
    v = _get(d, key, where)
    name = f"{where + '.' if where else ''}{key}"
    if v is None and none:
        return None
    if isinstance(v, dict) and set(v) == {FLOAT} and v[FLOAT] in ("nan", "inf", "-inf"):
        v = float(v[FLOAT])
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(f"the saved {name} must be a number, got {short(v)}")
    v = float(v)
    if positive and not (math.isfinite(v) and v > 0):
        raise ValueError(f"the saved {name} must be a positive finite number, got {v}")
    return v


def _text(d: dict, key: str) -> str:
    v = _get(d, key)
    if not isinstance(v, str) or len(v) > MAX_TEXT:
        raise ValueError(f"the saved {key} must be text of at most {MAX_TEXT} characters, got {short(v)}")
    return v


def _array(d: dict, key: str, spec: ArraySpec, read: Reader, where: str = "") -> np.ndarray:
    ref = _get(d, key, where)
    name = f"{where + '.' if where else ''}{key}"
    if not (isinstance(ref, dict) and set(ref) == {ARRAY} and isinstance(ref[ARRAY], str)):
        raise ValueError(f"the saved {name} must name an array member, got {short(ref)}")
    return read(ref[ARRAY], spec)


def short(value) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_array(name: str, a: np.ndarray, spec: ArraySpec) -> np.ndarray:
    """``a`` as float64 (or int64) if its dtype and shape fit ``spec``; one line naming the member if not."""
    rows_ok = a.ndim >= 1 and (a.shape[0] == spec.rows if spec.exact else a.shape[0] <= spec.rows)
    if not rows_ok or a.shape[1:] != spec.tail:
        raise ValueError(f"member {name} has shape {a.shape}, this set-up needs {spec.describe()}")
    if spec.kind == "i":
        if a.dtype.kind not in "iu":
            raise ValueError(f"member {name} must hold whole numbers, not {a.dtype}")
        return a.astype(np.int64)
    if a.dtype.kind not in "fiu":
        raise ValueError(f"member {name} must hold numbers, not {a.dtype}")
    return a.astype(np.float64)
