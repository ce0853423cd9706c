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
