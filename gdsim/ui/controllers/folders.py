"""Where the app puts files it names itself, and the folder its file dialogs open in.

Both come from QStandardPaths (and the last folder the user chose, kept in QSettings), never from the current
folder, so a desktop launch does not write into / and tests can send everything to a temporary home.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore

LAST_FOLDER_KEY = "folders/last"


def data_folder() -> Path:
    """The app's own data folder (drawn points), created on first use."""
    folder = Path(QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.AppDataLocation))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def dialog_folder() -> Path:
    """The folder a file dialog opens in: the last one the user chose, else their documents folder."""
    last = QtCore.QSettings().value(LAST_FOLDER_KEY, "")
    if last and Path(str(last)).is_dir():
        return Path(str(last))
    docs = QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(docs) if docs and Path(docs).is_dir() else Path.home()


def remember_folder(path: str | Path) -> None:
    QtCore.QSettings().setValue(LAST_FOLDER_KEY, str(Path(path).resolve().parent))
