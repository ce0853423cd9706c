"""QApplication set-up and the entry point of the desktop app."""

from __future__ import annotations

import sys

import pyqtgraph as pg
from PySide6 import QtWidgets


def application() -> QtWidgets.QApplication:
    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication(sys.argv[:1])
        app.setApplicationName("gdsim")
        app.setOrganizationName("gdsim")
    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    return app


def main(args=None) -> int:
    app = application()
    from gdsim.ui.main_window import MainWindow

    win = MainWindow()
    win.show()
    return app.exec()
