"""Training loop: step, epoch, run; history; and the run's status.

Everything here is plain NumPy and deterministic: the shuffles come from one seeded Generator owned by the
trainer, so the same configuration and seed give the same numbers in the CLI, the app and the tests.
Failures are data: divergence is a status with the step at which it happened and a hint, not an exception.
"""

from __future__ import annotations

import copy
import math
from typing import NamedTuple

import numpy as np

from gdsim.engine import divergence, losses, optimizers, run_state, schedules, sharpness, stall
from gdsim.engine.history import Series, Trajectory
from gdsim.engine.model import Model
from gdsim.engine.run_state import CONVERGED, DIVERGED, MAX_EPOCHS, RUNNING, STALLED
from gdsim.engine.run_state import STATUS_TEXT as STATUS_TEXT  # re-exported: the app's status tooltip
from gdsim.engine.run_state import STATUSES as STATUSES  # re-exported: callers import it from here

HISTORY_ROWS = 50_000
# per-layer gradient norms (vanishing / exploding gradients): every step at first, then every LAYER_EVERY-th,
# so recording them costs about 1 % of a step
LAYER_DENSE, LAYER_EVERY = 64, 8


class StepResult(NamedTuple):
    step: int
    epoch: int
    loss: float
    grad_norm: float
    lr: float


def accuracy(outputs: np.ndarray, labels: np.ndarray, output_activation: str) -> float:
    labels = np.asarray(labels).reshape(-1)
    if outputs.shape[1] > 1:
        pred = outputs.argmax(axis=1)
    else:
        threshold = 0.0 if output_activation in ("tanh", "linear") else 0.5
        pred = outputs[:, 0] > threshold
    return np.count_nonzero(pred == labels) / labels.size


def r2_score(outputs: np.ndarray, targets: np.ndarray) -> float:
    targets = np.asarray(targets, dtype=np.float64).reshape(outputs.shape)
    ss_res = float(np.sum((targets - outputs) ** 2))
    ss_tot = float(np.sum((targets - targets.mean(axis=0)) ** 2))
    return 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")


