"""The main window as tests use it: built, shown and waited for in one place (``windows.py`` holds the helpers,
so files that open several windows in one test use the same code)."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from gdsim.lab import config
from gdsim.ui.main_window import MainWindow


def xor_forever() -> config.Config:
    """The XOR preset without its epoch limit: runs last until the test pauses them."""
    return config.load_preset("xor").with_changes(training={"epochs": 0})


def keep_settings_in(folder: Path) -> None:
    """The window's settings (layout, recent files) go to ``folder``, never to another test's."""
    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope, str(folder))


def open_window(qtbot, cfg: config.Config | None = None, *, size: tuple[int, int] | None = None,
                show: bool = True, exposed: bool = False, active: bool = False) -> MainWindow:
    """A MainWindow on ``cfg`` (None: the start-up problem, as a student sees it); when ``show``, shown at
    ``size`` and waited for until its first snapshot is drawn (``exposed``: and on screen; ``active``: with the
    keyboard focus)."""
    w = MainWindow(cfg, restore_layout=False)
    qtbot.addWidget(w)
    if size is not None:
        w.resize(*size)
    if not show:
        return w
    w.show()
    if exposed or active:
        qtbot.waitExposed(w)
    if active:
        w.activateWindow()
    qtbot.waitUntil(lambda: w.snapshot is not None)
    return w


def choose(qtbot, combo: QtWidgets.QComboBox, text: str) -> None:
    """Open the combo with a click, walk down the list with the arrow keys and press Enter, as a person does."""
    combo.setFocus()
    QTest.mouseClick(combo, QtCore.Qt.MouseButton.LeftButton)
    view = combo.view()
    qtbot.waitUntil(view.isVisible, timeout=3000)
    QTest.keyClick(view, QtCore.Qt.Key.Key_Home)
    for _ in range(combo.count()):  # the arrow keys skip separators
        if view.currentIndex().row() == combo.findText(text):
            break
        QTest.keyClick(view, QtCore.Qt.Key.Key_Down)
    QTest.keyClick(view, QtCore.Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: combo.currentText() == text and not view.isVisible(), timeout=3000)
