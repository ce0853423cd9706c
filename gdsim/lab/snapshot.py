"""Immutable pictures of a training run: the only thing that crosses from the worker thread to the panels.

Every array is a copy marked read-only, so a panel can keep a snapshot as long as it likes while the trainer
goes on. Building one is plain NumPy (no Qt), so the CLI's figure export uses the same data as the app.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np

from gdsim.engine import contours, inspect
from gdsim.engine import lens as lensmod
from gdsim.engine.datasets import Dataset
from gdsim.engine.trainer import Trainer

GRID = 64  # resolution of the output view's decision surface
# the output view draws at most this many training (and test) points: a random sample, as the split shuffles
# the rows. Drawing all 400k points of a big CSV froze the window for seconds at every new data set.
DRAWN_POINTS = 5000
# what a snapshot carries only for one panel, so the worker can leave it out while that panel is off screen:
# "output" the output view's predictions (a forward pass over a 64×64 grid: most of a snapshot's cost),
# "flow" the gradient-flow panel's layer norms, dead-ReLU count (a forward pass over the data) and history
PIECES = frozenset({"output", "flow"})


def frozen(a) -> np.ndarray:
    a = np.array(a, dtype=np.float64, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Snapshot:
    step: int
    epoch: int
    status: str
    message: str
    lr: float                      # the η the user set
    current_lr: float              # η after the schedule
    loss: float                    # loss of the last step's batch (nan before the first step)
    grad_norm: float
    params: np.ndarray             # (P,)
    last_grad: np.ndarray          # (P,)
    last_update: np.ndarray        # (P,) = the last Δθ (−η·g for plain SGD)
    step_history: np.ndarray       # (N, 4): step, loss, grad_norm, lr
    epoch_history: np.ndarray      # (M, 6): epoch, step, train_loss, test_loss, metric, test_metric
    lr_changes: tuple              # ((step, new_lr), ...)
    trajectory_steps: np.ndarray   # (T,)
    trajectory: np.ndarray         # (T, P) bounded sample of θ over the run
    recent: np.ndarray             # (R, P) the exact last R parameter vectors
    sizes: tuple
    activations: tuple
    param_names: tuple
    task: str
    metric_name: str
    steps_per_second: float = 0.0
    output: dict = field(default_factory=dict)  # what the output view draws; see output_view()
    layer_grad_norms: np.ndarray = field(default_factory=lambda: frozen([]))  # ‖∂L/∂W_l‖ per layer, last step
    layer_grad_history: np.ndarray = field(default_factory=lambda: frozen(np.empty((0, 0))))  # (N, 1+L): step, norms
    dead_relus: int = 0                          # ReLU units silent on every training sample
    setting_changes: tuple = ()                  # ((step, what changed), ...): live settings other than η
    # optimizer X-ray (gdsim.lab.xray), only while a panel that shows it is on screen: the next update's parts now,
    # and ((step, (3, P) arrows: −η·g, velocity, Δθ), ...) for the recorded steps the scrubber can reach
    xray: dict = field(default_factory=dict)
    xray_history: tuple = ()
    lens: lensmod.Lens | None = None             # neuron lens (maps / histograms, δ, dead units); see with_lens()
    lens_seconds: float = 0.0                    # what computing that lens cost the worker
    # edge-of-stability monitor, only while the sharpness panel is on screen: (K, 2) rows of (step, λmax)
    sharpness: np.ndarray = field(default_factory=lambda: frozen(np.empty((0, 2))))

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"


def plane(data: Dataset | None) -> tuple[float, float, float, float] | None:
    """The input plane the output view's decision surface covers (x0, x1, y0, y1): the data with a 10 % margin;
    None unless ``data`` is two-feature classification. The neuron lens draws its maps over the same plane."""
    if data is None or data.n_features != 2 or data.task != "classification":
        return None
    lo = np.minimum(data.X_train.min(axis=0), data.X_test.min(axis=0) if len(data.X_test) else np.inf)
    hi = np.maximum(data.X_train.max(axis=0), data.X_test.max(axis=0) if len(data.X_test) else -np.inf)
    pad = 0.1 * (hi - lo)
    return float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1])


def output_view(trainer: Trainer, data: Dataset, grid: int = GRID) -> dict:
    """The network's predictions where the output view needs them (computed in the worker, never in a panel)."""
    net = trainer.net
    out: dict = {"kind": "scatter"}
    extent = plane(data)
    with np.errstate(all="ignore"):
        if extent is not None:
            xs = np.linspace(extent[0], extent[1], grid)
            ys = np.linspace(extent[2], extent[3], grid)
            gx, gy = np.meshgrid(xs, ys, indexing="ij")
            pred = net.forward(np.column_stack([gx.ravel(), gy.ravel()]))
            if pred.shape[1] == 1:
                value = pred[:, 0]
                if net.output_activation in ("tanh",):
                    value = (value + 1) / 2
                elif net.output_activation == "linear":
                    value = np.clip(value, 0, 1)
            else:
                value = pred.argmax(axis=1) / max(1, pred.shape[1] - 1)
            z = value.reshape(grid, grid)
            k = max(2, data.n_classes)
            levels = [0.5] if k == 2 else [(c + 0.5) / (k - 1) for c in range(k - 1)]
            boundary = np.concatenate([contours.segments(z, xs, ys, lv) for lv in levels])
            out = {"kind": "decision", "x": frozen(xs), "y": frozen(ys), "z": frozen(z),
                   "boundary": frozen(boundary)}
        elif data.n_features == 1 and data.task == "regression":
            lo, hi = float(data.X_train.min()), float(data.X_train.max())
            pad = 0.05 * (hi - lo)
            xs = np.linspace(lo - pad, hi + pad, 200)
            out = {"kind": "curve", "x": frozen(xs), "y": frozen(net.forward(xs[:, None])[:, 0])}
        else:
            pred_train = net.forward(data.X_train[:DRAWN_POINTS])
            pred_test = net.forward(data.X_test[:DRAWN_POINTS]) if len(data.X_test) else np.empty((0, net.n_out))
            out = {"kind": "scatter", "train": frozen(pred_train), "test": frozen(pred_test)}
    return out


