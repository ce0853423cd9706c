"""File work: exports, screenshots, sessions and the PyTorch script, each behind a dialog.

Every failure becomes a message, never a traceback; every failure to open something (session, preset, CSV) is a
dialog, and sessions are read off the GUI thread. The worker owns the trainer, so it writes sessions itself.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from gdsim.io import session, torch_export
from gdsim.io.tables import check_path, loss_csv_rows, write_csv
from gdsim.lab.config import Built, Config
from gdsim.lab.state import AppState
from gdsim.ui.controllers.folders import dialog_folder, remember_folder
from gdsim.ui.controllers.loader import Loader
from gdsim.ui.controllers.messages import Messages
from gdsim.ui.plotting import figures
from gdsim.ui.worker_client import WorkerClient

FILTERS = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)", "csv": "CSV table (*.csv)",
           "gdsim": "gdsim session (*.gdsim)", "py": "Python script (*.py)"}
MAX_RECENT = 8


class FileController:
    def __init__(self, parent: QtWidgets.QWidget, client: WorkerClient, state: AppState, messages: Messages,
                 loss_curve: QtWidgets.QWidget, config: Callable[[], Config],
                 open_built: Callable[[str, Built], None], loader: Loader):
        """``open_built(path, built)`` puts a session that was read into the app; ``loader`` reads it off the
        GUI thread (the window's one loader, shared with set-ups that read a CSV: the newest request wins)."""
        self.parent, self.client, self.state, self.messages = parent, client, state, messages
        self.loss_curve, self.config, self.open_built, self.loader = loss_curve, config, open_built, loader
        self.recent_menu = QtWidgets.QMenu("Recent sessions", parent)
        client.sigSaved.connect(self._session_saved)
        self.refresh_recent_menu()

    # ---------------------------------------------------------------- export

    def export_loss(self, path: str, width: int | None = None) -> None:
        s = self.state.snapshot
        if check_path(path, ("png", "svg", "csv")) == "csv":
            if s is None:
                raise ValueError("nothing trained yet")
            header, rows = loss_csv_rows(s.step_history, s.epoch_history)
            write_csv(path, header, rows)
        else:
            figures.plot_image(self.loss_curve, path, width)

    def export_loss_dialog(self, ext: str) -> None:
        if self.state.snapshot is not None:
            self.file_dialog("loss curve", (ext,), self.export_loss)

    def export_panel_dialog(self, title: str, panel, exts) -> None:
        def write(path, width):
            ext = check_path(path, exts)
            if hasattr(panel, "export_image"):  # a panel knows its own table (loss history, surface grid)
                panel.export_image(path, width)
            elif ext == "csv":
                self.export_loss(path)
            else:
                figures.plot_image(panel, path, width)

        self.file_dialog(title, exts, write)

    def file_dialog(self, title: str, exts, write, save: bool = True) -> None:
        """Ask for a file (and a PNG width), then call ``write(path, width)``; errors become a message."""
        stem = title.replace(" ", "_")
        ask = QtWidgets.QFileDialog.getSaveFileName if save else QtWidgets.QFileDialog.getOpenFileName
        start = dialog_folder() / f"{stem}.{exts[0]}" if save else dialog_folder()
        path, chosen = ask(self.parent, f"{'Export' if save else 'Open'} {title}", str(start),
                           ";;".join(FILTERS[e] for e in exts))
        if not path:
            return
        remember_folder(path)
        if save and not Path(path).suffix:
            path += "." + next((e for e in exts if FILTERS[e] == chosen), exts[0])
        width = None
        if save and path.lower().endswith(".png"):
            width, ok = QtWidgets.QInputDialog.getInt(self.parent, "PNG width", "Width in pixels:", 1600, 200, 8000)
            if not ok:
                return
        try:
            write(path, width)
            if save:
                self.messages.say(f"Saved {path}")
        except (ValueError, OSError) as e:
            report = self.messages.show_error if save else self.messages.show_open_error
            report(f"Could not {'save' if save else 'open'} {Path(path).name}: {e}")

    def save_screenshot(self, path: str) -> None:
        check_path(path, ("png",))
        figures.write_png(self.parent.grab(), path)

    def screenshot_dialog(self) -> None:
        self.file_dialog("window screenshot", ("png",), lambda path, _w: self.save_screenshot(path))

    def export_torch(self, path: str) -> list[Path]:
        check_path(path, ("py",))
        return torch_export.write(self.config(), path)

    # ---------------------------------------------------------------- sessions

    def save_session(self, path: str) -> None:
        """The worker owns the trainer, so it writes the file; the result comes back as a message."""
        session.check_save_path(path)
        self.client.save_session(str(path))

    def open_session(self, path: str) -> None:
        """Read and check the file off the GUI thread (``Loader``); the window stays live meanwhile and the
        result is applied when it arrives: the new trainer goes to the worker, a failure to a dialog."""
        path = str(path)
        self.messages.say(f"Opening {Path(path).name}…", 0)
        self.loader.load(lambda _cancel: session.load(path), partial(self._session_read, path),
                         lambda message: self.messages.show_open_error(f"Could not open {Path(path).name}: {message}"))

    def _session_read(self, path: str, built: Built) -> None:
        self.open_built(path, built)
        self.remember_recent(path)

    def remember_recent(self, path: str) -> None:
        s = QtCore.QSettings()
        files = session.recent_files(_strings(s.value("recent/sessions", [])), str(path), MAX_RECENT)
        s.setValue("recent/sessions", files)
        self.refresh_recent_menu()

    def refresh_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        files = _strings(QtCore.QSettings().value("recent/sessions", []))
        for f in files:
            act = menu.addAction(Path(f).name, partial(self.file_dialog_safely, self.open_session, f))
            act.setToolTip(QtGui.Qt.convertFromPlainText(f))  # a tooltip would render markup in the path
        menu.setEnabled(bool(files))

    def file_dialog_safely(self, fn, path) -> None:
        try:
            fn(path)
        except (ValueError, OSError) as e:
            self.messages.show_open_error(f"Could not open {Path(path).name}: {e}")

    def _session_saved(self, path: str) -> None:
        self.remember_recent(path)
        self.messages.say(f"Saved session {path}")


def _strings(value) -> list[str]:
    """A QSettings list: None, one string or a list of them, depending on the platform's backend."""
    if not value:
        return []
    return [str(value)] if isinstance(value, str) else [str(v) for v in value]
