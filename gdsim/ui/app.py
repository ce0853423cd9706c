"""QApplication set-up and the entry point of the desktop app (also the scripted ``gdsim gui`` mode)."""

from __future__ import annotations

import sys

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets


def has_display() -> bool:
    import os

    return bool(os.environ.get("QT_QPA_PLATFORM") or os.environ.get("DISPLAY")
                or os.environ.get("WAYLAND_DISPLAY") or sys.platform in ("win32", "darwin"))


def _check_x11_libraries() -> None:
    """Qt 6 aborts with a long plugin message when an X11 library it needs is missing; say it in one line."""
    import ctypes.util
    import os

    if sys.platform != "linux" or os.environ.get("QT_QPA_PLATFORM") or not os.environ.get("DISPLAY") \
            or os.environ.get("WAYLAND_DISPLAY"):
        return
    missing = [lib for lib in ("xcb-cursor", "xcb-icccm", "xkbcommon-x11") if ctypes.util.find_library(lib) is None]
    if missing:
        packages = " ".join(f"lib{m}0" if m != "xcb-icccm" else "libxcb-icccm4" for m in missing)
        raise OSError(f"Qt needs {', '.join('lib' + m for m in missing)} to open a window "
                      f"(Debian/Ubuntu: apt-get install {packages})")


def application(headless: bool = False) -> QtWidgets.QApplication:
    """The one QApplication; ``headless`` renders offscreen when there is no screen (scripted figures)."""
    import os

    app = QtWidgets.QApplication.instance()
    if app is None:
        _check_x11_libraries()
        if not has_display():
            if not headless:
                raise OSError("no display found: set DISPLAY (or QT_QPA_PLATFORM=offscreen to render without one)")
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        app = QtWidgets.QApplication(sys.argv[:1])
        app.setApplicationName("gdsim")
        app.setOrganizationName("gdsim")
    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    return app


def main(args=None) -> int:
    """Open the window. With ``args`` from ``gdsim gui``: start from that set-up, and in scripted mode train
    ``--epochs`` epochs, save the screenshot and the loss curve, and quit with status 0."""
    cfg = None
    if args is not None:
        from gdsim.cli.parser import config_from_args

        cfg = config_from_args(args)  # ValueError -> one line, exit 2 (handled by the CLI)
        from gdsim.ui.plotting import figures as export

        for path, allowed in ((args.screenshot, ("png",)), (args.export_loss, ("png", "svg", "csv"))):
            if path:
                export.check_path(path, allowed)
        if getattr(args, "lesson", None):
            from gdsim.lab.lessons import load_lesson

            load_lesson(args.lesson)  # an unknown name or a broken file: one line, exit 2
    try:
        app = application(headless=args is not None and args.quit)
    except OSError as e:
        print(f"gdsim: error: {e}", file=sys.stderr)
        return 2
    from gdsim.ui.main_window import MainWindow

    win = MainWindow(cfg, restore_layout=args is None or not args.quit)
    if getattr(args, "preset", None):
        win.present_preset(args.preset)  # its pace, its panel, its description
    for name in getattr(args, "show", None) or []:
        if name not in win.docks:
            print(f"gdsim: error: no panel called {name!r}; choose from {', '.join(win.docks)}", file=sys.stderr)
            win.shutdown()
            return 2
        win.docks[name].show()
        win.docks[name].raise_()
    if getattr(args, "lesson", None):
        win.open_lesson(args.lesson)
    win.show()
    if args is not None and (args.epochs or args.screenshot or args.export_loss):
        scripted = Scripted(win, args)
        QtCore.QTimer.singleShot(0, scripted.start)
    code = app.exec()
    return getattr(win, "exit_code", code)


class Scripted(QtCore.QObject):
    """Train, save, and (with --quit) close: reproducible figures for docs and slides."""

    def __init__(self, win, args):
        super().__init__(win)
        self.win, self.args = win, args

    def start(self) -> None:
        epochs = self.args.epochs or 0
        if epochs > 0:
            self.win.worker.sigRunning.connect(self._on_running)
            self.win._start_run(epochs)
        else:
            QtCore.QTimer.singleShot(300, self.finish)

    def _on_running(self, running: bool) -> None:
        if not running:
            QtCore.QTimer.singleShot(300, self.finish)  # let the last snapshot reach the panels

    def finish(self) -> None:
        win, a = self.win, self.args
        try:
            if a.screenshot:
                win.save_screenshot(a.screenshot)
            if a.export_loss:
                win.export_loss(a.export_loss)
            win.exit_code = 0
        except (ValueError, OSError) as e:
            print(f"gdsim: error: {e}", file=sys.stderr)
            win.exit_code = 2
        if a.quit:
            win.close()
