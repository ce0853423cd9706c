"""η(t): the learning-rate schedule per epoch, with a marker at the current epoch.

A passive view: ``show_schedule`` draws the closed form from ``gdsim.engine.schedules`` (the one the trainer
uses), ``show_epoch`` moves the marker. η is constant within an epoch, so the curve is drawn as steps.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from gdsim.engine import schedules
from gdsim.ui.plotting.compare_plot import loss_ticks
from gdsim.ui.plotting.items import cache_axes

CURVE_PEN = pg.mkPen((20, 80, 170), width=1)
MARKER_PEN = pg.mkPen((200, 30, 30), width=1)
HEIGHT = 120
MAX_EPOCHS_DRAWN = 100_000  # schedules.curve is a Python loop; beyond this the plot would stall the GUI


class SchedulePlot(pg.PlotWidget):
    """η per epoch for the chosen schedule; log y when the curve spans more than a decade."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("schedulePlot")
        self.setFixedHeight(HEIGHT)
        pi = self.getPlotItem()
        pi.setMenuEnabled(False)
        pi.hideButtons()
        pi.setMouseEnabled(x=False, y=False)
        pi.showGrid(x=True, y=True, alpha=0.15)
        pi.setLabel("left", "η")
        for name in ("left", "bottom"):
            pi.getAxis(name).enableAutoSIPrefix(False)
            pi.getAxis(name).setStyle(tickTextOffset=2)
        pi.getAxis("left").setWidth(44)
        pi.getAxis("bottom").setHeight(20)
        pi.layout.setContentsMargins(2, 2, 6, 2)
        cache_axes(pi)
        self._curve = pi.plot(pen=CURVE_PEN, stepMode="center")
        self._line = pg.InfiniteLine(angle=90, movable=False, pen=MARKER_PEN)
        self._dot = pi.plot(pen=None, symbol="o", symbolSize=7, symbolBrush=(200, 30, 30), symbolPen=None)
        pi.addItem(self._line, ignoreBounds=True)
        self._label = pg.TextItem("", color=(60, 60, 60), anchor=(1, 0))
        self._label.setParentItem(pi.vb)  # pinned to the view's top right, whatever the range
        pi.vb.sigResized.connect(self._place_label)
        self._values = np.empty(0)
        self._schedule: tuple | None = None
        self._epoch: int | None = None
        self._line.hide()

    # ------------------------------------------------------------------ public API

    def show_schedule(self, name: str, base_lr: float, epochs: int, kwargs: dict | None = None) -> None:
        """Draw η(epoch) for epochs 0 .. epochs−1 (ValueError for an unknown schedule or bad arguments)."""
        kw = schedules.check(name, **(kwargs or {}))
        n = max(1, min(int(epochs), MAX_EPOCHS_DRAWN))
        values = schedules.curve(name, float(base_lr), n, **kw)
        self._values = values
        self._schedule = (name, float(base_lr), kw)
        positive = values[values > 0]
        log_y = bool(positive.size == values.size and positive.max() > 10 * positive.min())
        pi = self.getPlotItem()
        pi.setLogMode(y=log_y)
        self._curve.setData(np.arange(n + 1, dtype=np.float64), values)
        lo, hi = float(values.min()), float(values.max())
        if log_y:
            lo, hi = math.log10(lo), math.log10(hi)
        else:
            lo = min(lo, 0.0)
            hi = hi if hi > lo else lo + (abs(lo) or 1.0)
        span = hi - lo
        pi.setXRange(0, n, padding=0.02)
        pi.setYRange(lo - 0.05 * span, hi + 0.3 * span, padding=0)  # head room for the schedule's name
        pi.getAxis("left").setTicks(loss_ticks(lo, hi, 0.7 * HEIGHT) if log_y else None)
        args = ", ".join(f"{k}={v:g}" for k, v in kw.items())
        self._label.setText(f"{name}({args})" if args else name)
        self._place_label()
        if self._epoch is not None:
            self.show_epoch(self._epoch)

    def show_epoch(self, epoch: int) -> None:
        """Mark the current epoch (η from the same closed form, also past the drawn range)."""
        self._epoch = int(epoch)
        if self._schedule is None or epoch < 0:
            self._line.hide()
            self._dot.setData([], [])
            return
        name, base_lr, kw = self._schedule
        lr = schedules.lr_at(name, base_lr, int(epoch), **kw)
        x = int(epoch) + 0.5  # the middle of the epoch's step
        self._line.setValue(x)
        self._line.show()
        if self.log_y() and lr <= 0:
            self._dot.setData([], [])
        else:
            self._dot.setData([x], [lr])

    def values(self) -> np.ndarray:
        """η per epoch as drawn (a copy)."""
        return self._values.copy()

    def marker(self) -> tuple[float, float] | None:
        """(x, η) of the current-epoch marker, or None."""
        x, y = self._dot.xData, self._dot.yData
        return None if x is None or not len(x) else (float(x[0]), float(y[0]))

    def log_y(self) -> bool:
        return bool(self.getPlotItem().ctrl.logYCheck.isChecked())

    def _place_label(self, *_) -> None:
        rect = self.getPlotItem().vb.boundingRect()
        self._label.setPos(QtCore.QPointF(rect.right() - 2, rect.top()))
