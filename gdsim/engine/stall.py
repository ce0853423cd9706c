"""Telling a stall from convergence: the loss stopped changing, but is this a minimum worth the name?

The trainer calls ``stall_reason`` when the loss has been still for ``patience`` epochs. It returns '' for a
real convergence, or the words that say why the run is stuck instead:

- η decayed to ~0 by the schedule (below ``LR_VANISHED`` = 10⁻³ of its start): the steps vanished, not the
  gradient;
- function mode: the point is a saddle (the Hessian has a negative eigenvalue there);
- a network whose fit is poor — its loss is no better than the best constant prediction (within
  ``POOR_FIT`` = 1 %: the targets' variance for MSE, the class-frequency entropy for BCE/cross-entropy) or its
  accuracy is at chance level (within ``CHANCE_MARGIN`` = 5 points of the largest class) — with the likely
  cause: dead ReLU units (negative on every training sample, so their gradient is 0 for good) and/or a
  vanished gradient (below ``GRAD_VANISHED`` = 10⁻³ of the first step's).
"""

from __future__ import annotations

import numpy as np

from gdsim.engine import analysis

LR_VANISHED = 1e-3
POOR_FIT = 0.01
CHANCE_MARGIN = 0.05
GRAD_VANISHED = 1e-3


def constant_loss(loss: str, t: np.ndarray) -> float:
    """The loss of the best constant output: what a network that ignores its input can reach."""
    t = np.asarray(t, dtype=np.float64)
    p = t.mean(axis=0)
    if loss in ("mse", "half_mse"):
        v = float(np.mean((t - p) ** 2))
        return 0.5 * v if loss == "half_mse" else v
    with np.errstate(divide="ignore", invalid="ignore"):
        if loss == "bce":
            q = np.clip(p, 0.0, 1.0)
            h = -(np.where(q > 0, q * np.log(q), 0.0) + np.where(q < 1, (1 - q) * np.log(1 - q), 0.0))
            return float(h.mean())
        return float(-np.sum(np.where(p > 0, p * np.log(p), 0.0)))  # cross-entropy: class-frequency entropy


def dead_units(net, X: np.ndarray) -> tuple[int, int]:
    """(dead, total) hidden ReLU units: a dead one is ≤ 0 on every sample, so no gradient ever reaches it."""
    layers = net.layers
    if not layers:
        return 0, 0
    zs, _ = net.forward_all(X)
    dead = total = 0
    for layer, z in zip(layers[:-1], zs[:-1], strict=False):
        if layer.activation == "relu":
            total += z.shape[1]
            dead += int(np.count_nonzero(np.all(z <= 0, axis=0)))
    return dead, total


def chance_level(y, outputs_accuracy: float) -> tuple[bool, float]:
    """(at chance, the largest class's share) for class labels ``y``."""
    labels = np.asarray(y).reshape(-1)
    if labels.size == 0:
        return False, float("nan")
    _, counts = np.unique(labels, return_counts=True)
    share = float(counts.max() / labels.size)
    return bool(outputs_accuracy <= share + CHANCE_MARGIN), share


def stall_reason(trainer, train: tuple[float, float]) -> str:
    """'' if the still loss is a convergence; otherwise why the run stalled (see the module docstring)."""
    lr = trainer.current_lr
    if trainer.schedule != "constant" and lr <= LR_VANISHED * trainer.lr:
        return (f"η has decayed to {lr:.3g} by the {trainer.schedule} schedule ({lr / trainer.lr:.2g}× its "
                "start): the steps vanished, not the gradient")
    if trainer.task == "function":
        return _saddle(trainer)
    loss, metric = train
    reasons = []
    baseline = constant_loss(trainer.loss_name, trainer.t)
    poor = baseline > 0 and loss >= (1 - POOR_FIT) * baseline
    if trainer.task == "classification":
        at_chance, share = chance_level(trainer.y, metric)
        if at_chance:
            reasons.append(f"accuracy {metric:.3g} is chance level (the largest class is {share:.3g} of the data)")
            poor = True
    if not poor:
        return ""
    if not reasons:
        reasons.append(f"the loss {loss:.4g} is no better than predicting a constant ({baseline:.4g})")
    dead, total = dead_units(trainer.net, trainer.X)
    if dead:
        reasons.append(f"{dead} of {total} ReLU units are dead (negative on every sample)")
    steps = trainer.step_history.array()
    first, last = (float(steps[0, 2]), float(steps[-1, 2])) if len(steps) else (0.0, 0.0)
    if first > 0 and last <= GRAD_VANISHED * first:
        reasons.append(f"the gradient has vanished (‖∇L‖ = {last:.2g}, {last / first:.1g}× the first)")
    return "; ".join(reasons)


def _saddle(trainer) -> str:
    c = analysis.curvature_shaped(trainer.net, trainer.X, trainer.t, trainer.loss_name)
    if c.saddle:
        return f"it sits on a saddle point (curvature λmin = {c.lam_min:.3g} < 0: a tiny push would escape)"
    return ""