class Trainer:
    _lr: float  # set through the ``lr`` property, which checks it

    def __init__(self, net: Model, X: np.ndarray, y: np.ndarray, loss: str = "mse", optimizer: str = "sgd",
                 lr: float = 0.1, batch_size: int | None = None, seed: int = 0,
                 X_test: np.ndarray | None = None, y_test: np.ndarray | None = None, task: str | None = None,
                 schedule: str = "constant", schedule_kwargs: dict | None = None, weight_decay: float = 0.0,
                 clip_norm: float | None = None, mask: np.ndarray | None = None, max_epochs: int | None = None,
                 tol: float = 1e-7, patience: int = 5, **optimizer_kwargs):
        self.net = net
        self.X = np.asarray(X, dtype=np.float64)
        if self.X.ndim != 2 or self.X.shape[1] != net.n_in:
            raise ValueError(f"the data has {self.X.shape[-1]} features but the network {net.n_in} inputs")
        self.y = np.asarray(y)
        self.loss_name = loss
        self.t = net.targets(self.y, loss)
        if self.t.shape[0] != self.X.shape[0]:
            raise ValueError("features and targets have different numbers of rows")
        self.X_test = None if X_test is None or len(X_test) == 0 else np.asarray(X_test, dtype=np.float64)
        self.y_test = y_test
        self.t_test = None if self.X_test is None else net.targets(np.asarray(y_test), loss)
        self.task = task or ("classification" if loss in ("bce", "cross_entropy") else "regression")
        n = self.X.shape[0]
        if batch_size is not None and not 1 <= int(batch_size):
            raise ValueError(f"batch size must be at least 1, got {batch_size}")
        self.batch_size = None if batch_size is None or int(batch_size) >= n else int(batch_size)
        self.optimizer_name = optimizer
        self.optimizer = optimizers.make_optimizer(optimizer, net.n_params, weight_decay=weight_decay,
                                                   clip_norm=clip_norm, mask=mask, **optimizer_kwargs)
        self.schedule = schedule
        # run-length defaults (cosine's t_max, ...) fixed now, for this run's epoch budget
        self.schedule_kwargs = schedules.resolve(schedule, max_epochs, **(schedule_kwargs or {}))
        self.lr = lr
        self.max_epochs = max_epochs
        self.tol = tol
        self.patience = patience
        self.rng = np.random.default_rng(seed)

        self.step_count = 0
        self.epoch = 0
        self.status = RUNNING
        self.message = ""
        self.diverged_at: int | None = None
        self.last_grad = np.zeros(net.n_params)
        self.last_update = np.zeros(net.n_params)
        self._order = np.arange(n)
        self._pos = 0
        self._quiet_epochs = 0
        self._rising_epochs = 0  # consecutive epochs beyond the divergence rule's threshold
        self._first_loss: float | None = None
        self._last_grad_norm = math.inf
        # history: (step, loss, grad_norm, lr) per step; (epoch, step, train, test, metric, test_metric) per epoch
        # bounded: a 10⁶-step run keeps every 32nd step (a screen has far fewer pixels than that)
        self.step_history = Series(4, cap=HISTORY_ROWS)
        self.epoch_history = Series(6, cap=HISTORY_ROWS)
        self.trajectory = Trajectory(net.n_params)
        self._layer_w = [s.w for s in net.slots]  # none in function mode
        self.layer_history = Series(1 + len(self._layer_w), cap=4096) if self._layer_w else None
        self.trajectory.append(0, net.params)
        self.lr_changes: list[tuple[int, float]] = []
        self.setting_changes: list[tuple[int, str]] = []  # (step, what changed) for live settings other than η
        self.sharpness: sharpness.SharpnessMonitor | None = None  # λmax along the run, when tracked

    # ---------------------------------------------------------------- properties

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        value = float(value)
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"the learning rate η must be a positive finite number, got {value}")
        if hasattr(self, "_lr") and value != self._lr:
            self.lr_changes.append((self.step_count, value))
        self._lr = value

    @property
    def current_lr(self) -> float:
        """η after the schedule, for the current epoch."""
        if self.schedule == "constant":
            return self._lr
        return schedules.lr_at(self.schedule, self._lr, self.epoch, **self.schedule_kwargs)

    @property
    def steps_per_epoch(self) -> int:
        n = self.X.shape[0]
        return 1 if self.batch_size is None else -(-n // self.batch_size)

    @property
    def done(self) -> bool:
        return self.status != RUNNING

    def set_training(self, optimizer: str, optimizer_kwargs: dict | None = None, weight_decay: float = 0.0,
                     clip_norm: float | None = None, batch_size: int | None = None, schedule: str = "constant",
                     schedule_kwargs: dict | None = None, max_epochs: int | None = None, tol: float | None = None,
                     patience: int | None = None) -> str:
        """Change the training settings between two steps, keeping the weights and the history, as η can be.
        The same optimizer keeps its state (momentum buffers...) under its new hyperparameters; another one
        starts with fresh state. Returns what changed (also kept in ``setting_changes``), "" if nothing did.
        A bad value raises ValueError and changes nothing."""
        kwargs = dict(optimizer_kwargs or {})
        old = self.optimizer
        changed = []
        new = optimizers.make_optimizer(optimizer, self.net.n_params, weight_decay=weight_decay,
                                        clip_norm=clip_norm, mask=old.mask, **kwargs)
        if optimizer != self.optimizer_name:
            changed.append(f"optimizer {optimizer}")
        else:
            new.t, new.state = old.t, dict(old.state)
            changed += [f"{k} {v:g}" for k, v in new.hyper.items() if old.hyper.get(k) != v]
        if new.weight_decay != old.weight_decay:
            changed.append(f"weight decay {new.weight_decay:g}")
        if new.clip_norm != old.clip_norm:
            changed.append("no clipping" if new.clip_norm is None else f"clip {new.clip_norm:g}")
        n = self.X.shape[0]
        if batch_size is not None and not 1 <= int(batch_size):
            raise ValueError(f"batch size must be at least 1, got {batch_size}")
        batch = None if batch_size is None or int(batch_size) >= n else int(batch_size)
        resolved = schedules.resolve(schedule, max_epochs, **(schedule_kwargs or {}))
        if schedule != self.schedule or resolved != self.schedule_kwargs:
            changed.append(f"schedule {schedule}")
        self.optimizer, self.optimizer_name = new, optimizer
        if batch != self.batch_size:
            changed.append("full batch" if batch is None else f"batch {batch}")
            self.batch_size, self._pos = batch, 0  # the next step starts a fresh pass over the data
        self.schedule, self.schedule_kwargs = schedule, resolved
        self.max_epochs = max_epochs
        self.tol = self.tol if tol is None else tol
        self.patience = self.patience if patience is None else patience
        text = ", ".join(changed)
        if text:
            self.setting_changes.append((self.step_count, text))
        return text

    # ---------------------------------------------------------------- training

    def _batch(self) -> tuple[np.ndarray, np.ndarray]:
        if self.batch_size is None:
            return self.X, self.t
        if self._pos == 0:
            self._order = self.rng.permutation(self.X.shape[0])
        idx = self._order[self._pos:self._pos + self.batch_size]
        self._pos += self.batch_size
        return self.X[idx], self.t[idx]

    def peek_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """The batch the next ``step`` will draw, from a copy of the generator: nothing here changes."""
        if self.batch_size is None:
            return self.X, self.t
        order = self._order if self._pos else copy.deepcopy(self.rng).permutation(self.X.shape[0])
        idx = order[self._pos:self._pos + self.batch_size]
        return self.X[idx], self.t[idx]

    def step(self) -> StepResult:
        """One update of the parameters. Ends the epoch (and evaluates) when the data has been passed once."""
        X, t = self._batch()
        loss, grad, out = self.net.forward_backward(X, t, self.loss_name)
        grad_norm = self._last_grad_norm = math.sqrt(grad @ grad)
        lr = self.current_lr
        self.step_count += 1
        if self._first_loss is None:
            self._first_loss = loss
        if not (math.isfinite(loss) and math.isfinite(grad_norm)):
            self.last_grad = grad
            self._diverge(loss)
            self.step_history.append((self.step_count, loss, grad_norm, lr))
            return StepResult(self.step_count, self.epoch, loss, grad_norm, lr)
        self.last_grad = grad
        self.last_update = self.optimizer.step(self.net.params, grad, lr)
        self.step_history.append((self.step_count, loss, grad_norm, lr))
        self.trajectory.append(self.step_count, self.net.params)
        if self.layer_history is not None and (self.step_count <= LAYER_DENSE or not self.step_count % LAYER_EVERY):
            self.layer_history.append((self.step_count, *(math.sqrt(grad[w] @ grad[w]) for w in self._layer_w)))
        if self.sharpness is not None:
            self.sharpness.after_step(self)
        if self.batch_size is None:
            # full batch: the step's own forward pass is the epoch's evaluation (θ before the update)
            self._end_epoch((loss, self._metric(out, self.y)))
        elif self._pos >= self.X.shape[0]:
            self._pos = 0
            self._end_epoch(self.evaluate(self.X, self.y, self.t))
        return StepResult(self.step_count, self.epoch, loss, grad_norm, lr)

    def track_sharpness(self, share: float = sharpness.SHARE, every: int | None = None) -> None:
        """Read λmax now and then as training goes (``self.sharpness.series``), within ``share`` of the time
        or every ``every`` steps: the edge-of-stability monitor (see ``gdsim.engine.sharpness``)."""
        self.sharpness = sharpness.SharpnessMonitor(share, every)
        self.sharpness.measure(self)

    def run_epoch(self) -> None:
        """Finish the current pass over the data (a whole epoch when called at an epoch boundary)."""
        start = self.epoch
        while self.epoch == start and self.status != DIVERGED:
            self.step()

    def run(self, epochs: int) -> str:
        """Train for ``epochs`` more epochs or until the run converges or diverges; returns the status."""
        target = self.epoch + int(epochs)
        while self.epoch < target and self.status == RUNNING:
            self.step()
        return self.status

    def _diverge(self, loss: float) -> None:
        """Stop the run (``divergence`` holds the rule) and say why, with a hint."""
        self.status = DIVERGED
        self.diverged_at = self.step_count
        name = "the value" if self.task == "function" else "the loss"
        start = self._first_loss if self._first_loss is not None else math.nan
        if loss < start:  # −∞ or a huge negative value: no η fixes a function that is unbounded below
            self.message = (f"diverged at step {self.step_count}: {name} fell to {loss:.3g}; the function is "
                            f"unbounded below along this path (η = {self.lr:g})")
            return
        if math.isfinite(loss):
            what = (f"stayed more than {divergence.RISE:g}× its starting size above its start ({start:.3g}) for "
                    f"{divergence.PATIENCE} epochs in a row, now {loss:.3g}")
        else:
            what = "is not finite"
        self.message = (f"diverged at step {self.step_count}: {name} {what}; η is too large (η = {self.lr:g}), "
                        "try a smaller one")

    def _end_epoch(self, train: tuple[float, float]) -> None:
        self.epoch += 1
        test = self.evaluate(self.X_test, self.y_test, self.t_test) if self.X_test is not None else (
            float("nan"), float("nan"))
        prev = self.epoch_history.last()
        self.epoch_history.append((self.epoch, self.step_count, train[0], test[0], train[1], test[1]))
        watch = divergence.Watch(self._first_loss if self._first_loss is not None else train[0], self._rising_epochs)
        if watch.check(train[0]) or not math.isfinite(self.net.params.sum()):
            self._diverge(train[0])
            return
        self._rising_epochs = watch.count
        change = abs(train[0] - prev[2]) if prev is not None else math.inf
        quiet = change < self.tol or self._last_grad_norm < self.tol
        self._quiet_epochs = self._quiet_epochs + 1 if quiet else 0
        if self.status == RUNNING and self._quiet_epochs >= self.patience:
            why = stall.stall_reason(self, train)
            self.status = STALLED if why else CONVERGED
            self.message = (f"stalled at epoch {self.epoch}: the loss stopped changing, but {why}" if why else
                            f"converged at epoch {self.epoch}: the loss stopped changing (tolerance {self.tol:g})")
        elif self.status == RUNNING and self.max_epochs is not None and self.epoch >= self.max_epochs:
            self.status = MAX_EPOCHS
            self.message = f"stopped at the epoch limit ({self.epoch} epochs)"

    def evaluate(self, X, y, t) -> tuple[float, float]:
        """(loss, accuracy or R²) on a data set at the current parameters."""
        if self.task == "function":  # f at the current point; there is no data and no metric
            return float(self.net.loss(X, y, self.loss_name)), float("nan")
        zs, acts = self.net.forward_all(X)
        return float(losses.value(self.loss_name, zs[-1], acts[-1], t)), self._metric(acts[-1], y)

    def _metric(self, out: np.ndarray, y) -> float:
        if self.task == "function":
            return float("nan")
        if self.task == "classification":
            return accuracy(out, y, self.net.output_activation)
        return r2_score(out, y)

    def resume(self) -> None:
        """Let a converged, stalled or stopped run carry on (the user pressed Run again); a diverged one cannot."""
        if self.status in (CONVERGED, STALLED, MAX_EPOCHS):
            self.status = RUNNING
            self._quiet_epochs = 0
            self.message = ""
            if self.max_epochs is not None and self.epoch >= self.max_epochs:
                self.max_epochs = None

    # ---------------------------------------------------------------- summaries

    @property
    def metric_name(self) -> str:
        if self.task == "function":
            return "value"
        return "accuracy" if self.task == "classification" else "r2"

    def summary(self) -> dict:
        last = self.epoch_history.last()
        if last is None:
            train, test, metric, test_metric = self.evaluate(self.X, self.y, self.t) + (float("nan"),) * 2
        else:
            _, _, train, test, metric, test_metric = (float(v) for v in last)
        out = {"status": self.status, "epochs": self.epoch, "steps": self.step_count,
               "final_loss": _num(train), "test_loss": _num(test),
               self.metric_name: _num(metric), "test_" + self.metric_name: _num(test_metric), "lr": self.lr}
        if self.task == "function":  # no data: f and the point where the run ended instead of metrics
            del out["test_loss"], out["test_value"]
            # f where the run ended (at final_params, after the last step); final_loss says the same, rather
            # than the value before that step that the epoch history holds
            out["value"] = out["final_loss"] = _num(self.net.loss(self.X, self.y, self.loss_name))
            out["final_params"] = [float(v) for v in self.net.params]
        if self.diverged_at is not None:
            out["diverged_at_step"] = self.diverged_at
        if self.message:
            out["message"] = self.message
        return out

    # ---------------------------------------------------------------- saved sessions

    def state_dict(self) -> dict:
        """Everything that changes while training (``run_state.state_dict``): a session saves it with its config."""
        return run_state.state_dict(self)

    def load_state_dict(self, d: dict) -> None:
        """Restore ``state_dict``; a bad state raises ValueError and leaves this trainer untouched."""
        run_state.load_state_dict(self, d)


def _num(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None
