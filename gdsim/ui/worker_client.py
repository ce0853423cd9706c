"""The GUI thread's handle on the training worker: commands are methods, events are signals.

It starts the worker in its own QThread and stops it. Each command method emits one of the client's private
signals, connected *queued* to the worker's slot, so the command runs in the worker's thread, in order, and the
one-thread rule holds. pause / cancel / seen set flags and take effect at once (a long run or comparison checks
them between steps). The worker's own signals are relayed (queued) through the client's ``sig...`` signals, so
everything connected to the client runs in the GUI thread. After ``stop`` commands are dropped.
"""

from __future__ import annotations

from PySide6 import QtCore
from PySide6.QtCore import QObject, Signal, SignalInstance

from gdsim import worker_registry
from gdsim.lab.config import Built, Config
from gdsim.lab.monitors import PIECES
from gdsim.lab.requests import AnalysisRequest
from gdsim.lab.surfaces import SurfaceSpec
from gdsim.worker import TrainingWorker

QUEUED = QtCore.Qt.ConnectionType.QueuedConnection


class WorkerClient(QObject):
    # events, in the GUI thread (the worker's signals, relayed)
    sigSnapshot = Signal(object)         # Snapshot
    sigRunning = Signal(int)             # 1: a run started, 0: it ended
    sigProgress = Signal(int, int)       # epochs done, epochs asked for
    sigError = Signal(str)               # a message for the user
    sigSurface = Signal(object)          # SurfaceGrid
    sigSurfaceMessage = Signal(str, str)  # kind, why that surface cannot be drawn yet
    sigSaved = Signal(str)               # a session file was written
    sigCurvature = Signal(float, float)  # λmax, λmin
    sigAnalysis = Signal(str, object)    # "compare" | "sweep", its result (None: failed or cancelled early)
    sigAnalysisProgress = Signal(str, int, int)
    sigSignals = Signal(object)          # a lesson's reading (gdsim.lab.signals.Signals)
    sigLoaded = Signal()                 # a new set-up was handed to the worker

    # commands, queued to the worker's thread
    _sigLoad = Signal(object)
    _sigStep = Signal()
    _sigEpoch = Signal()
    _sigRun = Signal(int)
    _sigSetLr = Signal(float)
    _sigSetTraining = Signal(object)
    _sigSetRate = Signal(float)
    _sigSetSurface = Signal(object)
    _sigSaveSession = Signal(str)
    _sigAnalyse = Signal(object)
    _sigWantXray = Signal(str, bool)
    _sigWantPiece = Signal(str, bool)
    _sigLesson = Signal(str)
    _sigSetSharpness = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.qthread = QtCore.QThread()
        self.qthread.setObjectName("gdsim-training")
        self.worker = w = TrainingWorker()  # parentless, so it can move to its thread
        w.moveToThread(self.qthread)
        worker_registry.register(self.qthread)
        for command, slot in ((self._sigLoad, w._on_load), (self._sigStep, w._on_step), (self._sigEpoch, w._on_epoch),
                              (self._sigRun, w._on_run), (self._sigSetLr, w._on_set_lr),
                              (self._sigSetTraining, w._on_set_training),
                              (self._sigSetRate, w._on_set_rate), (self._sigSetSurface, w._on_set_surface),
                              (self._sigSaveSession, w._on_save_session), (self._sigAnalyse, w._on_analysis),
                              (self._sigWantXray, w._on_want_xray),
                              (self._sigLesson, w._on_lesson), (self._sigSetSharpness, w._on_set_sharpness),
                              (self._sigWantPiece, w._on_want_piece)):
            command.connect(slot, QUEUED)
        for name in ("sigSnapshot", "sigRunning", "sigProgress", "sigError", "sigSurface", "sigSurfaceMessage",
                     "sigSaved", "sigCurvature", "sigAnalysis", "sigAnalysisProgress", "sigSignals"):
            getattr(w, name).connect(getattr(self, name), QUEUED)
        self._stopped = False
        self.qthread.start()

    def _send(self, command: SignalInstance, *args) -> None:
        """Queue a command for the worker; after ``stop`` there is no worker to hear it (the window's docks
        still report hiding while it is torn down), so nothing is sent."""
        if not self._stopped:
            command.emit(*args)

    # ---------------------------------------------------------------- commands

    def load(self, built: Built) -> None:
        """A new set-up (or a session's trainer) replaces the current one; the worker owns it from now on."""
        self._send(self._sigLoad, built)
        self.sigLoaded.emit()

    def step(self) -> None:
        self._send(self._sigStep)

    def epoch(self) -> None:
        self._send(self._sigEpoch)

    def run(self, epochs: int = 0) -> None:
        """Run ``epochs`` more epochs, or (0) until the run converges, diverges or is paused."""
        self._send(self._sigRun, int(epochs))

    def pause(self) -> None:
        """Takes effect between two steps, even in the middle of a long run."""
        self.worker.pause()

    def set_lr(self, lr: float) -> None:
        self._send(self._sigSetLr, float(lr))

    def set_training(self, cfg: Config) -> None:
        """Use ``cfg``'s training settings from the next step on (weights and history kept)."""
        self._send(self._sigSetTraining, cfg)

    def set_rate(self, steps_per_second: float) -> None:
        """0 = as fast as possible."""
        self._send(self._sigSetRate, float(steps_per_second))

    def set_surface(self, spec: SurfaceSpec) -> None:
        """Compute this surface now, and again as the parameters move."""
        self._send(self._sigSetSurface, spec)

    def hide_surface(self, kind: str) -> None:
        """Stop computing the ``kind`` ("1d" | "2d") surface: no panel shows it."""
        self._send(self._sigSetSurface, (kind, None))

    def save_session(self, path: str) -> None:
        """The worker owns the trainer, so it writes the file; ``sigSaved`` or ``sigError`` follows."""
        self._send(self._sigSaveSession, str(path))

    def analyse(self, request: AnalysisRequest) -> None:
        """Run a comparison or a sweep (training pauses); ``sigAnalysis`` brings the result."""
        self.worker.pause()
        self.worker.arm_analysis()  # before the request is queued: a Cancel pressed meanwhile still counts
        self._send(self._sigAnalyse, request)

    def cancel_analysis(self) -> None:
        """Stop a comparison or sweep between two steps (at once: not queued behind it)."""
        self.worker.cancel_analysis()

    def want_xray(self, who: str, on: bool) -> None:
        """Snapshots carry the optimizer X-ray while at least one panel (``who``) on screen wants it."""
        self._send(self._sigWantXray, who, bool(on))

    def set_lens(self, on: bool) -> None:
        """Snapshots carry the neuron lens while the network graph is on screen."""
        self.want_piece("lens", on)

    def want_piece(self, piece: str, on: bool) -> None:
        """Snapshots carry ``piece`` ("output": the output view's predictions, "flow": the gradient flow,
        "lens": the neuron lens) while its panel is on screen; coming on while idle brings one with it at once."""
        if piece not in PIECES:
            raise ValueError(f"unknown snapshot piece {piece!r}")  # here, in the caller's thread
        self._send(self._sigWantPiece, piece, bool(on))

    def lesson(self, request: str) -> None:
        """A lesson's "mark" (its step begins here) or "read" (``sigSignals`` answers, after a run ends)."""
        self._send(self._sigLesson, request)

    def set_sharpness(self, on: bool) -> None:
        """Track λmax along the run while the sharpness panel is on screen."""
        self._send(self._sigSetSharpness, bool(on))

    def seen(self, cost: float) -> None:
        """The GUI drew the last snapshot in ``cost`` seconds of its thread's time (paces the next one)."""
        self.worker.seen(cost)

    @property
    def running(self) -> bool:
        return self.worker.running

    def stop(self) -> None:
        """Make the worker drop what it is doing, end its event loop and wait for the thread: without a deadline,
        as a QThread destroyed while it runs aborts the process. Long computations check the closing flag between
        chunks (a few grid points, one Hessian-vector product, one step): the wait is one chunk at most.
        Idempotent."""
        self._stopped = True
        if self.qthread.isRunning():
            self.worker.shutdown()
            self.qthread.quit()
            self.qthread.wait()
