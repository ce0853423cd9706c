"""Learning-rate schedules, stepped per epoch like torch.optim.lr_scheduler: StepLR(step_size, gamma=0.1),
ExponentialLR(gamma), CosineAnnealingLR(T_max, eta_min=0).

Each is a closed form η(epoch) of the base rate rather than torch's chained updates, so the user can change
the base η live and the schedule still applies from the current epoch on. One difference from torch, on
purpose: cosine stays at ``eta_min`` after ``t_max`` instead of climbing back up (torch's is periodic).

Where torch has no default (StepLR's step_size, ExponentialLR's gamma, CosineAnnealingLR's T_max), gdsim takes
one from the run's length, so a schedule spans the whole run however long it is: ``t_max`` = the run's epochs;
``step_size`` = a third of them (two drops by γ = 0.1: η0 → η0/100); exponential ``gamma`` = 0.01^(1/epochs)
(η0 → η0/100 at the end). A ``None`` value means "from the run's length"; ``resolve`` fills it in.
"""

from __future__ import annotations

import math

import numpy as np

NAMES = ("constant", "step", "exponential", "cosine")

DEFAULTS: dict[str, dict] = {
    "constant": {},
    "step": {"step_size": None, "gamma": 0.1},
    "exponential": {"gamma": None},
    "cosine": {"t_max": None, "eta_min": 0.0},
}
FALLBACK_EPOCHS = 100  # the run length assumed when a run has no epoch limit
END_SHARE = 0.01  # step and exponential end a run at η0/100 by default


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
    """Validate a schedule and its keyword arguments; return the full kwargs with defaults filled in
    (``None`` where the default comes from the run's length)."""
    if name not in DEFAULTS:
        raise ValueError(f"unknown schedule {name!r}; choose one of {', '.join(NAMES)}")
    valid = DEFAULTS[name]
    unknown = sorted(set(kw) - set(valid))
    if unknown:
        allowed = ", ".join(valid) if valid else "none"
        raise ValueError(f"schedule {name!r}: unknown argument(s) {', '.join(unknown)}; valid: {allowed}")
    out = {**valid, **{k: v for k, v in kw.items() if v is not None}}
    for key, value in out.items():
        if value is None:
            continue
        if key in ("step_size", "t_max"):
            out[key] = _count(name, key, value)
        else:
            out[key] = _real(name, key, value, positive=key == "gamma")
    return out


def resolve(name: str, epochs: int | None, **kw) -> dict:
    """``check``, then the run-length defaults filled in for a run of ``epochs`` (None or 0: no limit)."""
    out = check(name, **kw)
    n = int(epochs) if epochs else FALLBACK_EPOCHS
    if "t_max" in out and out["t_max"] is None:
        out["t_max"] = n
    if "step_size" in out and out["step_size"] is None:
        out["step_size"] = max(1, math.ceil(n / 3))
    if name == "exponential" and out["gamma"] is None:
        out["gamma"] = END_SHARE ** (1.0 / n)
    return out


def lr_at(name: str, base_lr: float, epoch: int, **kw) -> float:
    """η for ``epoch`` (0-based, as torch's ``last_epoch``) given the base rate. Arguments left to the run's
    length are taken for a run of FALLBACK_EPOCHS: pass ``resolve``'s output to fix them."""
    kw = resolve(name, None, **kw)
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
    kw = resolve(name, epochs, **kw)
    return np.array([lr_at(name, base_lr, e, **kw) for e in range(int(epochs))], dtype=np.float64)
