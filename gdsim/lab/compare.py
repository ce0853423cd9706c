"""Side-by-side runs: K variants of one set-up from identical initial weights and the same batches.

``run_comparison`` builds the dataset and the initial parameter vector once, then trains each variant
(``cfg.with_changes(...)`` with the variant's overrides) from a copy of those weights with the same training
seed, so the mini-batches come in the same order. It steps the trainers itself to record what a Trainer does
not keep: the signs of successive updates (a bounded sample of Δθ_t·Δθ_{t−1}), which ``analysis.classify``
needs to tell oscillation from smooth descent. ``progress(done, total)`` counts epochs over all variants;
``cancel()`` is checked between steps, so the GUI worker can stop a long sweep at once.

Plain NumPy: no Qt, no threads. The learning-rate sweep is a comparison whose variants differ only in η.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields

import numpy as np

from gdsim.engine import analysis, optimizers
from gdsim.engine.cancel import Cancelled
from gdsim.engine.history import Series, Trajectory
from gdsim.lab import config as cfgmod

SECTIONS = ("problem", "network", "training")
AGREEMENT_CAP = 4096  # (step, Δθ_t·Δθ_{t−1}) rows kept per run; longer runs keep an evenly strided sample
MAX_SWEEP = 200
TARGET_SLACK = 0.1  # default target loss: the best final loss plus 10 % of its magnitude

_FIELDS = {"problem": {f.name for f in fields(cfgmod.ProblemConfig)},
           "network": {f.name for f in fields(cfgmod.NetworkConfig)},
           "training": {f.name for f in fields(cfgmod.TrainingConfig)}}

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]


@dataclass(frozen=True)
class Variant:
    """One run of a comparison. ``overrides``: a flat dict of training fields (``{"lr": 0.1}``) or sections
    (``{"training": {...}, "problem": {"start": ...}, "network": {...}}``)."""

    label: str
    overrides: dict = field(default_factory=dict)

    def sections(self) -> dict[str, dict]:
        """Overrides per config section. A flat dict's keys go to training, or, for names only the problem
        or the network has (``start``, ``hidden``, ...), to that section."""
        o = dict(self.overrides)
        if o and all(k in SECTIONS and isinstance(v, dict) for k, v in o.items()):
            return {k: dict(v) for k, v in o.items()}
        out: dict[str, dict] = {}
        for key, value in o.items():
            section = next((s for s in ("training", "problem", "network") if key in _FIELDS[s]), "training")
            out.setdefault(section, {})[key] = value
        return out


@dataclass
class RunResult:
    label: str
    lr: float
    optimizer: str
    steps: np.ndarray  # step history: step, loss, grad_norm, lr
    epochs: np.ndarray  # epoch history: epoch, step, train, test, metric, test_metric
    trajectory: tuple[np.ndarray, np.ndarray]  # steps (T,), parameters (T, P)
    final_loss: float
    status: str
    behaviour: str
    message: str
    lam: float  # λmax of the loss Hessian at the initial weights
    limit: float  # 2/λmax
    flips: float  # share of reversing updates over the last half (NaN if none recorded)
    epochs_to_target: int | None = None


@dataclass
class ComparisonResult:
    runs: list[RunResult]
    epochs: int
    target: float | None
    cancelled: bool = False

    @property
    def limit(self) -> float:
        """2/λmax at the initial weights of the first run (shared by every η-only variant)."""
        return self.runs[0].limit if self.runs else math.nan

    def best(self) -> RunResult | None:
        ok = [r for r in self.runs if r.status != "diverged" and math.isfinite(r.final_loss)]
        return min(ok, key=lambda r: r.final_loss) if ok else None


def default_lrs() -> list[float]:
    return [0.001, 0.01, 0.1, 1.0, 10.0]


# ---------------------------------------------------------------- running

def _variant_config(cfg: cfgmod.Config, variant: Variant, epochs: int) -> cfgmod.Config:
    sections = variant.sections()
    training = {**sections.get("training", {}), "epochs": int(epochs)}
    sections["training"] = training
    try:
        return cfg.with_changes(**sections)
    except TypeError as e:  # an unknown field name in the overrides
        raise ValueError(f"variant {variant.label!r}: {e}") from None


def _start_from(trainer, theta0: np.ndarray) -> None:
    """Put a fresh trainer's network on ``theta0`` (and its trajectory's first point with it)."""
    if np.array_equal(trainer.net.params, theta0):
        return
    if trainer.step_count:
        raise RuntimeError("can only move a trainer that has not stepped yet")
    trainer.net.params[...] = theta0
    trainer.trajectory = Trajectory(theta0.size)
    trainer.trajectory.append(0, trainer.net.params)


def _final_loss(trainer) -> float:
    sh, eh = trainer.step_history, trainer.epoch_history
    if trainer.status == "diverged" and len(sh):
        return float(sh.last()[1])
    if len(eh):
        return float(eh.last()[2])
    return float(sh.last()[1]) if len(sh) else math.nan


def _losses_for_behaviour(trainer) -> np.ndarray:
    eh = trainer.epoch_history.array()
    losses = eh[:, 2] if len(eh) else trainer.step_history.array()[:, 1]
    if trainer.status == "diverged" and len(trainer.step_history):
        losses = np.append(losses, trainer.step_history.last()[1])
    return losses


def _curvature(trainer, weight_decay: float, cancel: Cancel | None = None) -> float:
    with np.errstate(all="ignore"):
        lam = analysis.top_eigenvalue_shaped(trainer.net, trainer.X, trainer.t, trainer.loss_name,
                                             weight_decay=weight_decay, cancel=cancel)
    return lam if math.isfinite(lam) else math.nan


def run_comparison(cfg: cfgmod.Config, variants: Sequence[Variant], epochs: int,
                   progress: Progress | None = None, cancel: Cancel | None = None,
                   target: float | None = None, curvature: bool = True) -> ComparisonResult:
    """Train every variant for ``epochs`` epochs (fewer if it converges or diverges) from the same start.

    Variants that keep the base problem and network start from the very same parameter vector and data; a
    variant that changes the problem (a function-mode start point, say) or the network starts where its own
    configuration puts it. ``target``: the loss whose first epoch is reported (default: the best final loss
    among the runs that did not diverge, plus 10 %). ``curvature``: also compute λmax at the start.
    """
    variants = list(variants)
    epochs = int(epochs)
    if epochs < 0:
        raise ValueError(f"epochs must be ≥ 0, got {epochs}")
    if not variants:
        raise ValueError("a comparison needs at least one variant")
    base_cfg = cfg.with_changes(training={"epochs": epochs})
    base = cfgmod.build(base_cfg)
    theta0 = np.array(base.net.params, dtype=np.float64)
    total = len(variants) * epochs
    every = max(1, total // 200)  # at most ~200 progress calls, whatever the step rate
    shown = -1
    lam_cache: dict = {}
    runs: list[RunResult] = []
    cancelled = False

    def report(done: int) -> None:
        nonlocal shown
        if progress is not None and done != shown and (done - shown >= every or done >= total):
            shown = done
            progress(done, total)

    report(0)
    for i, variant in enumerate(variants):
        vcfg = _variant_config(cfg, variant, epochs)
        same_problem = vcfg.problem == cfg.problem
        built = cfgmod.build(vcfg, base.data if same_problem else None)
        trainer = built.trainer
        if same_problem and vcfg.network == cfg.network:
            _start_from(trainer, theta0)
        lam = math.nan
        if curvature:
            key = (repr(vcfg.problem), repr(vcfg.network), trainer.loss_name, vcfg.training.weight_decay,
                   np.asarray(trainer.net.params).tobytes())
            if key not in lam_cache:
                try:
                    lam_cache[key] = _curvature(trainer, vcfg.training.weight_decay, cancel)
                except Cancelled:
                    cancelled = True
                    break
            lam = lam_cache[key]
        agreements = Series(2, cap=AGREEMENT_CAP)
        prev = None
        while trainer.epoch < epochs and trainer.status == "running":
            if cancel is not None and cancel():
                cancelled = True
                break
            trainer.step()
            if trainer.status == "diverged":  # the update, if any, was not a step to learn from
                break
            update = trainer.last_update
            if prev is not None:
                with np.errstate(all="ignore"):
                    agreements.append((trainer.step_count, float(update @ prev)))
            prev = update
            report(i * epochs + trainer.epoch)
        dots = agreements.array()[:, 1]
        status = trainer.status
        behaviour = analysis.classify(_losses_for_behaviour(trainer), dots, status,
                                      grad_norms=trainer.step_history.array()[:, 2])
        runs.append(RunResult(
            label=variant.label, lr=float(trainer.lr), optimizer=str(trainer.optimizer_name),
            steps=trainer.step_history.array(), epochs=trainer.epoch_history.array(),
            trajectory=trainer.trajectory.sample(), final_loss=_final_loss(trainer), status=status,
            behaviour=behaviour, message=trainer.message, lam=lam, limit=analysis.stability_limit(lam),
            flips=analysis.flip_fraction(dots)))
        if cancelled:
            break
        report((i + 1) * epochs)
    result = ComparisonResult(runs, epochs, None, cancelled)
    result.target = _target(result) if target is None else float(target)
    if result.target is not None:
        for r in runs:
            r.epochs_to_target = epochs_to_target(r.epochs, result.target)
    return result


def _target(result: ComparisonResult) -> float | None:
    best = result.best()
    if best is None:
        return None
    return best.final_loss + TARGET_SLACK * abs(best.final_loss)


def epochs_to_target(epoch_history: np.ndarray, target: float) -> int | None:
    """The first epoch whose training loss is at or below ``target``; None if it never got there."""
    eh = np.asarray(epoch_history, dtype=np.float64).reshape(-1, 6)
    hit = np.flatnonzero(eh[:, 2] <= target)
    return int(eh[hit[0], 0]) if hit.size else None


def compare_lrs(cfg: cfgmod.Config, lrs: Sequence[float], epochs: int, **kw) -> ComparisonResult:
    """One run per learning rate (default ``default_lrs()``), everything else as in ``cfg``."""
    lrs = default_lrs() if lrs is None else [float(v) for v in lrs]
    return run_comparison(cfg, [Variant(f"η = {lr:g}", {"lr": lr}) for lr in lrs], epochs, **kw)


def compare_optimizers(cfg: cfgmod.Config, names: Sequence[str], epochs: int, default_lr: bool = False,
                       **kw) -> ComparisonResult:
    """One run per optimizer. η is ``cfg``'s for all (a like-for-like step size) unless ``default_lr``, which
    gives each optimizer its usual η (``optimizers.DEFAULT_LR``: 0.1 for SGD, 0.001 for Adam, ...). Optimizer
    hyperparameters in ``cfg`` apply only to runs of that same optimizer."""
    variants = []
    for name in names:
        if name not in optimizers.NAMES:
            raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(optimizers.NAMES)}")
        over: dict = {"optimizer": name}
        if name != cfg.training.optimizer:
            over["optimizer_kwargs"] = {}
        if default_lr:
            over["lr"] = optimizers.DEFAULT_LR[name]
        variants.append(Variant(name, over))
    return run_comparison(cfg, variants, epochs, **kw)


# ---------------------------------------------------------------- tables and the sweep

TABLE_HEADER = ["label", "lr", "optimizer", "final_loss", "epochs_to_target", "status", "behaviour"]
SWEEP_KEYS = ("lr", "final_loss", "status", "behaviour")


def table_rows(result: ComparisonResult) -> tuple[list[str], list[list]]:
    """(header, rows) for a CSV of the comparison table."""
    rows = [[r.label, r.lr, r.optimizer, r.final_loss, r.epochs_to_target, r.status, r.behaviour]
            for r in result.runs]
    return list(TABLE_HEADER), rows


def run_sweep(cfg: cfgmod.Config, lrs: Sequence[float], epochs: int, progress: Progress | None = None,
              cancel: Cancel | None = None) -> ComparisonResult:
    """The comparison behind ``sweep``; keeps curves and 2/λmax (``result.limit``) for plotting."""
    lrs = [float(v) for v in lrs]
    for lr in lrs:
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"every learning rate must be a positive finite number, got {lr}")
    if not lrs:
        raise ValueError("give at least one learning rate")
    return compare_lrs(cfg, lrs, epochs, progress=progress, cancel=cancel)


def sweep_rows(result: ComparisonResult) -> list[dict]:
    return [{"lr": r.lr, "final_loss": r.final_loss, "status": r.status, "behaviour": r.behaviour}
            for r in result.runs]


def sweep(cfg: cfgmod.Config, lrs: Sequence[float], epochs: int, progress: Progress | None = None,
          cancel: Cancel | None = None) -> list[dict]:
    """Final loss, status and behaviour after ``epochs`` epochs for each η: [{lr, final_loss, status, behaviour}].

    A cancelled sweep returns the rows finished so far (the last one possibly cut short, status ``running``).
    """
    return sweep_rows(run_sweep(cfg, lrs, epochs, progress, cancel))


_NUMBER = r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*|\s*[-+]?(?:inf|infinity|nan)\s*"


def _lr_value(text: str, what: str = "learning rate") -> float:
    if not re.fullmatch(_NUMBER, text, flags=re.IGNORECASE):
        raise ValueError(f"{what} {text.strip()!r} is not a number")
    v = float(text)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{what} must be a positive finite number, got {text.strip()}")
    return v


def parse_lrs(text: str) -> list[float]:
    """``"0.01,0.1,1"`` (a list) or ``"1e-5:10:20"`` (20 log-spaced values from 1e-5 to 10, both included).

    One-line ValueError for anything else: zero, negative or non-finite values, a range with fewer than 2
    points (or more than 200), a range whose start is not below its end, or malformed text.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("--lrs is empty; give a list like 0.01,0.1,1 or a range like 1e-5:10:20")
    text = text.strip()
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise ValueError(f"a learning-rate range is START:STOP:COUNT (e.g. 1e-5:10:20), got {text!r}")
        lo, hi = _lr_value(parts[0], "range start"), _lr_value(parts[1], "range stop")
        if not re.fullmatch(r"\s*\d+\s*", parts[2]):
            raise ValueError(f"the range count must be a whole number, got {parts[2].strip()!r}")
        n = int(parts[2])
        if n < 2:
            raise ValueError(f"a learning-rate range needs at least 2 points, got {n}")
        if n > MAX_SWEEP:
            raise ValueError(f"at most {MAX_SWEEP} learning rates per sweep, got {n}")
        if not lo < hi:
            raise ValueError(f"the range start must be below its stop, got {parts[0].strip()}:{parts[1].strip()}")
        values = [float(f"{v:.12g}") for v in np.logspace(math.log10(lo), math.log10(hi), n)]
        values[0], values[-1] = lo, hi
        return values
    items = text.split(",")
    if any(not s.strip() for s in items):
        raise ValueError(f"empty value in the learning-rate list {text!r}")
    if len(items) > MAX_SWEEP:
        raise ValueError(f"at most {MAX_SWEEP} learning rates per sweep, got {len(items)}")
    return [_lr_value(s) for s in items]
