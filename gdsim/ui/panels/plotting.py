"""Small things every plot panel does the same way."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtWidgets


def cache_axes(plot_item: pg.PlotItem) -> None:
    """Draw axes from a cached pixmap until their range changes.

    Text is the costliest thing a plot paints, and Qt's painter holds Python's GIL while it paints, so an axis
    redrawn every frame slows the training thread. Exports draw without the cache (see gdsim.export).
    """
    for name in ("left", "bottom", "right", "top"):
        axis = plot_item.getAxis(name)
        if axis is not None:
            axis.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)


def replace_export_menu(view, callback) -> None:
    """Give a plot's right-click menu one "Export…" entry that calls ``callback``.

    pyqtgraph's own export dialog offers its SVG exporter, which fails with recent Qt (pyqtgraph #3485);
    ours goes through gdsim.export, which renders SVG with QSvgGenerator and writes files atomically.
    """
    from PySide6 import QtGui

    scene = view.scene()
    action = QtGui.QAction("Export…", scene)
    action.triggered.connect(callback)
    scene.contextMenu = [action]
    scene.exportDialog = None
