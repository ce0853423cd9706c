"""Learning-rate schedules, stepped per epoch like torch.optim.lr_scheduler (StepLR, ExponentialLR,
CosineAnnealingLR).

Each is a closed form η(epoch) of the base rate rather than torch's chained updates, so the user can change
the base η live and the schedule still applies from the current epoch on. One difference from torch, on
purpose: cosine stays at ``eta_min`` after ``t_max`` instead of climbing back up (torch's is periodic).
"""

from __future__ import annotations

import math

import numpy as np

NAMES = ("constant", "step", "exponential", "cosine")

DEFAULTS: dict[str, dict] = {
    "constant": {},
    "step": {"step_size": 10, "gamma": 0.5},
    "exponential": {"gamma": 0.95},
    "cosine": {"t_max": 100, "eta_min": 0.0},
}


def _count(name: str, key: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"schedule {name!r}: {key} must be an integer >= 1, got {value!r}")
    return int(value)


def _real(name: str, key: str, value, positive: bool) -> float:
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))
    if not (ok and math.isfinite(value) and (value > 0 if positive else value >= 0)):
        rule = "> 0" if positive else ">= 0"
        raise ValueError(f"schedule {name!r}: {key} must be a finite number {rule}, got {value!r}")
    return float(value)


def check(name: str, **kw) -> dict:
    """Validate a schedule and its keyword arguments; return the full kwargs with defaults filled in."""
    if name not in DEFAULTS:
        raise ValueError(f"unknown schedule {name!r}; choose one of {', '.join(NAMES)}")
    valid = DEFAULTS[name]
    unknown = sorted(set(kw) - set(valid))
    if unknown:
        allowed = ", ".join(valid) if valid else "none"
        raise ValueError(f"schedule {name!r}: unknown argument(s) {', '.join(unknown)}; valid: {allowed}")
    out = {**valid, **kw}
    for key in ("step_size", "t_max"):
        if key in out:
            out[key] = _count(name, key, out[key])
    if "gamma" in out:
        out["gamma"] = _real(name, "gamma", out["gamma"], positive=True)
    if "eta_min" in out:
        out["eta_min"] = _real(name, "eta_min", out["eta_min"], positive=False)
    return out


def lr_at(name: str, base_lr: float, epoch: int, **kw) -> float:
    """η for ``epoch`` (0-based, as torch's ``last_epoch``) given the base rate."""
    kw = check(name, **kw)
    if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
        raise ValueError(f"epoch must be an integer >= 0, got {epoch!r}")
    epoch = int(epoch)
    if name == "step":
        return base_lr * kw["gamma"] ** (epoch // kw["step_size"])
    if name == "exponential":
        return base_lr * kw["gamma"] ** epoch
    if name == "cosine":
        t_max, eta_min = kw["t_max"], kw["eta_min"]
        return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * min(epoch, t_max) / t_max)) / 2
    return float(base_lr)


def curve(name: str, base_lr: float, epochs: int, **kw) -> np.ndarray:
    """η for epochs 0 .. epochs-1, for plotting the schedule next to the loss curve."""
    return np.array([lr_at(name, base_lr, e, **kw) for e in range(int(epochs))], dtype=np.float64)
