"""The one long-lived worker: a parentless QObject living in a QThread that owns the Trainer.

Commands arrive as queued signals (sent by ``gdsim.ui.worker_client``). A run is done in ≈10 ms chunks that
re-queue themselves, so between chunks the worker's event loop handles new commands (η changes, pause, quit)
and the GUI thread gets the interpreter. Only immutable snapshots leave, at most ``MAX_FPS`` times a second
(the pace and the frame rate are reckoned in ``gdsim.lab.pacing``).
"""

from __future__ import annotations

import threading
import time
import traceback

import numpy as np
from PySide6 import QtCore
from PySide6.QtCore import QObject, Signal, Slot

from gdsim.lab import monitors, side_work, snapshot
from gdsim.lab.config import Built, Config
from gdsim.lab.pacing import Pacer
from gdsim.lab.requests import AnalysisRequest

# While running, coarse surfaces and λmax come at most every SURFACE_INTERVAL / CURVATURE_INTERVAL seconds and
# take at most AUX_SHARE of the thread (big data: rarer). Pace and frame rate: gdsim.lab.pacing.
SURFACE_INTERVAL, CURVATURE_INTERVAL, AUX_SHARE = 0.5, 1.0, 0.05
CHUNK_SECONDS = 0.010


class TrainingWorker(QObject):
    sigSnapshot = Signal(object)       # Snapshot
    sigRunning = Signal(int)           # 1: a run started, 0: it ended
    sigProgress = Signal(int, int)     # epochs done, epochs asked for (run N epochs)
    sigError = Signal(str)             # a message for the user; the worker stays usable
    sigSurface = Signal(object)        # SurfaceGrid (gdsim.lab.surfaces), coarse while running, fine when idle
    sigSurfaceMessage = Signal(str, str)  # kind, why that surface cannot be drawn yet
    sigSaved = Signal(str)             # a session file was written
    sigCurvature = Signal(float, float)  # λmax, λmin of the Hessian here (2/λmax: stability edge; λmin < 0: saddle)
    sigAnalysis = Signal(str, object)  # "compare" | "sweep", and its result
    sigAnalysisProgress = Signal(str, int, int)
    sigSignals = Signal(object)        # a lesson's reading (gdsim.lab.signals.Signals), one per "read"

    def __init__(self):
        super().__init__()
        self.built: Built | None = None
        self._pause = threading.Event()
        self._unseen = threading.Event()  # a snapshot is on its way to the GUI and not yet drawn
        self._running = False
        self._target_epoch: int | None = None
        self._start_epoch = 0
        self.pacer = Pacer()
        self._surface_specs: dict = {}     # kind ("1d", "2d") -> SurfaceSpec of a visible surface panel
        self._surface_pending: set = set()  # kinds asked for since the last computation
        self._grids: dict = {}              # kind -> the last SurfaceGrid sent
        self._surface_clock = 0.0
        self._start_params = None          # θ at the start of the run (exact-mode surfaces are centred there)
        self._curvature_clock = 0.0
        self._surface_wait, self._curvature_wait = SURFACE_INTERVAL, CURVATURE_INTERVAL
        self._side_due = False             # fine surfaces and λmax are queued behind the pending commands
        self._cancel = threading.Event()   # stops a comparison or sweep between two steps
        self._closing = threading.Event()  # the window is closing: every long computation stops between chunks
        self._extras = monitors.SnapshotExtras()  # output, X-ray, lens...: only while a panel on screen shows them
        self._sharpness = monitors.SharpnessWatch()  # λmax along the run while its panel is on screen
        self._readings = monitors.LessonReadings()   # a lesson's readings, answered when a run ends

    # ---------------------------------------------------------------- commands (queued slots)

    @Slot(object)
    def _on_load(self, built: Built) -> None:
        """A new set-up replaces the old one (reset): stop any run and show the untrained network."""
        if self._closing.is_set():
            return
        self._stop_run()
        self.built = built
        self.pacer.sps = 0.0
        self._start_params = built.net.params.copy()
        self._grids = {}
        self._extras.xray.clear()
        self._sharpness.reset()
        self._readings.reset()
        self._sharpness.attach(built.trainer)
        self._emit(force=True)
        self._side_work_soon()

    @Slot(object)
    def _on_analysis(self, request: AnalysisRequest) -> None:
        """Compare or sweep from the same initial weights; ``cancel()`` stops it between two steps."""
        self._stop_run()
        result = None
        try:
            with np.errstate(all="ignore"):
                result = request.run(lambda d, t: self.sigAnalysisProgress.emit(request.kind, int(d), int(t)),
                                     self._cancel.is_set)
        except ValueError as e:
            self.sigError.emit(f"Cannot compare: {e}")
        except Exception:  # noqa: BLE001
            self._report(traceback.format_exc())
        self.sigAnalysis.emit(request.kind, result)

    def cancel_analysis(self) -> None:
        """Thread-safe."""
        self._cancel.set()

    def shutdown(self) -> None:
        """Thread-safe and final: the run and every long computation stop at their next check."""
        for flag in (self._closing, self._cancel, self._pause):
            flag.set()

    def arm_analysis(self) -> None:
        """Thread-safe: called before an analysis is asked for, so an early Cancel still counts."""
        if not self._closing.is_set():
            self._cancel.clear()

    def _curvature(self) -> None:
        """λmax and λmin (a few dozen gradients' worth at most), paced to a small share of the thread."""
        if self.built is None or self._closing.is_set():
            return
        start = time.perf_counter()
        lams = side_work.curvature(self.built.trainer, self._closing.is_set)
        self._curvature_clock = time.perf_counter()
        self._curvature_wait = max(CURVATURE_INTERVAL, (self._curvature_clock - start) / AUX_SHARE)
        if lams is not None:
            self.sigCurvature.emit(*lams)

    @Slot(object)
    def _on_set_surface(self, spec) -> None:
        """Show a surface, or with ``(kind, None)`` stop computing it. Requests that arrive together (a slider
        dragged through ten resolutions) are coalesced: only the latest one per kind is computed."""
        kind, spec = spec if isinstance(spec, tuple) else (spec.kind, spec)
        if spec is None:
            self._surface_specs.pop(kind, None)
            self._surface_pending.discard(kind)
            return
        self._surface_specs[kind] = spec
        if not self._surface_pending:
            QtCore.QTimer.singleShot(0, self._surfaces_requested)  # after the other queued requests
        self._surface_pending.add(kind)

    def _surfaces_requested(self) -> None:
        kinds, self._surface_pending = tuple(self._surface_pending), set()
        self._surfaces(coarse=True, kinds=kinds)  # a quick 25×25 first, so the panel is never blank
        if not self._running:
            self._surfaces(coarse=False, kinds=kinds)

    @Slot(str, bool)
    def _on_want_xray(self, who: str, on: bool) -> None:
        """A panel showing the optimizer X-ray came on screen (or left): snapshots carry it only meanwhile."""
        if self._extras.want_xray(who, on) and not self._running:
            self._emit(force=True)  # the picture on screen gets its arrows now, not at the next step

    @Slot(str, bool)
    def _on_want_piece(self, piece: str, on: bool) -> None:
        """The panel showing a snapshot piece (gdsim.lab.monitors.PIECES: output view, gradient flow, neuron
        lens) came on screen (or left): snapshots carry it only meanwhile; a panel coming back is filled now."""
        if self._extras.want_piece(piece, on) and not self._running:
            self._emit(force=True)

    @Slot()
    def _on_step(self) -> None:
        self._manual("step")

    @Slot()
    def _on_epoch(self) -> None:
        self._manual("run_epoch")

    def _manual(self, what: str) -> None:
        """A Step or an Epoch: its snapshot now; fine surfaces and λmax once the commands queued meanwhile are
        done, so fifty queued steps (S held down) cost one surface, not fifty."""
        if self._guard():
            self._safely(getattr(self.built.trainer, what))
            self._emit(force=True)
            self._side_work_soon()

    def _side_work_soon(self) -> None:
        if not self._side_due:
            self._side_due = True
            QtCore.QTimer.singleShot(0, self._side_work)

    def _side_work(self) -> None:
        self._side_due = False
        if not self._running:  # a run computes its own, coarse and paced
            self._surfaces(coarse=False)
            self._curvature()

    @Slot(int)
    def _on_run(self, epochs: int) -> None:
        """Run ``epochs`` more epochs, or (0) until the run converges, diverges or is paused."""
        if not self._guard() or self._running:
            return
        trainer = self.built.trainer
        trainer.resume()
        self._pause.clear()
        self._running = True
        self._start_epoch = trainer.epoch
        self._target_epoch = trainer.epoch + epochs if epochs > 0 else None
        self.pacer.start(trainer.step_count)
        self.sigRunning.emit(1)
        QtCore.QTimer.singleShot(0, self._chunk)

    @Slot(float)
    def _on_set_lr(self, lr: float) -> None:
        if self.built is not None:
            try:
                self.built.trainer.lr = lr
            except ValueError as e:
                self.sigError.emit(str(e))
            if not self._running:
                self._emit(force=True)

    @Slot(object)
    def _on_set_training(self, cfg: Config) -> None:
        """Optimizer, its settings, weight decay, clipping, batch size, schedule: applied between two steps."""
        if self.built is None or self._closing.is_set():
            return
        try:
            self.built = monitors.set_training(self.built, cfg)  # a saved session carries the new settings
        except ValueError as e:
            self.sigError.emit(f"Cannot use this setting: {e}")
            return
        if not self._running:
            self._emit(force=True)

    @Slot(str)
    def _on_save_session(self, path: str) -> None:
        """The worker owns the trainer, so it is the one that writes its state."""
        if self.built is None:
            return
        from gdsim.io import session

        try:
            session.save(path, self.built)
        except (ValueError, OSError) as e:
            self.sigError.emit(f"Could not save the session: {e}")
            return
        self.sigSaved.emit(path)

    @Slot(float)
    def _on_set_rate(self, steps_per_second: float) -> None:
        self.pacer.set_rate(steps_per_second, self.built.trainer.step_count if self.built is not None else 0)

    def pause(self) -> None:
        """Thread-safe: takes effect between two steps."""
        self._pause.set()

    def seen(self, cost: float = 0.0) -> None:
        """Thread-safe: the GUI has drawn the last snapshot, which took ``cost`` seconds. Until then no routine
        snapshot is sent, so a slow screen never builds up a queue of stale pictures; and the next one waits
        long enough that drawing stays within GUI_SHARE of the time."""
        self.pacer.drawn(cost)
        self._unseen.clear()

    @property
    def running(self) -> bool:
        return self._running

    # ---------------------------------------------------------------- the run loop

    def _chunk(self) -> None:
        if not self._running or self._closing.is_set():
            return
        trainer = self.built.trainer
        budget = time.perf_counter() + CHUNK_SECONDS
        allowed = self.pacer.allowed(trainer.step_count)
        done = 0
        try:
            while done < allowed and not self._pause.is_set():
                trainer.step()
                done += 1
                if trainer.done or self._target_reached(trainer) or time.perf_counter() > budget:
                    break
        except Exception:  # noqa: BLE001 - shown to the user; the app carries on
            self._report(traceback.format_exc())
            self._stop_run()
            return
        finished = self._pause.is_set() or trainer.done or self._target_reached(trainer)
        if self._target_epoch is not None:
            self.sigProgress.emit(trainer.epoch - self._start_epoch, self._target_epoch - self._start_epoch)
        if finished:
            self._stop_run()
            self._emit(force=True)
            self._side_work_soon()
            return
        self._emit()
        if time.perf_counter() - self._surface_clock > self._surface_wait:
            self._surfaces(coarse=True)
        if time.perf_counter() - self._curvature_clock > self._curvature_wait:
            self._curvature()
        QtCore.QTimer.singleShot(self.pacer.delay_ms(allowed, done), self._chunk)

    def _target_reached(self, trainer) -> bool:
        return self._target_epoch is not None and trainer.epoch >= self._target_epoch

    def _stop_run(self) -> None:
        if self._running:
            self._running = False
            self._pause.clear()
            self.sigRunning.emit(0)
            self._answer_reading()

    def _guard(self) -> bool:
        diverged = self.built is not None and self.built.trainer.status == "diverged"
        if diverged:
            self.sigError.emit(self.built.trainer.message + " — lower η and press Reset.")
        return self.built is not None and not self._closing.is_set() and not diverged

    def _safely(self, fn) -> None:
        try:
            fn()
        except Exception:  # noqa: BLE001
            self._report(traceback.format_exc())

    def _report(self, tb: str) -> None:
        self.sigError.emit("Training stopped because of an internal error:\n\n" + tb.strip().splitlines()[-1]
                           + "\n\nDetails:\n" + tb)

    def _surfaces(self, coarse: bool, kinds=None) -> None:
        """Recompute the visible surfaces at the current parameters (exact mode: around the start)."""
        if self.built is None or not self._surface_specs or self._closing.is_set():
            return
        began = time.perf_counter()
        for what, kind, value in side_work.surfaces(self._surface_specs, self._grids, self.built.trainer,
                                                    kinds or tuple(self._surface_specs), coarse, self._running,
                                                    self._start_params, self._closing.is_set):
            if what == "grid":
                self._grids[kind] = value
                self.sigSurface.emit(value)
            elif what == "message":
                self.sigSurfaceMessage.emit(kind, value)
            else:
                self._report(value)
                self._surface_specs.pop(kind, None)
        self._surface_clock = time.perf_counter()
        if coarse:
            self._surface_wait = max(SURFACE_INTERVAL, (self._surface_clock - began) / AUX_SHARE)

    def _emit(self, force: bool = False) -> None:
        if self.built is None or not self.pacer.snapshot_due(force, self._unseen.is_set()):
            return
        trainer = self.built.trainer
        self._unseen.set()
        with np.errstate(all="ignore"):
            s = snapshot.take(trainer, self.built.data, self.pacer.measure(self._running, trainer.step_count),
                              self._extras.pieces)
        s, problem = self._extras.add(s, trainer, self.built.data, self._sharpness)
        if problem:
            self.sigError.emit(problem)
        self.sigSnapshot.emit(s)

    # ---------------------------------------------------------------- lessons and the sharpness monitor

    @Slot(str)
    def _on_lesson(self, request: str) -> None:
        """A lesson's "mark" (θ as its step begins) or "read" (``sigSignals``; during a run, when it ends)."""
        if self.built is None:
            return
        if request == "mark":
            self._readings.mark(self.built.trainer.net.params)
        elif request == "read":
            self._readings.asked += 1
            if not self._running:
                self._answer_reading()

    def _answer_reading(self) -> None:
        if not self._readings.asked or self.built is None or self._closing.is_set():
            return
        try:
            asked, reading = self._readings.take(self.built.trainer)
        except Exception:  # noqa: BLE001
            self._report(traceback.format_exc())
            asked, reading, self._readings.asked = self._readings.asked, None, 0
        for _ in range(asked):  # one answer per request: the lesson counts them
            self.sigSignals.emit(reading)

    @Slot(bool)
    def _on_set_sharpness(self, on: bool) -> None:
        """The sharpness panel came on screen (or left): the trainer reads λmax only meanwhile."""
        self._sharpness.on = bool(on)
        if self.built is not None:
            self._sharpness.attach(self.built.trainer)
            if on and not self._running:
                self._emit(force=True)
