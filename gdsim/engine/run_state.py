"""A run's status words and its saved state: what a session stores of a Trainer and how it comes back.

Kept apart from the training loop so the loop reads as the algorithm; ``Trainer.state_dict`` and
``Trainer.load_state_dict`` call these.
"""

from __future__ import annotations

import numpy as np

from gdsim.engine import divergence
from gdsim.engine.history import Series, Trajectory

RUNNING, CONVERGED, STALLED, DIVERGED, MAX_EPOCHS = "running", "converged", "stalled", "diverged", "max_epochs"
STATUSES = (RUNNING, CONVERGED, STALLED, DIVERGED, MAX_EPOCHS)
# what each status means, in words (the app's status tooltip, the README)
STATUS_TEXT = {
    RUNNING: "running: still training",
    CONVERGED: "converged: the loss stopped changing (or the gradient vanished) for several epochs in a row "
               "(5 unless set otherwise), at a fit that is better than a constant prediction",
    STALLED: "stalled: the loss stopped changing, but not at a minimum worth the name: chance-level accuracy, "
             "a fit no better than a constant, dead ReLU units, a vanished gradient, a saddle point, or η decayed "
             "to ~0 by the schedule (the message says which)",
    DIVERGED: divergence.RULE_TEXT.replace("Diverged", "diverged", 1),
    MAX_EPOCHS: "epoch limit: stopped at the epoch limit (the number of epochs asked for)",
}


def state_dict(trainer) -> dict:
    """Everything that changes while training, as str/int/float/None, lists and float64/int64 arrays.

    The configuration (data, network shape, hyperparameters) is not here: a session rebuilds the trainer
    from its config and then loads this, and the run carries on bit for bit as if never interrupted.
    """
    return {
        "params": trainer.net.params.copy(), "optimizer": trainer.optimizer.state_dict(),
        "rng": trainer.rng.bit_generator.state, "order": trainer._order.copy(), "pos": trainer._pos,
        "step_count": trainer.step_count, "epoch": trainer.epoch, "status": trainer.status, "message": trainer.message,
        "diverged_at": trainer.diverged_at, "max_epochs": trainer.max_epochs, "quiet_epochs": trainer._quiet_epochs,
        "rising_epochs": trainer._rising_epochs,
        "first_loss": trainer._first_loss, "last_grad_norm": trainer._last_grad_norm,
        "last_grad": np.array(trainer.last_grad, dtype=np.float64), "last_update": trainer.last_update.copy(),
        "lr": trainer._lr, "lr_changes": [[int(s), float(v)] for s, v in trainer.lr_changes],
        "setting_changes": [[int(s), str(text)] for s, text in trainer.setting_changes],
        "step_history": trainer.step_history.state(), "epoch_history": trainer.epoch_history.state(),
        "trajectory": trainer.trajectory.state(),
        "layer_history": None if trainer.layer_history is None else trainer.layer_history.state(),
    }


def load_state_dict(trainer, d: dict) -> None:
    """Restore ``state_dict``; checks everything first, so a bad state leaves this trainer untouched."""
    n_params, n = trainer.net.n_params, trainer.X.shape[0]
    vectors = {}
    for key in ("params", "last_grad", "last_update"):
        v = np.asarray(d[key], dtype=np.float64)
        if v.shape != (n_params,):
            raise ValueError(f"the saved {key.replace('_', ' ')} have {v.size} values but the network has "
                             f"{n_params} parameters")
        vectors[key] = v.copy()
    order = np.asarray(d["order"])
    if order.shape != (n,) or order.dtype.kind not in "iu":
        raise ValueError(f"the saved shuffle order has shape {order.shape}, the training set {n} rows")
    if d["status"] not in STATUSES:
        raise ValueError(f"unknown saved status {d['status']!r}")
    rng_state = d["rng"]
    if rng_state.get("bit_generator") != type(trainer.rng.bit_generator).__name__:
        raise ValueError(f"the saved random generator is {rng_state.get('bit_generator')!r}, "
                         f"not {type(trainer.rng.bit_generator).__name__}")
    step_history = Series.from_state(d["step_history"])
    epoch_history = Series.from_state(d["epoch_history"])
    trajectory = Trajectory.from_state(d["trajectory"])
    layers = d.get("layer_history")  # absent in sessions saved before it was recorded: start it afresh
    layer_history = Series.from_state(layers) if layers is not None else trainer.layer_history
    widths = (step_history._data.shape[1], epoch_history._data.shape[1], trajectory.points._data.shape[1])
    if widths != (4, 6, n_params):
        raise ValueError(f"the saved histories have widths {widths}, expected (4, 6, {n_params})")
    rng = np.random.default_rng()
    rng.bit_generator.state = rng_state  # raises on a malformed state before anything is changed
    trainer.optimizer.load_state_dict(d["optimizer"])  # checks its own shapes before it assigns
    trainer.net.params[...] = vectors["params"]
    trainer.last_grad, trainer.last_update = vectors["last_grad"], vectors["last_update"]
    trainer.rng.bit_generator.state = rng.bit_generator.state
    trainer._order, trainer._pos = order.astype(np.int64), int(d["pos"])
    trainer.step_count, trainer.epoch = int(d["step_count"]), int(d["epoch"])
    trainer.status, trainer.message = str(d["status"]), str(d["message"])
    trainer.diverged_at = None if d["diverged_at"] is None else int(d["diverged_at"])
    trainer.max_epochs = None if d["max_epochs"] is None else int(d["max_epochs"])
    trainer._quiet_epochs = int(d["quiet_epochs"])
    trainer._rising_epochs = int(d.get("rising_epochs", 0))  # absent in sessions saved before the rule
    trainer._first_loss = None if d["first_loss"] is None else float(d["first_loss"])
    trainer._last_grad_norm = float(d["last_grad_norm"])
    trainer._lr = float(d["lr"])
    trainer.lr_changes = [(int(s), float(v)) for s, v in d["lr_changes"]]
    # absent in sessions saved before live settings were marked on the loss curve
    trainer.setting_changes = [(int(s), str(text)) for s, text in d.get("setting_changes", [])]
    trainer.step_history, trainer.epoch_history, trainer.trajectory = step_history, epoch_history, trajectory
    trainer.layer_history = layer_history
