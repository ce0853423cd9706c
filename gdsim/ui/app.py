"""The entry point of the desktop app: ``main(config)`` opens the window, optionally scripted (``gdsim gui``).

The command line is read by gdsim.cli, which hands over a ready Config and a Script; the app never imports
the CLI. The QApplication itself comes from gdsim.ui.plotting.qt_app (figures need it without a window).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from PySide6 import QtCore

from gdsim.lab.config import Config
from gdsim.ui.plotting.qt_app import application

__all__ = ["Script", "application", "main"]


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

    @property
    def runs(self) -> bool:
        """Whether there is anything to do once the window is up (else the user just gets the window)."""
        return bool(self.epochs or self.screenshot or self.export_loss)


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
        QtCore.QTimer.singleShot(0, scripted.start)
    code = app.exec()
    return getattr(win, "exit_code", code)


class Scripted(QtCore.QObject):
    """Train, save, and (with --quit) close: reproducible figures for docs and slides."""

    def __init__(self, win, script: Script):
        super().__init__(win)
        self.win, self.script = win, script

    def start(self) -> None:
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
        if s.quit:
            win.close()
