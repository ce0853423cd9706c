"""What the app can see of a run, as one plain record: the facts a lesson's observation is checked against.

A lesson never looks at panels or widgets; it asks for a value from this record (the run's status, its
behaviour label, the loss, a parameter, the step count, η against 2/λmax, dead ReLUs, the gradient-norm ratio
between the first and last layer). ``signals_from`` reads them off a Trainer, so the same checks run headless
in tests and in the app's worker, and nothing here needs Qt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gdsim.engine import analysis, stall


@dataclass(frozen=True)
class Signals:
    status: str  # converged / stalled / diverged / max_epochs / running
    behaviour: str  # smooth / oscillating / slow / diverged (analysis.classify over the whole run)
    loss: float  # at the current parameters, on the training data (f itself in function mode)
    names: tuple[str, ...]  # the parameters' names, in θ's order
    theta: tuple[float, ...]  # the parameters now
    start: tuple[float, ...]  # the parameters when the student began this lesson step
    steps: int
    epochs: int
    lr: float
    lam_max: float  # λmax of the loss Hessian at the current parameters (NaN if unknown)
    dead_relus: int
    grad_ratio: float  # ‖∂L/∂W_first‖ / ‖∂L/∂W_last‖ of the last gradient (NaN without layers)

    @property
    def eta_ratio(self) -> float:
        """η / (2/λmax) = ηλmax/2: above 1, plain gradient descent on the local quadratic diverges."""
        return self.lr * self.lam_max / 2.0 if math.isfinite(self.lam_max) else math.nan

    def index(self, param: str | int) -> int | None:
        """θ's position of a parameter given by name (``b``, ``W2[0,0]``) or 0-based index; None if unknown."""
        if isinstance(param, bool):
            return None
        if isinstance(param, int):
            return param if 0 <= param < len(self.theta) else None
        return self.names.index(param) if param in self.names else None


def behaviour(trainer) -> str:
    """The run's behaviour label, by the rules of ``analysis.classify`` (updates from the kept trajectory)."""
    eh = trainer.epoch_history.array()
    steps = trainer.step_history.array()
    if not len(steps):
        return analysis.SLOW if trainer.status != "converged" else analysis.SMOOTH
    losses = eh[:, 2] if len(eh) else steps[:, 1]
    if trainer.status == "diverged":
        losses = np.append(losses, steps[-1, 1])
    _, points = trainer.trajectory.sample()
    with np.errstate(all="ignore"):
        updates = np.diff(points, axis=0)
        return analysis.classify(losses, updates, trainer.status, grad_norms=steps[:, 2])


def grad_ratio(trainer) -> float:
    """First layer's weight-gradient norm over the last layer's, from the last step's gradient (or a fresh one
    before the first step): far below 1 means the gradient vanishes on its way back."""
    slots = trainer.net.slots
    if len(slots) < 2:
        return math.nan
    grad = trainer.last_grad
    if trainer.step_count == 0:
        _, grad, _ = trainer.net.forward_backward(trainer.X, trainer.t, trainer.loss_name)
    first, last = (float(np.linalg.norm(grad[s.w])) for s in (slots[0], slots[-1]))
    return first / last if last > 0 else math.nan


def signals_from(trainer, start=None, lam_max: float | None = None) -> Signals:
    """The record for ``trainer`` as it is now. ``start``: θ when the lesson step began (default: θ now).
    ``lam_max``: a λmax the caller already has; otherwise it is computed here (exact Hessian-vector products)."""
    net = trainer.net
    theta = tuple(float(v) for v in net.params)
    with np.errstate(all="ignore"):
        if trainer.task == "function":
            loss = float(net.loss(trainer.X, trainer.y, trainer.loss_name))
        else:
            loss = trainer.evaluate(trainer.X, trainer.y, trainer.t)[0]
        if lam_max is None:
            lam_max = analysis.top_eigenvalue_shaped(net, trainer.X, trainer.t, trainer.loss_name,
                                                     weight_decay=trainer.optimizer.weight_decay)
    dead = stall.dead_units(net, trainer.X)[0] if trainer.task != "function" else 0
    return Signals(status=trainer.status, behaviour=behaviour(trainer), loss=loss, names=tuple(net.param_names),
                   theta=theta, start=theta if start is None else tuple(float(v) for v in start),
                   steps=trainer.step_count, epochs=trainer.epoch, lr=trainer.current_lr, lam_max=float(lam_max),
                   dead_relus=dead, grad_ratio=grad_ratio(trainer))
