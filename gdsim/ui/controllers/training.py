"""Running the training: Step, Epoch, Run/Pause, run N epochs, the speed and η — and showing each snapshot.

Commands go to the worker through its client; snapshots come back and go to the views. The worker learns what a
frame costs to draw (``seen``), so a slow screen never builds up a queue of stale pictures.
"""

from __future__ import annotations

import time

from PySide6 import QtCore

from gdsim.lab.snapshot import Snapshot
from gdsim.lab.state import AppState
from gdsim.ui.controllers.aids import AidController
from gdsim.ui.controllers.loader import Gate
from gdsim.ui.controllers.messages import Messages
from gdsim.ui.panels.loss_curve import LossCurve
from gdsim.ui.panels.output_view import OutputView
from gdsim.ui.panels.setup import SetupPanel
from gdsim.ui.widgets.lr_control import LearningRateControl
from gdsim.ui.widgets.status_line import StatusLine
from gdsim.ui.widgets.toolbar import TrainingToolbar
from gdsim.ui.worker_client import WorkerClient


class TrainingController:
    def __init__(self, client: WorkerClient, state: AppState, messages: Messages, toolbar: TrainingToolbar,
                 status: StatusLine, lr_control: LearningRateControl, setup: SetupPanel, loss_curve: LossCurve,
                 output_view: OutputView, aids: AidController, gate: Gate | None = None):
        """``gate``: the problem controller's; Step/Epoch/Run pressed while a CSV is read wait for it."""
        self.client, self.state, self.messages = client, state, messages
        self.toolbar, self.status, self.lr_control, self.setup = toolbar, status, lr_control, setup
        self.loss_curve, self.output_view, self.aids = loss_curve, output_view, aids
        self.gate = gate or Gate()
        tb = toolbar
        tb.step.triggered.connect(lambda *_: self.gate.call(client.step))
        tb.epoch.triggered.connect(lambda *_: self.gate.call(client.epoch))
        tb.run.toggled.connect(self.run_toggled)
        tb.run_n.clicked.connect(lambda: self.start_run(tb.epochs.value()))
        tb.rate.currentIndexChanged.connect(lambda *_: client.set_rate(tb.rate_value()))
        lr_control.sigChanged.connect(self._lr_changed)
        client.sigSnapshot.connect(self.show_snapshot)
        client.sigRunning.connect(self.running_changed)
        client.sigProgress.connect(status.show_progress)
        client.sigCurvature.connect(self.show_curvature)
        client.sigError.connect(messages.show_error)

    def start_run(self, epochs: int) -> None:
        """Run ``epochs`` epochs, or (0) until the run ends or is paused; nothing if a run is going."""
        if self.gate.waiting:
            self.gate.call(lambda: self.start_run(epochs))
            return
        if self.client.running:
            return
        self.status.start_progress(epochs)
        self.toolbar.set_running(True)
        self.client.run(epochs)

    def press(self, kind: str, count: int) -> None:
        """Step / Epoch ``count`` times, or Run ``count`` epochs: what the toolbar's buttons do."""
        if kind == "run":
            self.start_run(count)
            return
        for _ in range(count):
            self.gate.call(self.client.step if kind == "step" else self.client.epoch)

    def run_toggled(self, on: bool) -> None:
        if on:
            self.start_run(0)
        else:
            self.gate.forget()
            self.client.pause()

    def use_lr(self, lr: float) -> None:
        """η chosen elsewhere (the sweep's best): into the η control and to the worker."""
        self.lr_control.set_value(lr)
        self.client.set_lr(lr)
        self.messages.say(f"η = {lr:g} (the sweep's best)")

    def _lr_changed(self, lr: float) -> None:
        self.client.set_lr(lr)
        self.lr_control.set_curvature(self.state.lam)
        self.status.follow_lr(self.lr_control.hint.toolTip())
        if self.state.config is not None:
            self.setup.show_schedule(self.state.config, lr)
        self.setup.note_lr_typed(lr)

    def show_snapshot(self, s: Snapshot) -> None:
        start = time.thread_time()  # CPU time of this thread: waiting for the GIL is not drawing
        self.state.snapshot = s
        self.state.frames_drawn += 1
        self.loss_curve.show_snapshot(s)
        self.output_view.show_snapshot(s)
        self.aids.show_live(s)
        self.status.show_snapshot(s, self.client.running)
        if self.setup.schedule_plot.isVisible():
            self.setup.schedule_plot.show_epoch(s.epoch)
        if not self.client.running:
            self.aids.refresh_inspector()  # a Step or an Epoch: show that update's numbers
        # the panels repaint before this zero-timer fires, so the worker learns what a whole frame costs
        QtCore.QTimer.singleShot(0, lambda: self.client.seen(time.thread_time() - start))

    def show_curvature(self, lam: float, lam_min: float = 0.0) -> None:
        self.state.lam = lam
        self.lr_control.set_curvature(lam)
        self.status.show_curvature(lam, lam_min, self.lr_control.hint.toolTip())

    def running_changed(self, running: int) -> None:
        self.toolbar.set_running(bool(running))
        if not running:
            self.status.progress.setVisible(False)
            QtCore.QTimer.singleShot(100, self.aids.refresh_inspector)  # after the run's last snapshot
