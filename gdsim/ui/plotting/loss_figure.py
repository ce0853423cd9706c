"""The loss curve as a file without a window: ``gdsim train --export-loss x.png``.

Draws the app's own LossCurve panel, hidden, and lets it export itself (LossCurve.export_image), so the
figure on the slide is the one on screen. The panel never imports this module: it only serves the CLI.
"""

from __future__ import annotations

from gdsim.io.tables import check_path
from gdsim.ui.panels.loss_curve import LossCurve
from gdsim.ui.plotting.qt_app import application

FIGURE_SIZE = (900, 540)  # the loss curve's size when exported from the command line
FIGURE_WIDTH = 1200       # default PNG width


def loss_widget(snapshot, size: tuple[int, int] = FIGURE_SIZE) -> LossCurve:
    """A LossCurve laid out at ``size`` without ever being shown."""
    application(headless=True)
    w = LossCurve()
    w.resize(*size)
    w.resizeEvent(None)  # lay the hidden widget out at its new size (what pyqtgraph itself does)
    w.show_snapshot(snapshot)
    return w


def write(snapshot, path, width: int = FIGURE_WIDTH) -> None:
    """A snapshot's loss curve as .png (``width`` px) or .svg, or its history as .csv."""
    ext = check_path(path, ("png", "svg", "csv"))
    w = loss_widget(snapshot)
    try:
        w.export_image(path, width if ext == "png" else None)
    finally:
        w.close()
        w.deleteLater()
