"""The window's file work: exports, screenshots, sessions and the PyTorch script, each behind a dialog.

A mixin of MainWindow, so main_window.py stays about wiring. Every failure becomes a message, never a traceback;
every failure to open something (session, preset, CSV) is a dialog, and sessions are read off the GUI thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from gdsim.io import session, torch_export
from gdsim.ui.controllers.folders import data_folder, dialog_folder, remember_folder
from gdsim.ui.controllers.session_loader import SessionLoader
from gdsim.ui.plotting import figures as export

FILTERS = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)", "csv": "CSV table (*.csv)",
           "gdsim": "gdsim session (*.gdsim)", "py": "Python script (*.py)"}
MAX_RECENT = 8


class FileActions:
    # ---------------------------------------------------------------- export

    def export_loss(self, path: str, width: int | None = None) -> None:
        if export.check_path(path, ("png", "svg", "csv")) == "csv":
            header, rows = export.loss_csv_rows(self.snapshot.step_history, self.snapshot.epoch_history)
            export.write_csv(path, header, rows)
        else:
            export.plot_image(self.loss_curve, path, width)

    def export_loss_dialog(self, ext: str) -> None:
        if self.snapshot is not None:
            self.file_dialog("loss curve", (ext,), self.export_loss)

    def export_panel_dialog(self, title: str, panel, exts) -> None:
        def write(path, width):
            ext = export.check_path(path, exts)
            if hasattr(panel, "export_image"):  # a panel knows its own table (loss history, surface grid)
                panel.export_image(path, width)
            elif ext == "csv":
                self.export_loss(path)
            else:
                export.plot_image(panel, path, width)

        self.file_dialog(title, exts, write)

    def file_dialog(self, title: str, exts, write, save: bool = True) -> None:
        """Ask for a file (and a PNG width), then call ``write(path, width)``; errors become a message."""
        stem = title.replace(" ", "_")
        ask = QtWidgets.QFileDialog.getSaveFileName if save else QtWidgets.QFileDialog.getOpenFileName
        start = dialog_folder() / f"{stem}.{exts[0]}" if save else dialog_folder()
        path, chosen = ask(self, f"{'Export' if save else 'Open'} {title}", str(start),
                           ";;".join(FILTERS[e] for e in exts))
        if not path:
            return
        remember_folder(path)
        if save and not Path(path).suffix:
            path += "." + next((e for e in exts if FILTERS[e] == chosen), exts[0])
        width = None
        if save and path.lower().endswith(".png"):
            width, ok = QtWidgets.QInputDialog.getInt(self, "PNG width", "Width in pixels:", 1600, 200, 8000)
            if not ok:
                return
        try:
            write(path, width)
            if save:
                self.statusBar().showMessage(f"Saved {path}", 5000)
        except (ValueError, OSError) as e:
            report = self.show_error if save else self.show_open_error
            report(f"Could not {'save' if save else 'open'} {Path(path).name}: {e}")

    def save_screenshot(self, path: str) -> None:
        export.check_path(path, ("png",))
        export.write_png(self.grab(), path)

    def screenshot_dialog(self) -> None:
        self.file_dialog("window screenshot", ("png",), lambda path, _w: self.save_screenshot(path))

    # ---------------------------------------------------------------- sessions

    def save_session(self, path: str) -> None:
        """The worker owns the trainer, so it writes the file; the result comes back as a message."""
        session.check_save_path(path)
        self.sigSaveSession.emit(str(path))

    def open_session(self, path: str) -> None:
        """Read and check the file off the GUI thread (``SessionLoader``); the window stays live meanwhile and
        the result is applied when it arrives: the new trainer goes to the worker, a failure to a dialog."""
        if getattr(self, "session_loader", None) is None:
            self.session_loader = SessionLoader(self)
            self.session_loader.sigLoaded.connect(self._on_session_read)
            self.session_loader.sigFailed.connect(
                lambda p, message: self.show_open_error(f"Could not open {Path(p).name}: {message}"))
        self.statusBar().showMessage(f"Opening {Path(path).name}…")
        self.session_loader.load(path)

    def _on_session_read(self, path: str, built) -> None:
        self.setup.set_config(built.config)
        self.lr_control.set_value(built.trainer.lr)
        self._show_built(built, f"Opened {Path(path).name}: step {built.trainer.step_count}, "
                                f"epoch {built.trainer.epoch}")
        self.remember_recent(path)

    def stop_loading(self) -> None:
        """Let a session being read finish before the window goes (its result is then dropped)."""
        loader = getattr(self, "session_loader", None)
        if loader is not None:
            loader.wait(drop=True)

    def show_open_error(self, message: str) -> QtWidgets.QMessageBox:
        """A File → Open failure is always a dialog (offscreen too, where tests find and close it). Its text
        is plain: a hostile file name or message cannot render markup or fetch an image."""
        self.errors.append(message)
        self.statusBar().showMessage(message.splitlines()[0] if message else "", 15000)
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Warning, "gdsim", message, parent=self)
        box.setObjectName("openErrorDialog")
        box.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def remember_recent(self, path: str) -> None:
        s = QtCore.QSettings()
        files = session.recent_files(list(s.value("recent/sessions", []) or []), str(path), MAX_RECENT)
        s.setValue("recent/sessions", files)
        self.refresh_recent_menu()

    def refresh_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        files = list(QtCore.QSettings().value("recent/sessions", []) or [])
        for f in files:
            act = menu.addAction(Path(f).name, lambda f=f: self.file_dialog_safely(self.open_session, f))
            act.setToolTip(QtGui.Qt.convertFromPlainText(f))  # a tooltip would render markup in the path
        menu.setEnabled(bool(files))

    def file_dialog_safely(self, fn, path) -> None:
        try:
            fn(path)
        except (ValueError, OSError) as e:
            self.show_open_error(f"Could not open {Path(path).name}: {e}")

    def _on_session_saved(self, path: str) -> None:
        self.remember_recent(path)
        self.statusBar().showMessage(f"Saved session {path}", 5000)

    # ---------------------------------------------------------------- drawn data

    def add_point(self, x: float, y: float, label: int) -> None:
        """Add a drawn point to the training data: the points go to a CSV in the app's data folder, in the
        coordinates shown (no re-standardising, so nothing moves), and training restarts on them."""
        data = self.data
        if data is None or data.n_features != 2 or data.task != "classification":
            return
        import numpy as np

        X = np.vstack([data.X_train, data.X_test, [[x, y]]])
        labels = np.concatenate([np.ravel(data.y_train), np.ravel(data.y_test), [label]]).astype(int)
        try:
            path = data_folder() / "drawn_points.csv"
            export.write_csv(path, ["x1", "x2", "class"], [[a, b, c] for (a, b), c in zip(X, labels, strict=True)])
        except OSError as e:
            self.show_error(f"Could not add the point: {e}")
            return
        cfg = self.current_config().with_changes(problem={"dataset": f"csv:{path}", "test_fraction": 0.0,
                                                          "standardize": False, "target": None})
        self.setup.set_config(cfg)
        self._load(cfg)

    # ---------------------------------------------------------------- PyTorch

    def export_torch(self, path: str) -> list[Path]:
        export.check_path(path, ("py",))
        return torch_export.write(self.current_config(), path)
