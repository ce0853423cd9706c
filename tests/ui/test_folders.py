"""Files the app places itself, and the folder its dialogs open in, are never the current folder and, in the
tests, never the user's real home (tests/conftest.py gives the run a temporary one)."""

import os
import pwd
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from gdsim.ui.controllers.folders import LAST_FOLDER_KEY, data_folder, dialog_folder

REAL_HOME = Path(pwd.getpwuid(os.getuid()).pw_dir).resolve()


def test_app_folders_are_outside_the_users_home_in_tests():
    for folder in (data_folder(), dialog_folder()):
        assert not folder.resolve().is_relative_to(REAL_HOME), folder
        assert not folder.resolve().is_relative_to(Path.cwd().resolve()), folder


def test_drawn_points_go_to_the_data_folder(win):
    win.output_view.set_drawing(True)
    win.output_view.sigPointAdded.emit(0.25, -0.5, 1)
    path = Path(win.current_config().problem.dataset.removeprefix("csv:"))
    assert path == data_folder() / "drawn_points.csv" and path.is_file()


def test_save_dialog_opens_in_documents_then_in_the_last_folder_chosen(win, tmp_path, monkeypatch):
    QtCore.QSettings().remove(LAST_FOLDER_KEY)
    docs = Path(QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.DocumentsLocation))
    docs.mkdir(parents=True, exist_ok=True)
    asked = []

    def fake_dialog(parent, title, start, filters):
        asked.append(start)
        return str(tmp_path / "curve.svg"), filters

    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", fake_dialog)
    menu = next(a for a in win.menuBar().actions() if a.text() == "&File").menu()
    export_svg = next(a for a in menu.actions() if a.text() == "Export loss curve as SVG drawing…")
    export_svg.trigger()
    export_svg.trigger()
    assert asked == [str(docs / "loss_curve.svg"), str(tmp_path / "loss_curve.svg")]
    assert not docs.resolve().is_relative_to(REAL_HOME)
    assert (tmp_path / "curve.svg").is_file()
