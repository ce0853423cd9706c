"""The entry point of the desktop app: ``main(config)`` opens the window, optionally scripted (``gdsim gui``).

The command line is read by gdsim.cli, which hands over a ready Config and a Script; the app never imports
the CLI. The QApplication itself comes from gdsim.ui.plotting.qt_app (figures need it without a window).
"""

from __future__ import annotations

import signal
import sys
from dataclasses import dataclass

from PySide6 import QtCore

from gdsim.lab.config import Config
from gdsim.ui.plotting.qt_app import application

__all__ = ["Recording", "Script", "application", "main"]
MIN_RECORDED_SECONDS = 3.0  # a recorded run quicker than this at its pace is slowed down: enough frames to see


@dataclass(frozen=True)
class Recording:
    """``gdsim gui --record``: the file (already checked by the CLI), its width, its frame rate, and how long the
    run should last (None: at the window's pace, but at least MIN_RECORDED_SECONDS)."""

    path: str
    width: int = 640
    fps: float = 15.0
    seconds: float | None = None


@dataclass(frozen=True)
class Script:
    """What ``gdsim gui`` asks of the window: panels to bring forward, a lesson to open, epochs to train, files to
    save, quit."""

    epochs: int = 0
    screenshot: str | None = None
    export_loss: str | None = None
    quit: bool = False
    show: tuple[str, ...] = ()
    lesson: str | None = None  # a lesson's name or file, already checked by the CLI
    preset: str | None = None  # the preset the set-up came from: the window shows its pace, panel and banner
    record: Recording | None = None

    @property
    def runs(self) -> bool:
        """Whether there is anything to do once the window is up (else the user just gets the window)."""
        return bool(self.epochs or self.screenshot or self.export_loss or self.record)


def main(cfg: Config | None = None, script: Script | None = None) -> int:
    """Open the window on ``cfg`` (default: the app's own start). With a ``script``: bring its panels forward,
    open its lesson, train its epochs, save its screenshot and loss curve, and with ``quit`` close with status 0
    (2 on error)."""
    script = script or Script()
    try:
        app = application(headless=script.quit)
    except OSError as e:
        print(f"gdsim: error: {e}", file=sys.stderr)
        return 2
    from gdsim.ui.main_window import MainWindow

    win = MainWindow(cfg, restore_layout=not script.quit)
    if script.preset:
        win.present_preset(script.preset)  # its pace, its panel, its description
    for name in script.show:
        if name not in win.docks:
            print(f"gdsim: error: no panel called {name!r}; choose from {', '.join(win.docks)}", file=sys.stderr)
            win.shutdown()
            return 2
        win.docks[name].show()
        win.docks[name].raise_()
    if script.lesson:
        win.open_lesson(script.lesson)
    win.show()
    if script.runs:
        scripted = Scripted(win, script)
        QtCore.QTimer.singleShot(0, lambda: win.problem.gate.call(scripted.start))  # after a CSV is read
    _close_on_ctrl_c(win)
    code = app.exec()
    return getattr(win, "exit_code", code)


def _close_on_ctrl_c(win) -> None:
    """Ctrl+C in the terminal closes the window as its close button does (the run stops, nothing half-written),
    exit status 130, instead of a traceback from inside a Qt slot while the window carries on. Python sees a
    signal only when it runs, so a timer lets it run a few times a second."""
    def interrupted(*_) -> None:
        if not hasattr(win, "exit_code"):
            win.exit_code = 130
        win.close()

    signal.signal(signal.SIGINT, interrupted)
    timer = QtCore.QTimer(win)
    timer.timeout.connect(lambda: None)
    timer.start(200)


class Scripted(QtCore.QObject):
    """Train, save, and (with --quit) close: reproducible figures for docs and slides."""

    def __init__(self, win, script: Script):
        super().__init__(win)
        self.win, self.script = win, script

    def start(self) -> None:
        if self.script.record:
            self.recording = ScriptedRecording(self.win, self.script.record, self.script.epochs)
        if self.script.epochs > 0:
            self.win.client.sigRunning.connect(self._on_running)
            self.win.start_run(self.script.epochs)
        else:
            QtCore.QTimer.singleShot(300, self.finish)

    def _on_running(self, running: bool) -> None:
        if not running:
            QtCore.QTimer.singleShot(300, self.finish)  # let the last snapshot reach the panels

    def finish(self) -> None:
        win, s = self.win, self.script
        try:
            if s.screenshot:
                win.save_screenshot(s.screenshot)
            if s.export_loss:
                win.export_loss(s.export_loss)
            win.exit_code = 0
        except (ValueError, OSError) as e:
            print(f"gdsim: error: {e}", file=sys.stderr)
            win.exit_code = 2
        if s.record:
            self.recording.finish(self._done)
        else:
            self._done()

    def _done(self) -> None:
        if self.script.quit:
            self.win.close()


class ScriptedRecording:
    """Frames of the whole window as the scripted run goes, at the window's pace (slowed when the run would be
    over too soon to see); at the end the file is encoded, progress on stderr."""

    def __init__(self, win, record: Recording, epochs: int):
        from gdsim.lab import config as cfgmod
        from gdsim.ui.recorder import Recorder

        self.win, self.path = win, record.path
        self.recorder = Recorder(win, record.path, record.width, record.fps, parent=win)
        win.client.sigSnapshot.connect(self.recorder.on_snapshot)  # after the panels': they have drawn
        steps = max(1, epochs * cfgmod.build(win.cfg).trainer.steps_per_epoch)
        pace = steps / record.seconds if record.seconds else min(win.toolbar.rate_value() or steps,
                                                                  steps / MIN_RECORDED_SECONDS)
        win.toolbar.set_pace(float(f"{pace:.3g}"))  # in the toolbar too: the recording says how fast it ran
        self.shown = 0
        self.recorder.sigProgress.connect(self._on_progress)
        self.recorder.start()

    def finish(self, then) -> None:
        def failed(message: str) -> None:
            print(f"gdsim: error: {message}", file=sys.stderr)
            self.win.exit_code = 2
            then()

        def written(path: str) -> None:
            f = self.recorder.frames
            size = f"{f.size[0]}×{f.size[1]}" if f.size else "no size"
            print(f"gdsim: recorded {len(f)} frames ({size}) to {path}", file=sys.stderr)
            then()

        self.recorder.sigFinished.connect(written)
        self.recorder.sigFailed.connect(failed)
        self.recorder.stop()

    def _on_progress(self, done: int, total: int) -> None:
        tenth = 10 * done // max(total, 1)
        if tenth > self.shown:
            self.shown = tenth
            print(f"gdsim: encoding {self.path}: {10 * tenth} %", file=sys.stderr, flush=True)
