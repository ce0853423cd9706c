"""The history scrubber: a slider over the recorded trajectory, to look at any earlier step without
disturbing the run.

The trainer records a bounded sample of θ over the run (``Snapshot.trajectory``, exact for the last steps).
Dragging the slider builds a Snapshot *of that step* from the latest one (``snapshot_at``) and emits it; the
main window shows it on the graph and the surfaces while training carries on. "Live" follows the run again.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from PySide6 import QtCore, QtWidgets

from gdsim.lab.snapshot import frozen


def _rows_up_to(history, step: float, column: int) -> np.ndarray:
    h = np.asarray(history)
    return h[h[:, column] <= step] if h.ndim == 2 and len(h) else h


def snapshot_at(s, index: int):
    """The snapshot ``s`` as it was at trajectory row ``index``: that row's θ, histories cut at its step.

    Gradients, updates and the output view are not recorded per step, so they are zeros / empty here
    (``layer_grad_norms`` empty tells the gradient-flow panel to ignore this snapshot); loss, gradient norm
    and η come from the step history when it holds that exact step, else loss and gradient norm are NaN.
    """
    steps = np.asarray(s.trajectory_steps).reshape(-1)
    traj = np.asarray(s.trajectory).reshape(len(steps), -1)
    k = min(max(int(index), 0), len(steps) - 1)
    step = int(steps[k])
    zeros = frozen(np.zeros_like(np.asarray(s.params)))
    sh = _rows_up_to(s.step_history, step, 0)
    eh = _rows_up_to(s.epoch_history, step, 1)
    exact = len(sh) and sh.ndim == 2 and int(sh[-1, 0]) == step
    recent_rows = max(1, len(np.asarray(s.recent)))
    return dataclasses.replace(
        s, step=step, params=frozen(traj[k]), last_grad=zeros, last_update=zeros, output={},
        epoch=int(eh[-1, 0]) if len(eh) and eh.ndim == 2 else 0,
        loss=float(sh[-1, 1]) if exact else float("nan"),
        grad_norm=float(sh[-1, 2]) if exact else float("nan"),
        current_lr=float(sh[-1, 3]) if exact else s.current_lr,
        step_history=frozen(sh), epoch_history=frozen(eh),
        lr_changes=tuple(c for c in s.lr_changes if c[0] <= step),
        trajectory_steps=frozen(steps[: k + 1]), trajectory=frozen(traj[: k + 1]),
        recent=frozen(traj[max(0, k + 1 - recent_rows): k + 1]),
        layer_grad_norms=frozen([]), steps_per_second=0.0,
    )


MIN_SLIDER_WIDTH = 150  # px: a slider shorter than this cannot be aimed at a step


class HistoryScrubber(QtWidgets.QWidget):
    """[──────────●───]
    step 120 of 400   [Live]"""

    sigScrub = QtCore.Signal(object)  # a Snapshot of the chosen step (see snapshot_at)
    sigLive = QtCore.Signal()         # follow the run again

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("historyScrubber")
        self._snapshot = None
        self._steps = np.zeros(0)
        self._scrub_step: int | None = None  # None while live

        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setObjectName("historySlider")
        self.slider.setRange(0, 0)
        self.slider.setToolTip("drag to look at an earlier step; the run carries on")
        self.label = QtWidgets.QLabel("step 0")
        self.label.setObjectName("historyStep")
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance("step 00000000 of 00000000"))
        self.live = QtWidgets.QPushButton("Live")
        self.live.setObjectName("historyLive")
        self.live.setCheckable(True)
        self.live.setChecked(True)
        self.live.setToolTip("follow the latest step")
        # the slider gets a row of its own: beside the label and the button it was squeezed to 45 px
        self.slider.setMinimumWidth(MIN_SLIDER_WIDTH)
        layout = QtWidgets.QGridLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setVerticalSpacing(0)
        layout.addWidget(self.slider, 0, 0, 1, 2)
        layout.addWidget(self.label, 1, 0)
        layout.addWidget(self.live, 1, 1)
        layout.setColumnStretch(0, 1)

        self.slider.valueChanged.connect(self._on_slider)
        self.live.toggled.connect(self._on_live)
        self.slider.setEnabled(False)

    # ------------------------------------------------------------------ API

    def is_live(self) -> bool:
        return self._scrub_step is None

    def scrubbed_step(self) -> int | None:
        return self._scrub_step

    def show_snapshot(self, s) -> None:
        """Track the recorded trajectory: at its end while live, on the chosen step otherwise."""
        steps = np.asarray(s.trajectory_steps).reshape(-1)
        self._snapshot, self._steps = s, steps
        if self._scrub_step is not None and (not len(steps) or s.step < self._scrub_step):
            self._set_live(True)  # a new run (reset, another problem): what was scrubbed is gone
            self.sigLive.emit()
        last = max(0, len(steps) - 1)
        if self._scrub_step is None:
            k = last
        else:
            k = int(np.clip(np.searchsorted(steps, self._scrub_step, side="right") - 1, 0, last))
        self.slider.blockSignals(True)
        self.slider.setRange(0, last)
        self.slider.setValue(k)
        self.slider.blockSignals(False)
        self.slider.setEnabled(len(steps) > 1)
        self._update_label()

    def scrub_to(self, index: int) -> None:
        """What dragging the slider to trajectory row ``index`` does (keyboard and tests too)."""
        self.slider.setValue(int(index))

    def clear(self) -> None:
        self._snapshot, self._steps = None, np.zeros(0)
        self._set_live(True)
        self.slider.blockSignals(True)
        self.slider.setRange(0, 0)
        self.slider.blockSignals(False)
        self.slider.setEnabled(False)
        self._update_label()

    # ------------------------------------------------------------------ slots

    def _on_slider(self, k: int) -> None:
        if self._snapshot is None or not len(self._steps):
            return
        k = min(max(int(k), 0), len(self._steps) - 1)
        self._scrub_step = int(self._steps[k])
        self._set_live(False)
        self._update_label()
        self.sigScrub.emit(snapshot_at(self._snapshot, k))

    def _on_live(self, on: bool) -> None:
        if on:
            self._scrub_step = None
            self.slider.blockSignals(True)
            self.slider.setValue(self.slider.maximum())
            self.slider.blockSignals(False)
            self._update_label()
            self.sigLive.emit()
        elif self._snapshot is not None and len(self._steps):
            self._on_slider(len(self._steps) - 1)  # unchecking freezes the view at the latest recorded step
        else:
            self._set_live(True)

    def _set_live(self, on: bool) -> None:
        if on:
            self._scrub_step = None
        self.live.blockSignals(True)
        self.live.setChecked(on)
        self.live.blockSignals(False)

    def _update_label(self) -> None:
        s = self._snapshot
        if s is None:
            self.label.setText("step 0")
        elif self._scrub_step is None:
            self.label.setText(f"step {s.step}")
        else:
            self.label.setText(f"step {self._scrub_step} of {s.step}")
