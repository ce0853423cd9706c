"""The one QApplication, for the window and for figures rendered without one.

Here rather than in gdsim.ui.app so that rendering a figure (``gdsim sweep --export x.png``) needs no import of
the window, and the window's panels can use the figure code without an import circle.
"""

from __future__ import annotations

import os
import sys

import pyqtgraph as pg
from PySide6 import QtWidgets


def has_display() -> bool:
    return bool(os.environ.get("QT_QPA_PLATFORM") or os.environ.get("DISPLAY")
                or os.environ.get("WAYLAND_DISPLAY") or sys.platform in ("win32", "darwin"))


def _check_x11_libraries() -> None:
    """Qt 6 aborts with a long plugin message when an X11 library it needs is missing; say it in one line."""
    import ctypes.util

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