def take(trainer: Trainer, data: Dataset | None = None, steps_per_second: float = 0.0,
         pieces: Collection[str] = PIECES) -> Snapshot:
    """The trainer now; of the panel-only ``PIECES`` just those named (they need ``data``)."""
    last = trainer.step_history.last()
    steps, traj = trainer.trajectory.sample()
    net = trainer.net
    return Snapshot(
        step=trainer.step_count, epoch=trainer.epoch, status=trainer.status, message=trainer.message,
        lr=trainer.lr, current_lr=trainer.current_lr,
        loss=float(last[1]) if last is not None else float("nan"),
        grad_norm=float(last[2]) if last is not None else float("nan"),
        params=frozen(net.params), last_grad=frozen(trainer.last_grad), last_update=frozen(trainer.last_update),
        step_history=trainer.step_history.array(), epoch_history=trainer.epoch_history.array(),
        lr_changes=tuple(trainer.lr_changes), trajectory_steps=steps, trajectory=traj,
        recent=trainer.trajectory.last_steps(), sizes=tuple(net.sizes), activations=tuple(net.activations),
        param_names=tuple(net.param_names), task=trainer.task, metric_name=trainer.metric_name,
        steps_per_second=steps_per_second,
        output=output_view(trainer, data) if data is not None and "output" in pieces else {},
        setting_changes=tuple(getattr(trainer, "setting_changes", ())),
        **(_gradient_flow(trainer, data) if "flow" in pieces else {}),
    )


def with_xray(s: Snapshot, xray: dict, history: tuple) -> Snapshot:
    """``s`` with the optimizer X-ray (the worker adds it only while someone looks)."""
    return dataclasses.replace(s, xray=xray, xray_history=history)


def _gradient_flow(trainer: Trainer, data: Dataset | None) -> dict:
    net = trainer.net
    if data is None or not net.layers:
        return {}
    with np.errstate(all="ignore"):
        norms = inspect.layer_gradient_norms(net, trainer.last_grad)
        dead = inspect.dead_relus(net, trainer.X) if "relu" in net.activations else 0
    history = trainer.layer_history.array() if trainer.layer_history is not None else frozen(np.empty((0, 0)))
    return {"layer_grad_norms": frozen(norms), "dead_relus": dead, "layer_grad_history": history}


def with_lens(s: Snapshot, trainer: Trainer, data: Dataset | None = None) -> Snapshot:
    """The snapshot with the neuron lens added (only while the network graph is on screen: it costs a forward
    pass over a ≤40×40 grid). The maps cover the output view's plane, so the two pictures line up: the plane of
    ``data`` (the output view may be off screen, its predictions not computed), else of ``s.output``."""
    if not trainer.net.layers:
        return s  # function mode: no neurons
    out = s.output
    extent = plane(data)
    if extent is None and out.get("kind") == "decision":
        extent = (float(out["x"][0]), float(out["x"][-1]), float(out["y"][0]), float(out["y"][-1]))
    began = time.perf_counter()
    with np.errstate(all="ignore"):
        lens = lensmod.trainer_lens(trainer, extent)
    return dataclasses.replace(s, lens=lens, lens_seconds=time.perf_counter() - began)


def with_sharpness(s: Snapshot, series) -> Snapshot:
    """The snapshot with the λmax readings so far, [(step, λmax), ...], as a read-only (K, 2) array."""
    rows = np.asarray(series, dtype=np.float64).reshape(-1, 2)
    return dataclasses.replace(s, sharpness=frozen(rows))
